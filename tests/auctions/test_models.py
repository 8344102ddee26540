"""The genesis: prepare_room freezes the lot's parameters and the admitted bidders' pseudonyms."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from seei.auctions import ledger, rules, services, signing
from seei.auctions.models import Bidder, LedgerEntry, Room
from seei.tenders.errors import TenderError

from .conftest import admit, make_auction

pytestmark = pytest.mark.django_db


def test_prepare_room_freezes_the_lot_parameters(buyer, category, region, clock):
    auction = make_auction(
        buyer,
        category,
        region,
        clock,
        min_decrement_kind="percent",
        min_decrement=Decimal("0.50"),
        max_decrement_kind="amount",
        max_decrement=Decimal("50000.00"),
        decrement_base="best",
        duration_minutes=45,
        extension_window_seconds=120,
        extension_seconds=90,
        extension_cap=4,
        only_lead_change_extends=True,
        visibility="all",
        refuse_equal_best=False,
        min_bid_interval_seconds=7,
    )
    lot, room = auction.lot, auction.room
    params = rules.LotParams.from_dict(room.params)

    assert params.currency == "MAD" and params.minor_digits == 2
    assert params.starting_price == Decimal("600000.00")
    assert params.min_decrement == rules.Decrement("percent", Decimal("0.50"))
    assert params.max_decrement == rules.Decrement("amount", Decimal("50000.00"))
    assert params.decrement_base == "best"
    assert params.opens_at == lot.opens_at
    assert params.closes_at == lot.opens_at + timedelta(minutes=45) == room.closes_at
    assert params.extension_window == timedelta(seconds=120)
    assert params.extension == timedelta(seconds=90)
    assert params.extension_cap == 4
    assert params.only_lead_change_extends is True
    assert params.visibility == "all"
    assert params.refuse_equal_best is False
    assert params.min_bid_interval == timedelta(seconds=7)
    assert room.status == "scheduled" and room.seq == 0 and room.ref == "AO-ROOM-001/1"
    assert rules.State.from_dict(room.state) == rules.State.initial(params)


def test_each_admitted_company_gets_a_random_pseudonym(auction):
    room = auction.room
    bidders = list(Bidder.objects.filter(room=room))
    params = rules.LotParams.from_dict(room.params)

    assert {b.company for b in bidders} == {m.organisation for m in auction.bidders}
    assert all(re.fullmatch(r"Bidder [0-9A-F]{4}", b.pseudonym) for b in bidders)
    assert len({b.pseudonym for b in bidders}) == 3
    # The frozen list is sorted, so its order says nothing about the companies.
    assert list(params.bidders) == sorted(b.pseudonym for b in bidders)


def test_the_genesis_is_the_first_signed_entry_with_pseudonyms_only(auction):
    room = auction.room
    genesis = LedgerEntry.objects.get(room=room)
    entry = genesis.as_entry()

    assert genesis.seq == 0 and genesis.type == "genesis"
    assert entry["prev_hash"] == "0" * 64
    assert entry["hash"] == ledger.entry_hash(entry) == room.genesis_hash == room.last_hash
    assert entry["data"] == {"lot": "AO-ROOM-001/1", "params": room.params}
    assert ledger.verify_entry_signature(signing.private_key().public_key(), genesis.hash, genesis.signature)
    assert rules.parse_time(entry["at"]) < room.opens_at
    text = json.dumps(entry, ensure_ascii=False)
    for member in auction.bidders:
        assert member.organisation.name not in text and member.user.email not in text


def test_prepare_room_is_idempotent(auction):
    room = auction.room

    again = services.prepare_room(auction.lot)

    assert again.pk == room.pk and again.genesis_hash == room.genesis_hash
    assert LedgerEntry.objects.filter(room=room).count() == 1
    assert Bidder.objects.filter(room=room).count() == 3


def test_later_changes_to_the_lot_do_not_touch_the_frozen_parameters(auction):
    frozen = auction.room.params
    auction.lot.starting_price = Decimal("1.00")
    auction.lot.save()

    assert Room.objects.get(pk=auction.room.pk).params == frozen


def test_prepare_room_schedules_the_opening_and_the_close(auction, clock):
    from procrastinate.contrib.django.models import ProcrastinateJob

    jobs = {job.task_name: job for job in ProcrastinateJob.objects.filter(queue_name="auctions")}
    lot_id, room = auction.lot.pk, auction.room
    offset = timedelta(seconds=clock.offset_seconds())

    assert jobs["seei.auctions.open_room"].args == {"lot_id": lot_id}
    assert jobs["seei.auctions.open_room"].queueing_lock == f"auctions.open.{lot_id}"
    assert jobs["seei.auctions.close_room"].queueing_lock == f"auctions.close.{lot_id}"
    # On the wall clock: the room's times minus the test clock's offset.
    assert jobs["seei.auctions.open_room"].scheduled_at == room.opens_at - offset
    assert jobs["seei.auctions.close_room"].scheduled_at == room.closes_at - offset


def test_a_room_cannot_be_prepared_once_it_should_have_opened(
    buyer, category, region, clock, published_tender
):
    lot = published_tender.lots.get()
    from tests.conftest import make_company, make_member

    commission = make_member("c@sante.gov.ma", buyer.organisation, "commission_member")
    admit(lot, [make_company("Late SARL", "003000000000001", "late@example.ma")], commission)
    clock.advance(lot.opens_at - clock.now() + timedelta(minutes=1))

    with pytest.raises(TenderError) as error:
        services.prepare_room(lot)

    assert "frozen before its room opens" in error.value.messages[0]
    assert not Room.objects.filter(lot=lot).exists()


def test_a_room_needs_admitted_companies(published_tender):
    lot = published_tender.lots.get()

    with pytest.raises(TenderError) as error:
        services.prepare_room(lot)

    assert error.value.messages == [
        "No company is admitted to this lot: there is no auction room to prepare."
    ]
    assert not Room.objects.exists()
