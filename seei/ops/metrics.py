"""The process's Prometheus metrics (``GET /metrics``).

Measured as they happen, in this process:

    seei_bid_seconds                  histogram: a bid, from its request to its answer (room endpoint)
    seei_bids_total{outcome,reason}   counter: outcome accepted | refused | failed (5xx); reason the
                                      answer's code (``not_below_start``, ``unavailable``...; ``none``
                                      when accepted)
    seei_room_frames_sent_total       counter: frames written to this process's sockets
    seei_room_frames_received_total   counter: frames this process's fan-out received (one per change)
    seei_room_viewers                 gauge: sockets joined to a lot here; seei_room_lots_watched

Read from the database at each scrape (the same for every process; the worker has no HTTP):

    seei_database_up, seei_task_lag_seconds, seei_task_workers_alive, seei_tasks{status},
    seei_rooms{status="open|suspended"}, seei_suspensions_total, seei_suspensions_active

and prometheus_client's process_* figures (CPU, memory, open and maximum file descriptors).

The figures are per process: with several room processes, give each its own port and scrape each
(Prometheus adds its ``instance``), or sum them in the query.
"""

from __future__ import annotations

import re
import time

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

disable_created_metrics()  # no *_created series: the counters start with the process (process_start_time_seconds)

BID_SECONDS = Histogram(
    "seei_bid_seconds",
    "A bid through the room, from its request to its answer, in seconds.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BIDS = Counter("seei_bids", "Bids answered by the room, by outcome and reason.", ["outcome", "reason"])
BIDS.labels("accepted", "none")  # shown from the first scrape, at 0

# Every answer of the bid endpoint that refuses carries this (``refusal`` and ``BidResult.encode``).
_REFUSAL_REASON = re.compile(rb'"accepted":false,"reason":"([a-z_]{1,40})"')


class Tally:
    """A plain counter for the fan-out's hot loop (a frame per socket): an attribute increment, read
    at scrape time. The fan-out runs on the process's event loop only, so no lock is needed."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


FRAMES_SENT = Tally()


def _outcome(status: int, body: bytes) -> tuple[str, str]:
    if status < 300:
        return "accepted", "none"
    found = _REFUSAL_REASON.search(body)
    reason = (
        found[1].decode() if found else {500: "server_error", 503: "unavailable"}.get(status, str(status))
    )
    return ("failed" if status >= 500 else "refused"), reason


def record_bid(started: float, status: int, body: bytes) -> None:
    BID_SECONDS.observe(time.perf_counter() - started)
    BIDS.labels(*_outcome(status, body)).inc()


async def measured_bid(endpoint, scope, receive, send, *args) -> None:
    """Run the bid endpoint (a bare ASGI app) and record its answer: its time, its outcome, its reason."""
    if scope["method"] != "POST":
        await endpoint(scope, receive, send, *args)
        return
    started = time.perf_counter()
    status = 0

    async def answer(message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            record_bid(started, status, message.get("body", b""))

    await endpoint(scope, receive, answer, *args)


class _ProcessCollector:
    """What the room's fan-out counts, read when scraped."""

    def describe(self):
        return list(self._families(0, 0, 0, 0))  # the names, without reading the fan-out

    def collect(self):
        from seei.room.fanout import hub

        return self._families(FRAMES_SENT.count, hub.frames_in, hub.count(), len(hub.lots()))

    @staticmethod
    def _families(sent: int, received: int, viewers: int, lots: int):
        yield CounterMetricFamily("seei_room_frames_sent", "Frames written to this process's sockets.", sent)
        yield CounterMetricFamily(
            "seei_room_frames_received",
            "Frames received by this process's fan-out (one per change of a lot watched here).",
            received,
        )
        yield GaugeMetricFamily("seei_room_viewers", "Sockets joined to a lot in this process.", viewers)
        yield GaugeMetricFamily("seei_room_lots_watched", "Lots with viewers in this process.", lots)


REGISTRY.register(_ProcessCollector())


def _database_families(figures):
    """The figures read from the database for this scrape (``seei.ops.health.Figures``, or None)."""
    yield GaugeMetricFamily(
        "seei_database_up", "1 when the database answered this scrape.", int(figures is not None)
    )
    if figures is None:
        return
    yield GaugeMetricFamily(
        "seei_task_lag_seconds", "How late the oldest due task job is, in seconds.", figures.task_lag
    )
    yield GaugeMetricFamily(
        "seei_task_workers_alive", "Task workers whose heartbeat is recent.", figures.workers_alive
    )
    tasks = GaugeMetricFamily(
        "seei_tasks", "Task jobs waiting (todo) and running (doing).", labels=["status"]
    )
    tasks.add_metric(["todo"], figures.jobs_todo)
    tasks.add_metric(["doing"], figures.jobs_doing)
    yield tasks
    rooms = GaugeMetricFamily("seei_rooms", "Auction rooms open and suspended.", labels=["status"])
    rooms.add_metric(["open"], figures.rooms_open)
    rooms.add_metric(["suspended"], figures.rooms_suspended)
    yield rooms
    yield CounterMetricFamily("seei_suspensions", "Incident suspensions recorded.", figures.suspensions)
    yield GaugeMetricFamily(
        "seei_suspensions_active", "Incident suspensions not ended yet.", figures.suspensions_active
    )


class _Scrape:
    """One scrape: this process's registry and the figures the database gave for it."""

    def __init__(self, figures):
        self.figures = figures

    def collect(self):
        yield from REGISTRY.collect()
        yield from _database_families(self.figures)


def render(figures, accept: str | None) -> tuple[bytes, str]:
    """(the exposition, its content type), in the format the scraper asks for."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(figures))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
