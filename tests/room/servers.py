"""Real processes for the end-to-end and fault tests: uvicorn serving ``seei.asgi`` (pages, API and
the room), the task worker, a private Redis, and a small fail-over TCP proxy standing in for a load
balancer. Each SEEI process gets the test database (or another) through DATABASE_URL and the test
clock through SEEI_TEST_CLOCK; each is a ``seei.core.children.Child``: use it in a ``with``, so it is
stopped whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

from seei.core import database
from seei.core.children import Child


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, every: float = 0.05):
    """Poll ``condition`` until it returns something true; that value. Fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def environment(redis_url: str = "") -> dict[str, str]:
    from django.conf import settings

    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="seei.settings",
        DATABASE_URL=database.url(),  # the test database (the transactional test data is committed)
        REDIS_URL=redis_url,
        SEEI_TEST_CLOCK="1",
        SECRET_KEY=settings.SECRET_KEY,  # the sessions the tests create must be valid there
        SEEI_SIGNING_KEY=settings.SEEI_SIGNING_KEY,
        SEEI_DOCUMENT_KEY=settings.SEEI_DOCUMENT_KEY,
        SEEI_VAR_DIR=str(settings.VAR_DIR),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if not redis_url:
        env.pop("SEEI_REQUIRE_SERVICES", None)  # this process is the one-process default on purpose
    return env


class WebServer(Child):
    """``python -m seei.room.server`` on a free port of 127.0.0.1, on the test database or
    ``database_url``, answering when constructed."""

    def __init__(self, log_dir: Path, redis_url: str = "", name: str = "web", *, database_url: str = ""):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = environment(redis_url) | ({"DATABASE_URL": database_url} if database_url else {})
        args = [sys.executable, "-m", "seei.room.server", "--port", str(self.port), "--log-level", "warning"]
        super().__init__(name, args, env, log_dir / f"{name}.log")
        self.wait_http(f"{self.url}/room/time", timeout=40)


def task_workers(database_url: str) -> set[int]:
    """The task workers registered in that database (procrastinate's: one per lane of each process)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True, connect_timeout=3) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM procrastinate_workers")}


class Worker(Child):
    """``seei worker``: the task worker as its own process, on the test database or ``database_url``."""

    def __init__(
        self,
        log_dir: Path,
        redis_url: str = "",
        *,
        database_url: str = "",
        name: str = "worker",
        lanes: tuple[str, ...] = (),
    ):
        from seei.core import worker

        env = environment(redis_url) | ({"DATABASE_URL": database_url} if database_url else {})
        self.database_url = env["DATABASE_URL"]
        self._known = task_workers(self.database_url)
        self.lanes = len(worker.lanes(lanes or worker.LANES))
        args = [sys.executable, "-m", "seei.cli", "worker", *(f"--lane={lane}" for lane in lanes)]
        super().__init__(name, args, env, log_dir / f"{name}.log")

    def ready(self, timeout: float = 30) -> float:
        """Wait until every lane of this worker is registered; the seconds it took."""
        started = time.monotonic()
        try:
            wait_until(
                lambda: len(task_workers(self.database_url) - self._known) >= self.lanes or not self.alive(),
                timeout,
                f"{self.name} ready",
            )
        except AssertionError:
            raise AssertionError(f"{self.name} not ready:\n{self.output(4000)}") from None
        assert self.alive(), f"{self.name} exited:\n{self.output(4000)}"
        return time.monotonic() - started


class PrivateRedis:
    """``redis-server`` of the test on a free port, no persistence; ``stop()``, ``kill()``, ``start()``
    again on the same port (a restart). Without the program, the test is skipped, or fails where
    SEEI_TESTS_NEED_REDIS is set (``make test`` installs it)."""

    def __init__(self, log_dir: Path):
        from tests.conftest import missing_redis

        self.binary = shutil.which("redis-server") or missing_redis("no redis-server on this machine")
        self.log_dir = log_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Child | None = None
        self._starts = 0
        self.start()

    def start(self) -> None:
        from bench.services import start_redis

        self._starts += 1
        self.process = start_redis(self.binary, self.port, self.log_dir / f"redis-{self._starts}.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.stop()


class FailoverProxy:
    """A TCP proxy in front of several web processes, as a load balancer: each connection goes
    to the first backend that accepts it, so when one dies its clients land on the next."""

    def __init__(self, backend_ports: list[int]):
        self.backend_ports = backend_ports
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, client_reader, client_writer) -> None:
        for port in self.backend_ports:
            try:
                backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                continue
        else:
            client_writer.close()
            return

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

        await asyncio.gather(pipe(client_reader, backend_writer), pipe(backend_reader, client_writer))

    def close(self) -> None:
        async def shutdown():
            self._server.close()
            pipes = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pipes:
                task.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> FailoverProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def usable_password(membership) -> None:
    """The tests hash passwords with MD5 for speed; the servers know only the default hashers, so
    give these people a PBKDF2 hash (few iterations: it is a test) of the same password."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from tests.conftest import PASSWORD

    user = membership.user
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt(), iterations=1000)
    user.save(update_fields=["password"])
