"""The one clock of SEEI.

Every deadline decision calls ``now()``. In production it is the server's UTC time.
When ``SEEI_TEST_CLOCK`` is on, an offset stored in the database is added, so a test
can move time for every process (web, room, worker) without sleeping.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def now() -> datetime:
    current = timezone.now()
    if settings.SEEI_TEST_CLOCK:
        current += timedelta(seconds=offset_seconds())
    return current


def offset_seconds() -> float:
    from seei.core.models import ClockOffset

    row = ClockOffset.objects.filter(pk=1).values_list("seconds", flat=True).first()
    return row or 0.0


def advance(delta: timedelta) -> datetime:
    """Move the test clock forward (tests only)."""
    if not settings.SEEI_TEST_CLOCK:
        raise RuntimeError("The clock can only be moved when SEEI_TEST_CLOCK is on.")
    from seei.core.models import ClockOffset

    row, _ = ClockOffset.objects.get_or_create(pk=1)
    row.seconds += delta.total_seconds()
    row.save(update_fields=["seconds"])
    return now()


def reset() -> None:
    from seei.core.models import ClockOffset

    ClockOffset.objects.filter(pk=1).delete()
