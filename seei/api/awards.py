"""The award and its execution in the JSON API: awards, documents, the commission's decisions, the
minutes, the ledger check, the visa and the payments.

The same selectors and services as the pages, so the same rules: identities only once the award
is final (the commission sees the candidate it checks, a company its own steps); an accountant
only the final awards of its perimeter. A wrong role or organisation is a 403, a rule of the
procedure a 400 with its message, and nothing changes when refused.
"""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status, UploadedFile

from seei.accounts.models import Membership
from seei.api.auth import AUTH
from seei.api.schemas import Input, choice_of
from seei.awards import selectors, services
from seei.awards.models import Award, AwardStep, Visa

router = Router(tags=["awards"])

FILE = {
    "openapi_extra": {
        "responses": {
            200: {
                "description": "The file.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }
}


def _anonymous(request):
    # A request that sends a token must be authenticated by it: a wrong token is a 401, not a visitor.
    return None if "Authorization" in request.headers else True


OPTIONAL_AUTH = [*AUTH, _anonymous]


# Shapes ---------------------------------------------------------------------------------------------


class AwardCompanyOut(Schema):
    name: str
    ice: str | None
    country: str


class StepOut(Schema):
    rank: int
    pseudonym: str
    company: AwardCompanyOut | None = Field(
        description="Only once the award is final (or for the commission)."
    )
    amount: Decimal
    status: choice_of(AwardStep.Status)
    requested_at: datetime
    documents_deadline: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    reason: str
    low_price: bool = Field(description="An abnormally low price, flagged to the commission.")
    low_price_checked_at: datetime | None
    low_price_note: str


class VisaOut(Schema):
    decision: choice_of(Visa.Decision)
    reason: str
    accountant_post: str
    decided_at: datetime


class PaymentOut(Schema):
    id: int
    paid_on: date
    amount: Decimal = Field(description="Negative for a reversing entry.")
    reference: str
    reverses: int | None = Field(None, description="The payment this reversing entry cancels.")
    reason: str = Field("", description="Why the payment was reversed (reversing entries only).")
    recorded_at: datetime

    @staticmethod
    def resolve_reverses(obj) -> int | None:
        return obj.reverses_id


class AuctionMinutesOut(Schema):
    url: str
    sha256: str
    generated_at: datetime


class AwardSummary(Schema):
    id: int
    lot_id: int
    lot_number: int
    notice_reference: str
    buyer: str
    status: choice_of(Award.Status)
    currency: str
    amount: Decimal | None = Field(
        description="The current candidate's price; the awarded amount once final."
    )
    awardee: AwardCompanyOut | None = Field(description="Only once the award is final.")
    final_at: datetime | None


class AwardDetail(AwardSummary):
    estimated_amount: Decimal
    required_documents: list[str]
    steps: list[StepOut]
    minutes: AuctionMinutesOut | None
    visas: list[VisaOut]
    payments: list[PaymentOut]
    paid: Decimal
    remaining: Decimal


class RankOut(Schema):
    rank: int
    pseudonym: str
    amount: Decimal
    at: datetime
    company: AwardCompanyOut | None = Field(description="Only once the award is final.")


class PublicResult(Schema):
    lot_id: int
    notice_reference: str
    status: str = Field(description="in_progress, final, unsuccessful or no_bid")
    awardee: AwardCompanyOut | None
    amount: Decimal | None
    ranking: list[RankOut]
    minutes: AuctionMinutesOut | None


class AwardDecisionIn(Input):
    rank: int = Field(
        description="The rank being examined: any other rank is refused (the award follows the ranking)."
    )
    low_price_note: str = Field(
        "", description="Required to confirm an abnormally low price not checked yet."
    )


class FailIn(Input):
    rank: int
    reason: str


class VisaIn(Input):
    decision: choice_of(Visa.Decision)
    reason: str = ""
    commitment_amount: str | None = Field(
        None, description="The committed amount (required to grant; at most the awarded amount)."
    )
    budget_line: str = Field(
        "", description="The budget line the commitment is charged to (required to grant)."
    )
    committed_on: date | None = Field(None, description="The commitment date (required to grant).")


class PaymentIn(Input):
    paid_on: date
    amount: str = Field(description="Two decimals at most, e.g. `150000.00`.")
    reference: str


class PaymentsOut(Schema):
    currency: str
    awarded: Decimal
    paid: Decimal
    remaining: Decimal
    payments: list[PaymentOut]


class VerifyOut(Schema):
    ok: bool
    summary: str
    errors: list[str]
    entries: int
    winner: str | None
    winning_amount: Decimal | None


# Building the answers -----------------------------------------------------------------------------


def _company(organisation) -> dict | None:
    if organisation is None:
        return None
    return {"name": organisation.name, "ice": organisation.ice, "country": organisation.country}


def _minutes(award: Award) -> dict | None:
    minutes = selectors.current_minutes(award)
    if minutes is None:
        return None
    return {
        "url": f"/api/v1/awards/{award.pk}/minutes",
        "sha256": minutes.sha256,
        "generated_at": minutes.generated_at,
    }


def _summary(award: Award) -> dict:
    lot = award.lot
    return {
        "id": award.pk,
        "lot_id": lot.pk,
        "lot_number": lot.number,
        "notice_reference": lot.tender.reference,
        "buyer": lot.tender.buyer.name,
        "status": award.status,
        "currency": award.currency,
        "amount": award.amount,
        "awardee": _company(award.company) if award.is_final else None,
        "final_at": award.final_at,
    }


def _step(step: AwardStep, reveal: bool) -> dict:
    return {
        "rank": step.rank,
        "pseudonym": step.bidder.pseudonym,
        "company": _company(step.company) if reveal else None,
        "amount": step.amount,
        "status": step.status,
        "requested_at": step.requested_at,
        "documents_deadline": step.documents_deadline,
        "submitted_at": step.submitted_at,
        "decided_at": step.decided_at,
        "reason": step.reason,
        "low_price": step.low_price,
        "low_price_checked_at": step.low_price_checked_at,
        "low_price_note": step.low_price_note,
    }


def _detail(membership, award: Award, role: str) -> dict:
    steps = list(selectors.steps_of(award))
    if role == selectors.COMPANY:
        steps = [s for s in steps if s.company_id == membership.organisation_id]
    reveal = award.is_final or role in (selectors.COMMISSION, selectors.COMPANY)
    execution = role in (selectors.BUYER, selectors.ACCOUNTANT)
    return {
        **_summary(award),
        "estimated_amount": award.lot.estimated_amount,
        "required_documents": award.required_documents,
        "steps": [_step(step, reveal) for step in steps],
        "minutes": _minutes(award) if role != selectors.COMPANY or award.is_final else None,
        "visas": [_visa(v) for v in award.visas.select_related("accountant_post")] if execution else [],
        "payments": list(award.payments.all()) if execution else [],
        "paid": award.paid() if execution else Decimal("0.00"),
        "remaining": award.remaining() if execution else Decimal("0.00"),
    }


def _visa(visa: Visa) -> dict:
    return {
        "decision": visa.decision,
        "reason": visa.reason,
        "accountant_post": visa.accountant_post.name,
        "decided_at": visa.decided_at,
    }


def _plain_award(award_id: int) -> Award:
    award = Award.objects.select_related("lot__tender__buyer", "company").filter(pk=award_id).first()
    if award is None:
        raise Http404(_("This award does not exist."))
    return award


# Operations --------------------------------------------------------------------------------------------


@router.get("/awards", response=list[AwardSummary], auth=AUTH)
def list_awards(request):
    """The awards you follow: the buyer's own, the commission's notices, a company's steps, and the
    final awards of an accountant's perimeter."""
    return [_summary(award) for award in selectors.awards_for(request.auth)]


@router.get("/awards/{award_id}", response=AwardDetail, auth=AUTH)
def award_detail(request, award_id: int):
    """An award with its steps (companies named once final), minutes, and the accountant's decisions
    (for the buyer and the accountant)."""
    award, role = selectors.award_for(request.auth, award_id)
    return _detail(request.auth, award, role)


@router.post("/awards/{award_id}/documents", response={201: StepOut}, auth=AUTH, tags=["awards: company"])
def submit_documents(
    request,
    award_id: int,
    tax_certificate: File[UploadedFile] = None,
    social_security_certificate: File[UploadedFile] = None,
    performance_bond: File[UploadedFile] = None,
):
    """The candidate's documents (multipart, one file per document the award requires), before its deadline."""
    award = selectors.award_acting_as(request.auth, award_id, selectors.COMPANY)
    files = {kind: request.FILES.get(kind) for kind in award.required_documents}
    step = services.submit_documents(request.auth, award, files)
    return Status(201, _step(step, reveal=True))


@router.post(
    "/awards/{award_id}/confirm",
    response=AwardDetail,
    auth=AUTH,
    tags=["awards: commission"],
)
def confirm(request, award_id: int, payload: AwardDecisionIn):
    """The commission confirms the candidate of ``rank`` (its documents checked): the award is final."""
    award = selectors.award_acting_as(request.auth, award_id, selectors.COMMISSION)
    award = services.confirm(request.auth, award, payload.rank, payload.low_price_note)
    return _detail(request.auth, award, selectors.COMMISSION)


@router.post("/awards/{award_id}/fail", response=AwardDetail, auth=AUTH, tags=["awards: commission"])
def fail(request, award_id: int, payload: FailIn):
    """The commission records why the candidate of ``rank`` fails; the next rank is asked automatically."""
    award = selectors.award_acting_as(request.auth, award_id, selectors.COMMISSION)
    award = services.fail(request.auth, award, payload.rank, payload.reason)
    return _detail(request.auth, award, selectors.COMMISSION)


@router.get(
    "/awards/{award_id}/minutes",
    auth=OPTIONAL_AUTH,
    **FILE,
)
def minutes(request, award_id: int):
    """The latest auction minutes (PDF): for the buyer, the commission and the accountant; public once final."""
    membership = request.auth if isinstance(request.auth, Membership) else None
    found = selectors.minutes_for(membership, _plain_award(award_id))
    with found.file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"minutes-award-{award_id}.pdf")
    return response


@router.get(
    "/awards/{award_id}/verification",
    response=VerifyOut,
    auth=AUTH,
    tags=["awards: accountant"],
)
def verification(request, award_id: int):
    """Run the stand-alone verifier on the lot's ledger with the platform's key: chain, signatures, rules.
    For the accountant of the buyer's perimeter, once the award is final (as on its page)."""
    award = selectors.accountant_award(request.auth, award_id)
    report = services.verify(request.auth, award)
    return {
        "ok": report.ok,
        "summary": report.summary(),
        "errors": report.errors,
        "entries": report.entries,
        "winner": report.winner,
        "winning_amount": report.winning_amount,
    }


@router.post("/awards/{award_id}/visa", response={201: VisaOut}, auth=AUTH, tags=["awards: accountant"])
def give_visa(request, award_id: int, payload: VisaIn):
    """Grant or refuse the visa on the commitment (a reason is required to refuse)."""
    award = selectors.accountant_award(request.auth, award_id)  # of the post's perimeter, once final
    visa = services.give_visa(
        request.auth,
        award,
        payload.decision,
        payload.reason,
        commitment_amount=payload.commitment_amount,
        budget_line=payload.budget_line,
        committed_on=payload.committed_on,
    )
    return Status(201, _visa(visa))


@router.get(
    "/awards/{award_id}/payments",
    response=PaymentsOut,
    auth=AUTH,
    tags=["awards: accountant"],
)
def payments(request, award_id: int):
    """What is paid and what remains (for the buyer and the accountant)."""
    award, role = selectors.award_for(request.auth, award_id)
    if role not in (selectors.BUYER, selectors.ACCOUNTANT):
        raise Http404(_("The payments of an award are for its buyer and its accountant."))
    return {
        "currency": award.currency,
        "awarded": award.amount,
        "paid": award.paid(),
        "remaining": award.remaining(),
        "payments": list(award.payments.all()),  # with the reversing entries: paid is their sum
    }


@router.post(
    "/awards/{award_id}/payments",
    response={201: PaymentOut},
    auth=AUTH,
    tags=["awards: accountant"],
)
def record_payment(request, award_id: int, payload: PaymentIn):
    """A payment (partial ones allowed); never more than what remains of the awarded amount."""
    award = selectors.accountant_award(request.auth, award_id)  # of the post's perimeter, once final
    payment = services.record_payment(request.auth, award, payload.paid_on, payload.amount, payload.reference)
    return Status(201, payment)


@router.get("/lots/{lot_id}/award", response=PublicResult, auth=None)
def public_result(request, lot_id: int):
    """The result of a closed lot, for anyone: the ranking by pseudonym, companies once final."""
    lot, award = selectors.public_result(lot_id)
    final = award is not None and award.is_final
    if award is None:
        status = "no_bid"
    else:
        status = {Award.Status.FINAL: "final", Award.Status.UNSUCCESSFUL: "unsuccessful"}.get(
            award.status, "in_progress"
        )
    return {
        "lot_id": lot.pk,
        "notice_reference": lot.tender.reference,
        "status": status,
        "awardee": _company(award.company) if final else None,
        "amount": award.amount if final else None,
        "ranking": [
            {
                "rank": line.rank,
                "pseudonym": line.pseudonym,
                "amount": line.amount,
                "at": line.at,
                "company": _company(line.company),
            }
            for line in selectors.ranking(lot)
        ],
        "minutes": _minutes(award) if final else None,
    }
