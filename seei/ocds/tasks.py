"""The task worker's job for open data: store any OCDS release a step's hook missed (a failed hook,
or a step no hook announced). Publishing is idempotent, so any number of workers may run it."""

from procrastinate.contrib.django import app

from seei.auctions.tasks import _with_fresh_connections


@app.periodic(cron="17 * * * *", periodic_id="ocds-sweep")
@app.task(name="seei.ocds.publish_missing", queue="opendata", queueing_lock="ocds.sweep")
def publish_missing(timestamp: int) -> int:
    from seei.ocds.publish import sweep

    return _with_fresh_connections(sweep)
