"""Phase 1 in the JSON API: applications, receipts, the commission, its decisions, the minutes.

The same services and selectors as the site, so the same rules and the same seal: a company
sees only its own applications; the buyer a count; the commission of the notice the contents,
after the deadline and once it has opened them. A refusal is 403 (role, organisation, seal),
an object that is not yours 404, a rule of the procedure 400 with its message.
"""

from datetime import datetime

from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from seei.accounts.models import Role
from seei.api.auth import AUTH, require_role
from seei.api.schemas import Input, choice_of
from seei.applications import selectors, services, session
from seei.applications.models import Decision, Receipt
from seei.applications.receipts import receipt_pdf
from seei.core import clock
from seei.core.views import private_file
from seei.tenders import selectors as tender_selectors
from seei.tenders.models import Lot, Tender

router = Router(tags=["applications"])

AS_COMPANY = {"auth": AUTH, "tags": ["applications: company"]}
AS_BUYER = {"auth": AUTH, "tags": ["applications: buyer"]}
AS_COMMISSION = {"auth": AUTH, "tags": ["applications: commission"]}
# Operations that answer with a file: documented as such, not as JSON.
FILE = {
    "openapi_extra": {
        "responses": {
            200: {
                "description": "The file.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }
}


# Shapes ------------------------------------------------------------------------------------------


class ReceiptOut(Schema):
    """A receipt. ``sha256`` is the SHA-256 of the canonical JSON of ``content`` (sorted keys, no spaces)."""

    id: int
    number: int
    action: choice_of(Receipt.Action)
    issued_at: datetime
    sha256: str
    content: dict


class ApplicationDocumentOut(Schema):
    """A document of an application: private to the company and, once opened, to the commission."""

    id: int
    kind: str
    name: str = Field(description="The original file name, decrypted for the company or the commission.")
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class LotStateOut(Schema):
    lot_id: int
    number: int
    state: str = Field(description="submitted, examination, admitted, excluded, unsuccessful or withdrawn.")
    label: str
    reason: str = Field("", description="Why the company was excluded, once the session is closed.")
    room_opens_at: datetime | None = None


class ApplicationOut(Schema):
    id: int
    notice_id: int
    reference: str
    status: str
    submitted_at: datetime
    updated_at: datetime
    can_change: bool = Field(description="Before the deadline: may be changed or withdrawn.")
    decided: bool = Field(description="The commission closed its session; the decisions are final.")
    lots: list[LotStateOut]
    documents: list[ApplicationDocumentOut]
    receipts: list[ReceiptOut]


class InvitationOut(Schema):
    notice_id: int
    reference: str
    lot_id: int
    lot_number: int
    opens_at: datetime
    sent_at: datetime


class CountOut(Schema):
    notice_id: int
    applications: int = Field(description="Active applications; never which companies.")


class PersonOut(Schema):
    membership_id: int
    name: str
    email: str


class CommissionMemberOut(PersonOut):
    president: bool


class CommissionIn(Input):
    members: list[int] = Field(
        description="Membership ids of commission members of the buyer's organisation."
    )
    president: int | None = None


class CommissionNoticeOut(Schema):
    id: int
    reference: str
    title: str
    application_deadline: datetime
    examination: str = Field(description="sealed (before the deadline), to_open, open or closed.")


class ApplicantOut(Schema):
    id: int
    name: str
    ice: str | None
    national_registration: str
    country: str


class DecisionOut(Schema):
    lot_id: int
    lot_number: int
    outcome: choice_of(Decision.Outcome)
    reason: str
    decided_at: datetime


class VoteOut(DecisionOut):
    decided_at: datetime = Field(description="When this member voted.")
    decision: choice_of(Decision.Outcome) | None = Field(
        None, description="The commission's decision so far; null while no majority with a quorum."
    )


class ExaminedApplicationOut(Schema):
    id: int
    company: ApplicantOut
    lots: list[int] = Field(description="Lot numbers the company applied for.")
    updated_at: datetime
    documents: list[ApplicationDocumentOut]
    decisions: list[DecisionOut]


class ExaminationLotOut(Schema):
    id: int
    number: int
    status: choice_of(Lot.Status)
    opens_at: datetime


class ExaminationOut(Schema):
    notice_id: int
    opened_at: datetime
    closed_at: datetime | None
    lots: list[ExaminationLotOut]
    applications: list[ExaminedApplicationOut]


class AdmissionDecisionIn(Input):
    lot: int = Field(description="Lot id.")
    outcome: choice_of(Decision.Outcome)
    reason: str = Field("", description="Required for an exclusion.")


class DecisionsIn(Input):
    decisions: list[AdmissionDecisionIn]


class DeclarationIn(Input):
    conflict: bool = Field(description="True: a conflict of interest; the member then takes no part.")
    statement: str = Field("", description="What the conflict is (required when there is one).")


class DeclarationOut(Schema):
    notice_id: int
    conflict: bool
    declared_at: datetime
    seated: int = Field(description="Members who declared no conflict so far.")
    quorum: int = Field(description="How many must have, for the president to open the session.")


class ApprovalIn(Input):
    reservation: str = Field("", description="Empty: approved without reservation.")


class AdmissionMinutesOut(Schema):
    notice_id: int
    sha256: str
    generated_at: datetime


# Helpers -----------------------------------------------------------------------------------------------


def _documents(kind_files) -> list[tuple[str, object]]:
    return [(kind, upload) for kind, files in kind_files for upload in files or []]


def _document_out(document) -> dict:
    return {
        "id": document.pk,
        "kind": document.kind,
        "name": document.name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": document.uploaded_at,
    }


def _person(membership) -> dict:
    user = membership.user
    return {"membership_id": membership.pk, "name": user.get_full_name() or user.email, "email": user.email}


def _tender(notice_id) -> Tender:
    tender = Tender.objects.filter(pk=notice_id).first()
    if tender is None:
        raise Http404(_("This notice does not exist."))
    return tender


# The company ---------------------------------------------------------------------------------------------


@router.post("/notices/{notice_id}/application", response={201: ReceiptOut}, **AS_COMPANY)
def apply(
    request,
    notice_id: int,
    lots: Form[list[int]],
    declaration: Form[bool] = False,
    administrative: File[list[UploadedFile]] = None,
    technical: File[list[UploadedFile]] = None,
):
    """Apply (multipart/form-data): `lots` (repeated), `administrative` and `technical` files (repeated),
    `declaration=true`. Refused after the deadline by the server's clock. Returns the receipt."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    tender = tender_selectors.public_tender(notice_id)
    documents = _documents([("administrative", administrative), ("technical", technical)])
    receipt = services.apply(membership, tender, lots=lots, documents=documents, declaration=declaration)
    return Status(201, receipt)


@router.post("/notices/{notice_id}/application/changes", response=ReceiptOut, **AS_COMPANY)
def change(
    request,
    notice_id: int,
    declaration: Form[bool] = False,
    lots: Form[list[int]] = None,
    remove: Form[list[int]] = None,
    administrative: File[list[UploadedFile]] = None,
    technical: File[list[UploadedFile]] = None,
):
    """Change the application before the deadline (multipart/form-data): new `lots` (omit to keep them),
    document ids to `remove`, new `administrative`/`technical` files, `declaration=true`."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    tender = tender_selectors.public_tender(notice_id)
    documents = _documents([("administrative", administrative), ("technical", technical)])
    return services.change(
        membership,
        tender,
        lots=lots or None,
        documents=documents,
        remove=remove or [],
        declaration=declaration,
    )


@router.post("/notices/{notice_id}/application/withdrawal", response=ReceiptOut, **AS_COMPANY)
def withdraw(request, notice_id: int):
    """Withdraw the application before the deadline. Returns the receipt of the withdrawal."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    return services.withdraw(membership, tender_selectors.public_tender(notice_id))


@router.get("/applications", response=list[ApplicationOut], **AS_COMPANY)
def my_applications(request):
    """The company's applications: state per lot, documents in force, receipts; decisions once final."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    result = []
    for entry in selectors.company_applications(membership):
        application = entry.application
        result.append(
            {
                "id": application.pk,
                "notice_id": application.tender_id,
                "reference": application.tender.reference,
                "status": application.status,
                "submitted_at": application.submitted_at,
                "updated_at": application.updated_at,
                "can_change": entry.can_change,
                "decided": entry.decided,
                "lots": [
                    {
                        "lot_id": s.lot.pk,
                        "number": s.lot.number,
                        "state": s.state,
                        "label": s.label,
                        "reason": s.reason,
                        "room_opens_at": s.lot.opens_at if s.invitation else None,
                    }
                    for s in entry.lots
                ],
                "documents": [_document_out(d) for d in entry.documents],
                "receipts": entry.receipts,
            }
        )
    return result


@router.get("/applications/invitations", response=list[InvitationOut], **AS_COMPANY)
def my_invitations(request):
    membership = require_role(request, Role.COMPANY_MEMBER)
    return [
        {
            "notice_id": i.lot.tender_id,
            "reference": i.lot.tender.reference,
            "lot_id": i.lot_id,
            "lot_number": i.lot.number,
            "opens_at": i.lot.opens_at,
            "sent_at": i.sent_at,
        }
        for i in selectors.company_invitations(membership)
    ]


@router.get("/applications/documents/{document_id}", **FILE, **AS_COMPANY)
def my_document(request, document_id: int):
    """One of the company's own documents, decrypted (the opening is audited)."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    document = selectors.own_document(membership, document_id)
    return private_file(*services.open_document(membership, document))


@router.get("/applications/receipts/{receipt_id}", response=ReceiptOut, **AS_COMPANY)
def my_receipt(request, receipt_id: int):
    membership = require_role(request, Role.COMPANY_MEMBER)
    return selectors.own_receipt(membership, receipt_id)


@router.get("/applications/receipts/{receipt_id}/pdf", **FILE, **AS_COMPANY)
def my_receipt_pdf(request, receipt_id: int):
    membership = require_role(request, Role.COMPANY_MEMBER)
    receipt = selectors.own_receipt(membership, receipt_id)
    data = receipt_pdf(receipt, selectors.receipt_document_names(receipt), get_language() or "fr")
    return private_file(
        f"receipt-{receipt.content['tender']['reference']}-{receipt.number}.pdf", "application/pdf", data
    )


# The buyer ----------------------------------------------------------------------------------------------------


@router.get("/buyer/notices/{notice_id}/applications", response=CountOut, **AS_BUYER)
def application_count(request, notice_id: int):
    """How many applications the notice received: all the buyer learns of them."""
    membership = require_role(request, Role.BUYER_AGENT)
    tender = tender_selectors.buyer_tender(membership, notice_id)
    return {"notice_id": tender.pk, "applications": selectors.application_count(membership, tender)}


@router.get("/buyer/commission-members", response=list[PersonOut], **AS_BUYER)
def commission_candidates(request):
    """The commission members of the buyer's organisation, who can be named to a notice's commission."""
    membership = require_role(request, Role.BUYER_AGENT)
    return [_person(m) for m in selectors.commission_candidates(membership)]


def _commission_out(tender) -> list[dict]:
    return [{**_person(m.membership), "president": m.is_president} for m in selectors.commission_of(tender)]


@router.get("/buyer/notices/{notice_id}/commission", response=list[CommissionMemberOut], **AS_BUYER)
def get_commission(request, notice_id: int):
    membership = require_role(request, Role.BUYER_AGENT)
    return _commission_out(tender_selectors.buyer_tender(membership, notice_id))


@router.put("/buyer/notices/{notice_id}/commission", response=list[CommissionMemberOut], **AS_BUYER)
def name_commission(request, notice_id: int, payload: CommissionIn):
    """Name the commission (replaces it), until the applications are opened."""
    membership = require_role(request, Role.BUYER_AGENT)
    tender = tender_selectors.buyer_tender(membership, notice_id)
    services.name_commission(membership, tender, payload.members, payload.president)
    return _commission_out(tender)


# The commission -------------------------------------------------------------------------------------------------


@router.get("/commission/notices", response=list[CommissionNoticeOut], **AS_COMMISSION)
def commission_notices(request):
    membership = require_role(request, Role.COMMISSION_MEMBER)
    now = clock.now()
    result = []
    for tender in selectors.commission_tenders(membership):
        examination = getattr(tender, "examination", None)
        if now < tender.application_deadline:
            state = "sealed"
        elif examination is None:
            state = "to_open"
        else:
            state = "closed" if examination.is_closed else "open"
        result.append(
            {
                "id": tender.pk,
                "reference": tender.reference,
                "title": str(tender.title),
                "application_deadline": tender.application_deadline,
                "examination": state,
            }
        )
    return result


def _examination_out(membership, tender) -> dict:
    examination = selectors.opened_examination(membership, tender)
    entries = selectors.examination_applications(membership, tender)
    return {
        "notice_id": tender.pk,
        "opened_at": examination.opened_at,
        "closed_at": examination.closed_at,
        "lots": list(tender.lots.order_by("number")),
        "applications": [
            {
                "id": e.application.pk,
                "company": e.application.company,
                "updated_at": e.application.updated_at,
                "lots": [lot.number for lot in e.lots],
                "documents": [_document_out(d) for d in e.documents],
                "decisions": [
                    {
                        "lot_id": lot.pk,
                        "lot_number": lot.number,
                        "outcome": d.outcome,
                        "reason": d.reason,
                        "decided_at": d.decided_at,
                    }
                    for lot, d in e.lots_and_decisions()
                    if d is not None
                ],
            }
            for e in entries
        ],
    }


@router.post("/commission/notices/{notice_id}/examination", response={201: ExaminationOut}, **AS_COMMISSION)
def open_examination(request, notice_id: int):
    """The president opens the applications, after the deadline and once a quorum of members declared no
    conflict of interest. Lots with fewer than 3 applications become unsuccessful."""
    membership = require_role(request, Role.COMMISSION_MEMBER)
    tender = selectors.commission_tender(membership, notice_id)
    services.open_examination(membership, tender)
    return Status(201, _examination_out(membership, tender))


@router.get("/commission/notices/{notice_id}/examination", response=ExaminationOut, **AS_COMMISSION)
def get_examination(request, notice_id: int):
    """The applications with their companies, documents and decisions; sealed until opened."""
    membership = require_role(request, Role.COMMISSION_MEMBER)
    return _examination_out(membership, selectors.commission_tender(membership, notice_id))


@router.get("/commission/notices/{notice_id}/documents/{document_id}", **FILE, **AS_COMMISSION)
def sealed_document(request, notice_id: int, document_id: int):
    """A document of an application, decrypted for the commission (the opening is audited)."""
    membership = require_role(request, Role.COMMISSION_MEMBER)
    tender = selectors.commission_tender(membership, notice_id)
    document = selectors.examination_document(membership, tender, document_id)
    return private_file(*services.open_document(membership, document))


@router.post(
    "/commission/notices/{notice_id}/applications/{application_id}/decisions",
    response=list[VoteOut],
    **AS_COMMISSION,
)
def decide(request, notice_id: int, application_id: int, payload: DecisionsIn):
    """This member's vote to admit or exclude an application on its lots (a reason is required for an
    exclusion), with the commission's decision so far: the majority once a quorum of members voted,
    the president's vote in a tie."""
    membership = require_role(request, Role.COMMISSION_MEMBER)
    tender = selectors.commission_tender(membership, notice_id)
    application = selectors.examined_application(membership, tender, application_id)
    votes = services.decide(
        membership, application, [(d.lot, d.outcome, d.reason) for d in payload.decisions]
    )
    return [
        {
            "lot_id": v.lot_id,
            "lot_number": v.lot.number,
            "outcome": v.outcome,
            "reason": v.reason,
            "decided_at": v.voted_at,
            "decision": v.decision.outcome if v.decision else None,
        }
        for v in votes
    ]


@router.post("/commission/notices/{notice_id}/declaration", response={201: DeclarationOut}, **AS_COMMISSION)
def declare(request, notice_id: int, payload: DeclarationIn):
    """Before the opening, this member declares whether it has a conflict of interest with the notice."""
    membership = require_role(request, Role.COMMISSION_MEMBER)
    tender = selectors.commission_tender(membership, notice_id)
    declaration = session.declare_interests(
        membership, tender, conflict=payload.conflict, statement=payload.statement
    )
    state = selectors.session_of(membership, tender)
    return Status(
        201,
        {
            "notice_id": tender.pk,
            "conflict": declaration.conflict,
            "declared_at": declaration.declared_at,
            "seated": state.seated,
            "quorum": state.quorum,
        },
    )


@router.post(
    "/commission/notices/{notice_id}/minutes/approval", response=AdmissionMinutesOut, **AS_COMMISSION
)
def approve_minutes(request, notice_id: int, payload: ApprovalIn):
    """After the close, this member approves the admission minutes (or records a reservation); the
    minutes are written again with the approvals, and their new hash returned."""
    membership = require_role(request, Role.COMMISSION_MEMBER)
    tender = selectors.commission_tender(membership, notice_id)
    session.approve_minutes(membership, tender, payload.reservation)
    minutes = tender.minutes.filter(kind="admission").first()
    return {"notice_id": tender.pk, "sha256": minutes.sha256, "generated_at": minutes.generated_at}


@router.post(
    "/commission/notices/{notice_id}/examination/close", response=AdmissionMinutesOut, **AS_COMMISSION
)
def close_examination(request, notice_id: int):
    """The president closes the session: decisions final, unsuccessful lots, invitations, notices, the minutes."""
    membership = require_role(request, Role.COMMISSION_MEMBER)
    tender = selectors.commission_tender(membership, notice_id)
    minutes = services.close_examination(membership, tender)
    return {"notice_id": tender.pk, "sha256": minutes.sha256, "generated_at": minutes.generated_at}


# The commission and the buyer ---------------------------------------------------------------------------------------


@router.get(
    "/notices/{notice_id}/minutes",
    **FILE,
    auth=AUTH,
    tags=["applications: commission", "applications: buyer"],
)
def admission_minutes(request, notice_id: int):
    """The admission minutes (PDF), for the commission of the notice and its buyer."""
    membership = request.auth
    if membership.role not in (Role.COMMISSION_MEMBER, Role.BUYER_AGENT):
        require_role(request, Role.COMMISSION_MEMBER)  # the 403 that names the role
    tender = _tender(notice_id)
    minutes = selectors.admission_minutes(membership, tender)
    with minutes.file.open("rb") as handle:
        data = handle.read()
    response = private_file(f"admission-minutes-{tender.reference}.pdf", "application/pdf", data)
    response["X-Content-SHA256"] = minutes.sha256
    return response
