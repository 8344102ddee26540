"""A process of room viewers: many WebSocket connections (``ViewerSocket``, a lean client) on one loop.

    python -m bench.viewers '{"urls": ["ws://127.0.0.1:8001/room/lots/7/ws", ...], "count": 2500}'

Connections go round-robin over ``urls``, each with a same-origin ``Origin`` header as a browser
sends. For every frame that carries a snapshot (``"seq"`` and ``"server_time"``), the process
notes its arrival: the latency is the arrival time minus the frame's ``server_time`` (the bid's
time of record inside its transaction: PostgreSQL's clock, the same machine's clock as ours), or
minus the trigger time the baseline server writes in the same field.

It is driven by lines on stdin and answers JSON lines on stdout:
    mark SEQ     record from now on the frames whose seq is above SEQ (forget earlier records)
    wait SEQ     answer {"event": "reached"} once every open connection has seen SEQ or later
    report [latencies]  the records: frames, per-seq receipts, arrival span (and the latencies)
    final        each viewer's last seq, in connection order (viewer i watches urls[i % len(urls)])
    quit         close everything and exit
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import sys
import time
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

SEQ = re.compile(rb'"seq":(\d+)')
SERVER_TIME = re.compile(rb'"server_time":"([^"]+)"')
CONNECT_CONCURRENCY = 100
WAIT_TIMEOUT = 15.0


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}"


class ViewerSocket(asyncio.Protocol):
    """A WebSocket client reduced to what a viewer does: the opening handshake, then reading frames
    (a server's frames are never masked nor, for SEEI's, fragmented), answering pings and closes.
    The ``websockets`` library costs the load generator ~5x the CPU per frame, which it takes from
    the servers under test on the same cores (as ``bench.load``'s lean HTTP client)."""

    def __init__(self, request: bytes, on_frame, closed: asyncio.Future):
        self.request, self.on_frame, self.closed = request, on_frame, closed
        self.opened: asyncio.Future = closed.get_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        if self.opened.done() and self.opened.exception():
            return  # refused: closing
        buffer += data
        if not self.opened.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = buffer[: buffer.find(b"\r\n")].split(b" ", 2)
            if len(status) < 2 or status[1] != b"101":
                self.opened.set_exception(ConnectionError(f"handshake answered {bytes(status[-1])!r}"))
                self.transport.close()
                buffer.clear()
                return
            del buffer[: end + 4]
            self.opened.set_result(None)
        position, size = 0, len(buffer)
        while size - position >= 2:
            length, head = buffer[position + 1] & 0x7F, 2
            if length == 126:
                if size - position < 4:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 4], "big"), 4
            elif length == 127:
                if size - position < 10:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 10], "big"), 10
            end = position + head + length
            if end > size:
                break
            opcode, payload = buffer[position] & 0x0F, bytes(buffer[position + head : end])
            position = end
            if opcode in (0x1, 0x2):
                self.on_frame(payload)
            elif opcode == 0x9:  # ping: the same payload back
                self.send(0xA, payload)
            elif opcode == 0x8:  # close: echoed, then the server closes the connection
                self.send(0x8, payload[:2])
        del buffer[:position]

    def send(self, opcode: int, payload: bytes) -> None:
        """A client's frame (masked, as the protocol requires; control frames only: < 126 bytes)."""
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[number % 4] for number, byte in enumerate(payload))
        self.transport.write(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)

    def connection_lost(self, error) -> None:
        if not self.opened.done():
            self.opened.set_exception(error or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)


async def open_socket(url: str, on_frame, closed: asyncio.Future) -> ViewerSocket:
    """Connect to ``url`` (ws://) with a browser's same-origin ``Origin``: the open socket, whose
    frames go to ``on_frame`` and which resolves ``closed`` when it ends."""
    parts = urlsplit(url)
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin_of(url)}\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _transport, socket = await loop.create_connection(
        lambda: ViewerSocket(request, on_frame, closed), parts.hostname, parts.port or 80
    )
    try:
        await socket.opened
    except BaseException:
        socket.transport.abort()
        raise
    return socket


class Times:
    """ISO 8601 times to epoch seconds, parsed once per distinct text (every viewer gets the same)."""

    def __init__(self) -> None:
        self._cache: dict[bytes, float] = {}

    def epoch(self, text: bytes) -> float:
        value = self._cache.get(text)
        if value is None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            value = self._cache[text] = datetime.fromisoformat(
                text.decode().replace("Z", "+00:00")
            ).timestamp()
        return value


class Viewers:
    def __init__(self, urls: list[str], count: int):
        self.urls, self.count = urls, count
        self.last_seq = [-1] * count
        self.is_open = [False] * count
        self.open = 0
        self.failed: Counter = Counter()
        self.closed = 0
        self.times = Times()
        self.mark_seq = None  # record only frames above this seq; None: record nothing
        self.latencies: list[float] = []
        self.receipts: Counter = Counter()  # seq -> connections that received it
        self.frames = 0
        self.first_arrival = self.last_arrival = 0.0
        self.out_of_order = 0
        self.target: int | None = None
        self.reached = 0
        self.reached_event = asyncio.Event()
        self.ready = asyncio.Event()
        self._connected = 0
        self.tasks: list[asyncio.Task] = []

    def on_frame(self, index: int, frame: bytes | str) -> None:
        arrival = time.time()
        if isinstance(frame, str):
            frame = frame.encode()
        match = SEQ.search(frame)
        if match is None:
            return  # a clock frame or a pong
        seq = int(match.group(1))
        previous = self.last_seq[index]
        if seq < previous:
            self.out_of_order += 1
            return
        self.last_seq[index] = seq
        if self.target is not None and previous < self.target <= seq:
            self.reached += 1
            if self.reached >= self.open:
                self.reached_event.set()
        if self.mark_seq is None or seq <= self.mark_seq:
            return
        self.frames += 1
        self.receipts[seq] += 1
        if not self.first_arrival:
            self.first_arrival = arrival
        self.last_arrival = arrival
        when = SERVER_TIME.search(frame)
        if when is not None:
            self.latencies.append(arrival - self.times.epoch(when.group(1)))

    async def viewer(self, index: int, url: str, gate: asyncio.Semaphore) -> None:
        closed = asyncio.get_running_loop().create_future()
        try:
            async with gate:
                socket = await asyncio.wait_for(
                    open_socket(url, lambda frame: self.on_frame(index, frame), closed), 60
                )
        except Exception as error:
            self.failed[type(error).__name__] += 1
            self._tick()
            return
        self.open += 1
        self.is_open[index] = True
        self._tick()
        try:
            await closed
        finally:
            socket.transport.abort()  # stopped (cancelled) while open: no close handshake needed
            self.open -= 1
            self.is_open[index] = False
            self.closed += 1

    def _tick(self) -> None:
        self._connected += 1
        if self._connected >= self.count:
            self.ready.set()

    async def start(self) -> None:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        self.tasks = [
            asyncio.create_task(self.viewer(i, self.urls[i % len(self.urls)], gate))
            for i in range(self.count)
        ]
        await self.ready.wait()

    def mark(self, seq: int) -> None:
        self.mark_seq = seq
        self.latencies, self.receipts, self.frames = [], Counter(), 0
        self.first_arrival = self.last_arrival = 0.0
        self.out_of_order = 0

    async def wait(self, seq: int) -> dict:
        self.target = seq
        self.reached = sum(
            1 for is_open, last in zip(self.is_open, self.last_seq, strict=True) if is_open and last >= seq
        )
        self.reached_event = asyncio.Event()
        if self.reached >= self.open:
            self.reached_event.set()
        try:
            await asyncio.wait_for(self.reached_event.wait(), WAIT_TIMEOUT)
        except TimeoutError:
            pass
        missing = sum(
            1 for is_open, last in zip(self.is_open, self.last_seq, strict=True) if is_open and last < seq
        )
        self.target = None
        return {"event": "reached", "seq": seq, "missing": missing, "open": self.open}

    def report(self, with_latencies: bool) -> dict:
        answer = {
            "event": "report",
            "open": self.open,
            "closed": self.closed,
            "failed": dict(self.failed),
            "frames": self.frames,
            "receipts": {str(seq): count for seq, count in self.receipts.items()},
            "first_arrival": self.first_arrival,
            "last_arrival": self.last_arrival,
            "out_of_order": self.out_of_order,
        }
        if with_latencies:
            answer["latencies"] = [round(value, 5) for value in self.latencies]
        return answer

    def final(self) -> dict:
        """Each viewer's highest seq (-1: none, or never connected), for the many-lots scenarios' count
        of lost messages (``bench.peak.lost_messages``)."""
        return {"event": "final", "last_seq": list(self.last_seq), "failed": dict(self.failed)}

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main(config: dict) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    viewers = Viewers(config["urls"], config["count"])
    await viewers.start()
    say({"event": "ready", "open": viewers.open, "failed": dict(viewers.failed)})
    while line := (await reader.readline()).decode().split():
        command, args = line[0], line[1:]
        if command == "mark":
            viewers.mark(int(args[0]))
            say({"event": "marked"})
        elif command == "wait":
            say(await viewers.wait(int(args[0])))
        elif command == "report":
            say(viewers.report(with_latencies=bool(args)))
        elif command == "final":
            say(viewers.final())
        elif command == "quit":
            break
    await viewers.stop()
    say({"event": "bye"})


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main(json.loads(sys.argv[1])))
    except ImportError:
        asyncio.run(main(json.loads(sys.argv[1])))
