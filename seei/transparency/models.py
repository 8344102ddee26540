"""The transparency log in the database: its leaves (one per closed real lot) and its signed heads.

Both tables are append-only: a PostgreSQL trigger (migration 0002) refuses every UPDATE and DELETE,
whoever asks. Appends are serialised by ``services.append`` (an advisory lock).
"""

from django.db import models


class LogLeaf(models.Model):
    """Leaf ``index`` of the log: a closed lot's final ledger entry (``heads.leaf_data``)."""

    index = models.PositiveIntegerField(unique=True)
    lot = models.OneToOneField("tenders.Lot", on_delete=models.PROTECT, related_name="log_leaf")
    lot_ref = models.CharField(max_length=80)
    seq = models.PositiveIntegerField()  # the final entry's
    ledger_hash = models.CharField(max_length=64)  # the final entry's hash
    leaf_hash = models.CharField(max_length=64)
    appended_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"{self.index} {self.lot_ref}"


class TreeHead(models.Model):
    """A signed tree head of ``size`` leaves, naming the previous head (``heads.head_body``)."""

    size = models.PositiveIntegerField(unique=True)
    root = models.CharField(max_length=64)
    at = models.DateTimeField()
    prev = models.CharField(max_length=64)
    signature = models.CharField(max_length=100)
    # The tree's frontier (``merkle.frontier``, hex), so the next append needs no other leaf. Not signed:
    # anyone can recompute it from the leaves. Null on heads written before it existed.
    frontier = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["size"]

    def __str__(self):
        return f"{self.size} {self.root[:12]}"

    def as_head(self) -> dict:
        """The head as signed (``heads.head_body``), with its signature."""
        from seei.transparency.heads import head_body

        return head_body(self.size, bytes.fromhex(self.root), self.at, self.prev) | {
            "signature": self.signature
        }
