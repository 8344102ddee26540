from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockOffset(models.Model):
    """The test clock's offset; a single row, read only when SEEI_TEST_CLOCK is on."""

    seconds = models.FloatField(default=0)

    def __str__(self):
        return f"{self.seconds:+.0f} s"


class AuditEvent(models.Model):
    """Who did what to which object, kept apart from the data it describes."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}#{self.object_id}"
