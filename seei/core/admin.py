from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from seei.core.models import AuditEvent
from seei.core.sealed_admin import SealedAdmin, event_revealed


@admin.register(AuditEvent)
class AuditEventAdmin(SealedAdmin):
    """The audit log; a company's events name it only once their procedure is over."""

    list_display = ["at", "action", "object_type", "object_id", "sealed_actor", "sealed_organisation"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id"]  # not the actor: a search by email would name who applied
    list_select_related = ["organisation", "actor"]
    sealed = {"actor": _("actor"), "organisation": _("organisation")}

    def revealed(self, obj):
        return event_revealed(obj)
