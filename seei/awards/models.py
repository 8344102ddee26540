"""After the room: the award, its steps down the ranking, the accountant's visa and the payments.

An award belongs to a closed lot with bids. Its steps follow the final ranking of the room, one
rank at a time: the candidate of the current step is asked for its documents; the commission
confirms it (the award is final) or records why it fails (the next rank gets a step). Rows are
written only by ``seei.awards.services``.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from seei.core.amounts import AmountField


class Award(models.Model):
    """One per closed lot with bids. The awardee is always the best-ranked candidate still standing."""

    class Status(models.TextChoices):
        PROVISIONAL = "provisional", _("Provisional: documents requested")
        FINAL = "final", _("Final")
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful: no candidate left")

    lot = models.OneToOneField("tenders.Lot", on_delete=models.PROTECT, related_name="award")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROVISIONAL, db_index=True
    )
    currency = models.CharField(max_length=3)
    # The current (or final) candidate and price, copied from its step so statistics need no join.
    company = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="awards"
    )
    amount = models.DecimalField(_("awarded amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    # The documents every candidate must give (keys of seei.awards.documents.KINDS), frozen at the start.
    required_documents = models.JSONField(default=list)
    created_at = models.DateTimeField()
    final_at = models.DateTimeField(_("final on"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("award")

    def __str__(self):
        return f"{self.lot} — {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    def current_step(self):
        """The step of the candidate being examined (the confirmed one once final), or None."""
        return self.steps.exclude(status=AwardStep.Status.FAILED).order_by("rank").first()

    def paid(self) -> Decimal:
        return self.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")

    def remaining(self) -> Decimal:
        return (self.amount or Decimal("0.00")) - self.paid()

    def visa(self):
        """The accountant's latest decision, or None."""
        return self.visas.order_by("-decided_at", "-id").first()


class AwardStep(models.Model):
    """A candidate asked for its documents, in ranking order; no one can skip a rank."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Documents requested")
        SUBMITTED = "submitted", _("Documents submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="steps")
    rank = models.PositiveIntegerField(_("rank"))
    bidder = models.ForeignKey("auctions.Bidder", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("price"), max_digits=18, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField()
    documents_deadline = models.DateTimeField(_("documents deadline"))
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    # An abnormally low price is flagged to the commission, which must record that it checked it
    # before confirming; the flag never changes the ranking.
    low_price = models.BooleanField(_("abnormally low price"), default=False)
    low_price_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    low_price_checked_at = models.DateTimeField(null=True, blank=True)
    low_price_note = models.TextField(_("check of the abnormally low price"), blank=True)

    class Meta:
        ordering = ["award", "rank"]
        verbose_name = _("award step")
        constraints = [
            models.UniqueConstraint(fields=["award", "rank"], name="one_step_per_rank"),
            # At most one candidate under examination or confirmed at a time.
            models.UniqueConstraint(
                fields=["award"], condition=~Q(status="failed"), name="one_standing_step_per_award"
            ),
        ]

    def __str__(self):
        return f"{self.award.lot} — rank {self.rank}"

    @property
    def pseudonym(self) -> str:
        return self.bidder.pseudonym

    @property
    def low_price_checked(self) -> bool:
        return self.low_price_checked_at is not None

    def current_documents(self):
        return self.documents.filter(replaced_at__isnull=True).order_by("kind")


def award_document_path(instance, filename):
    # A random name: the file store does not tell which company or lot a file belongs to.
    return f"awards/{secrets.token_hex(16)}"


class AwardDocument(models.Model):
    """A document the candidate gave for its step (a newer one of the same kind replaces it)."""

    step = models.ForeignKey(AwardStep, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=40)
    file = models.FileField(upload_to=award_document_path, max_length=500)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["step", "kind", "uploaded_at"]
        verbose_name = _("award document")

    def __str__(self):
        return f"{self.kind} {self.sha256[:12]}"

    @property
    def label(self):
        from seei.awards.documents import label

        return label(self.kind)


class Visa(models.Model):
    """The accountant's decision on the commitment; the latest one counts."""

    class Decision(models.TextChoices):
        GRANTED = "granted", _("Visa granted")
        REFUSED = "refused", _("Visa refused")

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="visas")
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accountant_post = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["award", "decided_at", "id"]
        verbose_name = _("visa")
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="refused") | ~Q(reason=""), name="refusal_has_reason"
            )
        ]

    def __str__(self):
        return f"{self.award} — {self.get_decision_display()}"


class Payment(models.Model):
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("payment date"))
    amount = AmountField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    reference = models.CharField(_("reference"), max_length=80)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accountant_post = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["award", "paid_on", "id"]
        verbose_name = _("payment")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]

    def __str__(self):
        return f"{self.award} — {self.amount} ({self.reference})"
