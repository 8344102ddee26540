"""One snapshot per change per lot, encoded once and pushed to whoever serves that lot's viewers.

With ``settings.REDIS_URL``: a Redis PUBLISH on ``{SEEI_REDIS_PREFIX}:lot:{lot_id}`` (each web process subscribes
once and writes the same bytes to its local sockets). Without it (the embedded default, one
process): the in-process listeners registered with ``add_local_listener`` get the bytes directly.
A failed publish is logged and never undoes a committed bid: clients resync over HTTP on a gap.

The bid path hands its frame over with ``hand_over(lot_id, seq, frame)`` while it still holds the
lot's turn, and awaits the returned publication after it: the Redis round trip is then out of the
lot's queue and frames still leave in the order of the chain. All lots' frames waiting in a process
leave together, in one pipelined round trip, and of a lot's waiting frames only the latest (a
viewer wants the current state, not every intermediate one). The answers wait for their round at
most PUBLISH_WAIT: one timer per round, not one per answer.
"""

import asyncio
import json
import logging
import weakref
from collections.abc import Callable
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 2.0  # seconds a round of publications may take before it is given up
PUBLISH_WAIT = 0.3  # seconds the bids' answers wait for their round's publication, at most

Listener = Callable[[int, bytes], None]
_listeners: list[Listener] = []
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
_sync_client = None


def channel(lot_id: int) -> str:
    """``{SEEI_REDIS_PREFIX}:lot:{lot_id}``: deployments sharing one Redis never hear each other's lots."""
    return f"{settings.SEEI_REDIS_PREFIX}:lot:{lot_id}"


def lot_of_channel(name: str | bytes) -> int:
    """``…:lot:42`` -> 42 (for the subscriber side)."""
    if isinstance(name, bytes):
        name = name.decode()
    return int(name.rsplit(":", 1)[1])


def encode(snapshot: dict) -> bytes:
    """The frame every viewer receives: compact UTF-8 JSON."""
    return json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def add_local_listener(callback: Listener) -> None:
    if callback not in _listeners:
        _listeners.append(callback)


def remove_local_listener(callback: Listener) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def _deliver_locally(lot_id: int, frame: bytes) -> None:
    for callback in list(_listeners):
        try:
            callback(lot_id, frame)
        except Exception:  # one broken listener must not stop the others
            log.exception("snapshot listener %r failed for lot %s", callback, lot_id)


def _async_redis():
    # redis.asyncio clients belong to the event loop that created them.
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        import redis.asyncio

        client = _async_clients[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    return client


def _redis():
    global _sync_client
    if _sync_client is None:
        import redis

        _sync_client = redis.Redis.from_url(settings.REDIS_URL)
    return _sync_client


async def publish(lot_id: int, snapshot: dict) -> None:
    frame = encode(snapshot)
    if not settings.REDIS_URL:
        _deliver_locally(lot_id, frame)
        return
    try:
        await _async_redis().publish(channel(lot_id), frame)
    except Exception:
        log.exception("could not publish the snapshot of lot %s", lot_id)


class _Publisher:
    """This process's frames waiting to be published, sent together in one Redis pipeline per round.

    Rounds run one after the other, so a lot's frames leave in the order they were handed over; a
    frame replaced before its round started is never sent (a viewer wants the current state)."""

    MAX_LOTS_REMEMBERED = 100_000

    def __init__(self) -> None:
        self.pending: dict[int, bytes] = {}  # lot id -> the latest frame not yet sent
        self.latest: dict[int, int] = {}  # lot id -> the highest seq handed over
        self.next_round = asyncio.get_running_loop().create_future()
        self.next_round_bound: asyncio.TimerHandle | None = None  # ends next_round after PUBLISH_WAIT
        self.task: asyncio.Task | None = None

    def hand_over(self, lot_id: int, seq: int, frame: bytes) -> asyncio.Future | None:
        """The round that will send the frame (ended after PUBLISH_WAIT at most, even if it has not
        sent it yet); None if a newer frame of the lot already left."""
        loop = asyncio.get_running_loop()
        if seq > self.latest.get(lot_id, -1):
            if len(self.latest) > self.MAX_LOTS_REMEMBERED:
                self.latest.clear()
            self.latest[lot_id] = seq
            self.pending[lot_id] = frame
            if self.task is None or self.task.done():
                self.task = loop.create_task(self._run())
        elif lot_id not in self.pending:
            return None
        if self.next_round_bound is None:  # the round's first frame: its waiting starts now
            self.next_round_bound = loop.call_later(PUBLISH_WAIT, _end, self.next_round)
        return self.next_round

    async def _run(self) -> None:
        # Nothing awaits between the last check of ``pending`` and the end: no frame is left behind.
        while self.pending:
            pending, self.pending = self.pending, {}
            done, self.next_round = self.next_round, asyncio.get_running_loop().create_future()
            bound, self.next_round_bound = self.next_round_bound, None
            try:
                # A Redis that hangs (not down) must not hold the later rounds for good: the round
                # gives up (its connection dropped); viewers resync when their feed comes back.
                async with (
                    asyncio.timeout(PUBLISH_TIMEOUT),
                    _async_redis().pipeline(transaction=False) as pipeline,
                ):
                    for lot_id, frame in pending.items():
                        pipeline.publish(channel(lot_id), frame)
                    await pipeline.execute()
            except Exception:
                log.exception("could not publish the snapshots of lots %s", sorted(pending))
            finally:
                if bound is not None:
                    bound.cancel()
                _end(done)


def _end(round_: asyncio.Future) -> None:
    """A round's future ended, once: by its publication, or by its bound on the answers' wait."""
    if not round_.done():
        round_.set_result(None)


_publishers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Publisher]" = weakref.WeakKeyDictionary()


def hand_over(lot_id: int, seq: int, frame: bytes) -> asyncio.Future | None:
    """Queue the frame of the lot's entry ``seq`` for publication; returns the future that ends once
    it (or a later frame of the lot) is published, or after PUBLISH_WAIT (a hanging Redis must not
    hold the bids' answers), or None when there is nothing to wait for (no Redis: delivered at once;
    or a later frame already left). Call it in chain order (under the lot's turn); await the result
    after releasing it, shielded (the future is shared)."""
    if not settings.REDIS_URL:
        _deliver_locally(lot_id, frame)  # no I/O: delivered right away, in order
        return None
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = _Publisher()
    return publisher.hand_over(lot_id, seq, frame)


def publish_sync(lot_id: int, snapshot: dict) -> None:
    frame = encode(snapshot)
    if not settings.REDIS_URL:
        _deliver_locally(lot_id, frame)
        return
    try:
        _redis().publish(channel(lot_id), frame)
    except Exception:
        log.exception("could not publish the snapshot of lot %s", lot_id)
