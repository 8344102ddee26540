"""The notices in the back office, read-only: a notice, its lots and its documents change through
seei.tenders.services only (a published one by an erratum, audited). Who asked a question or showed
interest stays sealed until the notice's procedure is over (seei.core.sealed_admin)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from seei.core.sealed_admin import ReadOnlyAdmin, ReadOnlyInline, SealedAdmin, tender_revealed
from seei.tenders.models import (
    Category,
    Clarification,
    Erratum,
    Interest,
    Item,
    Lot,
    Region,
    Tender,
    TenderDocument,
)


class LotInline(ReadOnlyInline, admin.StackedInline):
    model = Lot
    show_change_link = True


@admin.register(Tender)
class TenderAdmin(ReadOnlyAdmin):
    list_display = ["reference", "buyer", "category", "status", "application_deadline", "published_at"]
    list_filter = ["status", "currency", "category", "region"]
    search_fields = ["reference", "buyer__name"]
    inlines = [LotInline]


class ItemInline(ReadOnlyInline, admin.TabularInline):
    model = Item


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "estimated_amount", "starting_price", "opens_at"]
    list_filter = ["status"]
    inlines = [ItemInline]


@admin.register(TenderDocument)
class TenderDocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "tender", "size", "sha256", "uploaded_at"]


@admin.register(Erratum)
class ErratumAdmin(ReadOnlyAdmin):
    list_display = ["tender", "number", "substantive", "published_at"]


@admin.register(Clarification)
class ClarificationAdmin(SealedAdmin):
    list_display = ["tender", "asked_at", "answered_at", "sealed_company"]
    list_select_related = ["tender"]
    sealed = {"company": _("company"), "asked_by": _("asked by")}

    def revealed(self, obj):
        return tender_revealed(obj.tender_id)


@admin.register(Interest)
class InterestAdmin(SealedAdmin):
    list_display = ["tender", "sealed_company", "kind", "at"]
    list_select_related = ["tender"]
    sealed = {"company": _("company")}

    def revealed(self, obj):
        return tender_revealed(obj.tender_id)


# Reference data, kept by the platform's administrators.
admin.site.register(Category, list_display=["code", "name"], search_fields=["code"])
admin.site.register(Region, list_display=["code", "name"])
