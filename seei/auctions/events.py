"""One snapshot per change per lot, encoded once and pushed to whoever serves that lot's viewers.

With ``settings.REDIS_URL``: a Redis PUBLISH on ``seei:lot:{lot_id}`` (each web process subscribes
once and writes the same bytes to its local sockets). Without it (the embedded default, one
process): the in-process listeners registered with ``add_local_listener`` get the bytes directly.
A failed publish is logged and never undoes a committed bid: clients resync over HTTP on a gap.

The bid path hands its frame over with ``hand_over(lot_id, seq, frame)`` while it still holds the
lot's turn, and awaits the returned publication after it: the Redis round trip is then out of the
lot's queue, frames still leave in the order of the chain, and when several are waiting only the
latest is published (a viewer wants the current state, not every intermediate one).
"""

import asyncio
import json
import logging
import weakref
from collections.abc import Callable
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

CHANNEL = "seei:lot:{lot_id}"
CHANNEL_PATTERN = "seei:lot:*"

Listener = Callable[[int, bytes], None]
_listeners: list[Listener] = []
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
_sync_client = None


def channel(lot_id: int) -> str:
    return CHANNEL.format(lot_id=lot_id)


def lot_of_channel(name: str | bytes) -> int:
    """``seei:lot:42`` -> 42 (for the subscriber side)."""
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


class _Outbox:
    """The frames of one lot waiting to be published by this process: only the latest matters."""

    __slots__ = ("pending_seq", "pending", "sent_seq", "busy", "changed")

    def __init__(self) -> None:
        self.pending_seq = -1
        self.pending: bytes | None = None
        self.sent_seq = -1
        self.busy = False
        self.changed = asyncio.Event()


_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _Outbox]]" = (
    weakref.WeakKeyDictionary()
)


async def _nothing() -> None:
    return None


def hand_over(lot_id: int, seq: int, frame: bytes):
    """Queue the frame of the lot's entry ``seq`` for publication; returns the awaitable that ends
    once it (or a later frame of the lot) is published. Call it in chain order (under the lot's
    turn); await the result after releasing it."""
    if not settings.REDIS_URL:
        _deliver_locally(lot_id, frame)  # no I/O: delivered right away, in order
        return _nothing()
    boxes = _outboxes.setdefault(asyncio.get_running_loop(), {})
    box = boxes.get(lot_id)
    if box is None:
        box = boxes[lot_id] = _Outbox()
    if seq > box.pending_seq:
        box.pending_seq, box.pending = seq, frame
    return _published(lot_id, box, seq)


async def _published(lot_id: int, box: _Outbox, seq: int) -> None:
    # One publisher at a time per lot and process; the others wait for a frame at least as new as
    # theirs, or take over when the publisher finished before reaching it.
    while box.sent_seq < seq:
        if box.busy:
            await box.changed.wait()
            continue
        box.busy = True
        sending, frame = box.pending_seq, box.pending
        try:
            await _async_redis().publish(channel(lot_id), frame)
        except Exception:
            log.exception("could not publish the snapshot of lot %s", lot_id)
        finally:
            box.sent_seq = max(box.sent_seq, sending)
            if box.pending_seq == sending:
                box.pending = None  # nothing newer: drop the bytes
            box.busy = False
            changed, box.changed = box.changed, asyncio.Event()
            changed.set()


def publish_sync(lot_id: int, snapshot: dict) -> None:
    frame = encode(snapshot)
    if not settings.REDIS_URL:
        _deliver_locally(lot_id, frame)
        return
    try:
        _redis().publish(channel(lot_id), frame)
    except Exception:
        log.exception("could not publish the snapshot of lot %s", lot_id)
