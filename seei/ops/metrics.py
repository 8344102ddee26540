"""The process's Prometheus metrics (``GET /metrics``).

Measured as they happen, in this process:

    seei_bid_seconds                  histogram: a bid, from its request to its answer (room endpoint)
    seei_bids_total{outcome,reason}   counter: outcome accepted | refused | failed (5xx); reason the
                                      answer's code, told by the endpoint (``not_below_start``,
                                      ``unavailable``...; ``none`` when accepted)
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

from bisect import bisect_left

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.utils import floatToGoString

# This process's counters are plain attributes, incremented on the hot paths (a frame per socket, each
# bid) and read at scrape time: the fan-out and the bid endpoint run on the process's event loop only,
# so no lock is needed (prometheus_client's own metrics take one per update). They start with the
# process (process_start_time_seconds): no *_created series.


class Tally:
    """A plain counter for the fan-out's hot loop."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


FRAMES_SENT = Tally()

BID_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # seconds


class BidTally:
    """The bids this process answered: how many by (outcome, reason), and their latency by bucket."""

    __slots__ = ("outcomes", "in_bucket", "seconds")

    def __init__(self) -> None:
        self.outcomes: dict[tuple[str, str], int] = {("accepted", "none"): 0}  # shown from the first scrape
        self.in_bucket = [0] * (len(BID_BUCKETS) + 1)  # bids per bucket (not cumulative); the last: +Inf
        self.seconds = 0.0

    def record(self, seconds: float, status: int, reason: str | None) -> None:
        """One answer of the bid endpoint: its HTTP status, its code (None when accepted)."""
        outcome = "accepted" if status < 300 else "failed" if status >= 500 else "refused"
        key = (outcome, reason or ("none" if outcome == "accepted" else str(status)))
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        self.in_bucket[bisect_left(BID_BUCKETS, seconds)] += 1  # a bucket counts the bids <= its bound
        self.seconds += seconds

    def families(self):
        bids = CounterMetricFamily(
            "seei_bids", "Bids answered by the room, by outcome and reason.", labels=["outcome", "reason"]
        )
        for (outcome, reason), count in self.outcomes.items():
            bids.add_metric([outcome, reason], count)
        yield bids
        cumulative, buckets = 0, []
        for bound, count in zip((*map(floatToGoString, BID_BUCKETS), "+Inf"), self.in_bucket, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(
            "seei_bid_seconds",
            "A bid through the room, from its request to its answer, in seconds.",
            buckets=buckets,
            sum_value=self.seconds,
        )


BIDS = BidTally()


class _ProcessCollector:
    """What the room counts in this process (bids, fan-out), read when scraped."""

    def describe(self):
        return list(self._families(BidTally(), 0, 0, 0, 0))  # the names, without reading the fan-out

    def collect(self):
        from seei.room.fanout import hub

        return self._families(BIDS, FRAMES_SENT.count, hub.frames_in, hub.count(), len(hub.lots()))

    @staticmethod
    def _families(bids: BidTally, sent: int, received: int, viewers: int, lots: int):
        yield from bids.families()
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
