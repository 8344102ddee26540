"""Peak: everything at once, as on a busy day.

Many lots open, each with its bench bidders bidding at a human pace (a pause of ``Pace.calm``
seconds between an answer and the next bid, then ``Pace.rush`` in the lot's last
``rush_seconds``: the rush that moves the close, within the lot's extension window), until the
lot refuses as closed. Thousands of anonymous viewers spread over the lots and the web
processes (``bench.viewers`` client processes), the task worker closing each lot at its time,
and the portal's pages fetched at a steady rate (an open loop: the same offered load whatever
the server answers).

What is counted here: every bid's latency and seq, every frame's commit-to-viewer latency, the
portal's latencies, and the lost messages: for each viewer, each accepted bid of its lot whose
seq it never reached (its last snapshot is older), and the final state (the close entry's seq)
if it never reached it. The caller (``bench.run``) starts the processes, writes the lots, and
reads the closing times from the database.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import cores
from bench.bids import Bidder, enter_all
from bench.fanout import connected, viewer_clients
from bench.load import LoadResult
from bench.stats import percentile

CLOSED = "closed"  # seei.auctions.rules.Reason.CLOSED: the lot's time is up (its close, or the worker's)
MAX_ERRORS_EACH = 5  # a bidder stops after this many errors (the run is bounded whatever happens)


@dataclass(frozen=True)
class Pace:
    """A human bidder's pauses between an answer and its next bid, in seconds."""

    calm: tuple[float, float]
    rush: tuple[float, float]
    rush_seconds: float  # the rush: the lot's last seconds before its planned end

    def pause(self, rng: random.Random, now: float, end: float) -> float:
        low, high = self.rush if end - now <= self.rush_seconds else self.calm
        return rng.uniform(low, high)


def end_times(start: float, count: int, first: float, last: float) -> list[float]:
    """``count`` lots' planned ends, staggered evenly from ``start + first`` to ``start + last``."""
    if count <= 1:
        return [start + last] * count
    step = (last - first) / (count - 1)
    return [start + first + number * step for number in range(count)]


def closed_refusals(bidder: Bidder) -> int:
    return sum(count for key, count in bidder.refusals.items() if key.rsplit(" ", 1)[-1] == CLOSED)


@dataclass
class Phases:
    """Bid latencies by when each bid was sent: before ``rush_from`` (epoch seconds; no lot in its last
    minute yet, every bidder at its calm pace) and from then on (the rush, the extensions, the closes),
    with the answers per second of each: where the machine's capacity ends shows between the two."""

    start: float
    rush_from: float
    sent: list[tuple[float, float]] = field(default_factory=list)  # (epoch seconds sent, latency)

    def record(self, sent_at: float, latency: float) -> None:
        self.sent.append((sent_at, latency))

    @property
    def calm(self) -> LoadResult:
        """The calm's bids (their latencies only)."""
        return LoadResult(latencies=[latency for at, latency in self.sent if at < self.rush_from])

    @property
    def rush(self) -> LoadResult:
        return LoadResult(latencies=[latency for at, latency in self.sent if at >= self.rush_from])

    def by_time(self, width: float = 5.0) -> list[dict]:
        """Answers/s, p50 and p99 (ms) of the bids sent in each ``width`` seconds from the start: the
        rate offered as the lots near their ends, and where the latencies leave the machine's reach."""
        bins: dict[int, list[float]] = {}
        for at, latency in self.sent:
            bins.setdefault(int((at - self.start) // width), []).append(latency)
        return [
            {
                "from_s": number * width,
                "answers_per_s": round(len(latencies) / width, 1),
                "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            }
            for number, latencies in sorted(bins.items())
        ]

    def rates(self) -> tuple[float, float]:
        """Answers per second in the calm, then in the rush."""
        calm_seconds = self.rush_from - self.start
        rush_seconds = max((at for at, _latency in self.sent), default=0.0) - self.rush_from
        return (
            len(self.calm.latencies) / calm_seconds if calm_seconds > 0 else 0.0,
            len(self.rush.latencies) / rush_seconds if rush_seconds > 0 else 0.0,
        )


@dataclass
class Lot:
    lot_id: int
    end: float  # its planned end (epoch seconds): extensions move the real one
    bidders: list[Bidder]
    seqs: list[int] = field(default_factory=list)  # the seq of each accepted bid


async def human_bidder(
    lot: Lot,
    bidder: Bidder,
    pace: Pace,
    rng: random.Random,
    result: LoadResult,
    deadline: float,
    clock: Callable[[], float] = time.time,
    phases: Phases | None = None,
) -> None:
    """Bid at a human pace until the lot refuses as closed, or until ``deadline``; each latency also
    in its phase (``phases``), by when the bid was sent."""
    bidder.keep_seq = True
    errors = 0
    try:
        while True:
            pause = pace.pause(rng, clock(), lot.end)
            if clock() + pause >= deadline:
                return
            await asyncio.sleep(pause)
            before = closed_refusals(bidder)
            sent_at, sent = clock(), time.perf_counter()
            try:
                accepted = await bidder.bid()
            except Exception as error:
                result.errors[type(error).__name__ + ": " + str(error)[:120]] += 1
                errors += 1
                if errors >= MAX_ERRORS_EACH:
                    return
                continue
            latency = time.perf_counter() - sent
            result.latencies.append(latency)
            if phases is not None:
                phases.record(sent_at, latency)
            if accepted:
                result.ok += 1
                lot.seqs.append(bidder.last_seq)
            else:
                result.refused += 1
                if closed_refusals(bidder) > before:
                    return
    finally:
        await bidder.close()


async def paced_pages(
    ports: list[int],
    paths: list[str],
    *,
    rate: float,
    until: Callable[[], bool],
    deadline: float,
    seed: int = 0,
) -> LoadResult:
    """GET one of ``paths`` every 1/``rate`` seconds (spread over ``ports``) until ``until()`` or
    ``deadline`` (epoch seconds), each in its own task (an open loop), then wait for the last ones."""
    import httpx

    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) for port in ports]
    result = LoadResult()
    chooser = random.Random(seed)

    async def one(client, path: str) -> None:
        sent = time.perf_counter()
        try:
            response = await client.get(path)
        except Exception as error:
            result.errors[type(error).__name__ + ": " + str(error)[:120]] += 1
            return
        result.latencies.append(time.perf_counter() - sent)
        if response.status_code == 200:
            result.ok += 1
        else:
            result.errors[f"{response.status_code} on {path.split('?')[0]}"] += 1

    started = time.perf_counter()
    tasks = []
    try:
        for number in range(10**7):
            if until() or time.time() >= deadline:
                break
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
            client = clients[number % len(clients)]
            tasks.append(asyncio.create_task(one(client, chooser.choice(paths))))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for client in clients:
            await client.aclose()
    result.elapsed = time.perf_counter() - started
    return result


def lost_messages(
    last_seqs: list[int], url_lots: list[int], lots: dict[int, Lot], final: dict[int, int]
) -> int:
    """Lost (viewer, message) pairs of one viewer process: viewer ``i`` watched ``url_lots[i % n]``; it
    lost each accepted bid of its lot above its last seq, and the final state (seq ``final[lot]``)
    if it never reached it. A viewer's seq only grows: having seq s, it had every change up to s."""
    ordered = {lot_id: sorted(lot.seqs) for lot_id, lot in lots.items()}
    lost = 0
    for index, seq in enumerate(last_seqs):
        lot_id = url_lots[index % len(url_lots)]
        seqs = ordered[lot_id]
        lost += len(seqs) - bisect.bisect_right(seqs, seq)
        lost += seq < final[lot_id]
    return lost


@dataclass
class PeakResult:
    bids: LoadResult
    portal: LoadResult
    viewers: int = 0
    connected: int = 0
    failed: Counter = field(default_factory=Counter)
    frame_latencies: list[float] = field(default_factory=list)  # seconds, every frame after the start
    frames: int = 0
    lost: int = 0
    unclosed: int = 0  # lots the worker had not closed when the scenario gave up waiting
    out_of_order: int = 0
    phases: Phases | None = None
    late_start: float = 0.0  # seconds the viewers took beyond the planned start (the lots' calm time shrinks)
    cores: dict[str, dict[str, float]] = field(default_factory=dict)  # phase -> part -> cores used

    def frame_p(self, fraction: float) -> float:
        return percentile(self.frame_latencies, fraction) * 1000

    @property
    def errors(self) -> int:
        return sum(self.bids.errors.values()) + sum(self.portal.errors.values()) + sum(self.failed.values())

    def summary(self) -> str:
        return (
            f"bids: {self.bids.summary()}; frames: {self.frames:,} to {self.connected}/{self.viewers} viewers, "
            f"p50 {self.frame_p(0.5):.1f} ms, p99 {self.frame_p(0.99):.1f} ms, lost {self.lost}; "
            f"portal: {self.portal.summary()}; unclosed lots {self.unclosed}"
        )


async def _read_cores_at(moment: float, readings: dict, database: int | None) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))
    readings["rush"] = cores.read(database)


def _cores_by_phase(readings: dict, end: cores.Reading) -> dict[str, dict[str, float]]:
    """The cores each part used in the calm and in the rush (and the closes), as ``Phases`` splits the
    bids; the whole bidding alone when it ended before any rush."""
    if "rush" not in readings:
        return {"bidding": cores.cores_used(readings["start"], end)}
    return {
        "calm": cores.cores_used(readings["start"], readings["rush"]),
        "rush and closes": cores.cores_used(readings["rush"], end),
    }


async def room_seqs(conninfo: str, lot_ids: list[int]) -> dict[int, tuple[str, int]]:
    """(status, seq) of each lot's room, read from the database."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        rows = await (
            await conn.execute(
                "SELECT lot_id, status, seq FROM auctions_room WHERE lot_id = ANY(%s)", [lot_ids]
            )
        ).fetchall()
    return {lot_id: (status, seq) for lot_id, status, seq in rows}


async def run(
    lots: list[Lot],
    *,
    conninfo: str,
    web_ports: list[int],
    viewers: int,
    viewer_processes: int,
    pace: Pace,
    portal_ports: list[int],
    portal_paths: list[str],
    portal_rate: float,
    start: float,
    deadline: float,
    close_wait: float = 30.0,
    seed: int = 14,
) -> PeakResult:
    """Connect the viewers, wait for ``start`` (epoch seconds), then bid, watch and browse until every
    lot is closed (or ``deadline``); then count what every viewer received."""
    result = PeakResult(LoadResult(), LoadResult(), viewers)
    lot_ids = [lot.lot_id for lot in lots]
    url_lots = [lot_id for lot_id in lot_ids for _port in web_ports]
    urls = [f"ws://127.0.0.1:{port}/room/lots/{lot_id}/ws" for lot_id in lot_ids for port in web_ports]
    clients = viewer_clients(urls, viewers, viewer_processes)
    try:
        ready = await connected(clients)
        result.connected = sum(answer["open"] for answer in ready)
        for answer in ready:
            result.failed.update(answer["failed"])
        await asyncio.sleep(1.0)  # the first snapshots are in
        opened = await room_seqs(conninfo, lot_ids)
        mark = max(seq for _status, seq in opened.values())  # no bid yet: only what follows is recorded
        await asyncio.gather(*(client.ask(f"mark {mark}") for client in clients))
        # Each bidder enters its room before the start, as the room's page does before a first bid.
        await enter_all([bidder for lot in lots for bidder in lot.bidders])
        result.late_start = max(0.0, time.time() - start)
        await asyncio.sleep(max(0.0, start - time.time()))

        database = await cores.postmaster(conninfo)
        rng = random.Random(seed)
        began = time.perf_counter()
        result.phases = Phases(start, min(lot.end for lot in lots) - pace.rush_seconds)
        readings = {"start": cores.read(database)}
        rush_reading = asyncio.create_task(_read_cores_at(result.phases.rush_from, readings, database))
        bidding = [
            asyncio.create_task(
                human_bidder(
                    lot,
                    bidder,
                    pace,
                    random.Random(rng.random()),
                    result.bids,
                    deadline,
                    phases=result.phases,
                )
            )
            for lot in lots
            for bidder in lot.bidders
        ]
        portal = asyncio.create_task(
            paced_pages(
                portal_ports,
                portal_paths,
                rate=portal_rate,
                until=lambda: all(task.done() for task in bidding),
                deadline=deadline,
                seed=seed,
            )
        )
        await asyncio.gather(*bidding)
        result.bids.elapsed = time.perf_counter() - began
        rush_reading.cancel()
        result.cores = _cores_by_phase(readings, cores.read(database))
        result.portal = await portal

        final: dict[int, int] = {}
        give_up = time.time() + close_wait
        while True:  # the worker closes each lot at its time: its last entry is the close
            seen = await room_seqs(conninfo, lot_ids)
            final = {lot_id: seq for lot_id, (_status, seq) in seen.items()}
            result.unclosed = sum(status != CLOSED for status, _seq in seen.values())
            if not result.unclosed or time.time() > give_up:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # the last frames on their way
        by_lot = {lot.lot_id: lot for lot in lots}
        for client in clients:
            answer = await client.ask("final")
            result.lost += lost_messages(answer["last_seq"], url_lots, by_lot, final)
            report = await client.ask("report latencies")
            result.frame_latencies += report["latencies"]
            result.frames += report["frames"]
            result.out_of_order += report["out_of_order"]
    finally:
        await asyncio.gather(*(client.stop() for client in clients), return_exceptions=True)
    return result


@dataclass
class ScaleResult:
    bids: LoadResult
    frames: int = 0  # snapshots received by the viewers from the first bid until the bids stopped
    connected: int = 0

    @property
    def deliveries_per_second(self) -> float:
        return self.frames / self.bids.elapsed if self.bids.elapsed else 0.0


async def scaling(
    lot_ids: list[int],
    bidders: list[Bidder],
    *,
    conninfo: str,
    web_ports: list[int],
    viewers: int,
    viewer_processes: int,
    seconds: float,
    max_each: int,
) -> ScaleResult:
    """Capacity: every bidder bids back to back (``bench.bids.run``) while ``viewers`` watch the lots;
    accepted bids per second and frames delivered per second over the same time."""
    from bench import bids

    urls = [f"ws://127.0.0.1:{port}/room/lots/{lot_id}/ws" for lot_id in lot_ids for port in web_ports]
    clients = viewer_clients(urls, viewers, viewer_processes)
    try:
        ready = await connected(clients)
        await asyncio.sleep(1.0)
        mark = max(seq for _status, seq in (await room_seqs(conninfo, lot_ids)).values())
        await asyncio.gather(*(client.ask(f"mark {mark}") for client in clients))
        result = ScaleResult(await bids.run(bidders, duration=seconds, max_each=max_each))
        reports = await asyncio.gather(*(client.ask("report") for client in clients))
        result.frames = sum(report["frames"] for report in reports)
        result.connected = sum(answer["open"] for answer in ready)
    finally:
        await asyncio.gather(*(client.stop() for client in clients), return_exceptions=True)
    return result
