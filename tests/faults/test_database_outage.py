"""PostgreSQL stopped for ten seconds during bidding, with a real room process (the embedded default's
layout: the room, its watchdog and the task worker in one process) on a private PostgreSQL.

Bids in the gap get a clear JSON 503; the lot suspends itself for the gap (a "suspend" ledger entry at
the last moment a bid could be taken, a "resume" when the database is back, the close moved by the
gap) before any new bid is taken; the room recovers without a restart; what was acknowledged is in
the ledger and ``seei verify`` accepts the chain. ``pytest -s`` prints what it measured.
"""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from tests.faults.conftest import Sql
from tests.faults.test_room_faults import Bidder, stop_all
from tests.faults.test_room_faults import open_auction as _open_auction  # noqa: F401 (a fixture)
from tests.room.servers import WebServer, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGE = 10  # seconds


def entries(sql: Sql, lot_id: int) -> list[dict]:
    rows = sql.rows(
        "SELECT e.seq, e.type, e.at, e.data, e.prev_hash, e.hash FROM auctions_ledgerentry e "
        "JOIN auctions_room r ON r.id = e.room_id WHERE r.lot_id = %s ORDER BY e.seq",
        [lot_id],
    )
    return [dict(zip(("seq", "type", "at", "data", "prev_hash", "hash"), row, strict=True)) for row in rows]


def closes_at(sql: Sql, lot_id: int):
    return sql.value("SELECT closes_at FROM auctions_room WHERE lot_id = %s", [lot_id])


def probe(url: str, lot_id: int, session: str) -> httpx.Response:
    """One bid during the outage (a fresh request id each time)."""
    return httpx.post(
        f"{url}/room/lots/{lot_id}/bids",
        json={"amount": "1000", "request_id": f"probe-{time.monotonic_ns()}"},
        headers={"origin": url, "x-seei-room": "bid", "x-seei-language": "en"},
        cookies={"sessionid": session},
        timeout=10,
    )


def test_the_lot_suspends_itself_for_a_database_outage(request, private_postgres, tmp_path):
    from seei.auctions import rules, signing
    from seei.auctions.verify import verify_ledger

    open_auction = request.getfixturevalue("_open_auction")  # that of the room's fault tests

    lot_id, sessions = open_auction.lot.pk, open_auction.sessions
    sql = Sql(private_postgres.copy_of_test_database())
    close_before = closes_at(sql, lot_id)
    with WebServer(tmp_path, name="room", database_url=sql.url) as room:
        wait_until(
            lambda: sql.value("SELECT count(*) FROM auctions_heartbeat WHERE accepting"), 10, "a heartbeat"
        )
        bidders = [Bidder(room.url, lot_id, session, number) for number, session in enumerate(sessions)]
        for bidder in bidders:
            bidder.start()
        try:
            wait_until(lambda: all(len(bidder.acknowledged) >= 3 for bidder in bidders), 20, "bids accepted")
            private_postgres.stop()
            stopped = time.monotonic()
            time.sleep(1.5)
            in_gap = probe(room.url, lot_id, sessions[0])
            time.sleep(OUTAGE - 1.5)
            private_postgres.start()
            restarted = time.monotonic()
            counts = {bidder: len(bidder.acknowledged) for bidder in bidders}
            wait_until(lambda: all(len(b.acknowledged) > counts[b] + 2 for b in bidders), 30, "bids again")
        finally:
            stop_all(bidders)
        alive, output = room.alive(), room.output(4000)

    assert alive, output
    assert in_gap.status_code == 503, in_gap.text
    answer = in_gap.json()
    assert answer["accepted"] is False and answer["reason"] in ("unavailable", "recovering")
    assert answer["message"], answer

    chain = entries(sql, lot_id)
    [suspend] = [entry for entry in chain if entry["type"] == "suspend"]
    [resume] = [entry for entry in chain if entry["type"] == "resume"]
    gap = resume["at"] - suspend["at"]
    assert suspend["data"] == {"automatic": True, "cause": "database"}
    assert resume["seq"] == suspend["seq"] + 1  # no bid was taken before the gap was recorded
    assert timedelta(seconds=OUTAGE) <= gap < timedelta(seconds=OUTAGE + 10)
    assert closes_at(sql, lot_id) == close_before + gap  # the time lost, credited to the close
    bids_at = [entry["at"] for entry in chain if entry["type"] == "bid"]
    assert not [at for at in bids_at if suspend["at"] < at < resume["at"]]
    assert sql.value("SELECT count(*) FROM auctions_suspension WHERE automatic AND ended_at IS NOT NULL") == 1

    receipts = {receipt["seq"] for bidder in bidders for receipt in bidder.acknowledged.values()}
    acknowledged = sum(len(bidder.acknowledged) for bidder in bidders)
    in_ledger = {entry["seq"] for entry in chain if entry["type"] == "bid"}
    published = [
        entry | {"at": rules.format_time(entry["at"])} for entry in chain
    ]  # the six fields of the ledger format, as hashed
    stored = dict(
        sql.rows(
            "SELECT e.seq, e.signature FROM auctions_ledgerentry e JOIN auctions_room r ON r.id = e.room_id "
            "WHERE r.lot_id = %s",
            [lot_id],
        )
    )
    report = verify_ledger(
        signing.export(published, stored, {"ref": chain[0]["data"]["lot"]}),
        public_key=signing.private_key().public_key(),
        require_close=False,
    )
    refused = sum(1 for bidder in bidders for *_times, status in bidder.answers if status == 503)
    first_after = min(
        sent
        for bidder in bidders
        for sent, _took, status in bidder.answers
        if status == 201 and sent > restarted
    )
    print(
        f"\ndatabase stopped {restarted - stopped:.1f} s; bids answered 503 meanwhile: {refused}; "
        f"first bid accepted {first_after - restarted:.1f} s after the restart (stale {first_after - stopped:.1f} s); "
        f"suspension recorded {gap.total_seconds():.1f} s, close moved by as much; "
        f"bids acknowledged (201): {acknowledged}; bid entries in the ledger: {len(in_ledger)}"
    )
    assert acknowledged == len(receipts) == len(in_ledger) and receipts == in_ledger
    assert report.ok, report.errors
