"""The task worker's jobs for the reminders before a room opens (see ``reminders``).

Preparing a room schedules its two reminders; each job sends whatever is due when it runs and,
when the opening moved later meanwhile, defers itself to the new moment. The sweep every minute
catches a lost job or an opening moved earlier. A queueing lock keeps one pending job per room and
kind; the ``Reminder`` rows keep each reminder to one sending, whoever runs it.
"""

from procrastinate.contrib.django import app

from seei.alerts import reminders
from seei.auctions.tasks import _defer, _with_fresh_connections

QUEUE = "alerts"


def schedule_reminder(lot_id: int, kind: str, at) -> None:
    _defer(send_reminder, f"alerts.reminder.{kind}.{lot_id}", at, lot_id=lot_id, kind=kind)


def schedule_reminders(room) -> None:
    """The day-before and hour-before reminders of a room just prepared (none for practice)."""
    if room.lot.tender.practice:
        return
    for kind in reminders.KINDS:
        schedule_reminder(room.lot_id, kind, reminders.moment(kind, room.opens_at))


@app.task(name="seei.alerts.send_reminder", queue=QUEUE)
def send_reminder(lot_id: int, kind: str) -> str:
    def run():
        outcome = reminders.send_due(lot_id)
        if kind in outcome.upcoming:  # the opening moved later: this reminder waits for its new moment
            schedule_reminder(lot_id, kind, outcome.upcoming[kind])
        return outcome.status

    return _with_fresh_connections(run)


@app.periodic(cron="* * * * *", periodic_id="reminders-sweep")
@app.task(name="seei.alerts.send_missed_reminders", queue=QUEUE, queueing_lock="alerts.reminders-sweep")
def send_missed_reminders(timestamp: int) -> int:
    return _with_fresh_connections(reminders.send_missed)
