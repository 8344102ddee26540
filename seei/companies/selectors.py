"""Reads for the company's own pages: its receipts and documents, and what the admission said of it.

Every read is of the company's own things (``membership.organisation``), of real procedures only
(practice is never a document); what is not the company's is "not found" (404), so that a guessed id
tells nothing. The admission's decisions stay sealed until the commission closes its session, as on
the applications page (``seei.applications.selectors``).
"""

import re
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _

from seei.alerts.models import Notification
from seei.applications.models import (
    MIN_ADMITTED,
    MIN_APPLICATIONS,
    Application,
    Decision,
    Invitation,
    Minutes,
    Receipt,
)
from seei.applications.selectors import LotState, _lot_state
from seei.auctions import receipts as bid_receipts
from seei.awards.models import Award, AwardDocument, AwardStep
from seei.core import clock
from seei.tenders.models import Lot

# An award's page, as the award's notifications link to it ("/fr/awards/12/").
AWARD_PAGE = re.compile(r"^/[a-z]{2}/awards/\d+/$")


def _applications(company):
    return (
        Application.objects.filter(company=company, tender__practice=False)
        .select_related("tender", "tender__examination")
        .order_by("-tender__application_deadline", "-pk")
    )


def receipts(company):
    """Every receipt of the company's applications (submitted, changed, withdrawn), newest first."""
    return (
        Receipt.objects.filter(application__company=company, application__tender__practice=False)
        .select_related("application__tender")
        .order_by("-issued_at", "-pk")
    )


@dataclass
class AwardFile:
    """One award the company was asked documents for: its step, its documents, the minutes it may read."""

    step: AwardStep
    documents: list[AwardDocument]
    minutes: Minutes | None  # the auction minutes, once the award is final (public then)


def award_files(company) -> list[AwardFile]:
    steps = (
        AwardStep.objects.filter(company=company, award__lot__tender__practice=False)
        .select_related("award__lot__tender")
        .prefetch_related(
            Prefetch("documents", queryset=AwardDocument.objects.order_by("kind", "-uploaded_at"))
        )
        .order_by("-requested_at", "-pk")
    )
    files = []
    for step in steps:
        award = step.award
        minutes = None
        if award.status == Award.Status.FINAL:
            minutes = (
                Minutes.objects.filter(lot=award.lot, kind=Minutes.Kind.AUCTION)
                .order_by("-generated_at", "-pk")
                .first()
            )
        files.append(AwardFile(step, list(step.documents.all()), minutes))
    return files


def award_notifications(user):
    """The person's notifications about awards (requests for documents, decisions), newest first."""
    candidates = Notification.objects.filter(user=user, url__contains="/awards/")
    return [n for n in candidates[:200] if AWARD_PAGE.match(n.url)]


@dataclass
class Documents:
    receipts: list
    bids: list
    awards: list[AwardFile]
    admissions: list  # the company's applications whose session is closed: their admission pages
    notifications: list = field(default_factory=list)


def documents(membership) -> Documents:
    company = membership.organisation
    applications = [a for a in _applications(company) if _closed(a)]
    return Documents(
        receipts=list(receipts(company)),
        bids=list(bid_receipts.company_bids(company)),
        awards=award_files(company),
        admissions=applications,
        notifications=award_notifications(membership.user),
    )


# The admission ----------------------------------------------------------------------------------


def _closed(application) -> bool:
    examination = getattr(application.tender, "examination", None)
    return examination is not None and examination.is_closed


def own_application(membership, pk) -> Application:
    application = _applications(membership.organisation).filter(pk=pk).first()
    if application is None:
        raise Http404(_("No such application among your company's."))
    return application


@dataclass
class LotOutcome:
    """One lot of the application, as the admission minutes record it, the company's lines only."""

    state: LotState
    decision: Decision | None
    lot_result: str  # why the lot is unsuccessful, or "" (the minutes' "unsuccessful lots")
    admitted_count: int | None  # companies admitted to the lot's auction (a number, no names)


@dataclass
class Admission:
    application: Application
    closed: bool  # the session is closed: decisions are final and shown
    opened_at: object = None
    closed_at: object = None
    documents_in_force: int = 0
    lots: list[LotOutcome] = field(default_factory=list)
    minutes: Minutes | None = None  # the whole minutes: their fingerprint, never their file


def _unsuccessful_reason(lot, decisions_of_lot, applications_count) -> str:
    """The minutes' reason for an unsuccessful lot: too few applications, or too few admitted."""
    if applications_count < MIN_APPLICATIONS:
        return _("fewer than %(n)s applications received (%(count)s)") % {
            "n": MIN_APPLICATIONS,
            "count": applications_count,
        }
    admitted = sum(1 for d in decisions_of_lot if d.outcome == Decision.Outcome.ADMITTED)
    return _("fewer than %(n)s companies admitted (%(count)s)") % {"n": MIN_ADMITTED, "count": admitted}


def admission(membership, pk) -> Admission:
    """What the admission said of the company's application: nothing before the session's close."""
    application = own_application(membership, pk)
    tender = application.tender
    examination = getattr(tender, "examination", None)
    closed = examination is not None and examination.is_closed
    result = Admission(application, closed)
    if examination is not None:
        result.opened_at = examination.opened_at
        result.closed_at = examination.closed_at
    result.documents_in_force = application.documents.filter(replaced_at=None).count()
    lots = list(application.lots.order_by("number"))
    if not closed:
        deadline_passed = clock.now() >= tender.application_deadline
        result.lots = [
            LotOutcome(_lot_state(application, lot, None, None, deadline_passed, False), None, "", None)
            for lot in lots
        ]
        return result
    result.minutes = Minutes.objects.filter(tender=tender, kind=Minutes.Kind.ADMISSION).first()
    own = {d.lot_id: d for d in application.decisions.all()}
    invitations = {i.lot_id: i for i in Invitation.objects.filter(company=application.company, lot__in=lots)}
    # The lots' decisions, as numbers: the minutes count them; whose they are stays out of this page.
    everyone = Decision.objects.filter(lot__in=lots, application__status=Application.Status.SUBMITTED)
    by_lot: dict[int, list[Decision]] = {}
    for decision in everyone:
        by_lot.setdefault(decision.lot_id, []).append(decision)
    for lot in lots:
        decision = own.get(lot.pk)
        state = _lot_state(application, lot, decision, invitations.get(lot.pk), True, True)
        lot_result, admitted = "", None
        if lot.status == Lot.Status.UNSUCCESSFUL:
            count = Application.objects.filter(lots=lot, status=Application.Status.SUBMITTED).count()
            lot_result = _unsuccessful_reason(lot, by_lot.get(lot.pk, []), count)
        elif lot.status not in (Lot.Status.OPEN, Lot.Status.EXAMINATION):
            admitted = sum(1 for d in by_lot.get(lot.pk, []) if d.outcome == Decision.Outcome.ADMITTED)
        result.lots.append(LotOutcome(state, decision, lot_result, admitted))
    return result
