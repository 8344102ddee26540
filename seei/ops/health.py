"""Readiness: is each dependency of this process there, and is the task worker keeping up?

- **database**: a ``SELECT 1`` through the process's connection (the room's async pool in a room
  process), answered within ``DATABASE_TIMEOUT``;
- **redis**: a ``PING`` when ``REDIS_URL`` is set (and whether this process's fan-out is subscribed);
  on the embedded default the fan-out is in-process and Redis is not used;
- **worker**: procrastinate's workers beat in ``procrastinate_workers``; a worker is alive when its
  last heartbeat is younger than ``seei.core.worker.STALLED_AFTER`` (after which its jobs are
  retried elsewhere). On the embedded default the worker runs inside the web process, and beats too;
- **task_lag**: how late the oldest due ``todo`` job is; past ``TASK_LAG_LIMIT`` the worker is not
  keeping up (an opening or a close waits).

Every figure read from the database is read in one query (``database_figures``), which ``/metrics``
reads too.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

DATABASE_TIMEOUT = 2.0  # seconds: a database that does not answer a SELECT 1 in this time is not there
REDIS_TIMEOUT = 1.0
TASK_LAG_LIMIT = 60.0  # seconds: the oldest due job waits longer, the worker is not keeping up

# The last time each job became ``todo`` (deferred, or deferred again for a retry), when it has no
# ``scheduled_at``; the lag of a scheduled job counts from its ``scheduled_at``.
FIGURES_SQL = """
SELECT
    (SELECT count(*) FROM procrastinate_workers
      WHERE last_heartbeat > now() - make_interval(secs => %(stalled_after)s)),
    (SELECT extract(epoch FROM now() - max(last_heartbeat)) FROM procrastinate_workers),
    (SELECT coalesce(extract(epoch FROM now() - min(coalesce(
        job.scheduled_at,
        (SELECT max(event.at) FROM procrastinate_events event
          WHERE event.job_id = job.id AND event.type IN ('deferred', 'deferred_for_retry', 'retried'))
     ))), 0)
       FROM procrastinate_jobs job
      WHERE job.status = 'todo' AND (job.scheduled_at IS NULL OR job.scheduled_at <= now())),
    (SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'),
    (SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'),
    (SELECT count(*) FROM {rooms} WHERE status = 'open'),
    (SELECT count(*) FROM {rooms} WHERE status = 'suspended'),
    (SELECT count(*) FROM {suspensions}),
    (SELECT count(*) FROM {suspensions} WHERE ended_at IS NULL)
"""


@dataclass(frozen=True)
class Figures:
    """What the database tells of the platform, at the moment it is read."""

    workers_alive: int
    last_heartbeat_age: float | None  # seconds since the latest heartbeat of any worker; None: no worker
    task_lag: float  # seconds the oldest due ``todo`` job has waited (0: none waits)
    jobs_todo: int
    jobs_doing: int
    rooms_open: int
    rooms_suspended: int
    suspensions: int  # incidents recorded since the start
    suspensions_active: int


def _figures_sql() -> str:
    from seei.auctions.models import Room, Suspension

    return FIGURES_SQL.format(rooms=Room._meta.db_table, suspensions=Suspension._meta.db_table)


def _stalled_after() -> float:
    from seei.core.worker import STALLED_AFTER

    return STALLED_AFTER


async def database_figures(conn) -> Figures:
    cursor = await conn.execute(_figures_sql(), {"stalled_after": _stalled_after()})
    workers, age, lag, todo, doing, rooms_open, rooms_suspended, total, active = await cursor.fetchone()
    return Figures(
        workers_alive=workers,
        last_heartbeat_age=None if age is None else float(age),
        task_lag=float(lag),
        jobs_todo=todo,
        jobs_doing=doing,
        rooms_open=rooms_open,
        rooms_suspended=rooms_suspended,
        suspensions=total,
        suspensions_active=active,
    )


async def check_database() -> tuple[dict[str, Any], Figures | None]:
    """(the database's check, the figures read from it, or None when they could not be read)."""
    from seei.auctions import bidding

    started = time.perf_counter()
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            async with bidding.connection() as conn:
                await conn.execute("SELECT 1")
                check = {"ok": True, "seconds": round(time.perf_counter() - started, 4)}
                try:
                    return check, await database_figures(conn)
                except Exception as error:  # reachable, but not migrated (or procrastinate's tables missing)
                    return {**check, "figures": _describe(error)}, None
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {DATABASE_TIMEOUT:g} s"}, None
    except Exception as error:
        return {"ok": False, "error": _describe(error)}, None


async def check_redis() -> dict[str, Any]:
    from seei.room.fanout import hub

    url = settings.REDIS_URL
    if not url:
        return {"ok": True, "used": False, "detail": "not used: the fan-out is in-process"}
    import redis.asyncio as redis

    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    try:
        async with asyncio.timeout(REDIS_TIMEOUT * 2):
            await client.ping()
        check = {"ok": True, "used": True}
    except Exception as error:
        check = {"ok": False, "used": True, "error": _describe(error)}
    finally:
        await client.aclose()
    # Whether this process's fan-out is fed: false in a page process (it has no viewers to feed).
    check["subscribed"] = hub.subscribed.is_set()
    return check


def check_worker(figures: Figures | None) -> dict[str, Any]:
    in_process = not settings.REDIS_URL
    if figures is None:
        return {"ok": False, "in_process": in_process, "error": "unknown: the database did not answer"}
    age = None if figures.last_heartbeat_age is None else round(figures.last_heartbeat_age, 1)
    return {
        "ok": figures.workers_alive > 0,
        "in_process": in_process,
        "alive": figures.workers_alive,
        "last_heartbeat_seconds": age,
        "stale_after_seconds": _stalled_after(),
    }


def check_task_lag(figures: Figures | None) -> dict[str, Any]:
    if figures is None:
        return {"ok": False, "error": "unknown: the database did not answer"}
    return {
        "ok": figures.task_lag <= TASK_LAG_LIMIT,
        "seconds": round(figures.task_lag, 1),
        "limit_seconds": TASK_LAG_LIMIT,
        "todo": figures.jobs_todo,
        "doing": figures.jobs_doing,
    }


async def readiness() -> tuple[bool, dict[str, Any]]:
    """(ready, the report): ready when every check is ok."""
    (database, figures), redis_check = await asyncio.gather(check_database(), check_redis())
    checks = {
        "database": database,
        "redis": redis_check,
        "worker": check_worker(figures),
        "task_lag": check_task_lag(figures),
    }
    ready = all(check["ok"] for check in checks.values())
    return ready, {"ready": ready, "checks": checks}


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
