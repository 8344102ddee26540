"""The task worker against faults, with real processes: rooms open and close on their second, a killed
worker's close still happens once, and a database outage does not stop the worker.

Each test prints what it measured (the lateness of an opening or a close, the outage's length):
``pytest -s tests/faults/test_worker.py`` shows it.
"""

import os
from datetime import timedelta

import pytest
from django.conf import settings

from seei.core import worker
from tests.auctions.conftest import bid
from tests.faults.conftest import Sql, test_database
from tests.room.servers import WebServer, Worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ON_TIME = timedelta(seconds=1)
ROOM_SQL = "SELECT status, opens_at, opened_at, closes_at, closed_at FROM auctions_room WHERE lot_id = %s"


def room(sql: Sql, lot_id: int) -> dict:
    status, opens_at, opened_at, closes_at, closed_at = sql.rows(ROOM_SQL, [lot_id])[0]
    return dict(
        status=status, opens_at=opens_at, opened_at=opened_at, closes_at=closes_at, closed_at=closed_at
    )


def close_entries(sql: Sql, lot_id: int) -> int:
    return sql.value(
        "SELECT count(*) FROM auctions_ledgerentry e JOIN auctions_room r ON r.id = e.room_id "
        "WHERE r.lot_id = %s AND e.type = 'close'",
        [lot_id],
    )


def wait_for_status(sql: Sql, lot_id: int, status: str, timeout: float) -> dict:
    return wait_until(
        lambda: (found := room(sql, lot_id))["status"] == status and found, timeout, f"the room {status}"
    )


def open_now(auction) -> None:
    """The room opened by the test itself (a test about the close need not wait for the opening)."""
    from seei.auctions import services

    test_database().put_clock_before(auction.room.opens_at, -1)  # the waiting jobs follow the clock
    assert services.open_room(auction.lot.pk).status == "opened"


def test_a_bid_at_the_opening_second_is_accepted_before_the_room_is_marked_open(auction):
    """The rules decide by the bid's time, not by the room's status, which the worker flips."""
    sql = test_database()
    sql.put_clock_before(auction.room.opens_at, 0.5)
    assert bid(auction, auction.bidders[0], "590000").reason == "not_open"
    sql.put_clock_before(auction.room.opens_at, 0)

    result = bid(auction, auction.bidders[0], "590000")

    assert result.accepted, result
    assert auction.room.status == "scheduled"  # the worker has not opened it: the bid did not wait for it


@pytest.fixture(params=["worker process", "embedded default"])
def running_worker(request, auction, tmp_path, settings):
    """``seei worker`` on its own, or the worker inside the one web process of the embedded default."""
    settings.REDIS_URL = ""
    if request.param == "worker process":
        with Worker(tmp_path) as process:
            process.ready()
            yield process
    else:
        with WebServer(tmp_path) as process:
            sql = test_database()
            wait_until(lambda: len(sql.workers()) >= len(worker.lanes()), 30, "the in-process worker")
            yield process


def test_a_room_opens_and_closes_on_its_second(running_worker, auction):
    """The worker opens the room and closes it within a second of their times, while the lot's other
    jobs fall due at once (its reminders, as the clock jumps days)."""
    sql, lot_id = test_database(), auction.lot.pk
    due = room(sql, lot_id)
    sql.put_clock_before(due["opens_at"], 2)

    opened = wait_for_status(sql, lot_id, "open", timeout=10)
    sql.put_clock_before(due["closes_at"], 2)
    closed = wait_for_status(sql, lot_id, "closed", timeout=10)

    opened_late = opened["opened_at"] - due["opens_at"]
    closed_late = closed["closed_at"] - due["closes_at"]
    print(
        f"\n[{running_worker.name}] opened {opened_late.total_seconds():.3f} s late, "
        f"closed {closed_late.total_seconds():.3f} s late"
    )
    assert timedelta(0) <= opened_late <= ON_TIME
    assert timedelta(0) <= closed_late <= ON_TIME
    assert close_entries(sql, lot_id) == 1
    assert running_worker.alive() and "Traceback" not in running_worker.output()


def test_the_clock_and_the_other_jobs_in_processes_of_their_own(auction, tmp_path):
    """``seei worker --lane clock`` closes on the second and queues the follow-ups, which only a worker
    running the other jobs (``--lane jobs``) does: the award starts once it runs. The jobs' worker
    yields the cores to the others (a lower CPU priority); the clock's keeps its own."""
    from seei.awards.models import Award

    sql, lot_id = test_database(), auction.lot.pk
    open_now(auction)
    bid(auction, auction.bidders[0], "590000")
    with Worker(tmp_path, name="clock", lanes=("clock",)) as clock:
        clock.ready()
        due = room(sql, lot_id)["closes_at"]
        sql.put_clock_before(due, 1)
        closed = wait_for_status(sql, lot_id, "closed", timeout=10)
        assert timedelta(0) <= closed["closed_at"] - due <= ON_TIME
        follow_ups = "SELECT status FROM procrastinate_jobs WHERE task_name = 'seei.auctions.after_close'"
        assert sql.rows(follow_ups) == [("todo",)]  # not the clock's
        with Worker(tmp_path, name="jobs", lanes=("jobs",)) as jobs:
            jobs.ready()
            own = os.getpriority(os.PRIO_PROCESS, 0)
            assert os.getpriority(os.PRIO_PROCESS, clock.pid) == own
            assert os.getpriority(os.PRIO_PROCESS, jobs.pid) == min(own + settings.SEEI_WORKER_JOBS_NICE, 19)
            wait_until(lambda: sql.rows(follow_ups) == [("succeeded",)], 30, "the follow-ups")
    assert Award.objects.filter(lot=auction.lot).exists()


def test_a_worker_killed_before_the_close_the_next_one_closes_once_on_time(auction, tmp_path):
    sql, lot_id = test_database(), auction.lot.pk
    open_now(auction)
    closes_at = auction.room.closes_at
    with Worker(tmp_path, name="worker-1") as first:
        first.ready()
        sql.put_clock_before(closes_at, 2)
        wait_until(lambda: sql.now() >= closes_at - timedelta(seconds=1), 5, "a second before the close")
        first.kill()
    assert room(sql, lot_id)["status"] == "open"

    with Worker(tmp_path, name="worker-2") as second:
        boot = second.ready()
        back_at = sql.now()
        closed = wait_for_status(sql, lot_id, "closed", timeout=10)

    late = closed["closed_at"] - closes_at
    print(
        f"\nworker killed 1 s before the close, the next one up in {boot:.1f} s: "
        f"closed {late.total_seconds():.3f} s late, {(closed['closed_at'] - back_at).total_seconds():.3f} s "
        "after it was up"
    )
    assert closed["closed_at"] >= closes_at
    assert closed["closed_at"] <= max(closes_at, back_at) + ON_TIME
    assert close_entries(sql, lot_id) == 1


def test_the_close_a_killed_worker_was_running_is_retried(auction, tmp_path):
    """The worker dies while its close job is ``doing`` (held up on the room's lock): the next worker
    finds the job of a worker without heartbeat and runs it again, long before the minute's sweep."""
    import psycopg

    sql, lot_id = test_database(), auction.lot.pk
    open_now(auction)
    closes_at = auction.room.closes_at
    with psycopg.connect(sql.url) as holder:
        holder.execute("SELECT id FROM auctions_room WHERE lot_id = %s FOR UPDATE", [lot_id])
        with Worker(tmp_path, name="worker-1") as first:
            first.ready()
            sql.put_clock_before(closes_at, 1)
            job_id = wait_until(
                lambda: sql.value(
                    "SELECT id FROM procrastinate_jobs WHERE task_name = 'seei.auctions.close_room' "
                    "AND (args->>'lot_id')::bigint = %s AND status = 'doing'",
                    [lot_id],
                ),
                10,
                "the close job running",
            )
            first.kill()
            killed_at = sql.now()
        holder.rollback()  # the lock is free: only the dead worker's job is left, in ``doing``
    assert room(sql, lot_id)["status"] == "open"

    with Worker(tmp_path, name="worker-2") as second:
        second.ready()
        closed = wait_for_status(
            sql, lot_id, "closed", timeout=worker.STALLED_AFTER + 3 * worker.RETRY_EVERY + 5
        )
        job = "SELECT status, attempts FROM procrastinate_jobs WHERE id = %s"
        status, attempts = wait_until(
            lambda: (row := sql.rows(job, [job_id])[0])[0] not in ("todo", "doing") and row,
            10,
            "the retried job done",  # retried means back to todo first, then run again
        )
        output = second.output()

    late = closed["closed_at"] - closes_at
    print(
        f"\nworker killed in its close job: closed {late.total_seconds():.1f} s late "
        f"({(closed['closed_at'] - killed_at).total_seconds():.1f} s after the kill; a worker is dead after "
        f"{worker.STALLED_AFTER:.0f} s without heartbeat)"
    )
    assert status == "succeeded" and attempts >= 1
    assert f"job {job_id} (seei.auctions.close_room) of a dead worker retried" in output
    assert close_entries(sql, lot_id) == 1
    assert late <= timedelta(seconds=worker.STALLED_AFTER + 2 * worker.RETRY_EVERY + 3)


def test_the_close_s_follow_ups_outlive_a_dead_worker(auction):
    """The worker died after the close committed, before its follow-ups: they are a job committed with
    the close, that any worker runs (the awards' sweep five minutes later is not needed)."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    from seei.auctions import services, tasks
    from seei.awards.models import Award

    open_now(auction)
    bid(auction, auction.bidders[0], "590000")
    test_database().put_clock_before(auction.room.closes_at, 0)
    assert services.close_room(auction.lot.pk).status == "closed"  # and the worker dies
    assert not Award.objects.filter(lot=auction.lot).exists()

    job = ProcrastinateJob.objects.get(task_name="seei.auctions.after_close")
    assert (job.queue_name, job.args, job.status) == (
        tasks.AFTER_CLOSE_QUEUE,
        {"lot_id": auction.lot.pk},
        "todo",
    )
    assert tasks.after_close(lot_id=auction.lot.pk) is True

    award = Award.objects.get(lot=auction.lot)
    assert award.steps.get().bidder.pseudonym == auction.pseudonym(auction.bidders[0])


def test_the_worker_survives_a_database_outage(auction, tmp_path, private_postgres):
    import time

    open_now(auction)
    lot_id = auction.lot.pk
    sql = Sql(private_postgres.copy_of_test_database())
    closes_at = room(sql, lot_id)["closes_at"]
    with Worker(tmp_path, database_url=sql.url) as process:
        process.ready()
        before = sql.workers()

        private_postgres.stop()
        stopped = time.monotonic()
        time.sleep(10)  # the outage: nothing is due during it
        private_postgres.start()
        outage = time.monotonic() - stopped

        wait_until(lambda: len(sql.workers() - before) >= len(worker.lanes()), 15, "the worker back")
        back = time.monotonic() - stopped - outage
        sql.put_clock_before(closes_at, 2)
        closed = wait_for_status(sql, lot_id, "closed", timeout=10)
        alive, output = process.alive(), process.output()

    late = closed["closed_at"] - closes_at
    print(
        f"\ndatabase stopped {outage:.1f} s: the worker was back {back:.1f} s after it, "
        f"and closed the room {late.total_seconds():.3f} s late"
    )
    assert alive, output
    assert "starting it again" in output
    assert timedelta(0) <= late <= ON_TIME
    assert close_entries(sql, lot_id) == 1
