from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from seei.core.amounts import AmountField
from seei.tenders.models import Currency


class Notification(models.Model):
    """An in-app message; the same text is also sent by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"))
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")

    def __str__(self):
        return self.subject


class WatchProfile(models.Model):
    """A company's interests: it is alerted when a notice matching them is published.

    Every criterion left empty matches every notice; the ones given must all match (see
    ``seei.alerts.matching``). A category includes its sub-categories and a buyer its directorates,
    as in the portal's search."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("At once")
        DAILY = "daily", _("In a daily digest")

    company = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="watch_profiles"
    )
    name = models.CharField(_("name"), max_length=100)
    categories = models.ManyToManyField(
        "tenders.Category", verbose_name=_("categories"), blank=True, related_name="+"
    )
    regions = models.ManyToManyField(
        "tenders.Region", verbose_name=_("regions"), blank=True, related_name="+"
    )
    buyers = models.ManyToManyField(
        "accounts.Organisation",
        verbose_name=_("buyers"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "buyer"},
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=200,
        blank=True,
        help_text=_(
            "Words searched in every language of the notice, as in the portal's search: "
            '"quoted words" together, -word to leave out, or between alternatives.'
        ),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    amount_min = AmountField(
        _("minimum estimated amount"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    amount_max = AmountField(
        _("maximum estimated amount"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    frequency = models.CharField(
        _("alerts"), max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("watch profile")
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="unique_watch_profile_name"),
            models.CheckConstraint(
                condition=Q(amount_min__isnull=True)
                | Q(amount_max__isnull=True)
                | Q(amount_min__lte=F("amount_max")),
                name="watch_profile_amount_range",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            errors["amount_max"] = _("The maximum amount must not be below the minimum amount.")
        if (self.amount_min is not None or self.amount_max is not None) and not self.currency:
            errors["currency"] = _("Choose the currency of the amount range.")
        if errors:
            raise ValidationError(errors)


class Alert(models.Model):
    """One event told to one company. Its key ("notice:12", "erratum:7", "answer:31") is unique per
    company: whoever inserts the row sends it, so a retried job or a second worker never sends twice."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("New notice")
        ERRATUM = "erratum", _("Erratum")
        ANSWER = "answer", _("Published answer")
        CANCELLATION = "cancelled", _("Notice cancelled")

    company = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="+")
    erratum = models.ForeignKey("tenders.Erratum", null=True, on_delete=models.CASCADE, related_name="+")
    # The company's profiles a new notice matched: the emails name them and link to their unsubscribing.
    profiles = ArrayField(models.BigIntegerField(), default=list, blank=True)
    digest = models.BooleanField(default=False)  # every profile matched is a daily one
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("alert")
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="one_alert_per_event")]
        indexes = [
            models.Index(
                fields=["digest", "created_at"], condition=Q(sent_at__isnull=True), name="alert_to_send"
            )
        ]

    def __str__(self):
        return f"{self.key} → {self.company_id}"


class EmailOptOut(models.Model):
    """A person who asked, through an email's link, for no more watch emails: of one profile, or of
    any (``profile`` empty). The alerts stay in the person's notifications."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(
        WatchProfile, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("unsubscription")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "profile"], condition=Q(profile__isnull=False), name="one_opt_out_per_profile"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(profile__isnull=True), name="one_opt_out_of_all"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} — {self.profile_id or 'all'}"


class Reminder(models.Model):
    """A reminder sent to a company before its room opens. The row is what makes it once only:
    whoever inserts it sends the messages; a second worker, a retried job or the sweep finds it."""

    class Kind(models.TextChoices):
        DAY = "day", _("The day before")
        HOUR = "hour", _("The hour before")

    # The unique constraint's index, led by the lot, serves the lot's lookups: no second index.
    lot = models.ForeignKey("tenders.Lot", on_delete=models.CASCADE, related_name="+", db_index=False)
    company = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    opens_at = models.DateTimeField()  # the opening it announced
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("reminder")
        constraints = [
            models.UniqueConstraint(fields=["lot", "company", "kind"], name="one_reminder_per_kind")
        ]

    def __str__(self):
        return f"{self.kind} reminder: {self.company_id} — lot {self.lot_id}"
