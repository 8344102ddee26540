from django.contrib import admin

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


class LotInline(admin.StackedInline):
    model = Lot
    extra = 0
    show_change_link = True


@admin.register(Tender)
class TenderAdmin(admin.ModelAdmin):
    list_display = ["reference", "buyer", "category", "status", "application_deadline", "published_at"]
    list_filter = ["status", "currency", "category", "region"]
    search_fields = ["reference", "buyer__name"]
    inlines = [LotInline]
    readonly_fields = ["published_at", "version"]


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "estimated_amount", "starting_price", "opens_at"]
    list_filter = ["status"]
    inlines = [ItemInline]


admin.site.register(Category, list_display=["code", "name"], search_fields=["code"])
admin.site.register(Region, list_display=["code", "name"])
admin.site.register(TenderDocument, list_display=["title", "tender", "size", "sha256", "uploaded_at"])
admin.site.register(Erratum, list_display=["tender", "number", "substantive", "published_at"])
admin.site.register(Clarification, list_display=["tender", "asked_at", "answered_at"])
admin.site.register(Interest, list_display=["tender", "company", "kind", "at"])
