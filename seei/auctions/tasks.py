"""The task worker's jobs (procrastinate, on PostgreSQL): open each room, close it, sweep.

Run them with ``seei worker`` (``seei.core.worker``: any number of workers; every job re-checks under
the room lock and is idempotent). The worker runs this queue on a lane of its own, polled every
quarter second, so a room opens and closes on its second whatever else the worker is doing. The close
is deferred to the closing time and, when the close moved meanwhile (an extension, a suspension),
deferred again to the new time; the sweep every minute catches whatever a lost job missed. A
queueing lock keeps one pending job per room and kind. The close's follow-ups (the outcome told,
the award started) are a job of their own, queued in the close's transaction, on another queue.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from procrastinate import RetryStrategy, exceptions
from procrastinate.contrib.django import app

QUEUE = "auctions"
AFTER_CLOSE_QUEUE = "auctions.after_close"  # the close's follow-ups (``services.after_close``)


def _real_time(moment: datetime) -> datetime:
    """The wall-clock time of a moment of the clock of record (they differ by the test offset)."""
    if settings.SEEI_TEST_CLOCK:
        from seei.core import clock

        return moment - timedelta(seconds=clock.offset_seconds())
    return moment


def _defer(task, lock: str, at: datetime, **kwargs) -> None:
    try:
        with transaction.atomic():  # a savepoint: a refused duplicate must not break the caller's transaction
            task.configure(schedule_at=_real_time(at), queueing_lock=lock).defer(**kwargs)
    except exceptions.AlreadyEnqueued:
        pass  # a pending job re-checks the time when it runs, and re-defers itself if needed


def schedule_open(lot_id: int, at: datetime) -> None:
    _defer(open_room, f"auctions.open.{lot_id}", at, lot_id=lot_id)


def schedule_close(lot_id: int, at: datetime) -> None:
    _defer(close_room, f"auctions.close.{lot_id}", at, lot_id=lot_id)


def _with_fresh_connections(run):
    """Run a job with a Django connection of its own: the worker runs sync jobs in pool threads,
    where nothing would close it (jobs are few: reconnecting each time costs nothing that matters).
    A caller's transaction (a test calling the task directly) is left alone."""
    if connection.in_atomic_block:
        return run()
    close_old_connections()
    try:
        return run()
    finally:
        connection.close()


@app.task(name="seei.auctions.open_room", queue=QUEUE)
def open_room(lot_id: int) -> str:
    from seei.auctions import services

    def run():
        outcome = services.open_room(lot_id)
        if outcome.status == "not_due":
            schedule_open(lot_id, outcome.when)
        return outcome.status

    return _with_fresh_connections(run)


@app.task(name="seei.auctions.close_room", queue=QUEUE)
def close_room(lot_id: int) -> str:
    from seei.auctions import services, watchdog

    def run():
        ahead = services.close_ahead(lot_id)
        if ahead is not None:
            schedule_close(lot_id, ahead)
            return "not_due"
        watchdog.settle()  # an outage not recorded yet first: it may suspend the lot or move its close
        outcome = services.close_room(lot_id)
        if outcome.status == "not_due":
            schedule_close(lot_id, outcome.when)
        return outcome.status

    return _with_fresh_connections(run)


def schedule_after_close(lot_id: int) -> None:
    """Called in the close's transaction. Its queue is not the clock's: the clock lane's workers stay
    free for the next closes, and the other lane (every queue) tells and starts the award."""
    after_close.defer(lot_id=lot_id)


@app.task(
    name="seei.auctions.after_close",
    queue=AFTER_CLOSE_QUEUE,
    retry=RetryStrategy(max_attempts=5, exponential_wait=5),
)
def after_close(lot_id: int) -> bool:
    from seei.auctions import services

    return _with_fresh_connections(lambda: services.after_close(lot_id))


@app.periodic(cron="* * * * *", periodic_id="sweep")
@app.task(name="seei.auctions.sweep", queue=QUEUE, queueing_lock="auctions.sweep")
def sweep(timestamp: int) -> dict:
    from seei.auctions import services

    return _with_fresh_connections(services.sweep)
