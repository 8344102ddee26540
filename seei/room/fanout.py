"""Fan-out: one message per process, written as the same bytes to every local socket.

Each process keeps a registry lot id -> local subscribers (sockets). Frames come in once
per process: with ``REDIS_URL``, from ONE ``psubscribe("seei:lot:*")``; without it (the
embedded default, one process), from ``seei.auctions.events``' in-process listeners. The
frame is encoded once by the publisher and the very same ``bytes`` object is handed to
every socket of the lot: no per-socket encoding, and no per-message compression (the
server runs with ``ws_per_message_deflate=False``, see ``seei.room.server``).

A slow socket must not hold the others back nor pile up stale frames: each subscriber has
a one-frame slot and its own sender task. A new frame replaces the one still waiting, so a
viewer that cannot keep up gets the latest state, not every intermediate one (coalescing).
Clock frames ({"type": "time"}) have their own slot, so they never push a snapshot out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime

log = logging.getLogger(__name__)

Send = Callable[[bytes], Awaitable[None]]
PONG = b'{"type":"pong"}'
TIME_INTERVAL = 5.0  # seconds between two clock frames
REDIS_RETRY = 1.0  # seconds before subscribing again after Redis went away


class Subscriber:
    """One local socket: the latest frame not yet written, and the task that writes it."""

    def __init__(self, send: Send):
        self._send = send
        self._frame: bytes | None = None
        self._control: bytes | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.written = 0  # frames actually written (tests, metrics)

    def push(self, frame: bytes) -> None:
        """Offer a snapshot frame; one still waiting is replaced (coalescing). Never blocks."""
        self._frame = frame
        self._wake.set()

    def push_first(self, frame: bytes) -> None:
        """The snapshot read on connect: it must not replace a newer frame pushed meanwhile."""
        if self._frame is None:
            self.push(frame)

    def push_control(self, frame: bytes) -> None:
        self._control = frame
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            frame, self._frame = self._frame, None
            control, self._control = self._control, None
            try:
                if frame is not None:
                    await self._send(frame)
                    self.written += 1
                if control is not None:
                    await self._send(control)
            except Exception:  # the socket went away: the handler's receive loop ends it
                return


class Hub:
    """The per-process registry of local subscribers and the one subscription feeding them."""

    def __init__(self, name: str = "") -> None:
        self.name = name or f"seei-room-{os.getpid()}"  # the Redis client name (CLIENT LIST)
        self._lots: dict[int, set[Subscriber]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._tasks: list[asyncio.Task] = []
        self._local_listener = None
        self.frames_in = 0  # frames received by this process (one per change, whatever the sockets)
        self.subscribed = asyncio.Event()

    # --- the registry -----------------------------------------------------------------------

    def join(self, lot_id: int, subscriber: Subscriber) -> None:
        self._lots.setdefault(lot_id, set()).add(subscriber)

    def leave(self, lot_id: int, subscriber: Subscriber) -> None:
        subscribers = self._lots.get(lot_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._lots[lot_id]

    def lots(self) -> list[int]:
        return list(self._lots)

    def count(self, lot_id: int | None = None) -> int:
        if lot_id is not None:
            return len(self._lots.get(lot_id, ()))
        return sum(len(subscribers) for subscribers in self._lots.values())

    def deliver(self, lot_id: int, frame: bytes) -> None:
        """Hand the same frame object to every local subscriber of the lot."""
        self.frames_in += 1
        for subscriber in self._lots.get(lot_id, ()):
            subscriber.push(frame)

    def deliver_control(self, frame: bytes) -> None:
        for subscribers in self._lots.values():
            for subscriber in subscribers:
                subscriber.push_control(frame)

    def deliver_from_anywhere(self, lot_id: int, frame: bytes) -> None:
        """The in-process listener: a publisher may run in a worker thread (a sync view, a task)."""
        if self._loop is None:
            return
        if threading.get_ident() == self._thread:
            self.deliver(lot_id, frame)
        else:
            self._loop.call_soon_threadsafe(self.deliver, lot_id, frame)

    # --- the feed ---------------------------------------------------------------------------

    async def start(
        self,
        *,
        redis_url: str = "",
        clock: Callable[[], Awaitable[datetime]] | None = None,
        resync: Callable[[int], Awaitable[bytes | None]] | None = None,
        time_interval: float = TIME_INTERVAL,
    ) -> None:
        """Subscribe once for the whole process and start the clock frames.

        ``clock`` returns the server time of record; ``resync(lot_id)`` returns a fresh
        snapshot frame, pushed to the lot's sockets after Redis comes back (frames may have
        been lost meanwhile).
        """
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self.subscribed = asyncio.Event()  # bound to this loop (tests start several loops)
        if redis_url:
            self._tasks.append(asyncio.create_task(self._listen_redis(redis_url, resync)))
        else:
            from seei.auctions import events

            self._local_listener = self.deliver_from_anywhere
            events.add_local_listener(self._local_listener)
            self.subscribed.set()
        if clock is not None:
            self._tasks.append(asyncio.create_task(self._tick(clock, time_interval)))

    async def stop(self) -> None:
        if self._local_listener is not None:
            from seei.auctions import events

            remove = getattr(events, "remove_local_listener", None)
            if remove is not None:
                remove(self._local_listener)
            self._local_listener = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self.subscribed.clear()

    async def _listen_redis(self, url: str, resync) -> None:
        import redis.asyncio as redis

        from seei.auctions import events

        pattern = events.CHANNEL.format(lot_id="*")
        first = True
        while True:
            client = redis.Redis.from_url(url, health_check_interval=15, client_name=self.name)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.psubscribe(pattern)
                    self.subscribed.set()
                    if not first and resync is not None:
                        await self._resync_all(resync)
                    first = False
                    async for message in pubsub.listen():
                        if message["type"] != "pmessage":
                            continue
                        lot_id = _lot_of(message["channel"])
                        if lot_id is not None:
                            self.deliver(lot_id, message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis restarted or unreachable: subscribe again
                self.subscribed.clear()
                log.warning("room fan-out: Redis subscription lost (%s); retrying", error)
                await asyncio.sleep(REDIS_RETRY)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _resync_all(self, resync) -> None:
        for lot_id in self.lots():
            with contextlib.suppress(Exception):
                frame = await resync(lot_id)
                if frame is not None:
                    self.deliver(lot_id, frame)

    async def _tick(self, clock, interval: float) -> None:
        """One clock frame per process every few seconds, the same bytes for every socket."""
        while True:
            await asyncio.sleep(interval)
            if not self.count():
                continue
            try:
                self.deliver_control(time_frame(await clock()))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is restarting: the next tick will do
                log.warning("room fan-out: no server time (%s)", error)


def time_frame(server_time: datetime) -> bytes:
    return json.dumps({"type": "time", "server_time": iso(server_time)}, separators=(",", ":")).encode()


def iso(moment: datetime) -> str:
    from seei.auctions.rules import format_time

    return format_time(moment)


def _lot_of(channel: bytes | str) -> int | None:
    if isinstance(channel, bytes):
        channel = channel.decode("ascii", "replace")
    try:
        return int(channel.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


hub = Hub()  # the process's one hub
