"""The load generator's pieces: a closed-loop runner and a lean keep-alive HTTP/1.1 client.

The runner is shared by SEEI's bid path and by its baselines, so both are driven the same way:
``concurrency`` workers, each doing one operation after the other (the next only once the
previous answered), for a bounded time and a bounded count. The HTTP client is a few lines of
asyncio on purpose: the load generator shares the machine's two cores with the servers, and a
full client (httpx) would spend more CPU per request than the server under test.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.stats import percentile

Operation = Callable[[], Awaitable[bool]]  # True: accepted/succeeded; False: refused


@dataclass
class LoadResult:
    ok: int = 0
    refused: int = 0
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, of the answered operations timed

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def p(self, fraction: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.latencies, fraction) * 1000

    def summary(self) -> str:
        errors = f", errors {dict(self.errors)}" if self.errors else ""
        return (
            f"{self.ok} ok, {self.refused} refused in {self.elapsed:.1f} s = {self.rate:,.0f}/s, "
            f"p50 {self.p(0.5):.1f} ms, p99 {self.p(0.99):.1f} ms{errors}"
        )


async def closed_loop(
    operations: list[Operation],
    *,
    duration: float,
    max_each: int,
    max_errors: int = 50,
    time_first: bool = True,
) -> LoadResult:
    """Run each operation in its own worker, back to back, until ``duration`` seconds have passed
    or each worker did ``max_each`` operations; then wait for the operations in flight. Without
    ``time_first``, each worker's first operation is counted but its latency is not: every worker
    sends its first one in the same instant, which thousands of people never do."""
    result = LoadResult()
    deadline = time.perf_counter() + duration
    stop = asyncio.Event()

    async def worker(operation: Operation) -> None:
        for number in range(max_each):
            if stop.is_set() or time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            try:
                accepted = await operation()
            except Exception as error:  # counted, and too many stop the run
                result.errors[type(error).__name__ + ": " + str(error)[:120]] += 1
                if sum(result.errors.values()) >= max_errors:
                    stop.set()
                continue
            if number or time_first:
                result.latencies.append(time.perf_counter() - started)
            if accepted:
                result.ok += 1
            else:
                result.refused += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(operation) for operation in operations))
    result.elapsed = time.perf_counter() - started
    return result


class HttpError(Exception):
    pass


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1 (content-length or chunked answers)."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple:
        """(status, headers dict with lower-case names, body). A kept-alive connection that the server
        closed meanwhile (idle timeout) is opened again and the request sent once more: only requests
        that are safe to repeat go through here (SEEI's bids carry an idempotency key)."""
        if self.writer is not None and self._loop is not asyncio.get_running_loop():
            self.writer.transport.abort()  # opened on an earlier event loop (another scenario)
            self.writer = None
        reused = self.writer is not None
        if self.writer is None:
            await self.open()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):
            try:
                self.writer.write(message)
                return await self._response()
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                await self.close()
                stale = isinstance(error, ConnectionError) or not error.partial
                if attempt == 1 and reused and stale:
                    await self.open()
                    continue
                raise HttpError(f"connection lost: {error}") from error
        raise AssertionError("unreachable")

    async def _response(self) -> tuple:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(chunk[:-2] for chunk in chunks)
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body
