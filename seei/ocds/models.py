"""OCDS releases, stored when each step of a notice's life happens (``seei.ocds.publish``).

A release is written once and never changed: its id, date and content stay what users downloaded.
One row per (notice, step); the step names what happened (``tender``, ``amendment-2``,
``lot-1-award``, ``payment-7``...), so publishing the same step twice writes nothing.
"""

from django.db import models


class Release(models.Model):
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="ocds_releases")
    ocid = models.CharField(max_length=100, db_index=True)
    step = models.CharField(max_length=40)
    release_id = models.CharField(max_length=160, unique=True)
    date = models.DateTimeField(db_index=True)
    tag = models.JSONField()
    data = models.JSONField()  # the whole release, exactly as published
    stored_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.UniqueConstraint(fields=["tender", "step"], name="one_release_per_step")]

    def __str__(self):
        return self.release_id
