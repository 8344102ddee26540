"""The task worker's jobs for the awards: start any award the close's hook missed; lapse a candidate
whose documents deadline passed without documents.

The close's follow-up job starts the award (``services.start_award_after_close``); this
sweep, every five minutes, catches a lot whose hook failed or ran nowhere. ``start_award`` is
idempotent and locks the lot, so any number of workers may run it.
"""

from procrastinate.contrib.django import app

from seei.auctions.tasks import _with_fresh_connections

QUEUE = "awards"


@app.periodic(cron="*/5 * * * *", periodic_id="awards-sweep")
@app.task(name="seei.awards.start_missing_awards", queue=QUEUE, queueing_lock="awards.sweep")
def start_missing_awards(timestamp: int) -> int:
    from seei.awards import services

    return _with_fresh_connections(services.start_missing_awards)


@app.periodic(cron="* * * * *", periodic_id="awards-lapse")
@app.task(name="seei.awards.lapse_overdue_candidates", queue=QUEUE, queueing_lock="awards.lapse")
def lapse_overdue_candidates(timestamp: int) -> int:
    """Every minute: each award locks its own row, skipped if held, so several workers may run it."""
    from seei.awards import services

    return _with_fresh_connections(services.lapse_overdue_candidates)
