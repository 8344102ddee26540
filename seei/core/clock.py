"""The one clock of SEEI.

Every deadline decision calls ``now()``. In production it is the server's UTC time.
When ``SEEI_TEST_CLOCK`` is on, an offset stored in the database is added, so a test
can move time for every process (web, room, worker) without sleeping.
"""

import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

# A waiting job is due at a wall-clock time (the moment of record minus the offset, see
# seei.auctions.tasks): when the offset grows, it falls due that much sooner.
FOLLOW_CLOCK_SQL = """
UPDATE procrastinate_jobs SET scheduled_at = scheduled_at - %s
WHERE status = 'todo' AND scheduled_at IS NOT NULL
"""


def now() -> datetime:
    current = timezone.now()
    if settings.SEEI_TEST_CLOCK:
        current += timedelta(seconds=offset_seconds())
    return current


def today() -> date:
    """Today's date where SEEI runs (settings.TIME_ZONE): a date a user gives or reads is a local one."""
    return timezone.localtime(now()).date()


_moved = 0.0  # seconds this process moved the test clock


def monotonic() -> float:
    """Seconds on a clock that never goes back, for the durations kept in a process's memory (the bid
    path's pace and rate limits): a test that moves the clock in this process moves it too."""
    return time.monotonic() + _moved


def offset_seconds() -> float:
    from seei.core.models import ClockOffset

    row = ClockOffset.objects.filter(pk=1).values_list("seconds", flat=True).first()
    return row or 0.0


def advance(delta: timedelta) -> datetime:
    """Move the test clock forward (tests only); waiting jobs keep their moment on it."""
    if not settings.SEEI_TEST_CLOCK:
        raise RuntimeError("The clock can only be moved when SEEI_TEST_CLOCK is on.")
    from seei.core.models import ClockOffset

    row, _ = ClockOffset.objects.get_or_create(pk=1)
    row.seconds += delta.total_seconds()
    row.save(update_fields=["seconds"])
    global _moved
    _moved += max(0.0, delta.total_seconds())
    with connection.cursor() as cursor:
        cursor.execute(FOLLOW_CLOCK_SQL, [delta])
    return now()


def reset() -> None:
    from seei.core.models import ClockOffset

    ClockOffset.objects.filter(pk=1).delete()
