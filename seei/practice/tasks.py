"""The practice jobs: the rivals of each practice room, and the public practice auction kept running.

The rivals of a room act in short jobs, each deferred to the next rival's time, one pending per room
(queueing lock) and never two running at once for a room (lock), so any number of workers may run
them; each rival is also locked while it acts. The minute's job starts the public auction when none
is scheduled or open, and wakes the rivals of any open practice room whose job went missing.
"""

import logging
from datetime import datetime

from procrastinate import exceptions
from procrastinate.contrib.django import app

from seei.auctions.tasks import _real_time, _with_fresh_connections

QUEUE = "practice"
log = logging.getLogger(__name__)


def schedule_step(lot_id: int, at: datetime) -> None:
    try:
        step.configure(
            schedule_at=_real_time(at), queueing_lock=f"practice.step.{lot_id}", lock=f"practice.{lot_id}"
        ).defer(lot_id=lot_id)
    except exceptions.AlreadyEnqueued:
        pass  # the pending job looks at every rival due when it runs


@app.task(name="seei.practice.step", queue=QUEUE)
def step(lot_id: int) -> str:
    from seei.practice import services

    def run():
        next_at = services.rivals_step(lot_id)
        if next_at is None:
            return "closed"
        schedule_step(lot_id, next_at)
        return "next"

    return _with_fresh_connections(run)


def schedule_procedure(action: str, pk: int, at: datetime) -> None:
    """A simulated companies' move in a buyer's practice procedure (``procedure.MOVES``), at ``at``."""
    from seei.auctions.tasks import _defer

    _defer(procedure_move, f"practice.procedure.{action}.{pk}", at, action=action, pk=pk)


@app.task(name="seei.practice.procedure", queue=QUEUE)
def procedure_move(action: str, pk: int):
    from seei.practice import procedure

    return _with_fresh_connections(lambda: procedure.MOVES[action](pk))


@app.periodic(cron="* * * * *", periodic_id="practice")
@app.task(name="seei.practice.keep_public", queue=QUEUE, queueing_lock="practice.keep_public")
def keep_public(timestamp: int) -> int:
    from seei.auctions.models import Room
    from seei.auctions.services import db_now
    from seei.practice import services

    def run():
        services.ensure_public()
        open_rooms = Room.objects.filter(lot__tender__practice=True, status=Room.Status.OPEN)
        now = db_now()
        for lot_id in open_rooms.values_list("lot_id", flat=True):
            schedule_step(lot_id, now)
        return open_rooms.count()

    return _with_fresh_connections(run)


def practice_closed(lot_id: int) -> None:
    """After a practice room's close is committed: the next public auction starts at once."""
    from seei.practice import services
    from seei.practice.models import PracticeLot

    if not PracticeLot.objects.filter(lot_id=lot_id).exists():
        from seei.practice import procedure

        procedure.closed(lot_id)  # a buyer's practice procedure: on to its practice award
        return
    if PracticeLot.objects.filter(lot_id=lot_id, public=True).exists():
        try:
            services.ensure_public()
        except Exception:
            log.exception("could not start the next public practice auction")  # the minute's job will
