"""What the bench starts on 127.0.0.1: its own database, Redis, SEEI's web processes.

- PostgreSQL: a dedicated database ``seei_bench``, dropped and created anew at each run, on the
  machine's server when ``DATABASE_URL`` is set, else on the embedded one (``var/pgdata``).
- Redis: ``REDIS_URL`` when set; else a private ``redis-server`` on a free port when the binary is
  there (pub/sub channels are global to a Redis server: a private one keeps other SEEI processes
  of this machine, e.g. a test suite, off the bench's ``…:lot:*`` channels); else
  127.0.0.1:6379 when it answers; else none (then one web process, in-process fan-out).
- SEEI: ``python -m seei.room.server`` (uvicorn serving ``seei.asgi:application`` with the room's
  options) on free ports, one process per core.
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from seei.core.children import Child

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATABASE = os.environ.get("SEEI_BENCH_DATABASE", "seei_bench")
LOG_DIR = ROOT / "var" / "bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_open_files(wanted: int) -> int:
    """Raise this process's (and its children's) open-files limit toward ``wanted``; the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name (the state first, then the parent's
    pid…): the name, in parentheses, may hold spaces."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process so far (Linux /proc)."""
    fields = stat_fields(pid)
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    return sum(cpu_times(pid))


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def machine() -> dict:
    memory = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as meminfo:
        memory = int(meminfo.readline().split()[1]) * 1024
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "cpu": model,
        "load_before": os.getloadavg()[0],
        "python": sys.version.split()[0],
    }


# --- PostgreSQL -----------------------------------------------------------------------------------


@dataclass
class Database:
    url: str  # the bench database, as DATABASE_URL for SEEI's processes
    admin_url: str  # a database of the same server, to drop and create the bench one
    kind: str  # "machine" | "embedded"

    @property
    def conninfo(self) -> str:
        """The bench database for psycopg (which reads URLs too)."""
        return self.url

    def recreate(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")

    def server_settings(self) -> dict:
        import psycopg

        with psycopg.connect(self.url) as conn:
            names = ("server_version", "synchronous_commit", "fsync", "shared_buffers", "max_connections")
            return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in names}


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database() -> Database:
    """The bench database's server: the machine's (DATABASE_URL) or the embedded one (started here
    when it is not running, and then stopped by ``Bench.stop``)."""
    if url := os.environ.get("DATABASE_URL"):
        return Database(_with_database(url, BENCH_DATABASE), url, "machine")
    from seei import embedded

    var_dir = Path(os.environ.get("SEEI_VAR_DIR", ROOT / "var")).resolve()
    settings = embedded.database_settings(var_dir / "pgdata")
    host = quote(embedded.socket_directory(Path(settings["HOST"])), safe="")
    base = f"postgresql://{settings['USER']}@{host}"
    return Database(f"{base}/{BENCH_DATABASE}", f"{base}/{settings['NAME']}", "embedded")


# --- Redis ----------------------------------------------------------------------------------------


@dataclass
class Redis:
    url: str  # "" without Redis
    how: str
    process: Child | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:
        return False


def start_redis(binary: str, port: int, log: Path, timeout: float = 10) -> Child:
    """``redis-server`` on 127.0.0.1:``port`` without persistence, answering when returned (else
    stopped, and RuntimeError). The fault tests start theirs with it too."""
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = Child("redis", args, dict(os.environ), log)
    deadline = time.monotonic() + timeout
    while not _redis_answers(f"redis://127.0.0.1:{port}/0"):
        if time.monotonic() > deadline or not process.alive():
            process.stop()
            raise RuntimeError(f"redis-server did not answer on port {port}:\n{process.output(2000)}")
        time.sleep(0.1)
    return process


def redis_server() -> Redis:
    if url := os.environ.get("REDIS_URL"):
        return Redis(url, "REDIS_URL")
    binary = shutil.which("redis-server")
    if binary:
        port = free_port()
        with contextlib.suppress(RuntimeError):
            process = start_redis(binary, port, LOG_DIR / "redis.log", timeout=5)
            return Redis(f"redis://127.0.0.1:{port}/0", "private redis-server", process)
    if _redis_answers("redis://127.0.0.1:6379/0"):
        return Redis("redis://127.0.0.1:6379/0", "127.0.0.1:6379")
    return Redis("", "none")


# --- SEEI's web processes -------------------------------------------------------------------------


def seei_environment(db: Database, redis_url: str, secret_key: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "SEEI_TEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="seei.settings",
        DATABASE_URL=db.url,
        REDIS_URL=redis_url,
        SECRET_KEY=secret_key,  # the sessions the bench writes must be valid in every process
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="0",
        # The bid path itself is measured: the flood guard's limits per user and per lot (policy) out
        # of the way; its refusal of accounts that are not admitted stays (the flood scenario).
        SEEI_BID_LIMIT_PER_USER="100000000",
        SEEI_BID_LIMIT_PER_LOT="100000000",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def migrate(env: dict[str, str]) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (LOG_DIR / "migrate.log").open("wb") as output:
        done = subprocess.run(
            [sys.executable, "-m", "seei.cli", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    if done.returncode:
        raise RuntimeError(
            "migrate failed:\n" + (LOG_DIR / "migrate.log").read_text(errors="replace")[-4000:]
        )


class Process(Child):
    """A child process listening on ``port``, with its output in var/bench/<name>.log."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int = 0):
        self.port = port
        super().__init__(name, args, env, LOG_DIR / f"{name}.log")

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        self.wait_http(f"http://127.0.0.1:{self.port}{path}", timeout, ready=lambda status: status < 500)


def wait_all(processes: list[Process], path: str) -> list[Process]:
    """Wait until each answers on ``path``; if one never does, stop them all."""
    try:
        for process in processes:
            process.wait_ready(path)
    except BaseException:
        for process in processes:
            process.stop()
        raise
    return processes


def start_pages(env: dict[str, str], workers: int = 2, threads: int = 8) -> Process:
    """SEEI's pages and API as production serves them: Django under a threaded WSGI server (the
    room has its own processes). Under ASGI, Django runs sync views one at a time per process."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "seei.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        # Longer than the load generator keeps an idle connection (httpx: 5 s), as behind a proxy:
        # with gunicorn's 2 s, it closed connections the clients were reusing (1 portal error a peak).
        "--keep-alive",
        "10",
        # Each process its own listening socket, the kernel spreading new connections over them (by
        # their addresses: at random). On a shared one the first process awake may take every client:
        # in 2 cold portal runs of 6 the page server used one core of two (one GIL); with this,
        # 1.46-1.55 cores in the 4 cold runs measured. An uneven draw (6 clients of 8 on one process)
        # remains possible.
        "--reuse-port",
        "--log-level",
        "warning",
    ]
    pooled = {**env, "SEEI_DB_PAGES_POOL_SIZE": str(threads)}  # one pooled connection per thread
    return wait_all([Process("seei-pages", args, pooled, port)], "/fr/")[0]


def start_seei(env: dict[str, str], count: int) -> list[Process]:
    """``count`` SEEI web processes (pages, API, room), each on its own free port."""
    servers = []
    for number in range(count):
        port = free_port()
        args = [sys.executable, "-m", "seei.room.server", "--port", str(port), "--log-level", "warning"]
        servers.append(Process(f"seei-web-{number + 1}", args, env, port))
    return wait_all(servers, "/room/time")
