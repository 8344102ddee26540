"""Fan-out: one message per process, written as the same bytes to every local socket.

Each process keeps a registry lot id -> local subscribers (sockets). Frames come in once per
process: with ``REDIS_URL``, from a subscription to ``{SEEI_REDIS_PREFIX}:lot:{id}`` for each lot this process
has viewers of (all on ONE pub/sub connection: a process without viewers of a lot never receives
its frames); without it (the embedded default, one process), from ``seei.auctions.events``'
in-process listeners. The frame is encoded once by the publisher and the very same ``bytes`` is
handed to every socket of the lot: no per-socket encoding, and no per-message compression (the
server runs with ``ws_per_message_deflate=False``, see ``seei.room.server``). Under that server a
socket also offers the direct way (``FRAMES_EXTENSION``): the frame is framed once per process
(a server's frames are not masked, so the bytes on the wire are the same for every socket) and
written straight to each connection, with no ASGI message, no per-socket framing and no task.

A slow socket must not hold the others back nor pile up stale frames: a frame is written at once
when the socket can take it; otherwise it waits in a one-frame slot, and a newer one replaces it,
so a viewer that cannot keep up gets the latest state, not every intermediate one (coalescing).
The same holds for the process: of the frames of a lot that come in together (read at once), only
the latest goes out. "Latest" is by the entry a frame shows (its ``seq``), not by arrival: with
several room processes, each publishes the bids it decided, so a lot's frames may reach a process
out of the chain's order, and an older one must never push out the newer (at the close, a viewer
would be left with the lot still open). Clock frames ({"type": "time"}) and pongs have their own slot, so they never
push a snapshot out. A clock frame also says whether this process's feed is live: while its Redis
subscription is down it carries ``"live": false`` (and one such frame goes out as soon as the loss is
noticed), so a page can tell its viewer that the prices shown may be out of date.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode

from seei.ops.metrics import FRAMES_SENT

log = logging.getLogger(__name__)

Send = Callable[[bytes], Awaitable[None]]
FRAMES_EXTENSION = "seei.frames"  # the ASGI scope extension of a socket that takes framed bytes
TIME_INTERVAL = 5.0  # seconds between two clock frames
REDIS_RETRY = 1.0  # seconds before subscribing again after Redis went away
# A Redis that hangs (not down) must be noticed within seconds: a PING on the quiet subscription
# every REDIS_KEEPALIVE, the connection lost after twice that of silence; a connection attempt that
# hangs is given up after REDIS_CONNECT_TIMEOUT.
REDIS_KEEPALIVE = 1.0
REDIS_CONNECT_TIMEOUT = 2.0
JOIN_TIMEOUT = 5.0  # seconds a new viewer waits for its lot's subscription before reading the snapshot


# A snapshot's own seq comes first after its lot (``build_snapshot``), before any history line's.
_SEQ = re.compile(rb'"seq":(\d+)')
_SEQ_WITHIN = 64  # bytes


class Frame:
    """A frame for many sockets: its payload, and its bytes on the wire, framed once when first needed."""

    __slots__ = ("data", "seq", "_wire")

    def __init__(self, data: bytes):
        self.data = data
        match = _SEQ.search(data, 0, _SEQ_WITHIN)
        self.seq = int(match.group(1)) if match else None  # the ledger entry it shows (None: not a snapshot)
        self._wire: bytes | None = None

    def older_than(self, other: Frame) -> bool:
        return self.seq is not None and other.seq is not None and self.seq < other.seq

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = WireFrame(Opcode.BINARY, self.data).serialize(mask=False)
        return self._wire


PONG = Frame(b'{"type":"pong"}')


class Socket(Protocol):
    """What a subscriber writes to. ``on_writable`` is called when a busy socket can take more."""

    on_writable: Callable[[], None] | None

    def can_write(self) -> bool: ...

    def write(self, frame: Frame) -> None: ...

    async def close(self) -> None: ...


class AsgiSocket:
    """The portable way, under any ASGI server (and the test client): one ASGI send at a time."""

    __slots__ = ("_send", "_writing", "_closed", "on_writable")

    def __init__(self, send: Send):
        self._send = send
        self._writing: asyncio.Task | None = None
        self._closed = False
        self.on_writable: Callable[[], None] | None = None

    def can_write(self) -> bool:
        return self._writing is None and not self._closed

    def write(self, frame: Frame) -> None:
        self._writing = asyncio.ensure_future(self._write(frame.data))

    async def _write(self, data: bytes) -> None:
        try:
            await self._send(data)
        except Exception:  # the socket went away: the handler's receive loop ends it
            self._closed = True
            return
        finally:
            self._writing = None
        if self.on_writable is not None:
            self.on_writable()

    async def close(self) -> None:
        self._closed = True
        if self._writing is not None:
            self._writing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writing


def local_socket(scope: dict, send: Send) -> Socket:
    """The direct way when the server offers it (``seei.room.server``), else the ASGI send."""
    direct = scope.get("extensions", {}).get(FRAMES_EXTENSION)
    return direct if direct is not None else AsgiSocket(send)


class Subscriber:
    """One local socket: the frames it could not take yet (the latest of each kind)."""

    __slots__ = ("_socket", "_frame", "_control")

    def __init__(self, socket: Socket):
        self._socket = socket
        self._frame: Frame | None = None
        self._control: Frame | None = None
        socket.on_writable = self._flush

    def push(self, frame: Frame) -> None:
        """Offer a snapshot frame; one still waiting is replaced unless it is newer (coalescing). Never blocks."""
        socket = self._socket
        if self._frame is None and socket.can_write():
            socket.write(frame)
            FRAMES_SENT.count += 1
        elif self._frame is None or not frame.older_than(self._frame):
            self._frame = frame

    def push_control(self, frame: Frame) -> None:
        self._control = frame
        self._flush()

    def _flush(self) -> None:
        socket = self._socket
        while socket.can_write():
            if self._frame is not None:
                frame, self._frame = self._frame, None
            elif self._control is not None:
                frame, self._control = self._control, None
            else:
                return
            socket.write(frame)
            FRAMES_SENT.count += 1

    async def close(self) -> None:
        self._socket.on_writable = None
        await self._socket.close()


class Hub:
    """The per-process registry of local subscribers and the subscription feeding them."""

    def __init__(self, name: str = "") -> None:
        self.name = name or f"seei-room-{os.getpid()}"  # the Redis client name (CLIENT LIST)
        self._lots: dict[int, set[Subscriber]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._tasks: list[asyncio.Task] = []
        self._local_listener = None
        self._due: dict[int, Frame] = {}  # lot id -> its latest frame, delivered on the loop's next turn
        self.frames_in = 0  # frames received by this process (one per change, whatever the sockets)
        self.subscribed = asyncio.Event()  # connected to the feed
        # With Redis: the lots' channels. ``_ready[lot]`` resolves once Redis confirmed the latest
        # SUBSCRIBE of the lot's channel (``_unconfirmed[lot]`` of them are on their way).
        self._redis = False
        self._commands: asyncio.Queue[tuple[str, list[int]]] = asyncio.Queue()
        self._ready: dict[int, asyncio.Future] = {}
        self._unconfirmed: dict[int, int] = {}
        self._resync_due: set[int] = set()
        self._resync = None
        self._resyncs: set[asyncio.Task] = set()

    # --- the registry -----------------------------------------------------------------------

    async def join(self, lot_id: int, subscriber: Subscriber) -> None:
        """Add a socket; returns once the frames of the lot reach this process (with Redis, once the
        lot's SUBSCRIBE is confirmed), so a snapshot read afterwards misses no later change."""
        subscribers = self._lots.get(lot_id)
        if subscribers is None:
            subscribers = self._lots[lot_id] = set()
            if self._redis:
                self._ready[lot_id] = asyncio.get_running_loop().create_future()
                self._commands.put_nowait(("SUBSCRIBE", [lot_id]))
        subscribers.add(subscriber)
        ready = self._ready.get(lot_id)
        if ready is not None and not ready.done() and self.subscribed.is_set():
            # Without a connection (or if it is lost meanwhile) the next one subscribes to the lot and
            # resyncs it: the viewer need not wait for that.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(ready), JOIN_TIMEOUT)

    def leave(self, lot_id: int, subscriber: Subscriber) -> None:
        subscribers = self._lots.get(lot_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._lots[lot_id]
                if self._ready.pop(lot_id, None) is not None:
                    self._commands.put_nowait(("UNSUBSCRIBE", [lot_id]))

    def live(self) -> bool:
        """Frames reach this process (with Redis: its subscription is up)."""
        return self.subscribed.is_set()

    def lots(self) -> list[int]:
        return list(self._lots)

    def count(self, lot_id: int | None = None) -> int:
        if lot_id is not None:
            return len(self._lots.get(lot_id, ()))
        return sum(len(subscribers) for subscribers in self._lots.values())

    def deliver(self, lot_id: int, data: bytes) -> None:
        """Hand the same frame to every local subscriber of the lot, on the loop's next turn: of the
        frames of a lot that came in together (a burst read at once), only the latest goes out."""
        self.frames_in += 1
        if lot_id in self._lots:
            if not self._due:
                asyncio.get_running_loop().call_soon(self._deliver_due)
            frame, waiting = Frame(data), self._due.get(lot_id)
            if waiting is None or not frame.older_than(waiting):
                self._due[lot_id] = frame

    def _deliver_due(self) -> None:
        due, self._due = self._due, {}
        for lot_id, frame in due.items():
            for subscriber in self._lots.get(lot_id, ()):
                subscriber.push(frame)

    def deliver_control(self, data: bytes) -> None:
        frame = Frame(data)
        for subscribers in self._lots.values():
            for subscriber in subscribers:
                subscriber.push_control(frame)

    def deliver_from_anywhere(self, lot_id: int, data: bytes) -> None:
        """The in-process listener: a publisher may run in a worker thread (a sync view, a task)."""
        if self._loop is None:
            return
        if threading.get_ident() == self._thread:
            self.deliver(lot_id, data)
        else:
            self._loop.call_soon_threadsafe(self.deliver, lot_id, data)

    # --- the feed ---------------------------------------------------------------------------

    async def start(
        self,
        *,
        redis_url: str = "",
        clock: Callable[[], Awaitable[datetime]] | None = None,
        resync: Callable[[int], Awaitable[bytes | None]] | None = None,
        time_interval: float = TIME_INTERVAL,
    ) -> None:
        """Start the feed and the clock frames.

        ``clock`` returns the server time of record; ``resync(lot_id)`` returns a fresh
        snapshot frame, pushed to the lot's sockets after Redis comes back (frames may have
        been lost meanwhile).
        """
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self.subscribed = asyncio.Event()  # bound to this loop (tests start several loops)
        if redis_url:
            self._redis, self._resync = True, resync
            self._tasks.append(asyncio.create_task(self._listen_redis(redis_url)))
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

            events.remove_local_listener(self._local_listener)
            self._local_listener = None
        tasks = self._tasks + list(self._resyncs)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self.subscribed.clear()
        self._redis = False
        # Futures of this loop must not outlive it (tests start several loops with the one hub).
        self._ready.clear()
        self._unconfirmed.clear()
        self._resync_due.clear()

    async def _listen_redis(self, url: str) -> None:
        """One connection at a time; each new one subscribes to every lot with viewers here and
        resyncs them (frames may have been lost before: Redis was away, or not connected yet)."""
        import redis.asyncio as redis

        while True:
            client = redis.Redis.from_url(url, client_name=self.name)
            connection = None
            try:
                connection = await asyncio.wait_for(
                    client.connection_pool.get_connection(), REDIS_CONNECT_TIMEOUT
                )
                # The commands queued for a lost connection are superseded by this SUBSCRIBE.
                self._commands = asyncio.Queue()
                self._unconfirmed.clear()
                lots = self.lots()
                for lot_id in lots:
                    if lot_id not in self._ready or self._ready[lot_id].done():
                        self._ready[lot_id] = asyncio.get_running_loop().create_future()
                if lots:
                    self._commands.put_nowait(("SUBSCRIBE", lots))
                    self._resync_due.update(lots)
                self.subscribed.set()
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._send_commands(connection))
                    group.create_task(self._receive(connection))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis restarted, unreachable or hanging: subscribe again
                if self.subscribed.is_set():
                    self.deliver_control(FEED_DOWN)  # the viewers learn it now, not at the next tick
                self.subscribed.clear()
                log.warning("room fan-out: Redis subscription lost (%s); retrying", _reason(error))
                await asyncio.sleep(REDIS_RETRY)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.disconnect(nowait=True)
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _send_commands(self, connection) -> None:
        """The only writer on the connection: (UN)SUBSCRIBEs in the order the viewers came and went."""
        from seei.auctions import events

        while True:
            try:
                command, lots = await asyncio.wait_for(self._commands.get(), REDIS_KEEPALIVE)
            except TimeoutError:
                command, lots = "PING", []
            if command == "SUBSCRIBE":
                for lot_id in lots:
                    self._unconfirmed[lot_id] = self._unconfirmed.get(lot_id, 0) + 1
            await connection.send_command(
                command, *(events.channel(lot_id) for lot_id in lots), check_health=False
            )

    async def _receive(self, connection) -> None:
        from seei.auctions import events

        while True:
            # Silence for twice the keepalive while PINGs go out: the connection is dead.
            # (RESP3, redis-py's default, sends the messages as pushes: ``push_request`` returns them.)
            message = await connection.read_response(timeout=2 * REDIS_KEEPALIVE + 1, push_request=True)
            if message is None:
                raise ConnectionError("no answer from Redis")
            if not isinstance(message, list):
                continue  # the answer to a PING
            kind = message[0]
            if kind == b"message":
                self.deliver(events.lot_of_channel(message[1]), message[2])
            elif kind == b"subscribe":
                self._confirmed(events.lot_of_channel(message[1]))

    def _confirmed(self, lot_id: int) -> None:
        left = self._unconfirmed.get(lot_id, 0) - 1
        if left > 0:
            self._unconfirmed[lot_id] = left
            return
        self._unconfirmed.pop(lot_id, None)
        ready = self._ready.get(lot_id)
        if ready is not None and not ready.done():
            ready.set_result(None)
        if lot_id in self._resync_due:
            self._resync_due.discard(lot_id)
            if self._resync is not None:
                task = asyncio.create_task(self._resync_lot(lot_id))
                self._resyncs.add(task)
                task.add_done_callback(self._resyncs.discard)

    async def _resync_lot(self, lot_id: int) -> None:
        with contextlib.suppress(Exception):
            frame = await self._resync(lot_id)
            if frame is not None:
                self.deliver(lot_id, frame)

    async def _tick(self, clock, interval: float) -> None:
        """One clock frame per process every few seconds, the same bytes for every socket."""
        while True:
            await asyncio.sleep(interval)
            if not self.count():
                continue
            try:
                self.deliver_control(time_frame(await clock(), live=self.live()))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is restarting: the next tick will do
                log.warning("room fan-out: no server time (%s)", error)


def _reason(error: BaseException) -> str:
    """The first error of a task group, else the error itself."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return str(error) or type(error).__name__


def time_frame(server_time: datetime, live: bool = True) -> bytes:
    """A clock frame; ``live`` is false while the process's feed is down (the snapshots may be stale)."""
    frame = {"type": "time", "server_time": iso(server_time), "live": live}
    return json.dumps(frame, separators=(",", ":")).encode()


FEED_DOWN = b'{"type":"time","live":false}'  # no time: said at once, without reading the clock


def iso(moment: datetime) -> str:
    from seei.auctions.rules import format_time

    return format_time(moment)


hub = Hub()  # the process's one hub
