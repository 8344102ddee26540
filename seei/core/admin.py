from django.contrib import admin

from seei.core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the procedure writes (audit, awards, payments): the back office reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "object_type", "object_id", "actor", "organisation"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__email"]
