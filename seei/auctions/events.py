"""One snapshot per change per lot, encoded once and pushed to whoever serves that lot's viewers.

With ``settings.REDIS_URL``: a Redis PUBLISH on ``seei:lot:{lot_id}`` (each web process subscribes
once and writes the same bytes to its local sockets). Without it (the embedded default, one
process): the in-process listeners registered with ``add_local_listener`` get the bytes directly.
A failed publish is logged and never undoes a committed bid: clients resync over HTTP on a gap.
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


def publish_sync(lot_id: int, snapshot: dict) -> None:
    frame = encode(snapshot)
    if not settings.REDIS_URL:
        _deliver_locally(lot_id, frame)
        return
    try:
        _redis().publish(channel(lot_id), frame)
    except Exception:
        log.exception("could not publish the snapshot of lot %s", lot_id)
