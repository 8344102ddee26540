"""``make bench``: SEEI's figures beside their baselines, measured in the same run on 127.0.0.1.

    python bench/run.py [--quick] [--only replay,hot,many,fanout,portal,flood,peak] [--output bench/results.json]

Starts what it needs (see ``bench.services``), loads its own data (``bench.data``), runs each
scenario for a bounded time and count, prints a table and writes a list of
``{name, value, unit, baseline, ratio}``. A few minutes in all; ``--quick`` is a smaller run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make the bench and seei packages importable

from bench import services, stats  # noqa: E402
from bench.stats import Figure  # noqa: E402

SCENARIOS = ("replay", "hot", "many", "fanout", "portal", "flood", "peak")
CPU_NOTE = (
    "SEEI: its web processes' CPU; baseline: the harness's psycopg client CPU (PostgreSQL's not counted)"
)


@dataclass(frozen=True)
class Config:
    hot_levels: tuple[int, ...] = (8, 32, 64)
    hot_seconds: float = 6.0
    many_lots: int = 200
    many_bidders: int = 10
    many_seconds: float = 8.0
    baseline_seconds: float = 4.0
    max_each: int = 20_000  # operations per worker, whatever the time
    viewers: tuple[int, ...] = (1000, 5000)
    viewer_processes: int = 2
    paced: int = 30
    burst: int = 200
    notices: int = 100_000
    page_workers: int = 8
    page_seconds: float = 6.0
    web_processes: int = 2
    flood_attempts: int = 5_000  # outsiders' bid attempts, in all
    flood_accounts: int = 50  # logged-in company members not admitted to the lot, each its connection
    flood_seconds: float = 30.0  # at most, whatever the count
    flood_rate: float = 500.0  # attempts per second sent, in all (an open loop: not slowed by the answers)
    alone_seconds: float = 4.0
    alone_bids: int = 3_000
    # Peak (bench.peak): every lot ends in the run's last part, staggered from peak_first_end to
    # peak_last_end seconds after the start; its extensions move it by peak_extension_cap x
    # peak_extension seconds at most. Bounded: peak_last_end + the extensions + peak_close_wait.
    peak_lots: int = 200
    peak_bidders: int = 10  # per lot
    peak_viewers: int = 5000
    peak_first_end: float = 90.0
    peak_last_end: float = 135.0
    peak_calm: tuple[float, float] = (2.0, 10.0)  # seconds between a bidder's answer and its next bid
    peak_rush: tuple[float, float] = (1.0, 4.0)  # the same in the lot's last peak_rush_seconds
    peak_rush_seconds: float = 60.0
    peak_extension_window: int = 10  # seconds (the lot's parameters)
    peak_extension: int = 10
    peak_extension_cap: int = 2
    peak_connect_seconds: float = 40.0  # for the viewers to connect before the start
    peak_close_wait: float = 30.0
    peak_portal_rate: float = 20.0  # portal pages per second (search and notice pages)
    scaling_lots: int = 200  # the capacity run: back-to-back bids, 1 then 2 room processes
    scaling_bidders: int = 10
    scaling_viewers: int = 1000
    scaling_seconds: float = 8.0


QUICK = Config(
    hot_levels=(8, 32),
    hot_seconds=2.0,
    many_lots=20,
    many_bidders=5,
    many_seconds=2.0,
    baseline_seconds=1.5,
    viewers=(200,),
    paced=10,
    burst=40,
    notices=5_000,
    page_seconds=2.0,
    peak_lots=20,
    peak_bidders=5,
    peak_viewers=500,
    peak_first_end=14.0,
    peak_last_end=20.0,
    peak_rush_seconds=8.0,
    peak_extension_window=3,
    peak_extension=3,
    peak_connect_seconds=15.0,
    peak_close_wait=15.0,
    peak_portal_rate=10.0,
    scaling_lots=20,
    scaling_bidders=5,
    scaling_viewers=200,
    scaling_seconds=3.0,
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", file=sys.stderr, flush=True)


def run_async(coroutine):
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


class Bench:
    def __init__(self, config: Config, scenarios: tuple[str, ...]):
        self.config, self.scenarios = config, scenarios
        self.figures: list[Figure] = []
        self.facts: dict = {}
        self.servers: list[services.Process] = []
        self.redis: services.Redis | None = None
        self.fanout_alone: dict = {}  # viewers -> SEEI's fan-out result alone (the peak's baseline)

    def add(self, *figures: Figure) -> None:
        for figure in figures:
            self.figures.append(figure)
            base = "" if figure.baseline is None else f" (baseline {figure.baseline}, ratio {figure.ratio})"
            log(f"  {figure.name}: {figure.value} {figure.unit}{base}")

    # --- set-up -------------------------------------------------------------------------------

    def prepare(self) -> None:
        config = self.config
        limit = services.raise_open_files(max((*config.viewers, config.peak_viewers)) * 2 + 8192)
        self.facts["machine"] = services.machine()
        self.facts["open_files_limit"] = limit
        self.db = services.database()
        log(f"database: {self.db.kind} server, database {services.BENCH_DATABASE} (dropped and created)")
        self.db.recreate()
        self.facts["postgresql"] = {"server": self.db.kind, **self.db.server_settings()}
        self.redis = services.redis_server()
        log(f"redis: {self.redis.how} {self.redis.url}")
        if not self.redis.url:
            config = self.config = replace(config, web_processes=1)  # in-process fan-out only
        self.facts["redis"] = self.redis.how
        secret = services.new_secret_key()
        self.env = services.seei_environment(self.db, self.redis.url, secret)
        os.environ.update({key: self.env[key] for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")})
        os.environ.update(
            DJANGO_SETTINGS_MODULE="seei.settings",
            ALLOWED_HOSTS=self.env["ALLOWED_HOSTS"],
            LOG_LEVEL="WARNING",
        )
        log("migrating")
        services.migrate(self.env)
        from bench import data

        data.setup_django()
        from django.conf import settings

        self.pool_size = getattr(settings, "SEEI_DB_POOL_SIZE", 20) * config.web_processes
        self.base = data.base()
        if {"portal", "peak"} & set(self.scenarios):
            log(f"loading {config.notices:,} notices")
            started = time.perf_counter()
            data.notices(self.base, config.notices)
            self.facts["notices_load_seconds"] = round(time.perf_counter() - started, 1)
        log(f"starting {config.web_processes} SEEI web process(es)")
        self.servers = services.start_seei(self.env, config.web_processes)
        self.ports = [server.port for server in self.servers]
        self.warm_up()

    def warm_up(self) -> None:
        """A few seconds of bids through every process: imports, pools, prepared statements."""
        from bench import bids, data

        people = data.people(8, "warm")
        lot = data.auction(self.base, people, "BENCH-WARM")
        bidders = [
            bids.Bidder(self.ports[i % len(self.ports)], lot, p.session_key, i, len(people))
            for i, p in enumerate(people)
        ]
        result = run_async(bids.run(bidders, duration=2.0, max_each=2000))
        log(f"warm-up: {result.summary()}")
        if not result.ok:
            raise RuntimeError(
                f"no bid was accepted during the warm-up: {bids.refusals(bidders)} {dict(result.errors)}"
            )

    def room_port(self, lot_number: int) -> int:
        """The room process of a lot's bids: the proxy sends each lot's bids to one room process
        (README, *Running it for real*), where they batch together instead of taking turns at the
        lot's lock with another process's batches."""
        return self.ports[lot_number % len(self.ports)]

    def lot_bidders(self, lot_number: int, lot: int, people) -> list:
        """A lot's bidders, one per person, on the lot's room process (``room_port``)."""
        from bench import bids

        port = self.room_port(lot_number)
        return [bids.Bidder(port, lot, p.session_key, i, len(people)) for i, p in enumerate(people)]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        if self.redis is not None:
            self.redis.stop()
        from seei import embedded

        embedded.stop_if_started_here()

    # --- 9. the rules alone (first: no server takes part) ----------------------------------------

    def replay(self) -> None:
        """The rules alone, in this process (``bench.replay``): an accepted bid as the lot grows."""
        from bench import replay

        self.add(*replay.figures())

    # --- 1. one hot lot -------------------------------------------------------------------------

    def hot(self) -> None:
        from bench import api_bids, data, sqlbase

        config = self.config
        run_async(sqlbase.create_schema(self.db.conninfo, max(config.many_lots, 1)))
        people = data.people(max(config.hot_levels), "hot")
        for level in config.hot_levels:
            lot = data.auction(self.base, people[:level], f"BENCH-HOT-{level}")
            bidders = self.lot_bidders(0, lot, people[:level])
            self._bids_beside_baseline(
                f"hot lot, {level} bidders",
                bidders,
                config.hot_seconds,
                lots=1,
                bidders_per_lot=level,
                connections=min(level, self.pool_size),
            )
        api_bids.hot(self, level=min(config.hot_levels))

    # --- 2. many lots ---------------------------------------------------------------------------

    def many(self) -> None:
        from bench import data, sqlbase

        config = self.config
        lots, per_lot = config.many_lots, config.many_bidders
        run_async(sqlbase.create_schema(self.db.conninfo, lots))
        log(f"creating {lots} lots with {per_lot} bidders each")
        people = data.people(lots * per_lot, "many")
        bidders = []
        for number in range(lots):
            group = people[number * per_lot : (number + 1) * per_lot]
            lot = data.auction(self.base, group, f"BENCH-MANY-{number}")
            bidders += self.lot_bidders(number, lot, group)
        self._bids_beside_baseline(
            f"{lots} lots x {per_lot} bidders",
            bidders,
            config.many_seconds,
            lots=lots,
            bidders_per_lot=per_lot,
            connections=self.pool_size,
        )

    def _bids_beside_baseline(self, name: str, bidders, seconds: float, **baseline) -> None:
        """SEEI's bidders, then the bare SQL transaction with as many bidders: the four figures."""
        from bench import bids, sqlbase

        config = self.config
        log(f"{name}: SEEI")
        cpu = self._cpu()
        seei = run_async(bids.run(bidders, duration=seconds, max_each=config.max_each))
        seei_cpu = self._cpu_per_bid(cpu, seei)
        log(f"  {seei.summary()} refusals {bids.refusals(bidders)}")
        log(f"{name}: bare SQL transaction")
        bare, bare_cpu = self._baseline(
            sqlbase.run(
                self.db.conninfo,
                duration=config.baseline_seconds,
                max_each=config.max_each,
                **baseline,
            )
        )
        log(f"  {bare.summary()}")
        self.add(
            Figure(f"{name}: accepted bids/s", seei.rate, "bids/s", bare.rate),
            Figure(f"{name}: p50 latency", seei.p(0.5), "ms", bare.p(0.5)),
            Figure(f"{name}: p99 latency", seei.p(0.99), "ms", bare.p(0.99)),
            Figure(f"{name}: CPU per bid", seei_cpu, "ms", bare_cpu, note=CPU_NOTE),
        )
        self._check_errors(name, seei)

    def _cpu(self) -> float:
        return sum(services.cpu_seconds(server.pid) for server in self.servers)

    def _cpu_per_bid(self, before: float, result) -> float:
        """CPU time of SEEI's web processes per accepted bid (everything they did meanwhile), in ms."""
        return (self._cpu() - before) * 1000 / result.ok if result.ok else math.nan

    @staticmethod
    def _baseline(coroutine):
        """Run a baseline in this process; (result, this process's CPU ms per operation)."""
        before = time.process_time()
        result = run_async(coroutine)
        spent = (time.process_time() - before) * 1000
        return result, spent / result.ok if result.ok else math.nan

    def _check_errors(self, name: str, result) -> None:
        if result.errors:
            self.facts.setdefault("errors", {})[name] = dict(result.errors)

    # --- 3. fan-out and 5. memory ---------------------------------------------------------------

    def restart_seei(self, count: int | None = None) -> None:
        """Fresh web processes (``count``, else ``web_processes``): a scenario's memory figure must not
        reuse what an earlier one freed. The new ones answer before the old ones stop: no gap in the
        room processes' heartbeats, which the watchdog would take for an outage (and suspend the lots)."""
        old = self.servers
        self.servers = services.start_seei(self.env, count or self.config.web_processes)
        self.ports = [server.port for server in self.servers]
        for server in old:
            server.stop()

    def fanout(self) -> None:
        config = self.config
        lot, bidders = self._watched_lot()
        template_file = Path(tempfile.mkdtemp()) / "frame.json"
        try:
            for count in config.viewers:
                seei, template = self._seei_fanout(lot, bidders, count)
                template_file.write_bytes(template)
                log(f"fan-out to {count:,} viewers: plain websockets broadcast")
                plain = self._start_plain(template_file)
                try:
                    bare = run_async(self._plain_fanout(plain, count))
                finally:
                    for process in plain:
                        process.stop()
                log(f"  {bare.summary()}")
                self._fanout_figures(count, seei, bare)
        finally:
            template_file.unlink(missing_ok=True)
            template_file.parent.rmdir()

    def _watched_lot(self):
        """(the lot, its 10 bidders): the lot that the fan-out's viewers watch."""
        from bench import bids, data

        people = data.people(10, f"watch-{len(self.fanout_alone)}")
        lot = data.auction(self.base, people, f"BENCH-WATCH-{len(self.fanout_alone)}", public_watch=True)
        return lot, [bids.Bidder(0, lot, p.session_key, i, len(people)) for i, p in enumerate(people)]

    def _seei_fanout(self, lot: int, bidders, count: int):
        """SEEI's fan-out to ``count`` viewers of the lot on fresh web processes: (the result, the lot's
        snapshot frame: the baseline's template). Kept in ``fanout_alone`` for the peak's ratio."""
        from bench import fanout

        config = self.config
        turn = {"next": 0}

        async def current_seq() -> int:
            return max(bidder.last_seq for bidder in bidders)  # 0 before the first bid: the genesis

        async def trigger() -> int:
            bidder = bidders[turn["next"] % len(bidders)]
            turn["next"] += 1
            if not await bidder.bid():
                raise RuntimeError(f"a fan-out bid was refused: {bidder.refusals}")
            return bidder.last_seq

        async def burst(count: int) -> int:
            """Back-to-back changes. With Redis: SEEI's own frames published on the lot's channel, as
            fast as the baseline's triggers (the fan-out alone; the bid path has its own figures);
            without Redis: real bids from every bidder at once."""
            from bench import bids

            first = max(bidder.last_seq for bidder in bidders) + 1
            if self.redis.url:
                return await fanout.publish_burst(self.redis.url, lot, template, first, count)
            each = max(1, count // len(bidders))
            await bids.closed_loop([b.bid for b in bidders], duration=60, max_each=each)
            return max(bidder.last_seq for bidder in bidders)

        self.restart_seei()
        for number, bidder in enumerate(bidders):
            bidder.move(self.ports[number % len(self.ports)])
            bidder.keep_seq = True
            # One bid each: the processes are warm and the frame has its full ranking.
            run_async(self._one_bid(bidder))
        template = run_async(self._snapshot_bytes(lot))
        self.facts["snapshot_frame_bytes"] = len(template)
        urls = [f"ws://127.0.0.1:{port}/room/lots/{lot}/ws" for port in self.ports]
        log(f"fan-out to {count:,} viewers: SEEI")
        seei = run_async(
            fanout.measure(
                urls,
                count,
                server_pids=[server.pid for server in self.servers],
                current_seq=current_seq,
                trigger=trigger,
                burst_trigger=burst,
                paced=config.paced,
                burst=config.burst,
                processes=config.viewer_processes,
            )
        )
        log(f"  {seei.summary()}")
        self.fanout_alone[count] = seei
        return seei, template

    def _start_plain(self, template_file: Path) -> list[services.Process]:
        """The baseline: as many plain broadcast processes as SEEI has web processes, the same frame."""
        plain = []
        for number in range(self.config.web_processes):
            port = services.free_port()
            args = [sys.executable, "-m", "bench.broadcast_server", str(port), str(template_file)]
            plain.append(services.Process(f"broadcast-{number + 1}", args, dict(os.environ), port))
        return services.wait_all(plain, "/health")

    def _fanout_figures(self, count: int, seei, bare) -> None:
        name = f"fan-out, {count:,} viewers"
        burst = self.config.burst
        self.add(
            Figure(f"{name}: p50 commit-to-viewer", seei.p(0.5), "ms", bare.p(0.5)),
            Figure(f"{name}: p99 commit-to-viewer", seei.p(0.99), "ms", bare.p(0.99)),
            Figure(
                f"{name}: deliveries/s (burst of {burst})",
                seei.deliveries_per_second,
                "msg/s",
                bare.deliveries_per_second,
                note="SEEI coalesces: a viewer behind gets the latest snapshot, not every one",
            ),
            Figure(
                f"{name}: burst of {burst}, until every viewer has the last",
                seei.burst_seconds * 1000,
                "ms",
                bare.burst_seconds * 1000,
            ),
            Figure(
                f"{name}: lost messages",
                seei.lost + seei.burst_missing,
                "msg",
                bare.lost + bare.burst_missing,
            ),
            Figure(
                f"{name}: servers' CPU per delivery (paced)",
                seei.cpu_per_delivery * 1e6,
                "us",
                bare.cpu_per_delivery * 1e6,
                note="SEEI: includes the bid that made the frame; baseline: the broadcast only",
            ),
            Figure(
                f"memory per viewer ({count:,} viewers)",
                seei.rss_per_viewer / 1024,
                "KiB",
                bare.rss_per_viewer / 1024,
            ),
        )
        self.facts.setdefault("fanout", {})[count] = {
            side: {
                "connected": result.connected,
                "failed": result.failed,
                "out_of_order": result.out_of_order,
                "burst_deliveries": result.burst_deliveries,
                "burst_seconds": round(result.burst_seconds, 3),
            }
            for side, result in (("seei", seei), ("baseline", bare))
        }

    async def _one_bid(self, bidder) -> None:
        try:
            if not await bidder.bid():
                raise RuntimeError(f"a fan-out bid was refused: {bidder.refusals}")
        finally:
            await bidder.close()

    async def _snapshot_bytes(self, lot: int) -> bytes:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.ports[0]}") as client:
            response = await client.get(f"/room/lots/{lot}/snapshot")
            response.raise_for_status()
            return response.content

    async def _plain_fanout(self, plain, count: int):
        from bench import fanout

        control = fanout.BroadcastControl([process.port for process in plain])
        await control.open()
        try:
            return await fanout.measure(
                [f"ws://127.0.0.1:{process.port}/viewer" for process in plain],
                count,
                server_pids=[process.pid for process in plain],
                current_seq=control.current_seq,
                trigger=control.trigger,
                burst_trigger=control.burst,
                paced=self.config.paced,
                burst=self.config.burst,
                processes=self.config.viewer_processes,
            )
        finally:
            await control.close()

    # --- 4. portal ------------------------------------------------------------------------------

    def portal(self) -> None:
        from bench import portal
        from seei.tenders.models import Tender

        config = self.config
        ids = list(
            Tender.objects.filter(reference__startswith="BP-").values_list("pk", flat=True)[
                :: max(1, config.notices // portal.COLD_PAGES)
            ]
        )
        workers, seconds = config.page_workers, config.page_seconds
        pages_server = services.start_pages(self.env)
        try:
            self._portal_pages(config, ids, workers, seconds, [pages_server.port])
        finally:
            pages_server.stop()

    def _portal_pages(self, config, ids, workers, seconds, ports) -> None:
        from bench import data, portal

        searches = portal.cold_searches(portal.COLD_PAGES, config.notices)
        log(f"search page, {config.notices:,} notices, cold cache then warm")
        search = run_async(
            portal.cold_then_warm(
                ports, searches, workers=workers, duration=seconds, max_each=config.max_each
            )
        )
        log(f"  cold: {search[0].summary()}; warm: {search[1].summary()}")
        search_sql = run_async(
            portal.bare_sql(
                self.db.conninfo,
                portal.SEARCH_SQL,
                [{"q": text} for text in portal.SEARCHES],
                workers=workers,
                duration=config.baseline_seconds,
                max_each=config.max_each,
            )
        )
        log(f"  bare SQL: {search_sql.summary()}")
        log("notice page, cold cache then warm")
        notice = run_async(
            portal.cold_then_warm(
                ports,
                [f"/fr/notices/{pk}/" for pk in ids],
                workers=workers,
                duration=seconds,
                max_each=config.max_each,
            )
        )
        log(f"  cold: {notice[0].summary()}; warm: {notice[1].summary()}")
        notice_sql = run_async(
            portal.bare_sql(
                self.db.conninfo,
                portal.NOTICE_SQL,
                [{"pk": pk} for pk in ids],
                workers=workers,
                duration=config.baseline_seconds,
                max_each=config.max_each,
            )
        )
        log(f"  bare SQL: {notice_sql.summary()}")
        for name, runs, bare in (("search page", search, search_sql), ("notice page", notice, notice_sql)):
            for state, seei in zip(("cold", "warm"), runs, strict=True):
                label = f"portal {name}, {state} cache ({config.notices:,} notices)"
                self.add(
                    Figure(f"{label}: p50", seei.p(0.5), "ms", bare.p(0.5)),
                    Figure(f"{label}: p99", seei.p(0.99), "ms", bare.p(0.99)),
                    Figure(f"{label}: requests/s", seei.rate, "req/s", bare.rate),
                )
                self._check_errors(label, seei)
        home_html, home_total = run_async(portal.weight(ports[0], "/fr/"))
        people = data.people(2, "page")
        lot = data.auction(self.base, people, "BENCH-PAGE")
        cookies = {"sessionid": people[0].session_key}
        room_html, room_total = run_async(
            portal.weight(self.ports[0], f"/fr/auctions/lots/{lot}/room/", cookies)
        )
        self.add(
            Figure("weight: portal home, HTML", home_html, "bytes"),
            Figure("weight: portal home, with CSS and JS", home_total, "bytes"),
            Figure("weight: room page, HTML", room_html, "bytes"),
            Figure("weight: room page, with CSS and JS", room_total, "bytes"),
        )

    # --- 6. a flood of outsiders -----------------------------------------------------------------

    def flood(self) -> None:
        """An admitted bidder's latency alone, then while accounts that are not admitted to its lot
        send ``flood_attempts`` bids to it at ``flood_rate`` in all (``_paced``; the flood guard refuses
        them before the lot's lock: ``seei.auctions.flood``)."""
        from bench import bids, data

        config = self.config
        (person,) = data.people(1, "flood-in")
        outsiders = data.people(config.flood_accounts, "flood-out")
        lot = data.auction(self.base, [person], "BENCH-FLOOD")
        bidder = bids.Bidder(self.room_port(0), lot, person.session_key, 0, 1)
        log(f"flood: the admitted bidder alone ({config.alone_seconds:.0f} s)")
        alone = run_async(bids.run([bidder], duration=config.alone_seconds, max_each=config.alone_bids))
        log(f"  {alone.summary()}")
        flooders = [
            bids.Bidder(self.room_port(0), lot, p.session_key, i + 1, len(outsiders) + 1)
            for i, p in enumerate(outsiders)
        ]
        each = math.ceil(config.flood_attempts / len(flooders))
        log(
            f"flood: the same bidder while {len(flooders)} outsiders send {each * len(flooders):,} attempts"
            f" at {config.flood_rate:,.0f}/s"
        )
        flood, under = run_async(self._under_flood(bidder, flooders, each))
        log(f"  outsiders: {flood.summary()} answers {bids.refusals(flooders)}")
        log(f"  bidder: {under.summary()}")
        if flood.ok or under.refused or not under.ok:
            raise RuntimeError(
                f"flood: an outsider's bid was accepted or the bidder's refused: {bidder.refusals}"
            )
        name = f"admitted bidder under a flood of {each * len(flooders):,} outsider attempts"
        note = "baseline: the same bidder on the same lot alone, just before"
        self.add(
            Figure(f"{name}: p50 latency", under.p(0.5), "ms", alone.p(0.5), note=note),
            Figure(f"{name}: p99 latency", under.p(0.99), "ms", alone.p(0.99), note=note),
            Figure(f"{name}: outsider attempts answered/s", flood.refused / flood.elapsed, "req/s"),
        )
        self.facts["flood"] = {
            "outsider_answers": bids.refusals(flooders),
            "outsider_seconds": round(flood.elapsed, 2),
            "bidder_bids": {"alone": alone.ok, "under_flood": under.ok},
        }
        self._check_errors(name, flood)

    async def _paced(self, flooders, each: int):
        """Each outsider sends ``each`` attempts at its share of ``flood_rate`` (the next one when due,
        or when the answer to the last came, if later), for at most ``flood_seconds``: the same
        offered load whatever the server does with it."""
        from bench.load import LoadResult

        config = self.config
        interval = len(flooders) / config.flood_rate
        result = LoadResult()
        started = time.perf_counter()
        deadline = started + config.flood_seconds

        async def one(number: int, flooder) -> None:
            try:
                for k in range(each):
                    due = started + (k + number / len(flooders)) * interval
                    if due >= deadline:
                        return
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    sent = time.perf_counter()
                    try:
                        accepted = await flooder.bid()
                    except Exception as error:
                        result.errors[type(error).__name__ + ": " + str(error)[:120]] += 1
                        continue
                    result.latencies.append(time.perf_counter() - sent)
                    result.ok += accepted
                    result.refused += not accepted
            finally:
                await flooder.close()

        await asyncio.gather(*(one(n, f) for n, f in enumerate(flooders)))
        result.elapsed = time.perf_counter() - started
        return result

    async def _under_flood(self, bidder, flooders, each: int):
        """(the outsiders' result, the bidder's result while they flood): the bidder bids back to back
        from the flood's start to its end."""
        from bench.load import LoadResult

        config = self.config
        flood = asyncio.create_task(self._paced(flooders, each))
        under = LoadResult()
        started = time.perf_counter()
        try:
            while not flood.done() and under.ok < config.alone_bids * 10:
                sent = time.perf_counter()
                accepted = await bidder.bid()
                under.latencies.append(time.perf_counter() - sent)
                under.ok += accepted
                under.refused += not accepted
        finally:
            under.elapsed = time.perf_counter() - started
            await bidder.close()
            result = await flood
        return result, under

    # --- 7. peak: everything at once --------------------------------------------------------------

    def peak(self) -> None:
        """Lots closing at a human pace with their rush, viewers, the worker and the portal at once
        (``bench.peak``); then the capacity with one room process and with two (``peak_scaling``)."""
        config = self.config
        count = config.peak_viewers
        if count not in self.fanout_alone:  # the frame's baseline: the fan-out alone, same viewers
            self._seei_fanout(*self._watched_lot(), count)
        alone = self.fanout_alone[count]
        self.restart_seei()
        # The clock (opens, closes) in a worker process of its own, the other jobs in another, as the
        # README's production set-up: the closes' follow-ups must not hold the next closes.
        workers = []
        pages_server = None
        try:
            for lane in ("clock", "jobs"):
                command = [sys.executable, "-m", "seei.cli", "worker", f"--lane={lane}"]
                workers.append(services.Process(f"seei-worker-{lane}", command, self.env))
            pages_server = services.start_pages(self.env)
            result, lots = self._peak_run([pages_server.port])
        finally:
            if pages_server is not None:
                pages_server.stop()
            for worker in workers:
                worker.stop()
        self._peak_figures(result, lots, alone)
        self.peak_scaling()

    def _peak_run(self, portal_ports: list[int]):
        from bench import bids, data, peak
        from bench.portal import SEARCHES, search_path
        from seei.tenders.models import Tender

        config = self.config
        lots_count, per_lot = config.peak_lots, config.peak_bidders
        log(f"peak: creating {lots_count} lots with {per_lot} bidders each, closing from the task worker")
        people = data.people(lots_count * per_lot, "peak")
        # The start: once the lots are written (a quarter second each, on a busy machine) and the viewers
        # connected (peak_connect_seconds); a late start shortens the calm part (facts: late_start_seconds).
        start = time.time() + lots_count * 0.25 + config.peak_connect_seconds
        ends = peak.end_times(start, lots_count, config.peak_first_end, config.peak_last_end)
        lots = []
        for number, end in enumerate(ends):
            group = people[number * per_lot : (number + 1) * per_lot]
            closing = data.Closing(
                datetime.fromtimestamp(end, UTC),
                config.peak_extension_window,
                config.peak_extension,
                config.peak_extension_cap,
            )
            lot = data.auction(self.base, group, f"BENCH-PEAK-{number}", public_watch=True, closing=closing)
            bidders = self.lot_bidders(number, lot, group)
            lots.append(peak.Lot(lot, end, bidders))
        notices = list(
            Tender.objects.filter(reference__startswith="BP-").values_list("pk", flat=True)[
                :: max(1, config.notices // 500)
            ]
        )
        paths = [search_path(text) for text in SEARCHES] + [f"/fr/notices/{pk}/" for pk in notices]
        log(
            f"peak: {config.peak_viewers:,} viewers, {lots_count * per_lot:,} bidders every"
            f" {config.peak_calm[0]:g}-{config.peak_calm[1]:g} s ({config.peak_rush[0]:g}-{config.peak_rush[1]:g} s"
            f" in a lot's last {config.peak_rush_seconds:g} s), portal at {config.peak_portal_rate:g}/s;"
            f" lots end {config.peak_first_end:g}-{config.peak_last_end:g} s after the start"
        )
        most = config.peak_last_end + config.peak_extension * (config.peak_extension_cap or 0)
        pace = peak.Pace(config.peak_calm, config.peak_rush, config.peak_rush_seconds)
        result = run_async(
            peak.run(
                lots,
                conninfo=self.db.conninfo,
                web_ports=self.ports,
                viewers=config.peak_viewers,
                viewer_processes=config.viewer_processes,
                pace=pace,
                portal_ports=portal_ports,
                portal_paths=paths,
                portal_rate=config.peak_portal_rate,
                start=start,
                deadline=start + most + config.peak_extension + 10,
                close_wait=config.peak_close_wait,
            )
        )
        log(f"  {result.summary()} refusals {bids.refusals([b for lot in lots for b in lot.bidders])}")
        return result, lots

    def _peak_figures(self, result, lots, alone) -> None:
        from seei.auctions.models import Room

        rooms = list(
            Room.objects.filter(lot_id__in=[lot.lot_id for lot in lots]).values("closes_at", "closed_at")
        )
        late = [
            (room["closed_at"] - room["closes_at"]).total_seconds()
            for room in rooms
            if room["closed_at"] is not None
        ]
        on_time = sum(0 <= seconds <= 1.0 for seconds in late)
        extensions = Room.objects.filter(
            lot_id__in=[lot.lot_id for lot in lots], state__extensions__gt=0
        ).count()
        name = f"peak ({len(lots)} lots, {self.config.peak_viewers:,} viewers)"
        self.add(
            Figure(f"{name}: bid p50", result.bids.p(0.5), "ms"),
            Figure(f"{name}: bid p99 (goal < 150 ms)", result.bids.p(0.99), "ms"),
            Figure(f"{name}: accepted bids/s", result.bids.rate, "bids/s"),
            *self._peak_phases(name, result.phases),
            Figure(
                f"{name}: frame p99 commit-to-viewer (goal <= 1.5x fan-out alone)",
                result.frame_p(0.99),
                "ms",
                alone.p(0.99),
                note=f"baseline: the fan-out alone to {self.config.peak_viewers:,} viewers of one lot, this run",
            ),
            Figure(f"{name}: portal p99 (goal < 150 ms)", result.portal.p(0.99), "ms"),
            Figure(f"{name}: lots closed on time (closed_at - end <= 1 s)", on_time, f"of {len(lots)} lots"),
            Figure(f"{name}: lots extended", extensions, f"of {len(lots)} lots"),
            Figure(f"{name}: errors (goal 0)", result.errors, "errors"),
            Figure(f"{name}: lost messages (goal 0)", result.lost, "msg"),
            *self._peak_cores(name, result.cores),
        )
        self.facts["peak"] = {
            "close_jobs_seconds": self._close_jobs([lot.lot_id for lot in lots]),
            "late_start_seconds": round(result.late_start, 1),  # the viewers connected after the start
            "frames": result.frames,
            "viewers_connected": result.connected,
            "out_of_order": result.out_of_order,
            "unclosed_lots": result.unclosed,
            "close_delay_seconds": {
                "max": round(max(late), 3) if late else None,
                "p50": round(stats.percentile(late, 0.5), 3) if late else None,
            },
            "bids_by_time": result.phases.by_time() if result.phases else [],
            "portal": {"ok": result.portal.ok, "rate": round(result.portal.rate, 1)},
            "errors": {
                "bids": dict(result.bids.errors),
                "portal": dict(result.portal.errors),
                "viewers": dict(result.failed),
            },
        }

    @staticmethod
    def _peak_phases(name: str, phases) -> list[Figure]:
        """Bid p99 and answers/s before any lot's last minute (the calm) and from then on (the rush and
        the closes): the load at which the machine's capacity ends lies between the two."""
        calm_rate, rush_rate = phases.rates()
        calm, rush = "the calm (before any lot's last minute)", "the rush and the closes"
        return [
            Figure(f"{name}: bid p99 in {calm}", phases.calm.p(0.99), "ms"),
            Figure(f"{name}: answers/s in {calm}", calm_rate, "answers/s"),
            Figure(f"{name}: bid p99 in {rush}", phases.rush.p(0.99), "ms"),
            Figure(f"{name}: answers/s in {rush}", rush_rate, "answers/s"),
        ]

    @staticmethod
    def _peak_cores(name: str, by_phase: dict[str, dict[str, float]]) -> list[Figure]:
        """Where the machine's cores went in each phase (``bench.cores``): the parts a capacity plan
        gives machines to."""
        return [
            Figure(f"{name}: cores used, {phase}: {part}", used, "cores")
            for phase, parts in by_phase.items()
            for part, used in parts.items()
        ]

    @staticmethod
    def _close_jobs(lot_ids: list[int]) -> dict:
        """The close jobs of these lots, from procrastinate's events: how late each started after its
        scheduled time, and how long it ran (a job holds one of the clock lane's slots meanwhile)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT extract(epoch FROM started.at - job.scheduled_at), extract(epoch FROM done.at - started.at)
                FROM procrastinate_jobs job
                JOIN procrastinate_events started ON started.job_id = job.id AND started.type = 'started'
                JOIN procrastinate_events done ON done.job_id = job.id AND done.type = 'succeeded'
                WHERE job.task_name = 'seei.auctions.close_room' AND (job.args->>'lot_id')::int = ANY(%s)
                """,
                [lot_ids],
            )
            rows = cursor.fetchall()
        figures = {}
        for name, values in (
            ("start_lag", [float(r[0]) for r in rows]),
            ("run", [float(r[1]) for r in rows]),
        ):
            if values:
                figures[name] = {"p50": round(stats.percentile(values, 0.5), 3), "max": round(max(values), 3)}
        return {"jobs": len(rows), **figures}

    def peak_scaling(self) -> None:
        """Capacity for the model: back-to-back bids on many lots watched by viewers, with one room
        process then two (human-paced bids would measure the offered load, not what a process can do)."""
        from bench import data, peak

        config = self.config
        counts = (1, 2) if self.redis.url else (1,)  # two processes need Redis between them
        lots_count, per_lot = config.scaling_lots, config.scaling_bidders
        for processes in counts:
            self.restart_seei(processes)
            log(f"peak scaling, {processes} room process(es): {lots_count} lots x {per_lot} bidders")
            people = data.people(lots_count * per_lot, f"scale-{processes}")
            lot_ids, bidders = [], []
            for number in range(lots_count):
                group = people[number * per_lot : (number + 1) * per_lot]
                lot = data.auction(self.base, group, f"BENCH-SCALE-{processes}-{number}", public_watch=True)
                lot_ids.append(lot)
                bidders += self.lot_bidders(number, lot, group)
            result = run_async(
                peak.scaling(
                    lot_ids,
                    bidders,
                    conninfo=self.db.conninfo,
                    web_ports=self.ports,
                    viewers=config.scaling_viewers,
                    viewer_processes=config.viewer_processes,
                    seconds=config.scaling_seconds,
                    max_each=config.max_each,
                )
            )
            log(f"  {result.bids.summary()}; {result.frames:,} frames to {result.connected} viewers")
            name = f"peak scaling, {processes} room process{'es' if processes > 1 else ''}"
            self.add(
                Figure(f"{name}: accepted bids/s", result.bids.rate, "bids/s"),
                Figure(
                    f"{name}: deliveries/s ({config.scaling_viewers:,} viewers)",
                    result.deliveries_per_second,
                    "msg/s",
                ),
            )
            self._check_errors(name, result.bids)
        self.restart_seei()

    # --- the whole run --------------------------------------------------------------------------

    def run(self) -> list[Figure]:
        started = time.perf_counter()
        try:
            self.prepare()
            for scenario in SCENARIOS:
                if scenario in self.scenarios:
                    getattr(self, scenario)()
        finally:
            self.stop()
        self.facts["seconds"] = round(time.perf_counter() - started, 1)
        self.facts["machine"]["load_after"] = os.getloadavg()[0]
        return self.figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (a minute or so)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios: " + ",".join(SCENARIOS))
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    scenarios = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    os.chdir(ROOT)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a `kill` stops everything, as Ctrl-C does
    bench = Bench(QUICK if args.quick else Config(), scenarios)
    figures = bench.run()
    print()
    print(stats.table(figures))
    print()
    print(json.dumps(bench.facts, default=str))
    stats.write(figures, args.output)
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
