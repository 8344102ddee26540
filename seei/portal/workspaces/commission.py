"""A commission member's workspace: examinations to open or continue, award documents to check.

Minutes approved by each member do not exist yet (the commission's part of the issue adds them); their
item belongs here once they do.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from seei.applications.models import CommissionMember
from seei.awards.models import Award, AwardStep
from seei.portal.workspaces import links
from seei.portal.workspaces.items import Todo, ordered
from seei.tenders.models import Tender

TEMPLATE = "portal/workspaces/commission.html"
LIMIT = 50


def seats(membership):
    """The published notices whose commission the person sits on, latest deadline first."""
    return list(
        CommissionMember.objects.filter(membership=membership, tender__status=Tender.Status.PUBLISHED)
        .select_related("tender__examination")
        .order_by("-tender__application_deadline", "-pk")[:LIMIT]
    )


def steps_to_decide(membership, now):
    """Candidates' steps the commission must decide on: documents sent, or a deadline passed without them."""
    return list(
        AwardStep.objects.filter(
            award__status=Award.Status.PROVISIONAL, award__lot__tender__commission__membership=membership
        )
        .filter(
            Q(status=AwardStep.Status.SUBMITTED)
            | Q(status=AwardStep.Status.REQUESTED, documents_deadline__lte=now)
        )
        .select_related("award__lot__tender")
        .order_by("documents_deadline", "pk")[:LIMIT]
    )


def _examination(tender):
    try:
        return tender.examination
    except Tender.examination.RelatedObjectDoesNotExist:
        return None


def todos(memberships, steps, now) -> list[Todo]:
    items = []
    for seat in memberships:
        tender = seat.tender
        examination = _examination(tender)
        subject = f"{tender.reference} — {tender.title}"
        if examination is None and tender.application_deadline <= now:
            label = _("Open the examination of the applications")
        elif examination is not None and examination.closed_at is None:
            label = _("Continue the examination: decisions are pending")
        else:
            continue
        items.append(
            Todo(
                label=label,
                url=links.examination(tender.pk),
                subject=subject,
                due=tender.application_deadline,
                practice=tender.practice,
            )
        )
    for step in steps:
        lot = step.award.lot
        late = step.status == AwardStep.Status.REQUESTED
        items.append(
            Todo(
                label=_("No documents by the deadline: record the candidate's failure")
                if late
                else _("Check the award documents and decide"),
                url=links.award(step.award_id),
                subject=f"{lot.tender.reference} / {lot.number} — {lot.title}",
                due=step.documents_deadline,
                practice=lot.tender.practice,
            )
        )
    return ordered(items)


def context(membership, now) -> dict:
    memberships = seats(membership)
    return {
        "now": now,
        "todos": todos(memberships, steps_to_decide(membership, now), now),
        "seats": memberships,
    }
