"""Read-only views of the auction records: the ledger is changed by the rules only, never by hand.
Which company is behind a pseudonym, and who tried each bid, stay sealed until the award is final
(seei.core.sealed_admin)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from seei.auctions.models import BidAttempt, Bidder, LedgerEntry, Room, Suspension
from seei.core.sealed_admin import ReadOnlyAdmin, SealedAdmin, lot_revealed


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ["ref", "status", "opens_at", "closes_at", "seq"]
    list_filter = ["status"]
    search_fields = ["ref"]


@admin.register(Bidder)
class BidderAdmin(SealedAdmin):
    list_display = ["pseudonym", "room", "sealed_company"]
    search_fields = ["pseudonym", "room__ref"]
    list_select_related = ["room"]
    sealed = {"company": _("company")}

    def revealed(self, obj):
        return lot_revealed(obj.room.lot_id)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["room", "seq", "type", "at", "hash"]
    list_filter = ["type"]
    search_fields = ["room__ref", "hash"]


@admin.register(BidAttempt)
class BidAttemptAdmin(SealedAdmin):
    list_display = ["room", "at", "bidder", "sealed_user", "amount_text", "outcome", "reason"]
    list_filter = ["outcome", "reason"]
    search_fields = ["room__ref", "request_id"]
    list_select_related = ["room", "bidder"]
    sealed = {"user": _("person")}

    def revealed(self, obj):
        return lot_revealed(obj.room.lot_id)


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ended_at", "reason", "automatic", "cause", "started_by", "ended_by"]
