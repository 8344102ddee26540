"""The bench's pieces with tiny counts, so that CI notices when the bench code rots.

No SEEI web process is started here (``make bench`` does that): the figures, the runner, the
HTTP client, the SQL baseline, the data the bench writes (and that SEEI's rules accept it), the
viewers against the plain broadcast server, and the notices' search document.
"""

import asyncio
import json
import math
import os
import random
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest

from bench import bids, fanout, load, services, sqlbase, stats
from bench.broadcast_server import frame_of
from bench.viewers import Viewers
from tests.conftest import run_async

# --- figures --------------------------------------------------------------------------------------


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert stats.percentile(values, 0.5) == 50
    assert stats.percentile(values, 0.99) == 99
    assert stats.percentile([3.0], 0.99) == 3.0
    assert math.isnan(stats.percentile([], 0.5))


def test_results_json_has_the_five_keys_and_the_ratio(tmp_path):
    figures = [
        stats.Figure("hot lot: accepted bids/s", 900.0, "bids/s", 1800.0),
        stats.Figure("weight: portal home, HTML", 30_000, "bytes"),
        stats.Figure("no answer", math.nan, "ms", 10.0),
    ]
    path = tmp_path / "results.json"
    stats.write(figures, path)
    written = json.loads(path.read_text())
    assert written[0] == {
        "name": "hot lot: accepted bids/s",
        "value": 900.0,
        "unit": "bids/s",
        "baseline": 1800.0,
        "ratio": 0.5,
    }
    assert written[1]["baseline"] is None and written[1]["ratio"] is None
    assert written[2]["value"] is None and written[2]["ratio"] is None  # JSON has no NaN
    printed = stats.table(figures)
    assert "hot lot: accepted bids/s" in printed and "0.50" in printed


# --- the runner and the HTTP client ---------------------------------------------------------------


def test_closed_loop_is_bounded_in_count_and_counts_outcomes():
    calls = []

    def operation(accept: bool):
        async def run():
            calls.append(accept)
            if len(calls) == 3:
                raise ValueError("boom")
            return accept

        return run

    result = run_async(load.closed_loop([operation(True), operation(False)], duration=10, max_each=4))
    assert len(calls) == 8
    assert result.ok + result.refused == 7
    assert result.errors == {"ValueError: boom": 1}
    assert len(result.latencies) == 7 and result.rate > 0


def test_closed_loop_can_leave_each_workers_first_operation_untimed_but_counted():
    delays = [0.05, 0.0, 0.0]  # the first call only is slow

    async def operation():
        await asyncio.sleep(delays.pop(0))
        return True

    result = run_async(load.closed_loop([operation], duration=10, max_each=3, time_first=False))
    assert result.ok == 3
    assert len(result.latencies) == 2 and max(result.latencies) < 0.05


def test_closed_loop_is_bounded_in_time():
    async def slow():
        await asyncio.sleep(0.05)
        return True

    result = run_async(load.closed_loop([slow], duration=0.2, max_each=1_000_000))
    assert 2 <= result.ok <= 6
    assert result.elapsed < 1


def test_http_connection_keeps_alive_and_reads_both_framings():
    seen = []

    async def handle(reader, writer):
        while request := await reader.readuntil(b"\r\n\r\n"):
            seen.append(request.split(b"\r\n")[0])
            length = int(
                next(
                    (
                        line.split(b":")[1]
                        for line in request.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    b"0",
                )
            )
            body = await reader.readexactly(length)
            if b"chunked" in request:
                writer.write(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                )
            else:
                writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()

    async def scenario():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        connection = load.HttpConnection(port)
        first = await connection.request("POST", "/echo", {"Content-Type": "application/json"}, b'{"a":1}')
        second = await connection.request("GET", "/chunked", {})
        await connection.close()
        server.close()
        return first, second

    first, second = run_async(scenario())
    assert first[0] == 201 and first[2] == b'{"a":1}'
    assert second[0] == 200 and second[2] == b"abcde"
    assert seen == [b"POST /echo HTTP/1.1", b"GET /chunked HTTP/1.1"]  # one connection, two requests


def test_bids_run_opens_every_connection_and_enters_every_room_before_the_first_bid():
    """As the baseline's pool opens its connections before it is measured; as a bidder's page loads
    the room before its first bid."""
    from bench import bids

    events = []

    class Connection:
        writer = None

        async def open(self):
            events.append("open")

    class FakeBidder:
        def __init__(self):
            self.connection = Connection()

        async def enter(self):
            events.append("enter")

        async def bid(self):
            events.append("bid")
            return True

        async def close(self):
            pass

    result = run_async(bids.run([FakeBidder() for _ in range(5)], duration=5, max_each=1))

    assert result.ok == 5
    assert events == ["open"] * 5 + ["enter"] * 5 + ["bid"] * 5


def test_a_bidder_enters_again_after_a_busy_room_and_fails_on_anything_else():
    class Answers:
        def __init__(self, *statuses):
            self.statuses, self.asked = list(statuses), 0

        async def request(self, method, path, headers):
            self.asked += 1
            return self.statuses.pop(0), {}, b"{}"

    bidder = bids.Bidder(0, 7, "key", 0, 1)
    bidder.connection = Answers(503, 503, 200)
    run_async(bidder.enter(pause=0))
    assert bidder.connection.asked == 3
    bidder.connection = Answers(403)
    with pytest.raises(RuntimeError, match="403"):
        run_async(bidder.enter(pause=0))
    bidder.connection = Answers(*[503] * bids.ENTER_ATTEMPTS)
    with pytest.raises(RuntimeError, match="503"):
        run_async(bidder.enter(pause=0))
    assert bidder.connection.asked == bids.ENTER_ATTEMPTS  # bounded


def test_bidder_amounts_decrease_and_never_collide():
    lot = [bids.Bidder(1, 7, "key", index, 3, run="t") for index in range(3)]
    amounts = []
    for _round in range(4):
        for bidder in lot:
            amounts.append(bidder.next_amount())
            bidder.count += 1
    assert len(set(amounts)) == len(amounts)
    assert amounts[:3] == ["99999999.97", "99999999.96", "99999999.95"]
    assert lot[0].path == "/room/lots/7/bids" and lot[0].headers["X-SEEI-Room"]


def test_open_files_limit_can_be_raised():
    assert services.raise_open_files(256) >= 256


# --- the fan-out harness against the plain broadcast server ---------------------------------------


def test_viewers_receive_every_paced_frame_and_the_last_of_a_burst(tmp_path):
    snapshot = {"lot": 1, "seq": 0, "server_time": "2026-01-01T00:00:00.000000Z", "ranking": []}
    template = json.dumps(snapshot, separators=(",", ":")).encode()  # compact, as seei.auctions.events
    assert frame_of(template, 5, "T") == b'{"lot":1,"seq":5,"server_time":"T","ranking":[]}'
    (tmp_path / "template.json").write_bytes(template)
    port = services.free_port()
    args = [sys.executable, "-m", "bench.broadcast_server", str(port), str(tmp_path / "template.json")]
    with services.Process("test-broadcast", args, dict(os.environ), port) as server:
        server.wait_ready("/health", timeout=20)

        async def scenario():
            control = fanout.BroadcastControl([port])
            await control.open()
            try:
                return await fanout.measure(
                    [f"ws://127.0.0.1:{port}/viewer"],
                    6,
                    server_pids=[server.pid],
                    current_seq=control.current_seq,
                    trigger=control.trigger,
                    burst_trigger=control.burst,
                    paced=3,
                    burst=5,
                    processes=1,
                )
            finally:
                await control.close()

        result = run_async(scenario())
    assert result.connected == 6 and not result.failed
    assert result.lost == 0 and result.burst_missing == 0 and result.out_of_order == 0
    assert len(result.latencies) == 6 * 3
    assert all(0 <= latency < 5 for latency in result.latencies)
    assert result.burst_deliveries == 6 * 5 and result.deliveries_per_second > 0


def test_viewer_latency_is_arrival_minus_server_time():
    viewers = Viewers(["ws://x"], 1)
    viewers.is_open[0], viewers.open = True, 1
    viewers.mark(0)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    viewers.on_frame(0, b'{"seq":1,"server_time":"' + now.encode() + b'"}')
    viewers.on_frame(0, b'{"type":"time","server_time":"2026-01-01T00:00:00Z"}')  # a clock frame: ignored
    viewers.on_frame(0, b'{"seq":0,"server_time":"' + now.encode() + b'"}')  # older: out of order
    assert viewers.receipts == {1: 1} and viewers.out_of_order == 1
    assert 0 <= viewers.latencies[0] < 1


# --- with the database ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_bare_transaction_baseline_places_bids():
    from seei.auctions.bidding import conninfo

    async def scenario():
        await sqlbase.create_schema(conninfo(), 2)
        result = await sqlbase.run(
            conninfo(), lots=2, bidders_per_lot=3, connections=2, duration=5, max_each=4
        )
        import psycopg

        async with await psycopg.AsyncConnection.connect(conninfo(), autocommit=True) as conn:
            rows = await (await conn.execute("SELECT id, price, bids FROM bench_lot ORDER BY id")).fetchall()
            await conn.execute("DROP TABLE bench_bid; DROP TABLE bench_lot")
        return result, rows

    result, rows = run_async(scenario())
    assert result.ok == 2 * 3 * 4 and not result.errors
    assert [(lot, bids_) for lot, _price, bids_ in rows] == [(1, 12), (2, 12)]
    assert rows[0][1] == sqlbase.STARTING_PRICE - 12 * sqlbase.CENT


@pytest.mark.django_db(transaction=True)
def test_bench_auction_accepts_every_bench_bid(clock):
    """The data the bench writes is an open room where the bench's amount scheme is always valid."""
    from bench import data
    from seei.auctions import bidding
    from seei.auctions.models import Room

    base = data.base()
    people = data.people(3, "smoke")
    lot_id = data.auction(base, people, "BENCH-SMOKE")
    assert Room.objects.get(lot_id=lot_id).status == "open"
    lot = [bids.Bidder(1, lot_id, p.session_key, i, len(people), run="s") for i, p in enumerate(people)]

    async def scenario():
        answers = []
        async with bidding.connection() as conn:
            for _round in range(3):
                for bidder, person in zip(lot, people, strict=True):
                    result = await bidding.place_bid(
                        conn,
                        lot_id=lot_id,
                        user_id=person.user_id,
                        amount=bidder.next_amount(),
                        request_id=f"smoke-{bidder.index}-{bidder.count}",
                    )
                    bidder.count += 1
                    answers.append((result.accepted, result.reason))
        return answers

    answers = run_async(scenario())
    assert answers == [(True, None)] * 9


@pytest.mark.django_db(transaction=True)
def test_sessions_written_by_the_bench_log_the_person_in(client):
    from bench import data

    (person,) = data.people(1, "login")
    client.cookies["sessionid"] = person.session_key
    assert client.get("/en/dashboard/").wsgi_request.user.pk == person.user_id


@pytest.mark.django_db(transaction=True)
def test_generated_notices_are_searchable_like_seei_indexes_them():
    from bench import data
    from seei.tenders import search
    from seei.tenders.models import Tender

    base = data.base()
    data.notices(base, 30)
    notices = Tender.objects.filter(reference__startswith="BP-")
    assert notices.count() == 30
    sample = notices.select_related("buyer").get(reference="BP-000007")
    generated = Tender.objects.filter(pk=sample.pk).values_list("search", flat=True).get()
    search.reindex(sample)
    assert Tender.objects.filter(pk=sample.pk).values_list("search", flat=True).get() == generated
    assert search.matching(Tender.objects.all(), "fauteuils").exists()
    assert sample.lots.get().items.count() == 1
    # Each has its publication's release, as on a real platform: the open data sweep finds none missing.
    from seei.ocds import build, steps

    assert not steps.behind(notices).exists()
    assert sample.ocds_releases.get().data["ocid"] == build.ocid(sample)


# --- the peak scenario's pieces -------------------------------------------------------------------


def test_peak_lots_end_staggered_and_bidders_rush_at_the_end():
    from bench import peak

    assert peak.end_times(100.0, 3, 10.0, 20.0) == [110.0, 115.0, 120.0]
    assert peak.end_times(100.0, 1, 10.0, 20.0) == [120.0]
    pace = peak.Pace(calm=(2.0, 10.0), rush=(1.0, 1.5), rush_seconds=60.0)
    chooser = random.Random(3)
    calm = [pace.pause(chooser, now=0.0, end=61.0) for _ in range(50)]
    rush = [pace.pause(chooser, now=0.0, end=60.0) for _ in range(50)]
    assert all(2.0 <= pause <= 10.0 for pause in calm) and max(calm) > 1.5
    assert all(1.0 <= pause <= 1.5 for pause in rush)


def test_peak_lost_messages_count_each_unreached_bid_and_the_final_state():
    from bench import peak

    lots = {7: peak.Lot(7, 0.0, [], seqs=[2, 3, 5]), 8: peak.Lot(8, 0.0, [], seqs=[2])}
    final = {7: 6, 8: 3}
    url_lots = [7, 7, 8]  # viewer i watches url_lots[i % 3]
    assert peak.lost_messages([6, 6, 3, 6], url_lots, lots, final) == 0
    # viewer 0 stopped at 3 (lost bid 5 and the close), viewer 1 never connected (3 bids and the
    # close), viewer 2 had the bid but not the close; viewer 3 (lot 7 again) had everything.
    assert peak.lost_messages([3, -1, 2, 6], url_lots, lots, final) == 2 + 4 + 1


def test_viewers_final_gives_each_viewers_last_seq():
    viewers = Viewers(["ws://a", "ws://b"], 3)
    viewers.is_open = [True, True, False]
    viewers.open = 2
    viewers.on_frame(0, b'{"seq":4}')
    viewers.on_frame(1, b'{"seq":2}')
    viewers.on_frame(0, b'{"seq":3}')  # older: ignored
    assert viewers.final()["last_seq"] == [4, 2, -1]


def test_human_bidder_stops_when_its_lot_refuses_as_closed():
    from bench import peak
    from bench.load import LoadResult

    class FakeBidder:
        def __init__(self):
            self.refusals, self.last_seq, self.answers, self.closed = (
                Counter(),
                0,
                0,
                False,
            )

        async def bid(self):
            self.answers += 1
            if self.answers <= 3:
                self.last_seq = self.answers + 1
                return True
            self.refusals["422 closed"] += 1
            return False

        async def close(self):
            self.closed = True

    bidder = FakeBidder()
    lot = peak.Lot(1, end=0.0, bidders=[bidder])
    pace = peak.Pace(calm=(0.0, 0.001), rush=(0.0, 0.001), rush_seconds=1.0)
    result = LoadResult()
    phases = peak.Phases(start=0.0, rush_from=1e12)  # every bid sent in the calm
    run_async(peak.human_bidder(lot, bidder, pace, random.Random(1), result, deadline=1e12, phases=phases))
    assert (result.ok, result.refused, bidder.answers, bidder.closed) == (3, 1, 4, True)
    assert lot.seqs == [2, 3, 4]
    assert (phases.calm.latencies, phases.rush.latencies) == (result.latencies, [])


def test_peak_phases_split_the_bids_by_when_they_were_sent():
    from bench import peak

    phases = peak.Phases(start=100.0, rush_from=110.0)
    for sent_at in (100.5, 101.0, 109.9, 110.0, 112.0, 115.0, 120.0):
        phases.record(sent_at, latency=sent_at)  # each bid's latency stands for its time here
    assert phases.calm.latencies == [100.5, 101.0, 109.9]
    assert phases.rush.latencies == [110.0, 112.0, 115.0, 120.0]
    assert phases.rates() == (3 / 10, 4 / 10)  # answers/s: 10 s of calm, 10 s of rush until the last one
    assert phases.by_time(width=10.0) == [
        {"from_s": 0.0, "answers_per_s": 0.3, "p50_ms": 101000.0, "p99_ms": 109900.0},
        {"from_s": 10.0, "answers_per_s": 0.3, "p50_ms": 112000.0, "p99_ms": 115000.0},
        {"from_s": 20.0, "answers_per_s": 0.1, "p50_ms": 120000.0, "p99_ms": 120000.0},
    ]


def test_cores_split_the_cpu_by_part_down_to_grandchildren(tmp_path):
    """A viewers' client two levels below the bench burns half a second of CPU while a room process
    sleeps: the load generator's part holds the half second, the rooms' nothing."""
    from bench import cores
    from seei.core.children import Child
    from tests.room.servers import wait_until

    burn = "import sys, time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\nprint(1, flush=True)\ntime.sleep(30)"
    asleep = [sys.executable, "-c", "import time; time.sleep(30)", "-m", "seei.room.server"]
    viewers = ["sh", "-c", f'{sys.executable} -c "{burn}" bench.viewers; true']
    env = dict(os.environ)
    # Each in a session of its own, stopped whole (the shell and the client below it) whatever happens.
    with (
        Child("room", asleep, env, tmp_path / "room.log"),
        Child("viewers", viewers, env, tmp_path / "v.log") as shell,
    ):
        before = cores.read()
        wait_until(lambda: "1" in shell.output(), 30, "the client burnt its half second (still running)")
        after = cores.read()
    parts = {part for part, _seconds in after.processes.values()}
    assert {"room processes", "load generator"} <= parts
    used = cores.cores_used(before, after)
    elapsed = after.seconds - before.seconds
    assert used["load generator"] * elapsed >= 0.45
    assert used["room processes"] * elapsed < 0.05
    assert after.busy - before.busy >= 0.45  # the machine's cores saw the burn too


@pytest.mark.django_db
def test_cores_find_the_database_server_whose_processes_serve_the_connections():
    from django.db import connection

    from bench import cores
    from seei.auctions.bidding import conninfo

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    postmaster = run_async(cores.postmaster(conninfo()))
    assert backend in cores.descendants(postmaster)
    assert cores.part_of(cores.command_of(backend)) == "PostgreSQL"


def test_bidders_open_their_connections_and_enter_their_rooms_before_a_measure():
    from bench import bids

    class FakeConnection:
        def __init__(self, writer):
            self.writer, self.opened = writer, 0

        async def open(self):
            self.opened += 1
            self.writer = object()

    class FakeBidder:
        def __init__(self, writer=None):
            self.connection, self.entered = FakeConnection(writer), False

        async def enter(self):
            assert self.connection.writer is not None  # entered on its open connection
            self.entered = True

    already_open = FakeBidder(writer=object())
    bidders = [FakeBidder() for _ in range(9)] + [already_open]
    run_async(bids.enter_all(bidders))
    assert all(bidder.entered for bidder in bidders)
    assert [bidder.connection.opened for bidder in bidders] == [1] * 9 + [0]


def test_paced_pages_send_at_the_rate_until_told_to_stop():
    from bench import peak

    async def handle(reader, writer):
        try:
            while request := await reader.readuntil(b"\r\n\r\n"):
                status = b"404 Not Found" if b"/missing" in request.split(b"\r\n")[0] else b"200 OK"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass

    asked = []

    def until() -> bool:  # asked before each page: told to stop after 12
        asked.append(True)
        return len(asked) > 12

    async def scenario():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        result = await peak.paced_pages([port], ["/a", "/missing"], rate=40, until=until, deadline=1e12)
        server.close()
        return result

    result = run_async(scenario())
    sent = result.ok + sum(result.errors.values())
    assert sent == 12
    # The 12th page no sooner than its turn at 40/s (a busy machine can only delay it).
    assert result.elapsed >= 11 / 40
    assert result.ok and result.errors == {"404 on /missing": sent - result.ok}


@pytest.mark.django_db(transaction=True)
def test_bench_auction_with_a_closing_closes_then_with_its_extensions():
    from datetime import timedelta

    from procrastinate.contrib.django.models import ProcrastinateJob

    from bench import data
    from seei.auctions.models import Room
    from seei.auctions.services import db_now

    base = data.base()
    people = data.people(2, "closing")
    at = db_now() + timedelta(seconds=150)
    lot_id = data.auction(base, people, "BENCH-CLOSING", closing=data.Closing(at, 10, 5, 2))
    room = Room.objects.get(lot_id=lot_id)
    assert room.status == "open" and abs(room.closes_at - at) < timedelta(milliseconds=1)
    assert room.params["extension_window_us"] == 10_000_000 and room.params["extension_cap"] == 2
    job = ProcrastinateJob.objects.get(queueing_lock=f"auctions.close.{lot_id}")
    assert abs(job.scheduled_at - room.closes_at) < timedelta(milliseconds=1)


def test_viewer_socket_reads_frames_cut_anywhere_and_answers_pings():
    from bench.viewers import ViewerSocket

    class Transport:
        def __init__(self):
            self.written, self.closed = [], False

        def write(self, data):
            self.written.append(data)

        def close(self):
            self.closed = True

    async def scenario():
        frames = []
        closed = asyncio.get_running_loop().create_future()
        socket = ViewerSocket(b"GET / HTTP/1.1\r\n\r\n", frames.append, closed)
        transport = Transport()
        socket.connection_made(transport)
        long = b'{"seq":7,' + b"x" * 300 + b"}"
        wire = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
            + bytes((0x82, 9))
            + b'{"seq":1}'
            + bytes((0x82, 126))
            + len(long).to_bytes(2, "big")
            + long
            + bytes((0x89, 2))
            + b"hi"  # a ping
        )
        for byte in range(len(wire)):  # one byte at a time: every cut is a cut somewhere
            socket.data_received(wire[byte : byte + 1])
        assert socket.opened.done() and frames == [b'{"seq":1}', long]
        pong = transport.written[-1]
        assert pong[0] == 0x8A and pong[1] == 0x80 | 2  # a pong, masked
        mask = pong[2:6]
        assert bytes(b ^ mask[i % 4] for i, b in enumerate(pong[6:])) == b"hi"
        socket.connection_lost(None)
        assert closed.done()

        refused = ViewerSocket(b"", frames.append, asyncio.get_running_loop().create_future())
        refused.connection_made(Transport())
        refused.data_received(b"HTTP/1.1 403 Forbidden\r\n\r\n")
        with pytest.raises(ConnectionError):
            await refused.opened

    run_async(scenario())


def test_the_rules_figures_time_accepted_bids_at_each_size_reached():
    from bench import replay

    figures = replay.figures(count=2_000)

    assert [f.name for f in figures] == [
        "rules: an accepted bid at 1,000 bids",
        "rules: a replay of 2,000 bids",
    ]
    assert figures[0].unit == "us" and figures[0].value > 0 and 0 < figures[1].value < 60
