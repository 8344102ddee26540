"""Reminders before a room opens: the day before and the hour before, to each invited company.

``due`` and ``upcoming`` are the decision, pure: which reminder a room needs at a moment. ``send_due``
applies it to a lot: the ``Reminder`` row of each company is inserted under its unique constraint,
and only the insert that wins sends the messages, in the same transaction. So a reminder leaves
once, whatever runs it: its scheduled job, a retry, a second worker or the sweep.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from seei.alerts.models import Reminder
from seei.alerts.services import LocalTime, company_users, notify
from seei.core import clock

DAY, HOUR = Reminder.Kind.DAY.value, Reminder.Kind.HOUR.value
LEADS = {DAY: timedelta(hours=24), HOUR: timedelta(hours=1)}  # earliest first
KINDS = tuple(LEADS)
WINDOW = LEADS[DAY]  # how long before its opening a room may need a reminder


# The decision ---------------------------------------------------------------------------------------


def moment(kind: str, opens_at: datetime) -> datetime:
    """When the reminder of this kind is due for a room opening at ``opens_at``."""
    return opens_at - LEADS[kind]


def due(opens_at: datetime, now: datetime, opened: bool = False) -> str | None:
    """The reminder a room needs at ``now``: the latest one whose moment has come, sent late if
    need be; an earlier one noticed that late is superseded (one message, not two at once). None
    once the room has opened."""
    if opened or now >= opens_at:
        return None
    passed = [kind for kind in KINDS if now >= moment(kind, opens_at)]
    return passed[-1] if passed else None


def upcoming(opens_at: datetime, now: datetime, opened: bool = False) -> dict[str, datetime]:
    """The reminders whose moment is still to come, with that moment (to schedule them)."""
    if opened:
        return {}
    return {kind: moment(kind, opens_at) for kind in KINDS if moment(kind, opens_at) > now}


# Sending ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What ``send_due`` found for a lot."""

    lot_id: int
    status: str  # sent | already | not_due | opened | practice | no_room | cancelled
    kind: str | None = None  # the reminder due now
    companies: int = 0  # companies reminded by this call
    upcoming: dict[str, datetime] = field(default_factory=dict)  # reminders still to come


def send_due(lot_id: int) -> Outcome:
    """Send the reminder the lot's room needs now to each invited company that has not had it."""
    from seei.auctions.models import Bidder, Room

    room = Room.objects.select_related("lot__tender").filter(lot_id=lot_id).first()
    if room is None:
        return Outcome(lot_id, "no_room")
    if room.lot.tender.practice:
        return Outcome(lot_id, "practice")
    if room.lot.status == "cancelled":  # its notice was cancelled: the room will not open
        return Outcome(lot_id, "cancelled")
    now = clock.now()
    opened = room.status != Room.Status.SCHEDULED
    later = upcoming(room.opens_at, now, opened)
    kind = due(room.opens_at, now, opened)
    if kind is None:
        return Outcome(lot_id, "opened" if opened or now >= room.opens_at else "not_due", upcoming=later)
    # The room's bidders are the companies it invited, frozen with its genesis; in one order, so
    # that two workers inserting the same rows wait for each other instead of deadlocking.
    invited = list(
        Bidder.objects.filter(room=room).order_by("company_id").values_list("company_id", flat=True)
    )
    with transaction.atomic():
        reminded = _record(lot_id, invited, kind, room.opens_at, now)
        if reminded:
            _tell(room, reminded, kind)
    return Outcome(lot_id, "sent" if reminded else "already", kind, len(reminded), later)


def send_missed() -> int:
    """The sweep: every room opening within a day gets the reminder it needs now, in case its job
    was lost or ran before the opening moved earlier. Returns the number of companies reminded."""
    from seei.auctions.models import Room

    now = clock.now()
    rooms = (
        Room.objects.filter(
            status=Room.Status.SCHEDULED,
            opens_at__gt=now,
            opens_at__lte=now + WINDOW,
            lot__tender__practice=False,
        )
        .exclude(lot__status="cancelled")
        .values_list("lot_id", flat=True)
    )
    return sum(send_due(lot_id).companies for lot_id in list(rooms))


def _record(lot_id: int, companies: list[int], kind: str, opens_at: datetime, now: datetime) -> list[int]:
    """Insert-or-skip under the unique constraint; the companies whose row this call inserted.
    A concurrent insert of the same row waits for the other transaction and then skips."""
    if not companies:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Reminder._meta.db_table} (lot_id, company_id, kind, opens_at, sent_at)
            SELECT %s, company_id, %s, %s, %s FROM unnest(%s::bigint[]) AS company_id
            ON CONFLICT (lot_id, company_id, kind) DO NOTHING
            RETURNING company_id
            """,
            [lot_id, kind, opens_at, now, companies],
        )
        return [row[0] for row in cursor.fetchall()]


SUBJECTS = {
    DAY: gettext_lazy("Reminder: the auction of lot {number} of {reference} opens within 24 hours"),
    HOUR: gettext_lazy("Reminder: the auction of lot {number} of {reference} opens within the hour"),
}
BODY = gettext_lazy(
    "Your company is invited to the auction room of lot {number} (“{lot}”) of notice {reference}, "
    "which opens on {opens_at}. Enter it through the link, logged in with your account; bids are "
    "accepted from the opening."
)


def _tell(room, companies: list[int], kind: str) -> None:
    """In-app and by email (``notify``), each person in their language, the link in it too."""
    lot = room.lot
    people: dict[str, list] = {}
    for user in company_users(companies):
        people.setdefault(user.language, []).append(user)
    for language, users in people.items():
        with translation.override(language):
            url = reverse("auctions:enter", args=[lot.pk])
        notify(
            users,
            SUBJECTS[kind],
            BODY,
            url=url,
            number=lot.number,
            lot=lot.title,
            reference=lot.tender.reference,
            opens_at=LocalTime(room.opens_at),
        )
