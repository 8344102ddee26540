from django.contrib import admin

from seei.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is read-only, in the back office as everywhere."""

    list_display = ["at", "action", "object_type", "object_id", "actor", "organisation"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
