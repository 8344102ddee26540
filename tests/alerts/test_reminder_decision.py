"""Which reminder a room needs at a moment: the pure decision, without the database."""

from datetime import UTC, datetime, timedelta

import pytest

from seei.alerts import reminders

OPENS = datetime(2026, 12, 17, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before_opening", "expected"),
    [
        (timedelta(days=3), None),
        (timedelta(hours=24, seconds=1), None),
        (timedelta(hours=24), "day"),
        (timedelta(hours=10), "day"),  # noticed late: sent late
        (timedelta(hours=1), "hour"),
        (timedelta(minutes=30), "hour"),  # the day reminder noticed this late is superseded
        (timedelta(0), None),  # the opening: too late for any reminder
        (-timedelta(minutes=5), None),
    ],
)
def test_the_reminder_due_at_each_moment(before_opening, expected):
    assert reminders.due(OPENS, OPENS - before_opening) == expected


def test_no_reminder_is_due_once_the_room_opened_and_none_is_to_come():
    assert reminders.due(OPENS, OPENS - timedelta(minutes=30), opened=True) is None
    assert reminders.upcoming(OPENS, OPENS - timedelta(days=2), opened=True) == {}


def test_the_reminders_still_to_come_and_their_moments():
    assert reminders.upcoming(OPENS, OPENS - timedelta(days=2)) == {
        "day": OPENS - timedelta(hours=24),
        "hour": OPENS - timedelta(hours=1),
    }
    assert reminders.upcoming(OPENS, OPENS - timedelta(hours=2)) == {"hour": OPENS - timedelta(hours=1)}
