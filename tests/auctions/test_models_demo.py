"""The demo's closed auctions: real ledgers, produced by the rules, that `seei verify` accepts."""

from decimal import Decimal

import pytest

from seei.auctions import selectors, signing
from seei.auctions.models import LedgerEntry, Room
from seei.auctions.verify import verify_ledger
from seei.demo import closed_auctions
from seei.practice.styles import STYLES
from seei.tenders.models import Lot

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(clock):
    from seei.demo import load as load_base_demo

    load_base_demo()  # it runs the closed auctions too
    assert closed_auctions.load() == []  # idempotent: a second run creates nothing
    order = [spec.reference for spec in closed_auctions.AUCTIONS]
    rooms = Room.objects.filter(lot__tender__reference__in=order).select_related("lot__tender")
    return sorted(rooms, key=lambda room: order.index(room.lot.tender.reference))


def test_the_demo_auctions_are_closed_with_verified_ledgers(loaded):
    assert len(loaded) == len(closed_auctions.AUCTIONS) == 3
    key = signing.private_key().public_key()
    for spec, room in zip(closed_auctions.AUCTIONS, loaded, strict=True):
        room = Room.objects.select_related("lot__tender").get(pk=room.pk)
        assert room.lot.tender.reference == spec.reference
        assert set(spec.styles) == set(spec.floors) and set(spec.styles.values()) <= set(STYLES)
        assert room.status == "closed" and room.lot.status == Lot.Status.CLOSED
        report = verify_ledger(selectors.public_ledger(room.lot_id), public_key=key)
        assert report.ok, (spec.reference, report.errors)
        # A clear winner: the company that would go lowest, at a price no other went down to.
        lowest_floor = min(spec.floors, key=lambda name: Decimal(spec.floors[name]))
        winner = room.bidders.get(pseudonym=report.winner)
        assert winner.company.name == lowest_floor
        assert report.ranking[0]["amount"] < report.ranking[1]["amount"]
        bids = LedgerEntry.objects.filter(room=room, type="bid").count()
        assert bids >= 10 and len(report.ranking) == len(spec.floors)
        assert room.attempts.count() == bids


def test_the_demo_shows_extensions_and_the_programmes_record(loaded):
    extensions = [LedgerEntry.objects.get(room=room, type="close").data["extensions"] for room in loaded]
    assert all(count >= 1 for count in extensions)
    assert extensions[1] <= 3  # the paper lot caps its extensions at 3
    wheelchairs = selectors.public_ledger(loaded[2].lot_id)
    close = wheelchairs["entries"][-1]["data"]
    assert close["ranking"][0]["amount"] == "274003.20"
    assert wheelchairs["entries"][0]["data"]["params"]["currency"] == "USD"


def test_the_demo_loads_once(loaded):
    entries = LedgerEntry.objects.count()

    assert closed_auctions.load() == []
    assert LedgerEntry.objects.count() == entries
