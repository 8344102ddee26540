"""Serve SEEI (pages, API and the live room) with the settings the room needs.

    python -m seei.room.server [--host 127.0.0.1] [--port 8000] [--workers 1]

The same as ``uvicorn seei.asgi:application`` plus: a garbage collector set for a server
(``seei.core.collector``), no per-message compression on sockets (one broadcast frame is the same
bytes for everyone; deflating it per socket would cost CPU per viewer), a small maximum incoming
message (clients only ever send a ping), the lifespan on (it opens the pool and the subscription),
and sockets that take the room's broadcast frames already framed (``RoomWebSocketProtocol``).

No client can starve the others (``RoomHttpProtocol``): a request must arrive within
SEEI_REQUEST_TIMEOUT seconds (headers and body, plus one second per SEEI_MIN_BODY_RATE bytes of
body), else its connection is cut (uvicorn has no header timeout: slow clients sending a byte
every few seconds would hold their sockets for good); an idle kept-alive connection is closed after
SEEI_KEEP_ALIVE seconds (see KEEP_ALIVE_SECONDS); and one address may hold at most
SEEI_MAX_CONNECTIONS_PER_ADDRESS open connections (sockets included; 0: no limit), except the
addresses of SEEI_TRUSTED_PROXIES (default 127.0.0.1,::1, as seei.settings reads it). Behind a reverse proxy every connection
comes from the proxy: the limit per client then belongs to the proxy (nginx ``limit_conn``). At
start the process raises its file-descriptor limit (RLIMIT_NOFILE) to the hard limit: each viewer
holds one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
from collections import Counter
from collections.abc import Callable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from seei.room.fanout import FRAMES_EXTENSION, Frame

log = logging.getLogger("seei.room.server")

# The SEEI_* settings of this module are read from the environment, not from django.conf.settings:
# uvicorn takes these protocols in ``main`` before any Django application (seei.asgi) is set up.


class ConnectionLimit:
    """Open connections per client address (one process), whatever protocol holds them now."""

    def __init__(self) -> None:
        self.maximum = int(os.environ.get("SEEI_MAX_CONNECTIONS_PER_ADDRESS", "200"))
        self.trusted = {
            a.strip() for a in os.environ.get("SEEI_TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if a.strip()
        }
        self.open: Counter[str] = Counter()
        self._counted: dict[asyncio.BaseTransport, str] = {}

    def admit(self, transport: asyncio.BaseTransport) -> bool:
        """Count the connection, or say no (the address holds its maximum already)."""
        remote = get_remote_addr(transport)
        address = remote[0] if remote else ""
        if not self.maximum or not address or address in self.trusted:
            return True
        if self.open[address] >= self.maximum:
            return False
        self.open[address] += 1
        self._counted[transport] = address
        return True

    def release(self, transport: asyncio.BaseTransport) -> None:
        address = self._counted.pop(transport, None)
        if address is not None:
            self.open[address] -= 1
            if not self.open[address]:
                del self.open[address]


connection_limit = ConnectionLimit()


class RoomHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol with a deadline on reading each request and the limit per address.

    The deadline is armed when the connection opens and when a request begins (a kept-alive
    connection's next one), and disarmed once the request is read (or upgraded to a socket): a
    client that sends its headers or body a byte at a time is cut. Each byte of body received moves
    the deadline by 1/SEEI_MIN_BODY_RATE s, so a large upload at a decent rate is never cut."""

    request_timeout = float(os.environ.get("SEEI_REQUEST_TIMEOUT", "10"))
    min_body_rate = float(os.environ.get("SEEI_MIN_BODY_RATE", "10000"))  # bytes per second

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._deadline_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        if not connection_limit.admit(transport):
            log.warning("refused a connection from %s: too many open from this address", self.client)
            transport.close()
            return
        self._arm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        connection_limit.release(self.transport)
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._request_started = self.loop.time()
        self._body_read = 0
        self._deadline_timer = self.loop.call_at(self._deadline(), self._on_deadline)

    def _disarm(self) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None

    def _deadline(self) -> float:
        return self._request_started + self.request_timeout + self._body_read / self.min_body_rate

    def _on_deadline(self) -> None:
        deadline = self._deadline()
        if self.loop.time() < deadline:  # body came in meanwhile: it earned more time
            self._deadline_timer = self.loop.call_at(deadline, self._on_deadline)
            return
        self._deadline_timer = None
        if not self.transport.is_closing():
            log.info("cut a connection from %s: its request took more than its deadline", self.client)
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_body(self, body: bytes) -> None:
        self._body_read += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the socket protocol takes the connection (and releases it from the limit)
        super().handle_websocket_upgrade()


class FrameWriter:
    """A connection as a ``seei.room.fanout.Socket``: a broadcast frame's bytes on the wire, framed
    once for all sockets, written straight to the transport (no ASGI message, no task)."""

    __slots__ = ("_protocol", "on_writable")

    def __init__(self, protocol: RoomWebSocketProtocol):
        self._protocol = protocol
        self.on_writable: Callable[[], None] | None = None

    def can_write(self) -> bool:
        """Open, and its transport's buffer below the high-water mark (else the frame waits)."""
        protocol = self._protocol
        return protocol.writable.is_set() and not protocol.close_sent and not protocol.transport.is_closing()

    def write(self, frame: Frame) -> None:
        self._protocol.transport.write(frame.wire)

    async def close(self) -> None:
        self.on_writable = None  # the handler closes the socket itself, through ASGI


class Inbox:
    """The socket's incoming ASGI messages, for its one reader (the handler): what uvicorn needs of
    an ``asyncio.Queue``, without its four deques (3 KiB a socket, for a ping now and then)."""

    __slots__ = ("_messages", "_waiter")

    def __init__(self) -> None:
        self._messages: list[dict] = []
        self._waiter: asyncio.Future | None = None

    def put_nowait(self, message: dict) -> None:
        self._messages.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._messages

    async def get(self) -> dict:
        while not self._messages:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._messages.pop(0)


class RoomWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets (sans-I/O) protocol, offering the room's handler a ``FrameWriter`` as the
    ASGI scope extension ``seei.frames``. A server's frames are not masked and the server runs without
    compression, so a frame written this way is exactly what the protocol would have written.

    Lighter for thousands of idle sockets: a lean receive queue."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.writable._waiters = []  # not a deque: 600 bytes per socket, nearly always empty
        self.queue = Inbox()
        self.frame_writer = FrameWriter(self)

    def run_asgi(self):
        self.scope["extensions"][FRAMES_EXTENSION] = self.frame_writer
        return super().run_asgi()  # its coroutine: no frame of ours for the socket's life

    async def send(self, message) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake's request stays referenced for the socket's whole life (a local of
            # websockets' parser, a generator; uvicorn's attributes): its headers, a few KiB per
            # viewer, are needed no more (the scope has its own copy).
            self.request.headers.clear()
            self.request = self.response = None

    def connection_lost(self, exc) -> None:
        connection_limit.release(self.transport)  # counted when it was still an HTTP connection
        super().connection_lost(exc)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.frame_writer.on_writable is not None:
            self.frame_writer.on_writable()  # the frame that waited (the latest) goes now


# A bidder's next bid comes seconds after its last: kept alive past a human pause (uvicorn's 5 s would
# cut most of them, each bid then paying a new connection in the room), and past the proxy's
# upstream keep-alive (nginx: 60 s), so that a connection the proxy reuses is never one closing here.
KEEP_ALIVE_SECONDS = int(os.environ.get("SEEI_KEEP_ALIVE", "75"))

ROOM_SERVER_OPTIONS = {
    "http": RoomHttpProtocol,
    "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    "ws": RoomWebSocketProtocol,
    "ws_per_message_deflate": False,
    "ws_max_size": 4096,
    "lifespan": "on",
}


def raise_file_limit() -> tuple[int, int]:
    """The soft limit of open files raised to the hard one (each viewer's socket is a file)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as error:
            log.warning("could not raise the open-files limit from %s to %s: %s", soft, wanted, error)
            return soft, soft
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def application():
    """seei.asgi's application, once set up in this process (uvicorn's factory, called in each worker
    process before it serves), with the garbage collector set for a server (seei.core.collector)."""
    from seei.asgi import application
    from seei.core import collector

    collector.steady()
    return application


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m seei.room.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.workers > 1 and not os.environ.get("REDIS_URL"):
        # Without Redis a snapshot reaches only the sockets of the process that published it.
        parser.error("several workers need REDIS_URL: the processes share the lots' snapshots through Redis")
    before, after = raise_file_limit()
    # Printed, whatever the log level: an operator checks it (README, operations).
    print(f"seei.room.server: open files limit {after} (was {before})", flush=True)
    uvicorn.run(
        "seei.room.server:application",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        **ROOM_SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
