"""A buyer agent's workspace: its organisation's notices by stage, and what waits for it.

Nothing here names a company: the buyer learns who applied and bid only once an award is final, and
the workspace shows counts of questions and stages, never applicants.
"""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from seei.applications.models import CommissionMember, Examination
from seei.awards.models import Award, AwardStep
from seei.portal.workspaces import links
from seei.portal.workspaces.items import Todo, lot_subject, ordered
from seei.tenders.models import Lot, Tender

TEMPLATE = "portal/workspaces/buyer.html"
NOTICES = 200  # the most recent ones; the full list is the notices page
PER_STAGE = 10

DRAFT, ACCEPTING, EXAMINATION, AUCTION, AWARD, CLOSED, CANCELLED = (
    "draft",
    "accepting",
    "examination",
    "auction",
    "award",
    "closed",
    "cancelled",
)
STAGES = [
    (DRAFT, gettext_lazy("Drafts")),
    (ACCEPTING, gettext_lazy("Published, accepting applications")),
    (EXAMINATION, gettext_lazy("Applications under examination")),
    (AUCTION, gettext_lazy("Auction")),
    (AWARD, gettext_lazy("Award")),
    (CLOSED, gettext_lazy("Closed")),
    (CANCELLED, gettext_lazy("Cancelled")),
]


def stage(tender: Tender, now) -> str:
    """Where the notice stands, from its status, its deadline and its lots (prefetched)."""
    if tender.status == Tender.Status.DRAFT:
        return DRAFT
    if tender.status == Tender.Status.CANCELLED:
        return CANCELLED
    if now < tender.application_deadline:
        return ACCEPTING
    statuses = {lot.status for lot in tender.lots.all()}
    if statuses & {Lot.Status.SCHEDULED, Lot.Status.RUNNING}:
        return AUCTION
    if Lot.Status.CLOSED in statuses:
        return AWARD
    if statuses & {Lot.Status.OPEN, Lot.Status.EXAMINATION}:
        return EXAMINATION
    return CLOSED


def notices(organisation):
    """Its real notices, newest first, with what the stages and the items need (two queries)."""
    return list(
        Tender.objects.real()
        .filter(buyer=organisation)
        .only("reference", "title", "status", "application_deadline", "published_at", "created_at")
        .annotate(
            open_questions=Count("clarifications", filter=Q(clarifications__answered_at__isnull=True)),
            has_commission=Exists(CommissionMember.objects.filter(tender=OuterRef("pk"))),
            has_examination=Exists(Examination.objects.filter(tender=OuterRef("pk"))),
        )
        .prefetch_related(
            Prefetch(
                "lots",
                queryset=Lot.objects.only("tender_id", "number", "title", "status")
                .annotate(relaunched=Exists(Tender.objects.filter(relaunch_of=OuterRef("pk"))))
                .order_by("number"),
            )
        )
        .order_by("-created_at", "-pk")[:NOTICES]
    )


def awards_to_confirm(organisation):
    """Provisional awards whose candidate has sent its documents: the commission is to confirm them."""
    submitted = AwardStep.objects.filter(award=OuterRef("pk"), status=AwardStep.Status.SUBMITTED)
    return list(
        Award.objects.filter(
            lot__tender__buyer=organisation, lot__tender__practice=False, status=Award.Status.PROVISIONAL
        )
        .filter(Exists(submitted))
        .select_related("lot__tender")
        .order_by("created_at", "pk")[:PER_STAGE]
    )


def todos(tenders, awards, now) -> list[Todo]:
    items = []
    for tender in tenders:
        if tender.status != Tender.Status.PUBLISHED:
            continue
        if tender.open_questions:
            items.append(
                Todo(
                    label=ngettext(
                        "Answer %(count)s question", "Answer %(count)s questions", tender.open_questions
                    )
                    % {"count": tender.open_questions},
                    url=links.answer_questions(tender.pk),
                    subject=f"{tender.reference} — {tender.title}",
                    due=tender.application_deadline,
                )
            )
        waiting = any(lot.status == Lot.Status.OPEN for lot in tender.lots.all())
        if tender.application_deadline <= now and waiting and not tender.has_examination:
            items.append(
                Todo(
                    label=_("The deadline has passed: convene the commission")
                    if tender.has_commission
                    else _("The deadline has passed: appoint the commission"),
                    url=links.appoint_commission(tender.pk),
                    subject=f"{tender.reference} — {tender.title}",
                    due=tender.application_deadline,
                )
            )
        for lot in tender.lots.all():
            if lot.status == Lot.Status.UNSUCCESSFUL and not lot.relaunched:
                items.append(
                    Todo(
                        label=_("Unsuccessful lot: relaunch it"),
                        url=links.relaunch_lot(tender.pk, lot.pk),
                        subject=f"{tender.reference} / {lot.number} — {lot.title}",
                    )
                )
    for award in awards:
        lot = award.lot
        items.append(
            Todo(
                label=_("Documents received: the award is to be confirmed"),
                url=links.award(award.pk),
                subject=lot_subject(lot),
            )
        )
    return ordered(items)


def context(membership, now) -> dict:
    tenders = notices(membership.organisation)
    by_stage = {key: [] for key, _label in STAGES}
    for tender in tenders:
        by_stage[stage(tender, now)].append(tender)
    return {
        "now": now,
        "todos": todos(tenders, awards_to_confirm(membership.organisation), now),
        "stages": [
            {"key": key, "label": label, "count": len(by_stage[key]), "notices": by_stage[key][:PER_STAGE]}
            for key, label in STAGES
        ],
        "capped": len(tenders) == NOTICES,
    }
