"""The hooks the procedure calls when something a company watches happens.

Each one only queues a job (``seei.alerts.tasks.record``) in the caller's transaction: the job exists
if and only if the publication commits, becomes visible to the worker at the commit, and costs the
publication one insert. Practice procedures never alert anyone: the job reads real notices only
(``seei.alerts.delivery``), the one place that decides it.
"""

from seei.alerts.models import Alert


def _queue(kind: str, object_id: int) -> None:
    from seei.alerts import tasks

    tasks.record.defer(kind=kind, object_id=object_id)


def notice_published(tender) -> None:
    _queue(Alert.Kind.NOTICE, tender.pk)


def erratum_published(erratum) -> None:
    _queue(Alert.Kind.ERRATUM, erratum.pk)


def answer_published(clarification) -> None:
    _queue(Alert.Kind.ANSWER, clarification.pk)


def notice_cancelled(tender) -> None:
    """To call when a published notice is cancelled: its followers are told."""
    _queue(Alert.Kind.CANCELLATION, tender.pk)
