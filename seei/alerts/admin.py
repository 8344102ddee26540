from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from seei.alerts.models import Alert, EmailOptOut, Notification, WatchProfile
from seei.core.sealed_admin import SealedAdmin, person_revealed


@admin.register(Notification)
class NotificationAdmin(SealedAdmin):
    """A company's notifications tell who applied, was admitted or invited: their recipient is sealed
    (a notification names no procedure the admin could wait for; break-glass reads it, audited)."""

    list_display = ["subject", "sealed_user", "created_at", "read_at"]
    list_select_related = ["user"]
    sealed = {"user": _("recipient")}

    def revealed(self, obj):
        return person_revealed(obj.user_id)


admin.site.register(
    WatchProfile, list_display=["name", "company", "frequency"], filter_horizontal=["categories", "regions"]
)
admin.site.register(Alert, list_display=["key", "company", "created_at", "sent_at"])
admin.site.register(EmailOptOut, list_display=["user", "profile", "created_at"])
