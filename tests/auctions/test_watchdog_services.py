"""The auction protects itself, through the real services and bid transaction, with the movable clock.

Heartbeats are written as the room processes write them (``watchdog.settle`` with a room process; the
worker's watcher settles without one); "the process stays silent for N seconds" is the clock of record
moved by N and every heartbeat aged by N on PostgreSQL's own clock (``silence``), which is what N
seconds without a beat leave in the table.
"""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from seei.alerts.models import Notification
from seei.auctions import bidding, selectors, services, signing, tasks, watchdog
from seei.auctions.models import Heartbeat, LedgerEntry, Suspension
from seei.auctions.verify import verify_ledger
from seei.tenders.errors import TenderError
from tests.api.conftest import ApiClient, token_for
from tests.conftest import run_async

from .conftest import bid, move_before_close, open_room

pytestmark = pytest.mark.django_db(transaction=True)

ROOM_A = watchdog.Process(watchdog.ROOM, "room:test:a", "test", 1)


def silence(clock, seconds: float) -> None:
    """``seconds`` pass without any heartbeat."""
    clock.advance(timedelta(seconds=seconds))
    Heartbeat.objects.update(seen_at=F("seen_at") - timedelta(seconds=seconds))


def entries(auction, kind):
    return list(LedgerEntry.objects.filter(room=auction.room, type=kind).order_by("seq"))


def subjects(membership) -> set[str]:
    return set(Notification.objects.filter(user=membership.user).values_list("subject", flat=True))


def close_and_verify(auction, clock):
    clock.advance(auction.room.closes_at - services.db_now() + timedelta(seconds=1))
    assert services.close_room(auction.lot.pk).status == "closed"
    report = verify_ledger(
        selectors.ledger_document(auction.room), public_key=signing.private_key().public_key()
    )
    assert report.ok, report.errors
    assert report.closes_at == auction.room.closes_at
    return report


@pytest.fixture(autouse=True)
def _limits(settings, monkeypatch):
    settings.SEEI_AUTO_SUSPEND_GRACE = 5
    settings.SEEI_AUTO_RESUME_LIMIT = 600
    settings.SEEI_SUSPENSION_MAX_HOURS = 48
    monkeypatch.setattr(watchdog, "_nothing_since", None)  # what an earlier test's ticks remembered


def test_silent_room_processes_suspend_the_lot_until_one_is_back(auction, admin_member, clock):
    open_room(auction, clock)
    assert bid(auction, auction.bidders[0], "590000").accepted
    assert watchdog.settle(ROOM_A) == watchdog.NOTHING
    last_beat = Heartbeat.objects.get(process=ROOM_A.key).beat_at
    closes_at = auction.room.closes_at

    silence(clock, 4)  # within the grace: nothing
    assert watchdog.settle() == watchdog.NOTHING and auction.room.status == "open"
    silence(clock, 6)
    assert watchdog.settle().suspend_at == last_beat

    room = auction.room
    assert room.status == "suspended"
    [suspended] = entries(auction, "suspend")
    assert suspended.at == max(last_beat, entries(auction, "bid")[-1].at)
    assert suspended.data == {"automatic": True, "cause": "no_room"}
    suspension = Suspension.objects.get()
    assert suspension.automatic and suspension.started_by is None and suspension.ended_at is None
    assert suspension.reason == "platform: no room process answering" and suspension.lots == [auction.lot.pk]
    # Every bidder sees why; a bid is refused as suspended; the close waits.
    during = bid(auction, auction.bidders[1], "580000")
    assert (during.accepted, during.reason) == (False, "suspended")
    for snapshot in (bidding.snapshot_sync(auction.lot.pk), _room_snapshot(auction)):
        assert snapshot["status"] == "suspended"
    assert services.close_room(auction.lot.pk).status == "suspended"
    told = "Auctions suspended automatically: platform: no room process answering"
    for member in [*auction.bidders, auction.buyer, admin_member]:
        assert told in subjects(member)
    assert told not in subjects(auction.outsiders[0])

    silence(clock, 30)
    assert watchdog.settle() == watchdog.NOTHING  # still no room process
    assert watchdog.settle(ROOM_A) == watchdog.Decision(resume=True)  # one is back: it resumes

    room = auction.room
    [resumed] = entries(auction, "resume")
    assert room.status == "open" and Suspension.objects.get().ended_at == resumed.at
    assert room.closes_at == closes_at + (resumed.at - suspended.at)  # the time lost, credited
    assert "Auctions resumed" in subjects(auction.buyer)
    assert bid(auction, auction.bidders[1], "580000").accepted
    close_and_verify(auction, clock)


def test_after_an_outage_longer_than_the_limit_the_administrator_resumes(
    auction, admin_member, clock, settings
):
    settings.SEEI_AUTO_RESUME_LIMIT = 60
    open_room(auction, clock)
    watchdog.settle(ROOM_A)
    silence(clock, 10)
    watchdog.settle()
    assert auction.room.status == "suspended"

    silence(clock, 120)
    assert watchdog.settle(ROOM_A) == watchdog.NOTHING  # back, but too late to resume by itself
    assert auction.room.status == "suspended" and Suspension.objects.get().is_active
    assert watchdog.settle(ROOM_A) == watchdog.NOTHING

    services.resume_all(admin_member)
    suspension = Suspension.objects.get()
    assert suspension.ended_by == admin_member.user and auction.room.status == "open"
    close_and_verify(auction, clock)


def test_past_the_48_hours_a_suspension_cannot_resume(auction, admin_member, clock):
    open_room(auction, clock)
    watchdog.settle(ROOM_A)
    silence(clock, 10)
    watchdog.settle()

    silence(clock, 48 * 3600 + 1)
    with pytest.raises(TenderError) as error:
        services.resume_all(admin_member)
    assert error.value.messages == [
        "These auctions have been suspended for more than 48 hours: they cannot resume, "
        "they must be cancelled and relaunched."
    ]
    assert auction.room.status == "suspended"


def test_a_database_gap_is_recorded_before_any_new_bid(auction, clock):
    """The database was away for 12 s: nothing could be written then. The room process takes no bid
    until its watcher has recorded the gap (suspended at the last moment a bid could be taken, resumed
    when the database came back, the close moved by the gap); the chain verifies."""
    open_room(auction, clock)
    watcher = watchdog.Watcher(watchdog.ROOM)
    watchdog._current = watcher
    try:
        watcher.tick()
        assert not watchdog.recovering()
        assert bid(auction, auction.bidders[0], "590000").accepted
        last_bid = entries(auction, "bid")[-1].at
        closes_at = auction.room.closes_at

        watcher.failed = True  # its beats fail: the database is down
        silence(clock, 12)
        with pytest.raises(bidding.Unavailable) as refused:  # the database is back, the gap not recorded yet
            bid(auction, auction.bidders[1], "580000")
        assert refused.value.reason == "recovering"
        assert len(entries(auction, "bid")) == 1

        watcher.tick()  # the first beat that works again records the gap
        assert not watchdog.recovering()
    finally:
        watchdog._current = None

    [suspended], [resumed] = entries(auction, "suspend"), entries(auction, "resume")
    assert suspended.at == last_bid and suspended.data == {"automatic": True, "cause": "database"}
    assert resumed.seq == suspended.seq + 1 and resumed.at - suspended.at >= timedelta(seconds=12)
    assert auction.room.closes_at == closes_at + (resumed.at - suspended.at)
    suspension = Suspension.objects.get()
    assert (suspension.cause, suspension.started_at, suspension.ended_at) == (
        "database",
        last_bid,
        resumed.at,
    )
    told = "Auctions suspended during an outage: platform: database unreachable"
    assert told in subjects(auction.buyer) and told in subjects(auction.bidders[0])
    assert watchdog.settle(ROOM_A) == watchdog.NOTHING  # recorded once

    assert bid(auction, auction.bidders[1], "580000").accepted
    close_and_verify(auction, clock)


def test_the_close_waits_for_an_outage_over_it(auction, clock):
    """The close fell due while the database was away: the closing job records the outage first, so
    the lot gets back the seconds it had left instead of closing on them."""
    open_room(auction, clock)
    move_before_close(auction, clock, 3)
    watchdog.settle(ROOM_A)
    closes_at = auction.room.closes_at

    silence(clock, 10)  # past the close
    assert tasks.close_room(lot_id=auction.lot.pk) == "suspended"  # the close job settles first
    [suspended] = entries(auction, "suspend")
    assert timedelta(seconds=2) < closes_at - suspended.at <= timedelta(seconds=3)  # the seconds it had left

    watchdog.settle(ROOM_A)
    [resumed] = entries(auction, "resume")
    assert auction.room.closes_at == resumed.at + (closes_at - suspended.at)
    assert services.close_room(auction.lot.pk).status == "not_due"
    assert bid(auction, auction.bidders[0], "590000").accepted  # in the seconds given back
    close_and_verify(auction, clock)


def test_a_practice_auction_is_left_alone(auction, clock):
    from seei.tenders.models import Tender

    Tender.objects.filter(pk=auction.lot.tender_id).update(practice=True)
    open_room(auction, clock)
    watchdog.settle(ROOM_A)
    silence(clock, 10)
    assert watchdog.settle().suspend_at is not None
    assert auction.room.status == "open" and not Suspension.objects.exists()
    assert watchdog.settle(ticking=True) == watchdog.NOTHING  # a watcher's tick: not decided again


def test_a_suspension_that_found_nothing_is_not_decided_again_until_a_newer_beat(auction, clock):
    """No real lot runs while the room processes are silent: a watcher's tick looks (one query) and
    stops there until a newer beat; the sweep and the close job still settle in full."""
    watchdog.settle(ROOM_A)
    silence(clock, 10)
    watcher = watchdog.Watcher(watchdog.WORKER)
    watcher.tick()  # decides to suspend: nothing was running
    assert not Suspension.objects.exists() and not watcher.failed
    with CaptureQueriesContext(connection) as queries:
        watcher.tick()
    assert len(queries) == 1  # the look only: no transaction, no lock
    assert watchdog.settle().suspend_at is not None  # without ``ticking``: decided again

    watchdog.settle(ROOM_A)  # a newer beat
    silence(clock, 10)
    with CaptureQueriesContext(connection) as queries:
        watcher.tick()
    assert len(queries) > 1  # decided again, from the newer beat


def test_only_room_processes_beat(auction):
    watchdog.Watcher(watchdog.WORKER).tick()
    assert not Heartbeat.objects.exists()  # the worker's watcher watches: nothing reads its beats
    room = watchdog.Watcher(watchdog.ROOM)
    room.tick()
    assert list(Heartbeat.objects.values_list("process", "kind")) == [(room.process.key, "room")]


def test_a_page_process_takes_no_api_bid_while_an_outage_is_not_recorded(auction, clock, monkeypatch):
    """A page process (``seei.wsgi``) serves the API's bids without the room app: its own watcher, which
    never beats, keeps them waiting from the database's failure until it has recorded the outage."""
    monkeypatch.setattr(watchdog, "INTERVAL", 0.05)
    open_room(auction, clock)
    watchdog.settle(ROOM_A)  # a room process beats
    api = ApiClient(token_for(auction.bidders[0]))

    def place(amount, request_id):
        return api.post(f"/lots/{auction.lot.pk}/bids", {"amount": amount, "request_id": request_id})

    watcher = watchdog.watch()
    try:
        assert watcher.kind == watchdog.PAGES and watcher.process is None and watchdog.watch() is watcher
        assert not watchdog.recovering()  # its first tick is done
        assert place("590000", "a").status_code == 201
        assert Heartbeat.objects.count() == 1  # ROOM_A's only

        real_look = watchdog.look

        def database_away(*args, **kwargs):
            raise OperationalError("the database is away")

        monkeypatch.setattr(watchdog, "look", database_away)
        _wait_for(lambda: watcher.failed)
        silence(clock, 12)  # no room process beats either
        refused = place("580000", "b")
        assert (refused.status_code, refused.json()["reason"]) == (503, "recovering")
        assert len(entries(auction, "bid")) == 1

        monkeypatch.setattr(watchdog, "look", real_look)  # back: its next tick records the outage
        _wait_for(lambda: not watchdog.recovering())
    finally:
        watcher.halt()
    suspension = Suspension.objects.get()
    assert suspension.cause == "database" and auction.room.status == "suspended"
    assert watchdog.settle(ROOM_A) == watchdog.Decision(resume=True)  # a room process resumes it
    assert place("580000", "b").status_code == 201


def test_a_page_process_starts_its_watcher_with_its_first_request(monkeypatch):
    from seei import wsgi

    started = []
    monkeypatch.setattr(watchdog, "watch", lambda: started.append("watching"))
    monkeypatch.setattr(wsgi, "_pages", lambda environ, start_response: [b"page"])
    assert wsgi.application({"PATH_INFO": "/fr/"}, None) == [b"page"] and started == ["watching"]


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.02)


def _room_snapshot(auction):

    async def read():
        async with bidding.connection() as conn:
            return await bidding.room_snapshot(conn, auction.lot.pk)

    return run_async(read())
