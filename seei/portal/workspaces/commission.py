"""A commission member's workspace: interests to declare, examinations to open or continue, minutes to
approve, award documents to check. A candidate silent past its documents deadline is no item: the
worker lapses it (``awards.services.lapse_overdue_candidates``)."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from seei.applications.models import CommissionMember, InterestDeclaration, MinutesApproval
from seei.awards.models import Award, AwardStep
from seei.portal.workspaces import links
from seei.portal.workspaces.items import Todo, award_step, ordered
from seei.tenders.models import Tender

TEMPLATE = "portal/workspaces/commission.html"
LIMIT = 50


def seats(membership):
    """The published notices whose commission the person sits on, latest deadline first."""
    return list(
        CommissionMember.objects.filter(membership=membership, tender__status=Tender.Status.PUBLISHED)
        .select_related("tender__examination", "declaration")
        .annotate(approved=Exists(MinutesApproval.objects.filter(member=OuterRef("pk"))))
        .order_by("-tender__application_deadline", "-pk")[:LIMIT]
    )


def steps_to_decide(membership, now):
    """Candidates' steps the commission must decide on: documents sent."""
    return list(
        AwardStep.objects.filter(
            award__status=Award.Status.PROVISIONAL,
            award__lot__tender__commission__membership=membership,
            status=AwardStep.Status.SUBMITTED,
        )
        .select_related("award__lot__tender")
        .order_by("documents_deadline", "pk")[:LIMIT]
    )


def _examination(tender):
    try:
        return tender.examination
    except Tender.examination.RelatedObjectDoesNotExist:
        return None


def _declaration(seat):
    try:
        return seat.declaration
    except InterestDeclaration.DoesNotExist:
        return None


def _seat_label(seat, now):
    """What this member has to do on this notice's examination, if anything."""
    tender, declaration = seat.tender, _declaration(seat)
    examination = _examination(tender)
    if examination is None:
        if tender.application_deadline > now:
            return None
        if declaration is None:
            return _("Declare any conflict of interest before the opening")
        return _("Open the examination of the applications") if seat.is_president else None
    if declaration is None or declaration.conflict:
        return None  # took no part (a conflict, or absent at the opening)
    if examination.closed_at is None:
        return _("Continue the examination: decisions are pending")
    return None if seat.approved else _("Approve the admission minutes")


def todos(memberships, steps, now) -> list[Todo]:
    items = []
    for seat in memberships:
        tender = seat.tender
        subject = f"{tender.reference} — {tender.title}"
        label = _seat_label(seat, now)
        if label is None:
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
    items.extend(award_step(step, _("Check the award documents and decide")) for step in steps)
    return ordered(items)


def context(membership, now) -> dict:
    memberships = seats(membership)
    return {
        "now": now,
        "todos": todos(memberships, steps_to_decide(membership, now), now),
        "seats": memberships,
    }
