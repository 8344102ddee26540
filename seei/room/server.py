"""Serve SEEI (pages, API and the live room) with the settings the room needs.

    python -m seei.room.server [--host 127.0.0.1] [--port 8000] [--workers 1]

The same as ``uvicorn seei.asgi:application`` plus: no per-message compression on sockets
(one broadcast frame is the same bytes for everyone; deflating it per socket would cost CPU
per viewer), a small maximum incoming message (clients only ever send a ping), the lifespan
on (it opens the pool and the subscription), and sockets that take the room's broadcast frames
already framed (``RoomWebSocketProtocol``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from seei.room.fanout import FRAMES_EXTENSION, Frame


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
        self.queue = Inbox()
        self.frame_writer = FrameWriter(self)

    async def run_asgi(self) -> None:
        self.scope["extensions"][FRAMES_EXTENSION] = self.frame_writer
        await super().run_asgi()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.frame_writer.on_writable is not None:
            self.frame_writer.on_writable()  # the frame that waited (the latest) goes now


ROOM_SERVER_OPTIONS = {
    "ws": RoomWebSocketProtocol,
    "ws_per_message_deflate": False,
    "ws_max_size": 4096,
    "lifespan": "on",
}


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
    uvicorn.run(
        "seei.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        **ROOM_SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
