"""Practice auctions in the API: the live and upcoming ones, and starting a private one.

A practice lot is otherwise a lot like any other: its snapshot, bids and ledger are at the usual
addresses (``/lots/{lot_id}/...``); the public one can be watched without an account, and a
company's first bid on it takes a free seat."""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status

from seei.accounts.models import Membership, Role
from seei.api.auctions import WATCH_AUTH
from seei.api.auth import AUTH, require_role
from seei.api.schemas import Input
from seei.practice import services

router = Router(tags=["practice"])


class PracticeLotOut(Schema):
    id: int
    reference: str
    public: bool = Field(description="The platform's public practice auction (else the company's own).")
    status: str = Field(description="scheduled, open, suspended or closed")
    opens_at: datetime
    closes_at: datetime = Field(description="The current close, extensions included.")
    best_price: Decimal | None
    bid_count: int
    currency: str
    watch_url: str
    practice: bool = True


class PracticeIn(Input):
    minutes: int = Field(5, ge=1, le=60)
    rivals: int = Field(3, ge=1, le=services.MAX_RIVALS)
    min_decrement_percent: Decimal = Field(Decimal("0.5"), ge=Decimal("0.01"), le=50)
    max_decrement_percent: Decimal = Field(Decimal("10"), ge=Decimal("0.01"), le=50)


def _company(request):
    membership = request.auth if isinstance(request.auth, Membership) else None
    return membership.organisation if membership and membership.role == Role.COMPANY_MEMBER else None


@router.get("/practice/lots", response=list[PracticeLotOut], auth=WATCH_AUTH)
def practice_lots(request):
    """The live and upcoming practice lots: the public one, and the calling company's own."""
    return services.listed(_company(request))


@router.post("/practice/lots", response={201: PracticeLotOut}, auth=AUTH)
def start_practice(request, payload: PracticeIn):
    """Start a private practice auction for your company, opening in ten seconds."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    # A PracticeError is a rule of the procedure: a 400 with its message (seei.api.errors).
    lot = services.start(services.PracticeSettings(**payload.dict()), owner=membership.organisation)
    return Status(
        201, next(item for item in services.listed(membership.organisation) if item["id"] == lot.pk)
    )


class JoinedOut(Schema):
    detail: str = Field(description="Your pseudonym in the room.")


@router.post("/practice/lots/{lot_id}/join", response=JoinedOut, auth=AUTH)
def join_practice(request, lot_id: int):
    """Take a free seat in the public practice auction (bidding on it does so too)."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    try:
        pseudonym = services.join(lot_id, membership.organisation)
    except services.PracticeError as error:
        raise PermissionDenied(str(error)) from None
    return {"detail": pseudonym}


class PracticeProcedureOut(Schema):
    id: int = Field(
        description="The practice notice, at the buyer's usual addresses (``/buyer/notices/{id}``)."
    )
    reference: str
    status: str
    application_deadline: datetime
    room_opens_at: datetime
    day_seconds: int = Field(description="How many seconds one legal day lasts in this procedure.")
    commission_membership: int = Field(
        description="Your commission membership for it: act with it to open the applications and confirm the award."
    )
    practice: bool = True


@router.post("/practice/procedures", response={201: PracticeProcedureOut}, auth=AUTH)
def start_procedure(request):
    """Start a practice procedure for your organisation: a practice draft notice (one lot) to publish
    and take to its award on the compressed clock, with simulated companies; never public, never counted."""
    from seei.practice import procedure
    from seei.tenders import schedule

    membership = require_role(request, Role.BUYER_AGENT)
    tender = procedure.start(membership)
    return Status(
        201,
        {
            "id": tender.pk,
            "reference": tender.reference,
            "status": tender.status,
            "application_deadline": tender.application_deadline,
            "room_opens_at": tender.lots.get().opens_at,
            "day_seconds": int(schedule.day(tender).total_seconds()),
            "commission_membership": tender.commission.get().membership_id,
        },
    )
