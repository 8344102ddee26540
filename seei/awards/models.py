"""After the room: the award, its steps down the ranking, the accountant's visa and the payments.

An award belongs to a closed lot with bids. Its steps follow the final ranking of the room, one
rank at a time: the candidate of the current step is asked for its documents; the commission
confirms it (the award is final) or records why it fails (the next rank gets a step). Rows are
written only by ``seei.awards.services``.
"""

import secrets
from decimal import Decimal

from django.conf import settings
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
        """Net of the reversing entries (their amounts are negative)."""
        return self.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")

    def committed(self) -> Decimal:
        """The amount committed with the visa (the awarded amount for a visa granted before the
        commitment was recorded; nothing without a granted visa)."""
        commitment = Commitment.objects.filter(award=self).first()
        if commitment is not None:
            return commitment.amount
        visa = self.visa()
        if visa is not None and visa.decision == Visa.Decision.GRANTED:
            return self.amount or Decimal("0.00")
        return Decimal("0.00")

    def remaining(self) -> Decimal:
        """What remains to be paid of the commitment (of the awarded amount before any visa)."""
        visa = self.visa()
        ceiling = self.committed() if visa is not None and visa.decision == Visa.Decision.GRANTED else None
        return (self.amount or Decimal("0.00") if ceiling is None else ceiling) - self.paid()

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


class Commitment(models.Model):
    """The commitment (engagement) the accountant records with the granted visa: how much of the
    award is committed, on which budget line, on which date. One per award, never more than awarded;
    the payments never exceed it."""

    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="commitment")
    visa = models.OneToOneField(Visa, on_delete=models.PROTECT, related_name="commitment")
    amount = AmountField(_("committed amount"))
    budget_line = models.CharField(_("budget line"), max_length=120)
    committed_on = models.DateField(_("commitment date"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accountant_post = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("commitment")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="commitment_positive"),
            models.CheckConstraint(condition=~Q(budget_line=""), name="commitment_has_budget_line"),
        ]

    def __str__(self):
        return f"{self.award} — {self.amount} ({self.budget_line})"


class Payment(models.Model):
    """A payment, or the reversing entry that cancels one (negative, with its reason). Rows are never
    changed nor deleted (a trigger refuses it, see migration 0002): a mistake is corrected by a
    reversal, then the right payment."""

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("payment date"))
    amount = AmountField(_("amount"))
    reference = models.CharField(_("reference"), max_length=80)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    reason = models.TextField(_("reason of the reversal"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accountant_post = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["award", "paid_on", "id"]
        verbose_name = _("payment")
        constraints = [
            # A payment is positive; a reversal is negative and says why.
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True, amount__gt=0) & Q(reason=""))
                | (Q(reverses__isnull=False, amount__lt=0) & ~Q(reason="")),
                name="payment_positive_or_reversal",
            ),
        ]

    def __str__(self):
        return f"{self.award} — {self.amount} ({self.reference})"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def reversed(self) -> bool:
        return hasattr(self, "reversal")
