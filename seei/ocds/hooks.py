"""The one call a service makes when a step of a notice's life happens (publication, erratum,
cancellation, an unsuccessful lot, the award, the visa, a payment).

The release is stored after the step's transaction commits, and a failure is only logged: open data
never blocks or undoes a step (the worker's hourly sweep stores it later). Imports nothing heavy, so
any service can import it.
"""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def step_happened(tender_id: int) -> None:
    transaction.on_commit(lambda: publish_now(tender_id))


def publish_now(tender_id: int) -> None:
    from seei.ocds.publish import sync

    try:
        sync(tender_id)
    except Exception:
        log.exception("could not publish the OCDS releases of notice %s", tender_id)
