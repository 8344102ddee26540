"""Fixtures of the operations tests: the task tables in a known state, a worker's heartbeat, and the
room app on a database that is not there."""

import pytest
from django.db import connection

from tests.auctions.conftest import admin_member  # noqa: F401  (re-used fixtures)
from tests.conftest import clear_tasks
from tests.room.conftest import lot, open_room, room  # noqa: F401  (the room tests' lot, for the bids)
from tests.room.servers import free_port as closed_port  # a port of 127.0.0.1 that nothing listens on


@pytest.fixture
def no_tasks(transactional_db):
    """No job and no worker, not even those of the test's other fixtures (a prepared room's): what the
    readiness reads is only what the test writes. (Another test's never reach this one.)"""
    clear_tasks()


def beat(seconds_ago: float = 0) -> None:
    """A worker's heartbeat, as procrastinate writes it, ``seconds_ago``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - make_interval(secs => %s))",
            [seconds_ago],
        )


def due_job(seconds_ago: float) -> None:
    """A job waiting in the queue, due ``seconds_ago``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, status, scheduled_at) "
            "VALUES ('ops-test', 'ops.test', 'todo', now() - make_interval(secs => %s))",
            [seconds_ago],
        )


@pytest.fixture
def database_down(monkeypatch):
    """The room's pool (created by the next app's lifespan) points at a port where no PostgreSQL
    listens; the readiness gives up on it quickly."""
    from seei.auctions.bidding import connections
    from seei.ops import health

    address = f"postgresql://postgres@127.0.0.1:{closed_port()}/seei"
    monkeypatch.setattr(connections, "conninfo", lambda: address)
    monkeypatch.setattr(health, "DATABASE_TIMEOUT", 0.5)
