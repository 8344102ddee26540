from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HelpRequest(models.Model):
    """A message sent to the help desk from the contact page."""

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"))
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    # Who sent it (a hash of the account or the browser session), for the rate limit only.
    sender = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("sent at"))
    handled = models.BooleanField(_("handled"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("help request")
        indexes = [models.Index(fields=["sender", "created_at"], name="help_request_sender_recent")]

    def __str__(self):
        return f"{self.subject} — {self.email}"
