"""A bid's signed receipt, derived again from its stored ledger entry, for the company's documents page.

The bid's answer carries ``signing.sign_receipt(entry, room.ref)`` (``seei.auctions.bidding``); the
stored ``LedgerEntry`` holds the same six fields (``as_entry``) and Ed25519 signatures are
deterministic, so the receipt given again here is the one given then, byte for byte, and
``seei verify`` checks it the same way. The bid path is left untouched.
"""

import json

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from seei.auctions import signing
from seei.auctions.models import Bidder, LedgerEntry
from seei.tenders.models import Lot

BID = "bid"


def receipt_of(entry: LedgerEntry) -> dict:
    """The signed receipt of an accepted bid's ledger entry."""
    return signing.sign_receipt(entry.as_entry(), entry.room.ref)


def receipt_json(entry: LedgerEntry) -> bytes:
    return json.dumps(receipt_of(entry), indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")


def company_bids(company):
    """The company's accepted bids in real rooms (a practice room's are not its documents), newest first.
    A bid's entry names its bidder by the room's pseudonym: the company's bidders give the pairs."""
    bidders = Bidder.objects.filter(company=company, room__lot__in=Lot.objects.real()).values_list(
        "room_id", "pseudonym"
    )
    mine = Q(pk__in=[])
    for room_id, pseudonym in bidders:
        mine |= Q(room_id=room_id, data__bidder=pseudonym)
    return (
        LedgerEntry.objects.filter(type=BID)
        .filter(mine)
        .select_related("room__lot__tender")
        .order_by("-at", "-seq")
    )


def company_bid(company, pk) -> LedgerEntry:
    """One of the company's bids, or 404: another company's entry is not found, never forbidden."""
    entry = company_bids(company).filter(pk=pk).first()
    if entry is None:
        raise Http404(_("No such bid among your company's."))
    return entry
