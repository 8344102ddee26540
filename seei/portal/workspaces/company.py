"""A company's workspace: its rooms, documents due, applications, answers, opportunities, payments."""

from django.db.models import Q
from django.utils.translation import gettext as _

from seei.alerts.matching import notices_for_company
from seei.applications.models import Application, Invitation
from seei.awards.models import Award, AwardStep, Payment
from seei.portal.cards import notice_cards
from seei.portal.selectors import company_questions, for_cards
from seei.portal.workspaces import links
from seei.portal.workspaces.items import Todo, award_step, lot_subject, ordered
from seei.tenders.models import Lot
from seei.tenders.selectors import public_tenders

TEMPLATE = "portal/workspaces/company.html"
LIMIT = 10
LIVE_ROOMS = (Lot.Status.SCHEDULED, Lot.Status.RUNNING)


def rooms(company):
    """The rooms the company is invited to that are still to come or running, soonest first."""
    return list(
        Invitation.objects.filter(company=company, lot__status__in=LIVE_ROOMS)
        .select_related("lot__tender")
        .order_by("opens_at", "pk")[:LIMIT]
    )


def documents_due(company):
    """The awards that wait for the company's documents (it is the current candidate)."""
    return list(
        AwardStep.objects.filter(
            company=company, status=AwardStep.Status.REQUESTED, award__status=Award.Status.PROVISIONAL
        )
        .select_related("award__lot__tender")
        .order_by("documents_deadline", "pk")[:LIMIT]
    )


def applications(company):
    return list(
        Application.objects.filter(company=company)
        .select_related("tender")
        .order_by("-updated_at", "-pk")[:LIMIT]
    )


def opportunities(company, now, has_profiles: bool):
    """Open real notices matching its watch profiles, else the categories it applied in, closing soonest
    first; never a practice notice (``public_tenders`` holds only real ones)."""
    open_notices = public_tenders().filter(application_deadline__gt=now)
    if has_profiles:
        notices = notices_for_company(company, open_notices)
    else:
        applied = Application.objects.filter(company=company, tender__practice=False).values(
            "tender__category"
        )
        notices = open_notices.filter(Q(category__in=applied) | Q(category__parent__in=applied))
    notices = notices.exclude(applications__company=company)  # already applied: listed above
    return for_cards(notices.order_by("application_deadline", "pk"))[:LIMIT]


def payments(company):
    """Payments recorded on its final real awards, latest first."""
    return list(
        Payment.objects.filter(
            award__company=company, award__status=Award.Status.FINAL, award__lot__tender__practice=False
        )
        .select_related("award__lot__tender")
        .order_by("-paid_on", "-pk")[:LIMIT]
    )


def todos(invitations, steps) -> list[Todo]:
    items = []
    for invitation in invitations:
        lot = invitation.lot
        running = lot.status == Lot.Status.RUNNING
        items.append(
            Todo(
                label=_("Bid in the running auction") if running else _("Auction room opens"),
                url=links.room(lot.pk),
                subject=lot_subject(lot),
                due=None if running else invitation.opens_at,
                practice=lot.tender.practice,
            )
        )
    items.extend(award_step(step, _("Send the award documents")) for step in steps)
    return ordered(items)


def context(membership, now) -> dict:
    company = membership.organisation
    invitations = rooms(company)
    steps = documents_due(company)
    has_profiles = company.watch_profiles.exists()
    return {
        "now": now,
        "todos": todos(invitations, steps),
        "rooms": invitations,
        "practise_url": links.practise(),
        "applications": applications(company),
        "questions": list(company_questions(company)[:LIMIT]),
        "notices": notice_cards(opportunities(company, now, has_profiles), now),
        "has_subscriptions": has_profiles,
        "payments": payments(company),
    }
