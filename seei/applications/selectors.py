"""Reads that could reveal an application, each behind the seal's rules.

- The applying company sees its own application, documents and receipts at any time.
- Before the deadline nobody else learns anything, except the buyer: a count.
- After the deadline, the commission members of that notice see the applications, and only
  once their president has opened the examination.
- The decisions reach the companies once the session is closed (they are final then).

An object that is not yours is "not found" (404) rather than "forbidden", so that guessing ids
does not tell whether an application or a document exists.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _

from seei.accounts.models import Membership, Organisation, Role
from seei.applications.models import (
    Application,
    ApplicationDocument,
    CommissionMember,
    Decision,
    DocumentRequest,
    Examination,
    Invitation,
    Minutes,
    MinutesApproval,
    Receipt,
    Vote,
)
from seei.applications.sealing import original_name
from seei.core import clock
from seei.tenders.models import Lot, Tender

# The company -------------------------------------------------------------------------------------


def _require_company(membership):
    if membership is None or membership.role != Role.COMPANY_MEMBER:
        raise PermissionDenied(_("Only a company member can see applications."))


def own_application(membership, tender) -> Application | None:
    """The company's application to this notice (withdrawn included), or None."""
    _require_company(membership)
    return (
        Application.objects.filter(tender=tender, company=membership.organisation)
        .prefetch_related("lots", "receipts")
        .first()
    )


def current_documents(application) -> list[ApplicationDocument]:
    """The documents in force, each with its decrypted ``name`` (for the company or the commission)."""
    documents = list(application.documents.filter(replaced_at=None))
    for document in documents:
        document.name = original_name(document)
    return documents


def own_document(membership, pk) -> ApplicationDocument:
    _require_company(membership)
    document = (
        ApplicationDocument.objects.select_related("application__tender")
        .filter(pk=pk, application__company=membership.organisation)
        .first()
    )
    if document is None:
        raise Http404(_("No such document in your applications."))
    return document


def own_receipt(membership, pk) -> Receipt:
    _require_company(membership)
    receipt = (
        Receipt.objects.select_related("application__tender", "application__company")
        .filter(pk=pk, application__company=membership.organisation)
        .first()
    )
    if receipt is None:
        raise Http404(_("No such receipt in your applications."))
    return receipt


def receipt_document_names(receipt) -> dict[int, str]:
    """Names of the documents a receipt lists: the company's own, decrypted for its eyes only."""
    ids = [d["id"] for d in receipt.content.get("documents", [])]
    return {
        d.pk: original_name(d)
        for d in ApplicationDocument.objects.filter(application=receipt.application, pk__in=ids)
    }


@dataclass
class LotState:
    lot: Lot
    state: str  # submitted | examination | admitted | excluded | unsuccessful | withdrawn
    label: str
    reason: str = ""
    invitation: Invitation | None = None


@dataclass
class CompanyApplication:
    application: Application
    lots: list[LotState] = field(default_factory=list)
    documents: list[ApplicationDocument] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    decided: bool = False  # the session is closed: decisions are final and shown
    can_change: bool = False  # before the deadline: change, withdraw or apply again


def _lot_state(application, lot, decision, invitation, deadline_passed, decided) -> LotState:
    if application.status == Application.Status.WITHDRAWN:
        return LotState(lot, "withdrawn", _("Withdrawn"))
    if decided and decision is not None:
        if decision.outcome == Decision.Outcome.EXCLUDED:
            return LotState(lot, "excluded", _("Excluded"), reason=decision.reason)
        if lot.status == Lot.Status.UNSUCCESSFUL:
            return LotState(lot, "unsuccessful", _("Admitted; the lot is unsuccessful"))
        return LotState(lot, "admitted", _("Admitted"), invitation=invitation)
    if lot.status == Lot.Status.UNSUCCESSFUL:
        return LotState(lot, "unsuccessful", _("Unsuccessful lot"))
    if deadline_passed:
        return LotState(lot, "examination", _("Under examination"))
    return LotState(lot, "submitted", _("Submitted"))


def company_applications(membership) -> list[CompanyApplication]:
    """The company's page: every application with its state per lot, documents, receipts, invitations."""
    _require_company(membership)
    company = membership.organisation
    now = clock.now()
    applications = (
        Application.objects.filter(company=company)
        .select_related("tender", "tender__examination")
        .prefetch_related(Prefetch("lots", queryset=Lot.objects.order_by("number")), "receipts", "decisions")
        .order_by("-tender__application_deadline", "-pk")
    )
    invitations = {i.lot_id: i for i in Invitation.objects.filter(company=company)}
    result = []
    for application in applications:
        tender = application.tender
        examination = getattr(tender, "examination", None)
        decided = examination is not None and examination.is_closed
        decisions = {d.lot_id: d for d in application.decisions.all()}
        deadline_passed = now >= tender.application_deadline
        entry = CompanyApplication(
            application,
            receipts=list(application.receipts.all()),
            decided=decided,
            can_change=not deadline_passed and tender.status == Tender.Status.PUBLISHED,
        )
        entry.documents = current_documents(application)
        for lot in application.lots.all():
            entry.lots.append(
                _lot_state(
                    application, lot, decisions.get(lot.pk), invitations.get(lot.pk), deadline_passed, decided
                )
            )
        result.append(entry)
    return result


def company_invitations(membership):
    _require_company(membership)
    return (
        Invitation.objects.filter(company=membership.organisation)
        .select_related("lot__tender")
        .order_by("opens_at")
    )


# The buyer ---------------------------------------------------------------------------------------


def _require_buyer_of(membership, tender):
    if membership is None or membership.role != Role.BUYER_AGENT:
        raise PermissionDenied(_("Only a buyer agent can see this."))
    if tender.buyer_id != membership.organisation_id:
        raise PermissionDenied(_("This notice belongs to another organisation."))


def application_count(membership, tender) -> int:
    """All the buyer learns of the applications: how many there are (never which companies)."""
    _require_buyer_of(membership, tender)
    return Application.objects.filter(tender=tender, status=Application.Status.SUBMITTED).count()


def commission_of(tender):
    return (
        CommissionMember.objects.filter(tender=tender)
        .select_related("membership__user")
        .order_by("-is_president", "membership__user__last_name", "membership__user__email")
    )


def commission_candidates(membership):
    """Who the buyer may name: the commission members of its own organisation."""
    if membership is None or membership.role != Role.BUYER_AGENT:
        raise PermissionDenied(_("Only a buyer agent can name a commission."))
    return (
        Membership.objects.filter(
            organisation=membership.organisation, role=Role.COMMISSION_MEMBER, user__is_active=True
        )
        .select_related("user")
        .order_by("user__last_name", "user__email")
    )


# The commission ------------------------------------------------------------------------------------


def _require_commission_role(membership):
    if membership is None or membership.role != Role.COMMISSION_MEMBER:
        raise PermissionDenied(_("Only a commission member can see this."))


def commission_tenders(membership):
    """The notices whose commission this membership sits on."""
    _require_commission_role(membership)
    return (
        Tender.objects.filter(commission__membership=membership)
        .select_related("buyer", "examination")
        .prefetch_related(Prefetch("lots", queryset=Lot.objects.order_by("number")))
        .order_by("application_deadline")
        .distinct()
    )


def commission_tender(membership, pk) -> Tender:
    """The notice, if the person sits on its commission (403 otherwise, whether it exists or not)."""
    _require_commission_role(membership)
    tender = commission_tenders(membership).filter(pk=pk).first()
    if tender is None:
        raise PermissionDenied(_("You are not a member of the commission of this notice."))
    return tender


def examination_of(tender) -> Examination | None:
    return Examination.objects.filter(tender=tender).first()


def opened_examination(membership, tender) -> Examination:
    """The open (or closed) examination; before the deadline, or before opening, the seal holds."""
    commission_tender(membership, tender.pk)
    if clock.now() < tender.application_deadline:
        raise PermissionDenied(_("The applications stay sealed until the application deadline."))
    examination = examination_of(tender)
    if examination is None:
        raise PermissionDenied(_("The applications are sealed until the commission opens them."))
    return examination


@dataclass
class ExaminedApplication:
    application: Application
    documents: list[ApplicationDocument]
    lots: list[Lot]
    decisions: dict  # lot id -> Decision

    def lots_and_decisions(self) -> list[tuple[Lot, Decision | None]]:
        return [(lot, self.decisions.get(lot.pk)) for lot in self.lots]


def examination_applications(membership, tender) -> list[ExaminedApplication]:
    """Each active application with its documents (names decrypted) and decisions so far."""
    opened_examination(membership, tender)
    applications = (
        Application.objects.filter(tender=tender, status=Application.Status.SUBMITTED)
        .select_related("company")
        .prefetch_related(Prefetch("lots", queryset=Lot.objects.order_by("number")), "decisions")
        .order_by("company__name")
    )
    return [
        ExaminedApplication(
            application=application,
            documents=current_documents(application),
            lots=list(application.lots.all()),
            decisions={d.lot_id: d for d in application.decisions.all()},
        )
        for application in applications
    ]


def examined_application(membership, tender, pk) -> Application:
    opened_examination(membership, tender)
    application = Application.objects.filter(
        tender=tender, pk=pk, status=Application.Status.SUBMITTED
    ).first()
    if application is None:
        raise Http404(_("No such application to this notice."))
    return application


def examination_document(membership, tender, pk) -> ApplicationDocument:
    """A document the commission may open: of an active application, in force, once opened."""
    opened_examination(membership, tender)
    document = (
        ApplicationDocument.objects.select_related("application")
        .filter(
            pk=pk,
            replaced_at=None,
            application__tender=tender,
            application__status=Application.Status.SUBMITTED,
        )
        .first()
    )
    if document is None:
        raise Http404(_("No such document in the applications to this notice."))
    return document


# Shared ------------------------------------------------------------------------------------------


def admission_minutes(membership, tender) -> Minutes:
    """The minutes: for the commission of the notice and the buyer agents of its organisation."""
    is_buyer = (
        membership is not None
        and membership.role == Role.BUYER_AGENT
        and membership.organisation_id == tender.buyer_id
    )
    is_commission = (
        membership is not None
        and membership.role == Role.COMMISSION_MEMBER
        and CommissionMember.objects.filter(tender=tender, membership=membership).exists()
    )
    if not (is_buyer or is_commission):
        raise PermissionDenied(_("The minutes are for the commission and the buyer of this notice."))
    minutes = Minutes.objects.filter(tender=tender, kind=Minutes.Kind.ADMISSION).first()
    if minutes is None:
        raise Http404(_("The admission minutes are written when the commission closes its session."))
    return minutes


def admitted_companies(lot):
    """The companies admitted on a lot, once the examination is closed (for the auction room)."""
    closed = Examination.objects.filter(tender_id=lot.tender_id, closed_at__isnull=False).exists()
    if not closed:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        applications__decisions__lot=lot,
        applications__decisions__outcome=Decision.Outcome.ADMITTED,
        applications__status=Application.Status.SUBMITTED,
        applications__tender_id=lot.tender_id,
    ).distinct()


# The session: declarations, votes, requests, approvals ------------------------------------------------------


@dataclass
class Session:
    """What the examination page shows of the session, for one member."""

    seat: CommissionMember
    is_president: bool
    declarations: list  # InterestDeclaration of every member who declared
    seated: int
    quorum: int
    members: int

    @property
    def declaration(self):
        return getattr(self.seat, "declaration", None)

    @property
    def may_vote(self) -> bool:
        return self.declaration is not None and not self.declaration.conflict


def session_of(membership, tender) -> Session:
    from seei.applications import quorum

    seat = CommissionMember.objects.select_related("declaration").get(tender=tender, membership=membership)
    size = quorum.commission_size(tender)
    return Session(
        seat=seat,
        is_president=seat.is_president,
        declarations=list(quorum.declarations(tender).order_by("declared_at", "id")),
        seated=quorum.seated(tender).count(),
        quorum=quorum.quorum(size),
        members=size,
    )


def my_votes(seat, application) -> dict:
    """lot id -> this member's Vote on the application."""
    return {v.lot_id: v for v in Vote.objects.filter(member=seat, application=application)}


def vote_counts(application) -> dict:
    """lot id -> (admit votes, exclude votes)."""
    counts = {}
    for vote in Vote.objects.filter(application=application):
        admitted, excluded = counts.get(vote.lot_id, (0, 0))
        counts[vote.lot_id] = (
            (admitted + 1, excluded)
            if vote.outcome == Decision.Outcome.ADMITTED
            else (admitted, excluded + 1)
        )
    return counts


def document_requests(application):
    return list(DocumentRequest.objects.filter(application=application).order_by("requested_at", "id"))


def own_request(membership, pk) -> DocumentRequest:
    """A request to the member's company, else 404 (another company's request is not its business)."""
    _require_company(membership)
    request = (
        DocumentRequest.objects.select_related("application__tender")
        .filter(pk=pk, application__company=membership.organisation)
        .first()
    )
    if request is None:
        raise Http404(_("No such request to your company."))
    return request


def approvals_of(examination):
    return list(
        MinutesApproval.objects.filter(examination=examination)
        .select_related("member__membership__user")
        .order_by("approved_at", "id")
    )
