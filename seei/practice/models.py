from django.db import models
from django.utils.translation import gettext_lazy as _

from seei.practice.styles import STYLES


class Rival(models.Model):
    """A simulated bidder of one practice room: a seat of the room taken by a simulated company, which
    bids through the same bid path as people, at its own pace (``styles``), never under its floor."""

    bidder = models.OneToOneField("auctions.Bidder", on_delete=models.CASCADE, related_name="rival")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    style = models.CharField(_("style"), max_length=12, choices=[(style, style) for style in STYLES])
    floor = models.DecimalField(_("floor price"), max_digits=18, decimal_places=2)
    next_at = models.DateTimeField(db_index=True)  # when it looks at the room again
    bids = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("simulated bidder")

    def __str__(self):
        return f"{self.bidder} ({self.style})"


class PracticeLot(models.Model):
    """A practice lot: who started it (a company, or the platform for the public one) and its settings."""

    lot = models.OneToOneField("tenders.Lot", on_delete=models.CASCADE, related_name="practice_settings")
    owner = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    public = models.BooleanField(default=False)  # the platform's own, on a loop: anyone may watch or join
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("practice lot")
        indexes = [models.Index(fields=["public", "-created_at"])]

    def __str__(self):
        return str(self.lot)
