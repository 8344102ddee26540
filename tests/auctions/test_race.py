"""The race: 30 bidders bidding at once in the last seconds, against the close running at the same time.

Afterwards no accepted bid is at or after the close, the extensions follow the rules (window 5 s,
extension 5 s, at most 3), there is exactly one winner, the downloaded ledger verifies, and a
ledger with one amount altered is rejected.
"""

import asyncio
import json
import threading
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connections

from seei.auctions import bidding, ledger, rules, services
from seei.auctions.models import LedgerEntry
from seei.auctions.verify import main as verify_main
from seei.auctions.verify import verify_ledger
from seei.tenders.models import Lot
from tests.conftest import Client, run_async

from .conftest import make_auction, move_before_close, open_room

pytestmark = pytest.mark.django_db(transaction=True)

BIDDERS = 30
# Before each round, the clock is put this many seconds before the current close (unless the last round
# took longer on a busy machine: the clock then stays where it is).
GAPS = [3.0, 2.0, 1.0, 0.5, 0.05, -1.0]


def amount(round_number: int, bidder: int) -> str:
    # 1,000.00 below the bidder's previous bid each round; distinct between bidders and rounds.
    return str(599_000 - 1_000 * round_number - 10 * bidder)


def in_a_thread(function, *args):
    """Run ORM work from the event loop's threads, closing the thread's connection afterwards."""

    def run():
        try:
            return function(*args)
        finally:
            connections.close_all()

    return asyncio.to_thread(run)


def close_in_a_worker(lot_id: int) -> str:
    try:
        return services.close_room(lot_id).status
    finally:
        connections.close_all()


async def race(auction, clock) -> tuple[list[bidding.BidResult], list[str]]:
    lot_id = auction.lot.pk
    users = [member.user_id for member in auction.bidders]
    results, closes = [], []
    conns = [await psycopg.AsyncConnection.connect(bidding.conninfo(), autocommit=True) for _ in users]
    try:
        for number, gap in enumerate(GAPS):
            await in_a_thread(move_before_close, auction, clock, gap)
            *batch, close = await asyncio.gather(
                *(
                    bidding.place_bid(
                        conns[i],
                        lot_id=lot_id,
                        user_id=users[i],
                        amount=amount(number, i),
                        request_id=f"{number}-{i}",
                    )
                    for i in range(BIDDERS)
                ),
                asyncio.to_thread(close_in_a_worker, lot_id),  # a worker closing at the same moment
            )
            results.extend(batch)
            closes.append(close)
    finally:
        for conn in conns:
            await conn.close()
    return results, closes


def test_thirty_bidders_racing_the_close(buyer, category, region, clock, tmp_path):
    auction = make_auction(
        buyer,
        category,
        region,
        clock,
        reference="AO-RACE-030",
        bidders=BIDDERS,
        outsiders=0,
        extension_window_seconds=5,
        extension_seconds=5,
        extension_cap=3,
        min_bid_interval_seconds=0,  # the flood guard is tested elsewhere: here every bid races the close
    )
    open_room(auction, clock)

    results, closes = run_async(race(auction, clock))

    # The close ran once, whoever got there first; a late worker finds it done.
    assert closes.count("closed") == 1 and closes[-1] in ("closed", "already")
    if services.close_room(auction.lot.pk).status != "already":
        pytest.fail("the lot was not closed by the race")

    entries = list(LedgerEntry.objects.filter(room__lot=auction.lot).order_by("seq"))
    bids = [e for e in entries if e.type == "bid"]
    close = entries[-1]
    accepted = [r for r in results if r.accepted]
    refused = [r for r in results if not r.accepted]
    assert close.type == "close" and [e.type for e in entries].count("close") == 1
    assert len(accepted) == len(bids) > BIDDERS
    assert {r.reason for r in refused} == {"closed"}  # nothing else went wrong under contention
    assert len(refused) >= BIDDERS  # at least the whole last round, after the close

    # No accepted bid at or after the close.
    final_close = rules.parse_time(close.data["closes_at"])
    assert all(entry.at < final_close for entry in bids)
    assert close.at >= final_close
    # The extensions follow the rules: the first three bids (in the window) moved the close to 5 s
    # after the third one; then the cap held it.
    assert close.data["extensions"] == 3
    assert final_close == bids[2].at + timedelta(seconds=5)
    # Times follow the order of the chain: the clock is read under the lock.
    assert [e.at for e in entries[1:]] == sorted(e.at for e in entries[1:])

    # Exactly one winner: the lowest price.
    lowest = min(bids, key=lambda e: (Decimal(e.data["amount"]), e.at))
    assert close.data["winner"] == lowest.data["bidder"]
    assert [line["rank"] for line in close.data["ranking"]] == list(range(1, BIDDERS + 1))
    assert Lot.objects.get(pk=auction.lot.pk).status == "closed"

    # Every receipt is signed and names its entry.
    client = Client()
    key = ledger.load_public_key(client.get("/api/v1/ledger/public-key").json()["public_key"])
    by_seq = {e.seq: e for e in bids}
    assert all(
        ledger.verify_receipt(key, r.receipt) and by_seq[r.receipt["seq"]].hash == r.receipt["hash"]
        for r in accepted
    )

    # The downloaded ledger verifies, with the published key; one altered amount is rejected.
    response = client.get(f"/api/v1/lots/{auction.lot.pk}/ledger")
    assert response.status_code == 200
    document = response.json()
    report = verify_ledger(document, public_key=key)
    assert report.ok, report.errors
    assert (report.winner, report.closes_at, report.entries) == (
        lowest.data["bidder"],
        final_close,
        len(entries),
    )
    path, key_file = tmp_path / "ledger.json", tmp_path / "seei.pem"
    path.write_bytes(response.content)
    key_file.write_text(ledger.public_key_pem(key))
    assert verify_main([str(path), "--public-key", str(key_file)]) == 0

    altered = json.loads(response.content)
    victim = altered["entries"][5]
    victim["data"]["amount"] = str(Decimal(victim["data"]["amount"]) - 1)
    path.write_text(json.dumps(altered), encoding="utf-8")
    assert verify_main([str(path), "--public-key", str(key_file)]) == 1
    assert (
        "entry 5: hash mismatch (amount or another field was altered)"
        in verify_ledger(altered, public_key=key).errors
    )


def test_concurrent_bids_through_the_api(buyer, category, region, clock):
    """The same guarantees through POST /api/v1/lots/{id}/bids, one thread per bidder."""
    from tests.api.conftest import ApiClient, token_for

    auction = make_auction(
        buyer,
        category,
        region,
        clock,
        reference="AO-RACE-API",
        bidders=10,
        outsiders=0,
        min_bid_interval_seconds=0,
    )
    open_room(auction, clock)
    move_before_close(auction, clock, 60)
    clients = [ApiClient(token_for(member)) for member in auction.bidders]
    start = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def send(index):
        try:
            start.wait()
            response = clients[index].post(
                f"/lots/{auction.lot.pk}/bids", {"amount": amount(0, index), "request_id": f"api-{index}"}
            )
            statuses[index] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * len(clients)
    entries = list(LedgerEntry.objects.filter(room__lot=auction.lot, type="bid").order_by("seq"))
    assert len(entries) == len(clients)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert services.rules_of(auction.room)[1].extensions == len(
        clients
    )  # each bid in the window moved the close
