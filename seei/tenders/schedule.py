"""The legal schedule of a notice: publicity, deadline and room opening."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from seei.tenders.errors import TenderError


def earliest_deadline(published_at: datetime) -> datetime:
    return published_at + timedelta(days=settings.SEEI_PUBLICITY_MIN_DAYS)


def earliest_room_opening(deadline: datetime) -> datetime:
    return deadline + timedelta(days=settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE)


def _when(moment: datetime) -> str:
    return date_format(localtime(moment), "DATETIME_FORMAT")


def check(published_at: datetime, deadline: datetime, room_openings: list[datetime]) -> None:
    errors = []
    if deadline < earliest_deadline(published_at):
        errors.append(
            _(
                "The application deadline must leave at least %(days)s days of publicity: %(when)s at the earliest."
            )
            % {"days": settings.SEEI_PUBLICITY_MIN_DAYS, "when": _when(earliest_deadline(published_at))}
        )
    earliest_room = earliest_room_opening(deadline)
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
