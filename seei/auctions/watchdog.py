"""The auction protects itself: the room processes' heartbeats, and the watchdog that suspends the open
lots when no bid can be accepted and resumes them when the platform is back.

Every process that takes bids or closes lots runs a ``Watcher``: every INTERVAL seconds it looks at
the heartbeats and acts on them (``settle``). A room process also writes its own heartbeat (a
``Heartbeat`` row); the others (the task worker, the page processes serving the API) only watch: only
room processes' beats are read. No bid can be accepted once no room process has beaten for longer
than the grace (SEEI_AUTO_SUSPEND_GRACE): every room process is gone, or the database was
unreachable (then nothing at all could be written). So:

- while room processes are gone, the watchdog of the processes still up suspends every open lot from
  the last beat ("no room process answering"), and the first room process back resumes them;
- when the database was down, the first process to reach it again finds the gap in the heartbeats
  (the last beat before it, and now) and records it: each open lot suspended from the last moment it
  could take a bid, resumed now (by a room process), its close moved by the gap. A process takes no
  bid (``recovering``) until its own watcher has settled such a gap, and the close job and the sweep
  settle before closing (``seei.auctions.tasks``).

A suspension resumes by itself when the outage lasted at most SEEI_AUTO_RESUME_LIMIT seconds, else an
administrator resumes it from the incident page (``services.resume_all``, within
SEEI_SUSPENSION_MAX_HOURS). Practice auctions are left alone: nothing is at stake. Silence is measured
on PostgreSQL's own clock (a test moving the clock of record must not make every process look
silent); an outage is placed in the ledger on the clock of record. ``decide`` and ``suspension_time``
are the decisions, pure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction

log = logging.getLogger(__name__)

ROOM, WORKER = "room", "worker"  # the kinds of heartbeat rows (only room processes write them now)
PAGES = "pages"  # the watcher of a page process (seei.wsgi): it watches, it never beats
INTERVAL = 1.0  # seconds between two ticks of a watcher (a room process beats at each)
FIRST_BEAT_WAIT = 5.0  # seconds a starting process waits for its watcher's first tick before serving anyway
FORGET_AFTER = "1 day"  # heartbeats of processes silent this long are deleted (after the gap is settled)


# --- the decisions (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Beat:
    """A process's last heartbeat as the watchdog sees it."""

    kind: str  # ROOM | WORKER
    beat_at: datetime  # on the clock of record
    age: float  # seconds since it was written, on PostgreSQL's own clock
    accepting: bool  # a room process taking bids (false once it stopped)


@dataclass(frozen=True)
class Active:
    """The suspension in force."""

    started_at: datetime
    automatic: bool


@dataclass(frozen=True)
class Seen:
    """What the watchdog sees at ``now`` (the clock of record)."""

    now: datetime
    beats: tuple[Beat, ...] = ()
    active: Active | None = None
    accepting_here: bool = False  # the process looking is a room process: it takes bids once it beats


@dataclass(frozen=True)
class Decision:
    suspend_at: datetime | None = None  # suspend the lots open from then (the last moment of the platform)
    resume: bool = False  # end the automatic suspension now (the one in force, or the one just recorded)

    @property
    def acts(self) -> bool:
        return self.suspend_at is not None or self.resume


NOTHING = Decision()


def _fresh(beat: Beat, grace: float) -> bool:
    return beat.kind == ROOM and beat.accepting and beat.age <= grace


def decide(seen: Seen, grace: float, resume_limit: float) -> Decision:
    """Suspend when no room process has taken bids for longer than ``grace`` seconds (from its last
    beat); resume an automatic suspension once a room process takes bids again, if it lasted at most
    ``resume_limit`` seconds. An administrator's suspension is theirs to end."""
    back = seen.accepting_here or any(_fresh(beat, grace) for beat in seen.beats)
    if seen.active is not None:
        lasted = (seen.now - seen.active.started_at).total_seconds()
        return Decision(resume=True) if seen.active.automatic and back and lasted <= resume_limit else NOTHING
    if any(_fresh(beat, grace) for beat in seen.beats):
        return NOTHING
    last = min((beat for beat in seen.beats if beat.kind == ROOM), key=lambda beat: beat.age, default=None)
    if last is None or last.age <= grace:
        return NOTHING  # nothing watched yet (no room process ever beat), or still within the grace
    since = min(last.beat_at, seen.now)
    return Decision(suspend_at=since, resume=back and (seen.now - since).total_seconds() <= resume_limit)


def suspension_time(
    since: datetime, last_entry_at: datetime, opens_at: datetime, closes_at: datetime
) -> datetime | None:
    """When a lot's suspension starts, for an outage from ``since``: not before its last ledger entry
    (the chain's times never go back) nor its opening; None when its close came first (it closes)."""
    at = max(since, last_entry_at, opens_at)
    return at if at < closes_at else None


# --- the heartbeats ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    kind: str
    key: str
    host: str
    pid: int

    @classmethod
    def this(cls, kind: str) -> Process:
        host, pid = socket.gethostname(), os.getpid()
        return cls(kind, f"{kind}:{host}:{pid}:{secrets.token_hex(3)}"[:100], host[:255], pid)


def _read_sql() -> str:
    from seei.auctions.bidding import now_sql

    return f"""
WITH clock AS MATERIALIZED (SELECT {now_sql()} AS now, clock_timestamp() AS real)
SELECT clock.now, h.kind, h.beat_at, EXTRACT(EPOCH FROM clock.real - h.seen_at)::float8, h.accepting,
       s.started_at, s.automatic
FROM clock
LEFT JOIN auctions_heartbeat h ON true
LEFT JOIN LATERAL (
    SELECT started_at, automatic FROM auctions_suspension WHERE ended_at IS NULL ORDER BY started_at DESC LIMIT 1
) s ON true
"""


def _beat_sql() -> str:
    from seei.auctions.bidding import now_sql

    return f"""
INSERT INTO auctions_heartbeat (process, kind, host, pid, started_at, beat_at, seen_at, accepting)
VALUES (%(process)s, %(kind)s, %(host)s, %(pid)s, {now_sql()}, {now_sql()}, clock_timestamp(), %(accepting)s)
ON CONFLICT (process) DO UPDATE
SET beat_at = EXCLUDED.beat_at, seen_at = EXCLUDED.seen_at, accepting = EXCLUDED.accepting
"""


def look(accepting_here: bool = False) -> Seen:
    from seei.auctions.rules import utc

    with connection.cursor() as cursor:
        cursor.execute(_read_sql())
        rows = cursor.fetchall()
    now, *_beat, started_at, automatic = rows[0]
    beats = tuple(
        Beat(kind, utc(beat_at), age, accepting)
        for _now, kind, beat_at, age, accepting, *_ in rows
        if kind is not None
    )
    active = None if started_at is None else Active(utc(started_at), automatic)
    return Seen(utc(now), beats, active, accepting_here)


def beat(process: Process, accepting: bool | None = None) -> None:
    """Write this process's heartbeat; a room process accepts bids unless told otherwise."""
    with connection.cursor() as cursor:
        cursor.execute(
            _beat_sql(),
            {
                "process": process.key,
                "kind": process.kind,
                "host": process.host,
                "pid": process.pid,
                "accepting": process.kind == ROOM if accepting is None else accepting,
            },
        )


def forget_silent() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM auctions_heartbeat WHERE seen_at < clock_timestamp() - interval '{FORGET_AFTER}'"
        )


def limits() -> tuple[float, float]:
    return settings.SEEI_AUTO_SUSPEND_GRACE, settings.SEEI_AUTO_RESUME_LIMIT


# The last beat from which a suspension was decided that found no lot to suspend (no real lot running):
# a watcher's tick does not decide it again, every second, until a newer beat.
_nothing_since: datetime | None = None


def settle(
    process: Process | None = None, *, database_failed: bool | None = None, ticking: bool = False
) -> Decision:
    """Look at the heartbeats and act on them (suspend, record a gap, resume), then beat for ``process``
    (a room process). Safe anywhere and any number of times: the decision is taken again under the
    suspensions' lock before acting, and the beat commits with the action, so a gap is recorded once.
    ``database_failed``: this process's own ticks failed before (the cause then is the database);
    by default what this process's watcher knows. ``ticking`` (a watcher's tick): a suspension that
    found nothing to suspend is not decided again from the same beat; the sweep and the close job,
    which settle without it, catch a lot opened meanwhile."""
    global _nothing_since
    from seei.auctions import services
    from seei.auctions.models import Suspension

    if database_failed is None:
        database_failed = _current is not None and _current.failed
    cause = Suspension.Cause.DATABASE if database_failed else Suspension.Cause.NO_ROOM
    here = process is not None and process.kind == ROOM
    grace, resume_limit = limits()
    decision = decide(look(here), grace, resume_limit)
    if ticking and decision == Decision(suspend_at=_nothing_since):
        decision = NOTHING  # found nothing to suspend from that beat already
    if not decision.acts:
        if process is not None:
            beat(process)
        return decision
    with transaction.atomic():
        services.serialise_suspensions()
        seen = look(here)
        decision = decide(seen, grace, resume_limit)
        if decision.suspend_at is not None:
            suspended = services.suspend_automatically(
                decision.suspend_at, seen.now, cause, resume=decision.resume
            )
            if suspended is None and not decision.resume:
                _nothing_since = decision.suspend_at
        elif decision.resume:
            services.resume_automatically(seen.now)
        if process is not None:
            beat(process)
    return decision


# --- the watcher of a process -----------------------------------------------------------------------

_current: Watcher | None = None
_starting = threading.Lock()


def recovering() -> bool:
    """Bids must wait in this process: its watcher has not settled the platform's state since the
    database came back (or could not reach it for longer than the grace). False without a watcher
    (a script, a test): every process that serves bids runs one (room processes, page processes)."""
    watcher = _current
    return watcher is not None and watcher.recovering()


class Watcher:
    """This process's watchdog: ``settle`` every INTERVAL seconds in a thread of its own (with a
    database connection of its own). A room process's watcher also beats, scheduled from the event
    loop, so that a process whose loop is stuck stops beating (``start``); the others only watch, and a
    process without an event loop of its own runs its watcher in a plain thread (``watch``)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.process = Process.this(kind) if kind == ROOM else None  # only room processes' beats are read
        self.pid = os.getpid()
        self.failed = False  # the last tick failed: the database was away
        self.last_ok: float | None = None  # time.monotonic() of the last tick that worked
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"seei-watchdog-{kind}")
        self._task: asyncio.Task | None = None
        self._ticked = asyncio.Event()
        self._ticks = 0
        self._thread: threading.Thread | None = None  # the plain thread of ``watch``
        self._halt = threading.Event()

    def recovering(self) -> bool:
        if self.failed or self.last_ok is None:
            return True
        return time.monotonic() - self.last_ok > settings.SEEI_AUTO_SUSPEND_GRACE

    def tick(self) -> None:
        self._ticks += 1
        try:
            settle(self.process, database_failed=self.failed, ticking=True)
            if self._ticks % 600 == 1:
                forget_silent()
        except Exception as error:
            if not self.failed:
                log.warning(
                    "watchdog: the database failed (%s); bids wait until it works again",
                    error,
                    exc_info=not isinstance(error, DatabaseError),
                )
            self.failed = True
            with contextlib.suppress(Exception):
                connection.close()  # a new one next time
            return
        if self.failed:
            log.warning("watchdog: the database works again")
        self.failed, self.last_ok = False, time.monotonic()

    # In an event loop (room processes, the task worker).

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await loop.run_in_executor(self._executor, self.tick)
            self._ticked.set()
            await asyncio.sleep(INTERVAL)

    async def start(self) -> Watcher:
        """Start watching; wait (FIRST_BEAT_WAIT at most) for the first tick, which settles any gap left
        while this process was away."""
        global _current
        _current = self
        self._task = asyncio.create_task(self._run(), name="seei-watchdog")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ticked.wait(), FIRST_BEAT_WAIT)
        return self

    def _last_beat(self) -> None:
        try:
            if self.process is not None:
                beat(self.process, accepting=False)  # a room process that stops takes no more bids
        finally:
            connection.close()

    async def stop(self) -> None:
        global _current
        if _current is self:
            _current = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        loop = asyncio.get_running_loop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(loop.run_in_executor(self._executor, self._last_beat), FIRST_BEAT_WAIT)
        self._executor.shutdown(wait=False)

    # In a plain thread (page processes).

    def start_thread(self) -> Watcher:
        """Start watching in a daemon thread (it never beats: nothing to finish when the process exits);
        wait (FIRST_BEAT_WAIT at most) for the first tick."""
        first = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, args=(first,), name=f"seei-watchdog-{self.kind}", daemon=True
        )
        self._thread.start()
        first.wait(FIRST_BEAT_WAIT)
        return self

    def _loop(self, first: threading.Event) -> None:
        try:
            while not self._halt.is_set():
                self.tick()
                first.set()
                self._halt.wait(INTERVAL)
        finally:
            connection.close()

    def halt(self) -> None:
        """End the thread of ``start_thread`` (tests: a page process's ends with the process)."""
        global _current
        if _current is self:
            _current = None
        self._halt.set()
        if self._thread is not None:
            self._thread.join(FIRST_BEAT_WAIT)


async def start(kind: str) -> Watcher:
    """The hook of a process with an event loop: ``watcher = await watchdog.start(watchdog.ROOM)``,
    ``await watcher.stop()``."""
    return await Watcher(kind).start()


def watch() -> Watcher:
    """This process's watcher, started if it has none yet (nor since it was forked) and waited for
    (FIRST_BEAT_WAIT at most): the hook of a page process (``seei.wsgi``, on each request: cheap once
    started), so that an API bid waits for an outage to be recorded there too. It never beats: a page
    process is not a room process."""
    global _current
    watcher = _current
    if watcher is not None and watcher.pid == os.getpid():
        return watcher
    with _starting:
        watcher = _current
        if watcher is None or watcher.pid != os.getpid():
            watcher = _current = Watcher(PAGES).start_thread()  # its first tick done: bids may go
    return watcher
