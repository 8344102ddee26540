"""Read-only views of the auction records: the ledger is changed by the rules only, never by hand."""

from django.contrib import admin

from seei.auctions.models import BidAttempt, Bidder, LedgerEntry, Room, Suspension


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ["ref", "status", "opens_at", "closes_at", "seq"]
    list_filter = ["status"]
    search_fields = ["ref"]


@admin.register(Bidder)
class BidderAdmin(ReadOnlyAdmin):
    list_display = ["pseudonym", "room", "company"]
    search_fields = ["pseudonym", "room__ref"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["room", "seq", "type", "at", "hash"]
    list_filter = ["type"]
    search_fields = ["room__ref", "hash"]


@admin.register(BidAttempt)
class BidAttemptAdmin(ReadOnlyAdmin):
    list_display = ["room", "at", "bidder", "user", "amount_text", "outcome", "reason"]
    list_filter = ["outcome", "reason"]
    search_fields = ["room__ref", "request_id"]


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ended_at", "reason", "automatic", "cause", "started_by", "ended_by"]
