"""A practice procedure: a buyer rehearses the whole procedure on a compressed clock.

Publication, clarifications, applications, admission, invitations, room and award run through the
real services and pages on a notice marked practice (``Tender.practice``, kept out of everything
public or counted by ``real()``), where every legal day lasts ``SEEI_PRACTICE_DAY_SECONDS``
(``seei.tenders.schedule.day``). The buyer agent is also its commission, through a commission
membership of its organisation for the same person. Simulated companies (``Organisation.Kind.PRACTICE``)
play the other side from the task worker, each move at its compressed moment: a question, sealed
applications, the bids (``Rival``, as in a practice auction), the awardee's documents. Every move is
idempotent and does nothing once its moment has passed, so a job run twice or late is harmless.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from seei.accounts.models import Membership, Organisation, Role
from seei.applications import services as applications
from seei.applications.models import Application, ApplicationDocument, CommissionMember
from seei.auctions.models import Bidder, Room
from seei.awards import services as awards
from seei.awards.models import Award, AwardStep
from seei.core import audit, clock
from seei.practice import services
from seei.practice.models import Rival
from seei.tenders import schedule
from seei.tenders.errors import TenderError
from seei.tenders.models import Clarification, Tender
from seei.tenders.services import ask_clarification

log = logging.getLogger(__name__)

APPLICANTS = 4  # simulated companies applying: more than the 3 applications and 2 admissions needed
PUBLICITY_MARGIN_DAYS = 3  # compressed days left to the buyer to look the draft over before publishing
ROOM_MINUTES = 5


def _one_day() -> timedelta:
    return schedule.day(Tender(practice=True))


# The buyer starts one ------------------------------------------------------------------------------


def start(membership) -> Tender:
    """A practice draft notice of the buyer's organisation, with one lot whose schedule is valid on
    the compressed clock if published within ``PUBLICITY_MARGIN_DAYS`` (compressed) days, and the
    buyer agent as its commission (president)."""
    if membership is None or membership.role != Role.BUYER_AGENT:
        raise services.PracticeError(_("Only a buyer agent can start a practice procedure."))
    one_day = _one_day()
    with transaction.atomic():
        now = clock.now()
        deadline = now + (settings.SEEI_PUBLICITY_MIN_DAYS + PUBLICITY_MARGIN_DAYS) * one_day
        lot = services.new_lot(
            services.PracticeSettings(minutes=ROOM_MINUTES),
            buyer=membership.organisation,
            title=services.PROCEDURE_TITLE,
            deadline=deadline,
            opens_at=deadline + (settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE + 1) * one_day,
            created_by=membership.user,
        )
        tender = lot.tender
        commission = Membership.objects.get_or_create(
            user=membership.user, organisation=membership.organisation, role=Role.COMMISSION_MEMBER
        )[0]
        CommissionMember.objects.create(tender=tender, membership=commission, is_president=True)
        audit.record("practice.procedure_started", tender, membership.user, membership.organisation)
    return tender


# The simulated companies' moves -----------------------------------------------------------------------


def published(tender_id: int) -> None:
    """After a practice notice is published: a simulated company asks a question after one
    (compressed) day, and the simulated companies apply after two."""
    from seei.practice import tasks

    tender = Tender.objects.get(pk=tender_id, practice=True)
    one_day = schedule.day(tender)
    tasks.schedule_procedure("question", tender_id, tender.published_at + one_day)
    tasks.schedule_procedure("applications", tender_id, tender.published_at + 2 * one_day)


def _open_practice_notice(tender_id: int) -> Tender | None:
    tender = Tender.objects.filter(pk=tender_id, practice=True, status=Tender.Status.PUBLISHED).first()
    if tender is None or clock.now() >= tender.application_deadline:
        return None
    return tender


def ask_question(tender_id: int) -> str:
    tender = _open_practice_notice(tender_id)
    if tender is None:
        return "too_late"
    asker = services._rivals(1)[0]
    if Clarification.objects.filter(tender=tender, company=asker.organisation).exists():
        return "already"
    with translation.override(tender.original_language):
        question = _("Can the chairs be delivered in two shipments, half of them within 30 days?")
    ask_clarification(asker, tender, question)
    return "asked"


def _pdf(name: str, title: str) -> SimpleUploadedFile:
    """A small real PDF (its content is checked like any company's file)."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=14)
    document.cell(text=title)
    return SimpleUploadedFile(name, bytes(document.output()), content_type="application/pdf")


def submit_applications(tender_id: int) -> int:
    """The simulated companies apply to every lot, sealed like anyone's; how many applied now."""
    tender = _open_practice_notice(tender_id)
    if tender is None:
        return 0
    lots = list(tender.lots.all())
    applied = 0
    for number, member in enumerate(services._rivals(APPLICANTS), 1):
        company = member.organisation
        if Application.objects.filter(
            tender=tender, company=company, status=Application.Status.SUBMITTED
        ).exists():
            continue
        documents = [
            (
                ApplicationDocument.Kind.ADMINISTRATIVE,
                _pdf(f"administrative-{number}.pdf", f"{company} - file"),
            ),
            (ApplicationDocument.Kind.TECHNICAL, _pdf(f"technical-{number}.pdf", f"{company} - offer")),
        ]
        try:
            applications.apply(member, tender, lots=lots, documents=documents, declaration=True)
        except TenderError:
            log.info("simulated application to %s refused", tender.reference, exc_info=True)
            continue
        applied += 1
    return applied


def seat_rivals(room: Room) -> None:
    """When the commission's session prepares the room of a practice procedure's lot: the simulated
    companies admitted to it become rivals bidding through the bid path (idempotent)."""
    if Rival.objects.filter(bidder__room=room).exists():
        return
    simulated = Bidder.objects.filter(room=room, company__kind=Organisation.Kind.PRACTICE).values("company")
    members = list(
        Membership.objects.filter(organisation__in=simulated, role=Role.COMPANY_MEMBER).select_related(
            "user", "organisation"
        )
    )
    if not members:
        return
    services._seat_rivals(room, members, room.lot, random.Random())
    from seei.practice import tasks

    tasks.schedule_step(room.lot_id, room.opens_at)


def closed(lot_id: int) -> Award | None:
    """After the close of a practice procedure's room: its practice award starts, and the simulated
    awardee sends its documents one (compressed) day later."""
    from seei.practice import tasks

    try:
        award = awards.start_award(lot_id)
    except Exception:
        log.exception("could not start the practice award of lot %s", lot_id)
        return None
    if award is not None:
        tasks.schedule_procedure("documents", award.pk, clock.now() + schedule.day(award.lot.tender))
    return award


def submit_award_documents(award_id: int) -> str:
    """The simulated candidate asked for documents sends one small PDF per required document."""
    award = (
        Award.objects.select_related("lot__tender").filter(pk=award_id, lot__tender__practice=True).first()
    )
    step = award.current_step() if award is not None else None
    if step is None or award.status != Award.Status.PROVISIONAL or step.status != AwardStep.Status.REQUESTED:
        return "nothing_to_send"
    member = Membership.objects.filter(
        organisation=step.company, organisation__kind=Organisation.Kind.PRACTICE, role=Role.COMPANY_MEMBER
    ).first()
    if member is None:
        return "not_simulated"
    files = {kind: _pdf(f"{kind}.pdf", f"{step.company} - {kind}") for kind in award.required_documents}
    try:
        awards.submit_documents(member, award, files)
    except TenderError:
        log.info("simulated award documents refused on award %s", award_id, exc_info=True)
        return "refused"
    return "submitted"


MOVES = {
    "question": ask_question,
    "applications": submit_applications,
    "documents": submit_award_documents,
}
