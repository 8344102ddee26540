"""The task worker's jobs for the alerts: the watch alerts (see ``delivery``) and the reminders before
a room opens (see ``reminders``).

A published notice, erratum or answer queues ``record`` (``seei.alerts.events``), which writes the
alerts and queues ``deliver``; ``deliver`` sends them in batches, is retried on failure, and is run
again by a sweep every minute for whatever a lost job left; the digests go every hour, each
company's day once it is over.

Preparing a room schedules its two reminders; each job sends whatever is due when it runs and,
when the opening moved later meanwhile, defers itself to the new moment. The sweep every minute
catches a lost job or an opening moved earlier. A queueing lock keeps one pending job per room and
kind; the ``Reminder`` rows keep each reminder to one sending, whoever runs it.
"""

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from seei.alerts import delivery, reminders
from seei.auctions.tasks import _defer, _with_fresh_connections
from seei.core import clock

QUEUE = "alerts"
# A mail server down for a while: tried again after 10 s, 20 s, 40 s... then left to the sweep.
RETRY = RetryStrategy(max_attempts=8, exponential_wait=10)


@app.task(name="seei.alerts.record", queue=QUEUE, retry=RETRY)
def record(kind: str, object_id: int) -> int:
    def run():
        concerned = delivery.record(kind, object_id)
        if concerned:
            _defer(deliver, "alerts.deliver", clock.now())
        return concerned

    return _with_fresh_connections(run)


@app.task(name="seei.alerts.deliver", queue=QUEUE, retry=RETRY)
def deliver() -> int:
    return _with_fresh_connections(delivery.deliver)


@app.periodic(cron="* * * * *", periodic_id="alerts-sweep")
@app.task(name="seei.alerts.deliver_missed", queue=QUEUE, queueing_lock="alerts.sweep")
def deliver_missed(timestamp: int) -> int:
    return _with_fresh_connections(delivery.deliver)


@app.periodic(cron="0 * * * *", periodic_id="alerts-digests")
@app.task(name="seei.alerts.send_digests", queue=QUEUE, queueing_lock="alerts.digests", retry=RETRY)
def send_digests(timestamp: int) -> int:
    return _with_fresh_connections(delivery.send_digests)


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
