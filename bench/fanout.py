"""Fan-out: N connected viewers of one lot, across the web processes; a bid's snapshot to all of them.

For SEEI the trigger is a real bid (``bench.bids.Bidder``) and the latency runs from the bid's
time of record (``server_time`` of its snapshot, read inside the transaction just before the
commit) to the frame's arrival at each viewer. For the baseline the trigger is a control message
to the plain broadcast servers (``bench.broadcast_server``), carrying the harness's time.

Two phases, the same for both:
- paced: one change at a time, the next once every viewer has it; every (viewer, change) pair
  must arrive: latencies p50/p99 over all of them, and the lost pairs;
- burst: ``burst`` changes as fast as they come; every viewer must end with the last one (a
  SEEI viewer that cannot keep up may skip intermediate snapshots: coalescing, by design);
  deliveries per second over the time until the last viewer has the last change.
Memory: the servers' resident memory before and after the viewers connect, per viewer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.services import ROOT, cpu_seconds, rss_bytes
from bench.stats import percentile

Trigger = Callable[[], Awaitable[int]]  # makes one change; returns its seq


class ViewerProcess:
    """One ``bench.viewers`` child process, driven line by line."""

    def __init__(self, urls: list[str], count: int):
        self.urls, self.count = urls, count
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.viewers",
            json.dumps({"urls": self.urls, "count": self.count}),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,  # a report with every latency is one long line
        )

    async def read(self, timeout: float = 120) -> dict:
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError("a viewer process died")
        return json.loads(line)

    async def ask(self, command: str, timeout: float = 120) -> dict:
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.read(timeout)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        try:
            await self.ask("quit", timeout=30)
        except Exception:
            pass
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@dataclass
class FanoutResult:
    viewers: int
    connected: int = 0
    failed: dict = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, paced phase
    paced_changes: int = 0
    lost: int = 0  # (viewer, change) pairs of the paced phase that never arrived
    burst_changes: int = 0
    burst_deliveries: int = 0
    burst_seconds: float = 0.0
    burst_missing: int = 0  # viewers without the burst's last change at the end
    out_of_order: int = 0
    rss_per_viewer: float = 0.0  # bytes
    cpu_per_delivery: float = 0.0  # seconds of the servers' CPU per frame delivered, paced phase

    @property
    def deliveries_per_second(self) -> float:
        return self.burst_deliveries / self.burst_seconds if self.burst_seconds else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000

    def summary(self) -> str:
        return (
            f"{self.connected}/{self.viewers} viewers; paced {self.paced_changes} changes: p50 {self.p(0.5):.1f} ms, "
            f"p99 {self.p(0.99):.1f} ms, lost {self.lost}; burst {self.burst_changes} changes: "
            f"{self.burst_deliveries} deliveries in {self.burst_seconds:.2f} s = {self.deliveries_per_second:,.0f}/s, "
            f"missing last {self.burst_missing}; {self.rss_per_viewer / 1024:.1f} KiB/viewer"
        )


def viewer_clients(urls: list[str], viewers: int, processes: int) -> list[ViewerProcess]:
    """``viewers`` shared out over ``processes`` client processes (not started: the caller stops them)."""
    share = [viewers // processes + (i < viewers % processes) for i in range(processes)]
    return [ViewerProcess(urls, count) for count in share if count]


async def connected(clients: list[ViewerProcess]) -> list[dict]:
    """Start the clients and wait until each has opened its sockets: their answers."""
    await asyncio.gather(*(client.start() for client in clients))
    return await asyncio.gather(*(client.read(timeout=180) for client in clients))


async def measure(
    urls: list[str],
    viewers: int,
    *,
    server_pids: list[int],
    current_seq: Callable[[], Awaitable[int]],
    trigger: Trigger,
    burst_trigger: Callable[[int], Awaitable[int]],
    paced: int,
    burst: int,
    processes: int = 2,
) -> FanoutResult:
    """Connect ``viewers`` over ``processes`` client processes, then run both phases."""
    result = FanoutResult(viewers)
    before = sum(rss_bytes(pid) for pid in server_pids)
    clients = viewer_clients(urls, viewers, processes)
    try:
        ready = await connected(clients)
        result.connected = sum(answer["open"] for answer in ready)
        for answer in ready:
            for name, count in answer["failed"].items():
                result.failed[name] = result.failed.get(name, 0) + count
        await asyncio.sleep(1.0)  # the first snapshots are written; memory settles
        result.rss_per_viewer = (sum(rss_bytes(pid) for pid in server_pids) - before) / max(
            result.connected, 1
        )

        async def everyone(command: str, timeout: float = 120) -> list[dict]:
            return await asyncio.gather(*(client.ask(command, timeout) for client in clients))

        # Paced: one change at a time, each delivered everywhere before the next.
        start = await current_seq()
        await everyone(f"mark {start}")
        cpu = sum(cpu_seconds(pid) for pid in server_pids)
        for _ in range(paced):
            seq = await trigger()
            await everyone(f"wait {seq}")
        reports = await everyone("report latencies")
        result.paced_changes = paced
        for report in reports:
            result.latencies += report["latencies"]
            result.out_of_order += report["out_of_order"]
        received = sum(sum(report["receipts"].values()) for report in reports)
        result.lost = result.connected * paced - received
        spent = sum(cpu_seconds(pid) for pid in server_pids) - cpu
        result.cpu_per_delivery = spent / received if received else 0.0

        # Burst: as fast as the changes come; every viewer must end with the last one.
        start = await current_seq()
        await everyone(f"mark {start}")
        began = time.time()
        last = await burst_trigger(burst)
        answers = await everyone(f"wait {last}")
        reports = await everyone("report")
        result.burst_changes = burst
        result.burst_missing = sum(answer["missing"] for answer in answers)
        result.burst_deliveries = sum(report["frames"] for report in reports)
        result.burst_seconds = max(report["last_arrival"] for report in reports) - began
        result.out_of_order += sum(report["out_of_order"] for report in reports)
    finally:
        await asyncio.gather(*(client.stop() for client in clients), return_exceptions=True)
    return result


class BroadcastControl:
    """The harness's side of the baseline servers: one control connection to each."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self.connections = []
        self.seq = 0

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        for port in self.ports:
            self.connections.append(await connect(f"ws://127.0.0.1:{port}/control", compression=None))

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()

    async def current_seq(self) -> int:
        return self.seq

    async def trigger(self) -> int:
        self.seq += 1
        message = f"{self.seq} {iso_now()}"
        for connection in self.connections:
            await connection.send(message)
        return self.seq

    async def burst(self, count: int) -> int:
        for _ in range(count):
            await self.trigger()
        return self.seq


async def publish_burst(redis_url: str, lot_id: int, template: bytes, first_seq: int, count: int) -> int:
    """``count`` frames of the lot (seq ``first_seq``…) published on its channel in one pipeline, as
    SEEI's bid path publishes them; the server_time of each is its publication time."""
    import redis.asyncio as redis

    from bench.broadcast_server import frame_of
    from seei.auctions.events import channel

    client = redis.Redis.from_url(redis_url)
    try:
        async with client.pipeline(transaction=False) as pipeline:
            for seq in range(first_seq, first_seq + count):
                pipeline.publish(channel(lot_id), frame_of(template, seq, iso_now()))
            await pipeline.execute()
    finally:
        await client.aclose()
    return first_seq + count - 1


def iso_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
