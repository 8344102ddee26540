"""The live auction in the database: one room per lot, its bidders, its ledger and the audit of attempts.

The rules (``rules.py``) decide; these rows only keep what they decided. ``Room.state`` caches the
state folded from the ledger (``rules.State.to_dict()``) so that a bid needs no replay, and
``Room.seq``/``Room.last_hash`` are the head of the hash chain the next entry links to. The hot
path (``seei.auctions.bidding``) reads and writes these tables with plain SQL: keep column names in step.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Room(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        OPEN = "open", pgettext_lazy("room status", "Open")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    lot = models.OneToOneField("tenders.Lot", on_delete=models.PROTECT, related_name="room")
    ref = models.CharField(_("public reference"), max_length=80)  # "AO-2026-001/1", in the genesis
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    params = models.JSONField()  # rules.LotParams.to_dict(), frozen at the genesis
    state = models.JSONField()  # rules.State.to_dict() after entry ``seq``
    seq = models.PositiveIntegerField(default=0)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()  # the current closing time (extensions, suspensions included)
    genesis_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("auction room")
        indexes = [models.Index(fields=["status", "closes_at"]), models.Index(fields=["status", "opens_at"])]

    def __str__(self):
        return self.ref


class Bidder(models.Model):
    """An admitted company in a room, known to everyone else only by its pseudonym."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bidders")
    company = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    pseudonym = models.CharField(_("pseudonym"), max_length=32)

    class Meta:
        verbose_name = _("bidder")
        constraints = [
            models.UniqueConstraint(fields=["room", "company"], name="one_bidder_per_company"),
            models.UniqueConstraint(fields=["room", "pseudonym"], name="unique_pseudonym"),
        ]

    def __str__(self):
        return self.pseudonym


class LedgerEntry(models.Model):
    """One link of the lot's hash chain, exactly as hashed (see ledger.py) and signed."""

    # Every bid inserts entries and attempts: no index that another one already covers (here the
    # (room, seq) constraint; for attempts (room, at) and (bidder, request_id)), and none for users.
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="entries", db_index=False)
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=10)
    at = models.DateTimeField()
    data = models.JSONField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=100)

    class Meta:
        ordering = ["room", "seq"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="unique_ledger_seq")]

    def __str__(self):
        return f"{self.room_id}#{self.seq} {self.type}"

    def as_entry(self) -> dict:
        """The entry as hashed: the six fields of the ledger format."""
        from seei.auctions.rules import format_time

        return {
            "seq": self.seq,
            "type": self.type,
            "at": format_time(self.at),
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


class BidAttempt(models.Model):
    """Every bid attempt, refused ones included (who, what, why): the audit log, not the chain."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="attempts", db_index=False)
    bidder = models.ForeignKey(
        Bidder, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount_text = models.CharField(_("amount as typed"), max_length=100)
    amount = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=32, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # the message parameters of the refusal
    request_id = models.CharField(max_length=64)
    entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="attempt"
    )

    class Meta:
        ordering = ["room", "at", "id"]
        verbose_name = _("bid attempt")
        indexes = [models.Index(fields=["room", "at"])]
        constraints = [
            # Replay protection: a request is applied once, then answered from here.
            models.UniqueConstraint(fields=["bidder", "request_id"], name="one_attempt_per_request")
        ]

    def __str__(self):
        return f"{self.room_id} {self.amount_text} {self.outcome} {self.reason}"


class Suspension(models.Model):
    """A platform-wide incident: every open room paused, the remaining time credited on resume.

    An administrator starts one (``started_by``), or the platform itself when bids could not be
    accepted for longer than the grace (``automatic``, see watchdog.py; ``started_by`` is then empty).
    """

    class Cause(models.TextChoices):
        INCIDENT = "incident", _("platform incident")
        NO_ROOM = "no_room", _("platform: no room process answering")
        DATABASE = "database", _("platform: database unreachable")

    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"))  # an automatic one keeps its cause's label, in English
    automatic = models.BooleanField(default=False)
    cause = models.CharField(max_length=10, choices=Cause.choices, default=Cause.INCIDENT)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lots = models.JSONField(default=list, blank=True)  # ids of the lots whose room it paused

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("incident suspension")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.reason[:40]}"

    @property
    def is_active(self):
        return self.ended_at is None

    @property
    def resume_deadline(self):
        """Past it the auctions cannot resume (the 48-hour rule, SEEI_SUSPENSION_MAX_HOURS)."""
        from datetime import timedelta

        return self.started_at + timedelta(hours=settings.SEEI_SUSPENSION_MAX_HOURS)

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language: an automatic suspension's cause is translated."""
        return str(self.get_cause_display()) if self.automatic else self.reason


class Heartbeat(models.Model):
    """A room process saying it is alive, every second or so (see watchdog.py; the other processes only
    watch: rows of ``kind`` worker are an earlier version's, forgotten after a day).

    ``beat_at`` is the clock of record (where an outage is placed in the ledger); ``seen_at`` is
    PostgreSQL's own clock, without the test offset, so that a test moving the clock does not make
    every process look silent.
    """

    class Kind(models.TextChoices):
        ROOM = "room", _("room process")
        WORKER = "worker", _("task worker")

    process = models.CharField(max_length=100, primary_key=True)  # kind:host:pid:token
    kind = models.CharField(max_length=10, choices=Kind.choices)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()
    seen_at = models.DateTimeField()
    accepting = models.BooleanField(default=False)  # a room process taking bids (false once stopped)

    class Meta:
        verbose_name = _("heartbeat")

    def __str__(self):
        return self.process
