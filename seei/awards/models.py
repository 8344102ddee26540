"""After the room: the award, its steps down the ranking, the accountant's visa and the payments."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Award(models.Model):
    """One per closed lot with bids. The awardee is always the best-ranked candidate still standing."""

    class Status(models.TextChoices):
        PROVISIONAL = "provisional", _("Provisional: documents requested")
        FINAL = "final", _("Final")
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful: no candidate left")

    lot = models.OneToOneField("tenders.Lot", on_delete=models.PROTECT, related_name="award")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROVISIONAL)
    currency = models.CharField(max_length=3)
    # The current (or final) awardee and price; copied from the step so statistics need no join.
    company = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="awards")
    amount = models.DecimalField(_("awarded amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField()
    final_at = models.DateTimeField(_("final on"), null=True, blank=True, db_index=True)
    # An abnormally low price is flagged; the commission must record that it checked it.
    low_price_flag = models.BooleanField(_("abnormally low price"), default=False)
    low_price_checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    low_price_checked_at = models.DateTimeField(null=True, blank=True)
    low_price_note = models.TextField(_("check of the abnormally low price"), blank=True)

    class Meta:
        verbose_name = _("award")

    def __str__(self):
        return f"{self.lot} — {self.get_status_display()}"


class AwardStep(models.Model):
    """A candidate asked for its documents, in ranking order; no one can skip a rank."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Documents requested")
        SUBMITTED = "submitted", _("Documents submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="steps")
    rank = models.PositiveIntegerField()
    bidder = models.ForeignKey("auctions.Bidder", on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField()
    documents_deadline = models.DateTimeField(_("documents deadline"))
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["award", "rank"]
        constraints = [models.UniqueConstraint(fields=["award", "rank"], name="one_step_per_rank")]

    def __str__(self):
        return f"{self.award.lot} — rank {self.rank}"


class AwardDocument(models.Model):
    step = models.ForeignKey(AwardStep, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(upload_to="awards/%Y/", max_length=500)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    def __str__(self):
        return self.title


class Visa(models.Model):
    """The accountant's decision on the commitment."""

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
        ordering = ["award", "decided_at"]

    def __str__(self):
        return f"{self.award} — {self.get_decision_display()}"


class Payment(models.Model):
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("payment date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    reference = models.CharField(_("reference"), max_length=80)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["award", "paid_on", "id"]

    def __str__(self):
        return f"{self.award} — {self.amount} ({self.reference})"
