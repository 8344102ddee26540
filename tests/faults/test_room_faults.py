"""The live room against faults, with real processes, a private Redis and the test's PostgreSQL.

Bidders bid in loops over HTTP and viewers follow the lot over WebSockets while a room process is
killed, Redis restarts or Redis hangs. What was acknowledged to a bidder (a 201) is in the ledger,
always: a bidder whose request got no answer sends the same request again (its request id makes it
idempotent) until it gets one, so every bid in the ledger is acknowledged and the two counts are
equal. Each test prints what it measured (``pytest -s tests/faults/test_room_faults.py``).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import threading
import time

import httpx
import pytest
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from tests.auctions.conftest import make_auction, open_room
from tests.faults.conftest import test_database
from tests.room.conftest import session_cookie
from tests.room.servers import FailoverProxy, WebServer, usable_password, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_auction(buyer, category, region, clock):
    """Three admitted companies on an open lot with no pause between one's bids; their sessions."""
    auction = make_auction(
        buyer, category, region, clock, outsiders=0, reference="AO-ROOM-FAULTS", min_bid_interval_seconds=0
    )
    open_room(auction, clock)
    for membership in auction.bidders:
        usable_password(membership)  # before the session: a session is bound to the password
    auction.sessions = [session_cookie(membership) for membership in auction.bidders]
    return auction


class Bidder(threading.Thread):
    """One company bidding in a loop through ``url``; every request is sent again until answered."""

    def __init__(self, url: str, lot_id: int, session: str, number: int):
        super().__init__(daemon=True)
        self.url, self.lot_id, self.session, self.number = url, lot_id, session, number
        self.acknowledged: dict[str, dict] = {}  # request id -> receipt of an accepted bid (201)
        self.answers: list[tuple[float, float, int]] = []  # (sent at, seconds to answer, status)
        self.unanswered = 0  # attempts that got no answer (connection lost) or a 503
        self.stopping = threading.Event()
        self.failure: BaseException | None = None  # what stopped the loop, for stop_all to report

    def run(self) -> None:
        try:
            self._bid_until_stopped()
        except BaseException as failure:
            self.failure = failure
            raise

    def _bid_until_stopped(self) -> None:
        with httpx.Client(timeout=10, cookies={"sessionid": self.session}) as client:
            step = 0
            while not self.stopping.is_set():
                amount = 599_000 - 1_000 * step - 10 * self.number
                self._send(client, str(amount), f"bidder-{self.number}-{step}")
                step += 1

    def _send(self, client: httpx.Client, amount: str, request_id: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sent = time.monotonic()
            try:
                response = client.post(
                    f"{self.url}/room/lots/{self.lot_id}/bids",
                    json={"amount": amount, "request_id": request_id},
                    headers={"origin": self.url, "x-seei-room": "bid", "x-seei-language": "en"},
                )
            except httpx.TransportError:
                self.unanswered += 1
                time.sleep(0.1)
                continue
            self.answers.append((sent, time.monotonic() - sent, response.status_code))
            if response.status_code == 503:
                self.unanswered += 1
                time.sleep(0.1)
                continue
            if response.status_code == 429:  # too many attempts while the room recovered: nothing written
                time.sleep(float(response.headers["Retry-After"]))
                continue
            assert response.status_code in (201, 422), response.text
            if response.status_code == 201:
                self.acknowledged[request_id] = response.json()["receipt"]
            return
        raise AssertionError(f"bid {request_id} never answered")


class Viewer(threading.Thread):
    """A viewer's socket on ``url``, reconnecting when it closes; the seq of each snapshot received."""

    def __init__(self, url: str, lot_id: int, session: str):
        super().__init__(daemon=True)
        self.url, self.lot_id, self.session = url, lot_id, session
        self.snapshots: list[tuple[float, int]] = []  # (received at, seq)
        self.feed_down: list[float] = []  # when the server said its feed was down
        self.closed: list[float] = []
        self.stopping = threading.Event()

    @property
    def seq(self) -> int:
        return self.snapshots[-1][1] if self.snapshots else -1

    def first_snapshot_after(self, moment: float) -> float | None:
        return next((at for at, _seq in self.snapshots if at > moment), None)

    def reached(self, seq: int, after: float) -> float | None:
        return next((at for at, got in self.snapshots if at > after and got >= seq), None)

    def run(self) -> None:
        address = "ws" + self.url.removeprefix("http") + f"/room/lots/{self.lot_id}/ws"
        while not self.stopping.is_set():
            try:
                with connect(
                    address,
                    origin=self.url,
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    open_timeout=3,
                    compression=None,
                ) as socket:
                    while not self.stopping.is_set():
                        try:
                            message = json.loads(socket.recv(timeout=0.2))
                        except TimeoutError:
                            continue
                        if message.get("type") == "time":
                            if message.get("live") is False:
                                self.feed_down.append(time.monotonic())
                        elif message.get("type") != "pong":
                            self.snapshots.append((time.monotonic(), message["seq"]))
            except (OSError, TimeoutError, WebSocketException):
                self.closed.append(time.monotonic())
                time.sleep(0.2)


def ledger(lot_id: int) -> tuple[set[int], int]:
    """(the seqs of the lot's bid entries, the head of its chain)."""
    sql = test_database()
    rows = sql.rows(
        "SELECT e.seq, e.type FROM auctions_ledgerentry e JOIN auctions_room r ON r.id = e.room_id "
        "WHERE r.lot_id = %s",
        [lot_id],
    )
    return {seq for seq, kind in rows if kind == "bid"}, max(seq for seq, _kind in rows)


def stop_all(threads) -> None:
    for thread in threads:
        thread.stopping.set()
    for thread in threads:
        thread.join(70)
        assert not thread.is_alive(), f"{thread} did not stop"
        assert getattr(thread, "failure", None) is None, f"{thread} failed: {thread.failure!r}"


def acknowledged_equals_ledger(bidders, lot_id: int) -> int:
    """Every acknowledged bid is in the ledger, and every bid in the ledger was acknowledged."""
    receipts = [receipt for bidder in bidders for receipt in bidder.acknowledged.values()]
    in_ledger, _head = ledger(lot_id)
    acknowledged = {receipt["seq"] for receipt in receipts}
    print(f"bids acknowledged (201): {len(receipts)}; bid entries in the ledger: {len(in_ledger)}")
    assert len(receipts) == len(acknowledged) == len(in_ledger)
    assert acknowledged == in_ledger
    return len(receipts)


def all_caught_up(viewers, lot_id: int, after: float, timeout: float = 15) -> float:
    """Wait until every viewer got a snapshot of the ledger's head after ``after``; the seconds."""
    _bids, head = ledger(lot_id)
    wait_until(
        lambda: all(viewer.reached(head, after) for viewer in viewers), timeout, f"every viewer at {head}"
    )
    return max(viewer.reached(head, after) for viewer in viewers) - after


def test_a_room_process_killed_mid_auction_loses_no_acknowledged_bid(open_auction, private_redis, tmp_path):
    lot_id, sessions = open_auction.lot.pk, open_auction.sessions
    with (
        WebServer(tmp_path, private_redis.url, "web-1") as first,
        WebServer(tmp_path, private_redis.url, "web-2") as second,
        FailoverProxy([first.port, second.port]) as to_first,  # to web-1 while it lives, then web-2
        FailoverProxy([second.port, first.port]) as to_second,
    ):
        bidders = [
            Bidder(to_first.url, lot_id, sessions[0], 0),
            Bidder(to_second.url, lot_id, sessions[1], 1),
            Bidder(to_first.url, lot_id, sessions[2], 2),
        ]
        on_first = [Viewer(to_first.url, lot_id, sessions[n % 3]) for n in range(4)]
        on_second = [Viewer(to_second.url, lot_id, sessions[n % 3]) for n in range(2)]
        for thread in [*on_first, *on_second]:
            thread.start()
        wait_until(lambda: all(viewer.snapshots for viewer in on_first + on_second), 15, "viewers connected")
        try:
            for bidder in bidders:
                bidder.start()
            wait_until(lambda: all(len(bidder.acknowledged) >= 5 for bidder in bidders), 30, "bids accepted")
            killed_at = time.monotonic()
            first.kill()
            wait_until(
                lambda: (
                    all(bidder.answers and bidder.answers[-1][0] > killed_at for bidder in bidders)
                    and all(len(bidder.acknowledged) >= 5 for bidder in bidders)
                ),
                30,
                "bids after the kill",
            )
            time.sleep(2)  # more bids through web-2 alone
        finally:
            stop_all(bidders)
        try:
            caught_up = all_caught_up(on_first + on_second, lot_id, killed_at)
        finally:
            stop_all(on_first + on_second)
        print(second.output(3000))
    acknowledged = acknowledged_equals_ledger(bidders, lot_id)
    after_kill = sum(1 for bidder in bidders for sent, _took, status in bidder.answers if sent > killed_at)
    assert all(viewer.closed for viewer in on_first) and not any(viewer.closed for viewer in on_second)
    # Stale from the kill until the first snapshot on the new connection (frames in flight aside).
    reconnected = [
        viewer.first_snapshot_after(min(t for t in viewer.closed if t > killed_at)) for viewer in on_first
    ]
    stale = [at - killed_at for at in reconnected]
    print(
        f"room process killed mid-auction: {acknowledged} bids acknowledged, {after_kill} answers after the "
        f"kill; its viewers saw a stale state {statistics.median(stale):.2f} s (median), {max(stale):.2f} s "
        f"(max) before a snapshot from the other process (the test's viewers reconnect after 0.2 s); every viewer at the ledger's head {caught_up:.2f} s "
        "after the kill"
    )
    assert max(stale) < 10


def test_redis_restarted_mid_auction_bids_go_on_and_viewers_catch_up(open_auction, private_redis, tmp_path):
    lot_id, sessions = open_auction.lot.pk, open_auction.sessions
    with (
        WebServer(tmp_path, private_redis.url, "web-1") as first,
        WebServer(tmp_path, private_redis.url, "web-2") as second,
    ):
        bidders = [
            Bidder(first.url, lot_id, sessions[0], 0),
            Bidder(second.url, lot_id, sessions[1], 1),
            Bidder(first.url, lot_id, sessions[2], 2),
        ]
        viewers = [
            Viewer(server.url, lot_id, sessions[n % 3]) for n in range(2) for server in (first, second)
        ]
        for thread in viewers:
            thread.start()
        wait_until(lambda: all(viewer.snapshots for viewer in viewers), 15, "viewers connected")
        try:
            for bidder in bidders:
                bidder.start()
            wait_until(lambda: all(len(bidder.acknowledged) >= 5 for bidder in bidders), 30, "bids accepted")
            down_at = time.monotonic()
            private_redis.stop()
            acknowledged_before = sum(len(bidder.acknowledged) for bidder in bidders)
            time.sleep(3)
            during = sum(len(bidder.acknowledged) for bidder in bidders) - acknowledged_before
            private_redis.start()
            up_at = time.monotonic()
            _bids, head_when_back = ledger(lot_id)
            time.sleep(2)
        finally:
            stop_all(bidders)
        try:
            caught_up = all_caught_up(viewers, lot_id, up_at)
            back = max(viewer.reached(head_when_back, up_at) for viewer in viewers)
        finally:
            stop_all(viewers)
        output = first.output() + second.output()
    acknowledged = acknowledged_equals_ledger(bidders, lot_id)
    told = [viewer.feed_down and viewer.feed_down[0] - down_at for viewer in viewers]
    print(
        f"Redis stopped {up_at - down_at:.1f} s mid-auction: {during} bids acknowledged during the outage, "
        f"{acknowledged} in all; viewers told the feed was down {max(told):.2f} s after the stop at most; "
        f"every viewer at the head of the chain when Redis returned {back - up_at:.2f} s after, and at the "
        f"final head {caught_up:.2f} s after"
    )
    assert during > 0, "bids must keep being accepted while Redis is down"
    assert all(viewer.feed_down for viewer in viewers), "every viewer must be told that its feed is stale"
    assert back - up_at < 10
    assert "bid on lot" not in output, output[-3000:]  # no bid failed with an error (a 500)


def test_a_hanging_redis_delays_no_bid_answer(open_auction, private_redis, tmp_path):
    lot_id, sessions = open_auction.lot.pk, open_auction.sessions
    with WebServer(tmp_path, private_redis.url, "web") as web:
        bidder = Bidder(web.url, lot_id, sessions[0], 0)
        viewer = Viewer(web.url, lot_id, sessions[1])
        viewer.start()
        wait_until(lambda: viewer.snapshots, 15, "viewer connected")
        try:
            bidder.start()
            wait_until(lambda: len(bidder.acknowledged) >= 3, 30, "bids accepted")
            frozen_at = time.monotonic()
            os.kill(private_redis.process.pid, signal.SIGSTOP)  # hanging, not down: connections stay open
            try:
                wait_until(lambda: viewer.feed_down, 10, "the viewer told its feed is down")
                time.sleep(max(0.0, frozen_at + 6 - time.monotonic()))
            finally:
                os.kill(private_redis.process.pid, signal.SIGCONT)
            resumed_at = time.monotonic()
            _bids, head = ledger(lot_id)
            resynced = wait_until(lambda: viewer.reached(head, resumed_at), 10, "the viewer resynced")
        finally:
            stop_all([bidder, viewer])
    during = [took for sent, took, _status in bidder.answers if frozen_at <= sent < resumed_at]
    acknowledged_equals_ledger([bidder], lot_id)
    print(
        f"Redis frozen (SIGSTOP) {resumed_at - frozen_at:.1f} s: {len(during)} bids answered meanwhile, the "
        f"slowest in {max(during):.2f} s; the viewer told its feed was down "
        f"{viewer.feed_down[0] - frozen_at:.2f} s after the freeze, resynced {resynced - resumed_at:.2f} s "
        "after the thaw"
    )
    assert len(during) >= 5 and max(during) < 1.5  # before: every answer waited for Redis (6 s)
