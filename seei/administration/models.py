"""The platform administrators' own records: announcements to every user, and the decisions taken
on companies' registrations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from seei.core.translated import TranslatedField


class Announcement(models.Model):
    """A message shown at the top of every page between ``starts_at`` and ``ends_at`` (open-ended
    when empty). Ended by setting ``ends_at``: announcements are kept, never deleted."""

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    title = TranslatedField(_("title"))
    body = TranslatedField(_("text"), default=dict, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.INFO)
    starts_at = models.DateTimeField(_("shown from"))
    ends_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("announcement")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="announcement_ends_after_start",
            )
        ]

    def __str__(self):
        return str(self.title)

    def is_live(self, now) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class RegistrationReview(models.Model):
    """An administrator's decision on a self-registered company, with the reason of a rejection.

    Approval itself is ``Organisation.pending`` turned off (``accounts.services.approve_company``);
    a rejected company stays pending (it may log in, never apply) and leaves the queue."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="registration_reviews"
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("registration review")

    def __str__(self):
        return f"{self.organisation} — {self.get_decision_display()}"
