from django.contrib import admin

from seei.alerts.models import Alert, EmailOptOut, Notification, WatchProfile

admin.site.register(Notification, list_display=["subject", "user", "created_at", "read_at"])
admin.site.register(
    WatchProfile, list_display=["name", "company", "frequency"], filter_horizontal=["categories", "regions"]
)
admin.site.register(Alert, list_display=["key", "company", "created_at", "sent_at"])
admin.site.register(EmailOptOut, list_display=["user", "profile", "created_at"])
