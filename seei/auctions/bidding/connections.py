"""Connections of the bid path: PostgreSQL's clock, the pool of each event loop, and the timeouts.

The room and the API reach the database through psycopg directly (no ORM) on Django's own database
(``conninfo``). Every session carries timeouts so that no process can stall the others, and a
failure that is not the request's fault becomes ``Unavailable``: one retryable answer (a 503) for
the room and the API alike.

``_pools`` is the one registry of pools (one per event loop); ``conninfo`` is looked up here at call
time, so a test that points the room elsewhere patches it on this module.
"""

from __future__ import annotations

import asyncio
import weakref
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.utils.translation import gettext as _
from psycopg_pool import AsyncConnectionPool

from seei.core import database

# --- the clock of record ------------------------------------------------------------------------


def now_sql() -> str:
    """PostgreSQL's clock, plus the test offset when SEEI_TEST_CLOCK is on (as seei.core.clock.now())."""
    if settings.SEEI_TEST_CLOCK:
        return (
            "clock_timestamp() + make_interval(secs => "
            "COALESCE((SELECT seconds FROM core_clockoffset WHERE id = 1), 0))"
        )
    return "clock_timestamp()"


# --- connections ----------------------------------------------------------------------------------

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncConnectionPool] = (
    weakref.WeakKeyDictionary()
)


def conninfo() -> str:
    """The connection string of Django's default database (the test database during tests)."""
    return database.url()


# No process may stall the others through the database: a lot's lock holder that stops responding
# (a frozen process) loses its session after IDLE_IN_TRANSACTION_TIMEOUT, a bid waits for a lot's lock
# at most LOCK_TIMEOUT (then it is answered "busy", retryable), and no statement of the room runs
# longer than STATEMENT_TIMEOUT. During an outage a request waits for a connection at most
# settings.SEEI_DB_POOL_TIMEOUT, so a bidder is answered within seconds.
LOCK_TIMEOUT_MS = 2000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 3000
STATEMENT_TIMEOUT_MS = 5000
CONNECT_TIMEOUT = 3  # seconds


class Unavailable(Exception):
    """The database did not answer in time (an outage, or a lot locked by a holder gone silent): the
    bid was not decided; the same request may be sent again (it is never counted twice). The room
    and the API answer it alike: a 503 with ``message()``, ``reason`` and ``retry_after``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "busy" (the lot's lock), "unavailable" or "recovering" (an outage)

    @property
    def retry_after(self) -> int:
        """Seconds before sending it again: a lot's lock frees at once, an outage takes longer."""
        return 1 if self.reason == "busy" else 3

    def message(self) -> str:
        """What to tell the person, in the active language."""
        if self.reason == "busy":
            return _("The lot is busy; your bid was not recorded. Please send it again.")
        return _(
            "The auction service is briefly unavailable; your request was not handled. "
            "Please try again in a few seconds."
        )


def unavailable(error: BaseException) -> Unavailable | None:
    """The answer to give for a database failure that is not the request's fault, if it is one."""
    if isinstance(error, Unavailable):
        return error
    if isinstance(error, psycopg.errors.LockNotAvailable | psycopg.errors.QueryCanceled):
        return Unavailable("busy")
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return Unavailable("unavailable")  # PoolTimeout is an OperationalError
    return None


def _session_options() -> str:
    """The connection's ``options``: the database's own, then the room's timeouts."""
    own = psycopg.conninfo.conninfo_to_dict(conninfo()).get("options") or ""
    timeouts = (
        f"-c lock_timeout={LOCK_TIMEOUT_MS} -c statement_timeout={STATEMENT_TIMEOUT_MS}"
        f" -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
    return f"{own} {timeouts}".strip()


def _connection_kwargs() -> dict[str, Any]:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    # Server-side prepared statements pay off on the hot path unless a pooler forbids them.
    return {
        "autocommit": True,
        "prepare_threshold": options.get("prepare_threshold", 5),
        "connect_timeout": CONNECT_TIMEOUT,
        "options": _session_options(),
    }


def pool() -> AsyncConnectionPool:
    """The pool of the running event loop, created closed on first use: the ROOM app opens it
    (``await pool().open()``) and closes it in its lifespan."""
    loop = asyncio.get_running_loop()
    existing = _pools.get(loop)
    if existing is None:
        existing = _pools[loop] = AsyncConnectionPool(
            conninfo(),
            kwargs=_connection_kwargs(),
            min_size=2,
            max_size=settings.SEEI_DB_POOL_SIZE,
            timeout=settings.SEEI_DB_POOL_TIMEOUT,
            open=False,
            name="seei-room",
        )
    return existing


def _open_pool_of_this_loop() -> AsyncConnectionPool | None:
    try:
        existing = _pools.get(asyncio.get_running_loop())
    except RuntimeError:
        return None
    return existing if existing is not None and not existing.closed else None


@asynccontextmanager
async def connection():
    """A connection from the pool opened on this loop, or a short-lived one (a sync caller such as
    a Django view run through async_to_sync gets a fresh loop per call)."""
    opened = _open_pool_of_this_loop()
    if opened is not None:
        async with opened.connection() as conn:
            yield conn
        return
    conn = await psycopg.AsyncConnection.connect(conninfo(), **_connection_kwargs())
    try:
        yield conn
    finally:
        await conn.close()
