"""Store the OCDS release of each step of a notice's life, once, when it happens.

``sync(tender_id)`` stores a release for every step of the notice that has none yet (see
``seei.ocds.steps``): the services call it after their step commits (``seei.ocds.hooks``), the
backfill command and the demo call ``sync_all``, and the worker's hourly ``sweep`` catches a step
whose hook failed or that no hook announced. Stored releases are never rewritten.

Practice is kept out here, and only here: a practice notice never gets a release, so nothing that
reads the stored releases needs to ask.
"""

from django.utils import translation

from seei.core import clock
from seei.ocds import build, steps
from seei.ocds.models import Release
from seei.tenders.models import Tender


def release(notice: build.Notice, step: steps.Step) -> dict:
    tender = notice.tender
    with translation.override(notice.language):  # the language the release declares
        content = step.content()
    return {
        "ocid": build.ocid(tender),
        "id": build.release_id(tender, step.key),
        "date": build.date(step.at),
        "tag": [step.tag],
        "initiationType": "tender",
        "language": notice.language,
        "buyer": build.organisation_reference(tender.buyer),
        **content,
    }


def sync(tender_id: int) -> int:
    """Store the releases of the notice's steps not stored yet; returns how many were stored."""
    tender = (
        Tender.objects.real()
        .exclude(status=Tender.Status.DRAFT)
        .select_related("buyer", "category")
        .filter(pk=tender_id)
        .first()
    )
    if tender is None:
        return 0
    stored = set(Release.objects.filter(tender=tender).values_list("step", flat=True))
    notice = build.Notice(tender)
    now = clock.now()
    rows = []
    for step in steps.due(notice):
        if step.key in stored:
            continue
        data = release(notice, step)
        rows.append(
            Release(
                tender=tender,
                ocid=data["ocid"],
                step=step.key,
                release_id=data["id"],
                date=step.at,
                tag=data["tag"],
                data=data,
                stored_at=now,
            )
        )
    # Two hooks at once may race: the first row of a step wins, the other is dropped.
    return len(Release.objects.bulk_create(rows, ignore_conflicts=True))


def sync_all() -> int:
    """Every real published notice (the backfill and the demo)."""
    ids = Tender.objects.real().exclude(status=Tender.Status.DRAFT).values_list("pk", flat=True)
    return sum(sync(pk) for pk in ids.order_by("pk"))


def sweep() -> int:
    """Only the real notices with a step not stored yet: one query finds them, however many notices
    were ever published."""
    ids = steps.behind(Tender.objects.real()).values_list("pk", flat=True)
    return sum(sync(pk) for pk in ids.order_by("pk"))
