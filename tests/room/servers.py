"""Real processes for the end-to-end tests of the room: uvicorn serving ``seei.asgi`` (pages,
API and the room), the task worker, and a small fail-over TCP proxy standing in for a load
balancer. Each process gets the test database through DATABASE_URL (the transactional test
data is committed, so it sees it) and the test clock through SEEI_TEST_CLOCK."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database (pytest-django renamed the default database to it)."""
    from django.db import connection

    values = connection.settings_dict
    credentials = values["USER"] + (f":{values['PASSWORD']}" if values["PASSWORD"] else "")
    return f"postgresql://{credentials}@{values['HOST'] or '127.0.0.1'}:{values['PORT'] or 5432}/{values['NAME']}"


def environment(redis_url: str = "") -> dict[str, str]:
    from django.conf import settings

    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="seei.settings",
        DATABASE_URL=database_url(),
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


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path):
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as a crashed machine would."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")


class WebServer(Process):
    """``python -m seei.room.server`` on a free port of 127.0.0.1."""

    def __init__(self, log_dir: Path, redis_url: str = "", name: str = "web"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "seei.room.server", "--port", str(self.port), "--log-level", "warning"]
        super().__init__(name, args, environment(redis_url), log_dir / f"{name}.log")
        self.wait_ready()

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/room/time", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{self.output()}")


class Worker(Process):
    """``seei procrastinate worker``: the task worker as its own process."""

    def __init__(self, log_dir: Path, redis_url: str):
        args = [sys.executable, "-m", "seei.cli", "procrastinate", "worker"]
        super().__init__("worker", args, environment(redis_url), log_dir / "worker.log")


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


def usable_password(membership) -> None:
    """The tests hash passwords with MD5 for speed; the servers know only the default hashers, so
    give these people a PBKDF2 hash (few iterations: it is a test) of the same password."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from tests.conftest import PASSWORD

    user = membership.user
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt(), iterations=1000)
    user.save(update_fields=["password"])
