"""The legal schedule of a notice: publicity, deadline and room opening.

Every legal duration counted in days counts ``day(tender)``: a real day, or a few seconds in a
practice procedure (``SEEI_PRACTICE_DAY_SECONDS``), so a buyer rehearses the whole procedure on a
compressed clock through the same rules.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from seei.core import clock
from seei.tenders.errors import TenderError

DAY = timedelta(days=1)
HORIZON_YEARS = 2  # no deadline or room is set further ahead: a later date is a typo (or 9999)


def within_horizon(moment: datetime) -> None:
    """A model validator of the procedure's dates: they never lie more than HORIZON_YEARS ahead."""
    if moment > clock.now() + HORIZON_YEARS * timedelta(days=366):
        raise ValidationError(
            _("This date is more than %(years)s years ahead; check the year.") % {"years": HORIZON_YEARS},
            code="too_far",
        )


def day(tender) -> timedelta:
    """One legal day of this notice's procedure."""
    if getattr(tender, "practice", False):
        return timedelta(seconds=settings.SEEI_PRACTICE_DAY_SECONDS)
    return DAY


def days(count, tender) -> timedelta:
    return count * day(tender)


def earliest_deadline(published_at: datetime, one_day: timedelta = DAY) -> datetime:
    return published_at + settings.SEEI_PUBLICITY_MIN_DAYS * one_day


def earliest_room_opening(deadline: datetime, one_day: timedelta = DAY) -> datetime:
    return deadline + settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE * one_day


def _when(moment: datetime) -> str:
    return date_format(localtime(moment), "DATETIME_FORMAT")


def check(
    published_at: datetime, deadline: datetime, room_openings: list[datetime], one_day: timedelta = DAY
) -> None:
    errors = []
    if deadline < earliest_deadline(published_at, one_day):
        errors.append(
            _(
                "The application deadline must leave at least %(days)s days of publicity: %(when)s at the earliest."
            )
            % {
                "days": settings.SEEI_PUBLICITY_MIN_DAYS,
                "when": _when(earliest_deadline(published_at, one_day)),
            }
        )
    earliest_room = earliest_room_opening(deadline, one_day)
    for number, opening in enumerate(room_openings, 1):
        if opening < earliest_room:
            errors.append(
                _(
                    "Lot %(number)s: the room must open at least %(days)s days after the application deadline: "
                    "%(when)s at the earliest."
                )
                % {
                    "number": number,
                    "days": settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE,
                    "when": _when(earliest_room),
                }
            )
    if errors:
        raise TenderError(errors)
