"""The task worker: procrastinate's, kept running, with the auction clock on a lane of its own.

One implementation for both ways SEEI runs it: ``seei worker`` (its own process, production) and the
room process of the embedded default (``seei.room.app``). Three things procrastinate leaves to us:

- **It stops for good on a database error** (its listener or heartbeat fails, "stopping worker").
  ``run`` waits until the database answers again and starts it anew, as often as needed. A
  supervisor (systemd ``Restart=always``) restarts a process that dies anyway.
- **The clock jobs must not wait.** A worker runs one job at a time by default, and a scheduled job
  is seen when the worker next polls (a notification comes when a job is inserted, not when it
  becomes due): behind an award's documents or a practice step, an opening or a close came tens of
  seconds late. The clock lane runs only the auction queue (open, close, sweep), several jobs at
  once, polling every ``CLOCK_POLLING`` seconds; the other lane runs every queue.
- **A dead worker's jobs stay ``doing``.** Each worker beats every ``HEARTBEAT`` seconds; every
  ``RETRY_EVERY`` seconds each process puts back in the queue the jobs of workers silent for
  ``STALLED_AFTER`` seconds, so a close or an award never waits for a sweep. Every job re-checks
  its work under a lock and is idempotent, so the rare job retried twice (two workers retrying
  the same stalled job at once) does no harm.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import warnings
from dataclasses import dataclass

from django.db import connections

log = logging.getLogger(__name__)

CLOCK_POLLING = 0.25  # seconds: how late at most a due opening or close is picked up
JOBS_POLLING = 1.0
HEARTBEAT = 2.0
STALLED_AFTER = 10.0  # seconds without a heartbeat: the worker is dead, its jobs are retried
RETRY_EVERY = 2.0
MAX_ATTEMPTS = 5  # a job whose worker died this many times is the likely cause: it is failed, not retried
RESTART_DELAY = 1.0
POOL_SIZE = (2, 8)  # the workers' own connections: listeners, fetches, heartbeats (jobs use Django's)
POOL_TIMEOUT = 5.0  # seconds a query waits for a connection: a worker stopping in an outage gives up soon


@dataclass(frozen=True)
class Lane:
    name: str
    queues: tuple[str, ...] | None  # None: every queue
    concurrency: int
    polling: float


LANES = ("clock", "jobs")


def lanes(names: tuple[str, ...] = LANES) -> tuple[Lane, ...]:
    """The lanes ``names`` (all by default). A process may run one lane only (``seei worker --lane``):
    a separate process for the clock keeps the closes off the GIL of the other jobs, which are
    heavier (an award's start, alerts): under load they held a close for tens of seconds."""
    from seei.auctions.tasks import QUEUE

    every = (
        Lane("clock", (QUEUE,), concurrency=4, polling=CLOCK_POLLING),
        Lane("jobs", None, concurrency=2, polling=JOBS_POLLING),
    )
    return tuple(lane for lane in every if lane.name in names)


def yield_the_cores(names: tuple[str, ...], niceness: int) -> None:
    """A process running the jobs lane without the clock's lowers its CPU priority by ``niceness``:
    where it shares cores with the rooms (one machine), the documents, alerts and awards that follow
    a close wait for the bids of the lots still open. Measured at the bench's peak, where 200 closes
    fall within the other lots' last minute: such a worker took 0.2 cores over that minute and up to
    0.7 in the seconds of the closes, from the bids (their p99 there 17 % lower since)."""
    if niceness > 0 and "clock" not in names:
        os.nice(niceness)


def close_connections_after_job(call_next, context, worker):
    """A sync job runs in a pool thread: leave no idle database connection behind."""
    try:
        return call_next()
    finally:
        connections.close_all()


def _worker_app():
    """An App sharing the tasks with a pool of its own (LISTEN/NOTIFY): the Django app keeps its
    connector, so jobs deferred by a page or by a job join that request's or job's transaction."""
    from procrastinate import psycopg_connector
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.utils import connector_params

    connector = psycopg_connector.PsycopgConnector(
        kwargs=connector_params("default"), min_size=POOL_SIZE[0], max_size=POOL_SIZE[1], timeout=POOL_TIMEOUT
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return app.with_connector(connector)


async def _wait_for_database() -> None:
    """Return once PostgreSQL accepts a connection (quicker than a pool's back-off after an outage)."""
    import psycopg
    from procrastinate.contrib.django.utils import connector_params

    params = {**connector_params("default"), "connect_timeout": 3}
    while True:
        try:
            connection = await psycopg.AsyncConnection.connect(**params)
        except psycopg.OperationalError:
            await asyncio.sleep(RESTART_DELAY)
        else:
            await connection.close()
            return


async def retry_stalled(job_manager) -> int:
    """Put back in the queue the jobs that dead workers left in ``doing``; returns how many."""
    from procrastinate import exceptions, jobs

    retried = 0
    for job in await job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER):
        try:
            if job.attempts + 1 >= MAX_ATTEMPTS:
                log.error(
                    "job %s (%s) was on a worker that died, %s times: failed",
                    job.id,
                    job.task_name,
                    job.attempts + 1,
                )
                await job_manager.finish_job(job, status=jobs.Status.FAILED, delete_job=False)
                continue
            try:
                await job_manager.retry_job(job)
            except exceptions.UniqueViolation:
                # The same work already waits in the queue (a queueing lock): that job will do it.
                await job_manager.finish_job(job, status=jobs.Status.FAILED, delete_job=False)
                continue
        except exceptions.ConnectorException:
            continue  # another worker took care of it first
        retried += 1
        log.warning("job %s (%s) of a dead worker retried", job.id, job.task_name)
    await job_manager.prune_stalled_workers(STALLED_AFTER)
    return retried


async def _keep_retrying_stalled(job_manager) -> None:
    while True:
        await asyncio.sleep(RETRY_EVERY)
        try:
            await retry_stalled(job_manager)
        except Exception as error:  # the database is away: the workers notice and start again
            log.warning("could not look for stalled jobs: %s", error)


async def _session(name: str, names: tuple[str, ...]) -> None:
    """The lanes and the stalled-job retrier on one pool, until any lane stops (or cancellation)."""
    app = _worker_app()
    async with app.open_async():
        tasks = [
            asyncio.create_task(
                app.run_worker_async(
                    name=f"{name}-{lane.name}",
                    queues=list(lane.queues) if lane.queues else None,
                    concurrency=lane.concurrency,
                    fetch_job_polling_interval=lane.polling,
                    update_heartbeat_interval=HEARTBEAT,
                    stalled_worker_timeout=STALLED_AFTER,
                    install_signal_handlers=False,  # ``run``'s caller stops it by cancelling it
                    task_middleware=[close_connections_after_job],
                ),
                name=lane.name,
            )
            for lane in lanes(names)
        ]
        retrier = asyncio.create_task(_keep_retrying_stalled(app.job_manager), name="stalled")
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a lane's error, if any, is the session's
            raise RuntimeError(f"worker lane {', '.join(task.get_name() for task in done)} stopped")
        finally:
            for task in [*tasks, retrier]:
                task.cancel()  # a lane finishes its running jobs first
            await asyncio.gather(*tasks, retrier, return_exceptions=True)


async def run(name: str = "seei", names: tuple[str, ...] = LANES) -> None:
    """Run the task worker until cancelled; whenever it stops (a database outage), start it again
    once the database answers."""
    from asgiref.sync import sync_to_async

    while True:
        try:
            await _wait_for_database()
            # The periodic deferrer defers through Django's connection of asgiref's thread, which
            # nothing else closes: after an outage it would fail for good, and the worker with it.
            await sync_to_async(connections.close_all)()
            await _session(name, names)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("task worker stopped (%s); starting it again", error)
        await asyncio.sleep(RESTART_DELAY)


def run_until_signalled(name: str, names: tuple[str, ...] = LANES) -> None:
    """``run`` in this process until SIGTERM or SIGINT, which end it after the running jobs."""
    import signal

    async def main() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        from seei.auctions import watchdog  # the watchdog of the open auctions (only room processes beat)

        watcher = await watchdog.start(watchdog.WORKER)
        with contextlib.suppress(asyncio.CancelledError):
            await run(name, names)
        await watcher.stop()

    asyncio.run(main())
