from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Subscription(models.Model):
    """A company's interests: it is alerted when a matching notice is published."""

    company = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="subscriptions"
    )
    category = models.ForeignKey("tenders.Category", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "category"], name="unique_subscription")]

    def __str__(self):
        return f"{self.company} — {self.category}"


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
