"""Practice auctions: the real machinery (rules, bid path, ledger, receipts, closing task), simulated
rivals bidding through the bid path, the public auction on a loop, and the one switch that keeps
practice out of everything public or counted."""

import random
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest

from seei.auctions import ledger, signing
from seei.auctions import services as auctions
from seei.auctions.models import LedgerEntry, Room
from seei.auctions.verify import verify_ledger
from seei.awards.models import Award
from seei.core import database
from seei.practice import services
from seei.practice.models import PracticeLot, Rival
from seei.tenders.models import Lot, Tender
from tests.api.conftest import ApiClient, token_for
from tests.conftest import Client, off_loop

pytestmark = pytest.mark.django_db(transaction=True)


def open_now(lot, clock):
    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    assert auctions.open_room(lot.pk).done


def play(lot, clock, seed=7, until_close=True, limit=400):
    """Run the rivals on the test clock, as the worker would, from one look to the next."""
    rng = random.Random(seed)
    for _ in range(limit):
        next_at = services.rivals_step(lot.pk, rng)
        room = Room.objects.get(lot=lot)
        _params, state = auctions.rules_of(room)
        if not until_close and state.bids:
            return
        if clock.now() >= state.closes_at:
            assert auctions.close_room(lot.pk).status == "closed"
            return
        clock.advance(max(min(next_at, state.closes_at) - clock.now(), timedelta(milliseconds=10)))
    raise AssertionError("the practice auction never closed")


def test_a_private_practice_auction_runs_on_the_real_machinery_and_never_awards(company, clock):
    lot = services.start(services.PracticeSettings(minutes=3, rivals=4), owner=company.organisation)
    room = Room.objects.get(lot=lot)
    genesis = LedgerEntry.objects.get(room=room, seq=0)
    assert genesis.data["params"]["practice"] is True and room.ref.startswith("PRACTICE-")
    assert Rival.objects.filter(bidder__room=room).count() == 4
    assert set(Rival.objects.values_list("style", flat=True)) == {
        "steady",
        "last_minute",
        "aggressive",
        "hesitant",
    }
    open_now(lot, clock)

    play(lot, clock, until_close=False)
    member = ApiClient(token_for(company))
    snapshot = member.get(f"/lots/{lot.pk}/snapshot").json()
    assert snapshot["practice"] is True and snapshot["bids"] >= 1
    # to the lead, unless the rivals went further than the largest decrease allowed from where we start
    best, lowest = Decimal(snapshot["best"]), Decimal(snapshot["me"]["lowest_allowed"])
    amount = max(best - 100, lowest)
    mine = off_loop(member.post, f"/lots/{lot.pk}/bids", {"amount": str(amount), "request_id": "p1"})
    assert mine.status_code == 201, mine.json()
    rank = mine.json()["me"]["rank"]
    assert rank == 1 if amount < best else rank > 1
    receipt = mine.json()["receipt"]
    assert receipt["lot"].startswith("PRACTICE-")
    assert ledger.verify_receipt(signing.private_key().public_key(), receipt)

    play(lot, clock)
    room.refresh_from_db()
    entries = LedgerEntry.objects.filter(room=room, type="bid")
    rivals = set(Rival.objects.filter(bidder__room=room).values_list("bidder__pseudonym", flat=True))
    assert {entry.data["bidder"] for entry in entries} - rivals == {receipt["bidder"]}
    assert room.status == Room.Status.CLOSED
    assert not Award.objects.filter(lot=lot).exists()
    report = verify_ledger(
        Client().get(f"/api/v1/lots/{lot.pk}/ledger").json(), public_key=signing.private_key().public_key()
    )
    assert report.ok and report.practice and "PRACTICE" in report.summary()
    replay = Client().get(f"/en/auctions/lots/{lot.pk}/replay/")
    assert replay.status_code == 200 and b'data-testid="practice-mark"' in replay.content


def test_a_rival_another_worker_holds_is_left_to_it(company, clock):
    lot = services.start(services.PracticeSettings(minutes=5, rivals=2), owner=company.organisation)
    open_now(lot, clock)
    held, other = Rival.objects.filter(bidder__room__lot=lot).order_by("pk")
    due = clock.now() - timedelta(seconds=1)
    Rival.objects.filter(pk__in=[held.pk, other.pk]).update(next_at=due, style="aggressive")
    with psycopg.connect(database.url()) as elsewhere:
        elsewhere.execute("SELECT 1 FROM practice_rival WHERE id = %s FOR UPDATE", [held.pk])
        services.rivals_step(lot.pk, random.Random(1))
    held_after, other_after = Rival.objects.filter(pk__in=[held.pk, other.pk]).order_by("pk")
    assert (held_after.next_at, held_after.bids) == (due, 0)
    assert other_after.next_at > due
    assert other_after.bids == 1  # an aggressive rival with no best price to beat bids at once


def test_the_public_practice_auction_is_open_to_every_eye_and_every_company(company, other_company, clock):
    lot = services.ensure_public()
    assert services.ensure_public() == lot  # one at a time
    anonymous = ApiClient()
    listed = anonymous.get("/practice/lots").json()
    assert [item["id"] for item in listed] == [lot.pk]
    assert {"id", "status", "opens_at", "closes_at", "best_price", "bid_count", "watch_url"} <= set(listed[0])
    open_now(lot, clock)
    play(lot, clock, until_close=False)
    assert anonymous.get(f"/lots/{lot.pk}/snapshot").json()["practice"] is True
    assert anonymous.get("/practice/lots").json()[0]["bid_count"] >= 1

    # A company's first bid takes a free seat frozen in the genesis.
    member = ApiClient(token_for(company))
    highest = member.get(f"/lots/{lot.pk}/snapshot").json()
    amount = str(int(float(highest.get("best") or highest["starting_price"])) - 100)
    answer = off_loop(member.post, f"/lots/{lot.pk}/bids", {"amount": amount, "request_id": "first"})
    assert answer.status_code == 201, answer.json()
    seats = LedgerEntry.objects.get(room__lot=lot, seq=0).data["params"]["bidders"]
    assert answer.json()["receipt"]["bidder"] in seats
    assert services.join(lot.pk, company.organisation) == answer.json()["receipt"]["bidder"]
    assert services.join(lot.pk, other_company.organisation) not in (None, answer.json()["receipt"]["bidder"])

    # When it closes, the next one is there.
    play(lot, clock)
    following = services.ensure_public()
    assert following != lot and PracticeLot.objects.filter(public=True).count() == 2


def test_practice_is_never_a_notice_a_statistic_or_a_result(published_tender, company, clock):
    lot = services.start(services.PracticeSettings(minutes=2, rivals=2), owner=company.organisation)
    open_now(lot, clock)
    play(lot, clock)
    practice = lot.tender
    client, api = Client(), ApiClient()

    assert list(Tender.objects.real()) == [published_tender]
    assert not Lot.objects.real().filter(pk=lot.pk).exists()
    for page in (
        "/en/",
        "/en/notices/",
        "/en/notices/?q=chairs",
        "/en/statistics/",
        "/en/statistics/statistics.csv",
    ):
        body = client.get(page).content.decode()
        assert practice.reference not in body and "office chairs" not in body.lower(), page
    assert client.get(f"/en/notices/{practice.pk}/").status_code == 404
    assert [notice["id"] for notice in api.get("/notices").json()["items"]] == [published_tender.pk]
    assert api.get(f"/notices/{practice.pk}").status_code == 404
    # The real notice's lot has no result yet: nothing is counted, nor left out for want of a rate.
    statistics = api.get("/statistics", currency="MAD").json()
    assert (statistics["totals"]["lots"], statistics["left_out"]["lots"]) == (0, 0)
    assert not Award.objects.exists()


def test_starting_a_practice_auction_is_for_companies_with_clear_limits(company, buyer):
    as_company, as_buyer = ApiClient(token_for(company)), ApiClient(token_for(buyer))
    refused = as_company.post("/practice/lots", {"minutes": 0, "rivals": 3})
    assert refused.status_code == 422
    assert as_buyer.post("/practice/lots", {"minutes": 5}).status_code == 403
    started = as_company.post("/practice/lots", {"minutes": 4, "rivals": 2, "min_decrement_percent": "1"})
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["practice"] is True and body["public"] is False and body["status"] == "scheduled"
    assert [item["id"] for item in as_company.get("/practice/lots").json()] == [body["id"]]
    assert ApiClient().get("/practice/lots").json() == []  # a private one is nobody else's


def test_a_live_card_names_its_lot_as_its_socket_does(clock):
    """The card's lot id is what live.js opens the socket with: never "1,234,568"."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('tenders_lot', 'id'), 1234567)")
    lot = services.ensure_public()
    assert f'data-live-lot="{lot.pk}"' in Client().get("/en/").content.decode()
