"""The live auction in the JSON API: snapshot, bids, the public ledger and the signing key.

A bid goes through exactly the same transaction as in the room (``bidding.place_bid``), so an
integrator or a load test can bid without a browser. The snapshot and the ledger are returned
byte for byte as the room and ``seei verify`` see them.
"""

import json
import re

from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from seei.accounts.models import Membership, Role
from seei.api.auth import AUTH, require_role
from seei.api.schemas import Error, Input
from seei.auctions import bidding, events, ledger, selectors, services, signing
from seei.auctions.rules import Reason
from seei.room import bids

router = Router(tags=["auctions"])

# Refusals about the amount itself are reported on the ``amount`` field, the others on the whole bid.
AMOUNT_REASONS = {
    Reason.EMPTY_AMOUNT,
    Reason.MALFORMED_AMOUNT,
    Reason.AMBIGUOUS_AMOUNT,
    Reason.NOT_POSITIVE,
    Reason.TOO_LARGE,
    Reason.TOO_MANY_DECIMALS,
    Reason.NOT_BELOW_START,
    Reason.NOT_BELOW_OWN,
    Reason.EQUAL_TO_BEST,
    Reason.DECREMENT_TOO_SMALL,
    Reason.DECREMENT_TOO_LARGE,
}


class _Public:
    """Marks an anonymous visitor (no credentials sent) on operations open to the public."""

    def __bool__(self):
        return True


PUBLIC = _Public()


def _anonymous(request):
    # A request that sends a token must be authenticated by it: a wrong token is a 401, not a visitor.
    return None if "Authorization" in request.headers else PUBLIC


WATCH_AUTH = [*AUTH, _anonymous]


def _json(data, status=200, filename: str | None = None) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = HttpResponse(body, status=status, content_type="application/json")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Shapes (documentation; the bodies are the room's own JSON) --------------------------------------------


class RankingLine(Schema):
    rank: int
    pseudonym: str
    at: str
    amount: str | None = Field(None, description="Only when the lot shows all prices, or once closed.")


class Me(Schema):
    pseudonym: str
    rank: int | None
    last_amount: str | None
    lowest_allowed: str | None = Field(None, description="While the room is open.")
    highest_allowed: str | None = None


class SnapshotOut(Schema):
    """The same snapshot every viewer of the lot receives (``me`` only for a bidder asking over HTTP)."""

    lot: int
    seq: int = Field(description="Sequence number of the last ledger entry: a gap means a missed change.")
    server_time: str
    status: str = Field(description="scheduled, open, suspended or closed")
    practice: bool | None = Field(None, description="True on a practice lot: never a real procedure.")
    opens_at: str
    closes_at: str
    remaining_ms: int
    extensions: int
    currency: str
    visibility: str
    starting_price: str
    bidders: int
    active_bidders: int
    bids: int
    best: str | None = Field(None, description="Only when the lot shows the best price, or once closed.")
    ranking: list[RankingLine]
    winner: str | None = Field(description="The provisional winner's pseudonym, once closed.")
    suspended: bool
    me: Me | None = None
    events: list[dict] | None = Field(
        None,
        description="In the frame of new bids: their history lines (seq, type, at, pseudonym, and the "
        "amount or the best price as the lot shows them), so that a jump of several seqs needs no history request.",
    )


class BidIn(Schema):
    """Not an ``Input``: the amount goes as typed to the rules, which refuse what is not an amount
    (NUL included) with their reason, and the attempt is logged."""

    amount: str = Field(description="As typed: `1234.50`, `1 234,50`, Arabic-Indic digits are accepted.")
    request_id: str = Field(
        min_length=1,
        max_length=bidding.REQUEST_ID_MAX,
        description="Your idempotency key: the same key again returns the first answer and changes nothing.",
    )

    @field_validator("request_id")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError(_("The request id must be printable characters only."))
        return value


class BidOut(Schema):
    accepted: bool
    reason: str | None = Field(description="The refusal code (see seei.auctions.rules.Reason).")
    message: str
    receipt: dict | None = Field(description="Signed with the platform key (format seei-receipt/1).")
    snapshot: SnapshotOut
    me: Me | None
    allowed: dict | None = Field(description="`lowest` and `highest` amounts allowed for your next bid.")
    replayed: bool
    extended: bool


class BidRefused(BidOut, Error):
    """A refused bid: the error (the reason on ``amount`` or ``__all__``) and the bid's answer."""


class LedgerOut(Schema):
    format: str = Field(description="seei-ledger/1")
    lot: dict
    public_key: str
    entries: list[dict]
    signatures: dict[str, str]
    transparency: dict | None = Field(
        None, description="Proof that the final entry is in the transparency log, with the signed head."
    )


class PublicKeyOut(Schema):
    algorithm: str
    public_key: str = Field(description="PEM (SubjectPublicKeyInfo)")
    public_key_b64: str = Field(description="The 32 raw bytes, base64")


class SuspendIn(Input):
    reason: str


class SuspensionOut(Schema):
    id: int
    started_at: str
    ended_at: str | None
    reason: str
    lots: list[int]

    @staticmethod
    def resolve_reason(obj) -> str:
        return obj.reason_text  # an automatic suspension's cause, in the request's language

    @staticmethod
    def resolve_started_at(obj) -> str:
        return obj.started_at.isoformat()

    @staticmethod
    def resolve_ended_at(obj) -> str | None:
        return obj.ended_at.isoformat() if obj.ended_at else None


# Operations -------------------------------------------------------------------------------------------


@router.get(
    "/lots/{lot_id}/snapshot",
    response=SnapshotOut,
    auth=WATCH_AUTH,
)
def snapshot(request, lot_id: int):
    """The room as its viewers see it: bidders of the lot, its buyer and commission; anyone when the
    lot is watchable by the public or closed. Never a company or a person, only pseudonyms."""
    membership = request.auth if isinstance(request.auth, Membership) else None
    _room, role = selectors.watchable_room(membership, lot_id)
    if role != "bidder":
        return _json(bidding.snapshot_sync(lot_id))
    return _json(bidding.snapshot_sync(lot_id, user_id=membership.user_id, membership_id=membership.pk))


def check_request_id(request_id: str) -> None:
    """Only spaces: a 400 on the field, as the room answers it (the schema checked the rest)."""
    if not bidding.valid_request_id(request_id):
        message = _("The request id must not be blank: send a key of your own for this bid.")
        raise ValidationError({"request_id": [message]})


def bid_answer(outcome: bids.Outcome) -> tuple[int, bytes]:
    """The API's answer (status, JSON body) to a bid's outcome (``seei.room.bids``), in the active
    language; a 429 also carries ``Retry-After: outcome.error.retry_after``. The same for the bid
    served by the room app (``seei.room.api_bids``) and by this module's view."""
    result, error = outcome.result, outcome.error
    if outcome.status == bids.ACCEPTED:
        return 201, result.encode()
    if outcome.status == bids.NO_ROOM:
        return 404, events.encode({"detail": _("This lot has no auction room.")})
    if outcome.status == bids.NOT_ADMITTED:
        detail = str(error) if error is not None else result.message  # a practice seat refused, or the rules
        return 403, events.encode({"detail": detail, "reason": Reason.NOT_ADMITTED})
    if outcome.status in (bids.REUSED, bids.THROTTLED):
        return outcome.status, events.encode({"detail": error.message(), "reason": error.reason})
    field = "amount" if result.reason in AMOUNT_REASONS else "__all__"
    error_part = events.encode({"detail": result.message, "errors": {field: [result.message]}})
    return 400, error_part[:-1] + b"," + result.encode()[1:]  # the bid's answer after the error


async def _place(membership: Membership, lot_id: int, payload: BidIn, language: str) -> bids.Outcome:
    # A connection of the pool when this runs on the room app's loop (served by ASGI), else its own.
    async with bidding.connection() as conn:
        return await bids.place(
            conn,
            lot_id=lot_id,
            user_id=membership.user_id,
            membership_id=membership.pk,
            amount=payload.amount,
            request_id=payload.request_id,
            language=language,
            audit_outsiders=True,
            practice=True,
        )


@router.post(
    "/lots/{lot_id}/bids",
    response={201: BidOut, 400: BidRefused | Error, 409: Error, 429: Error},
    auth=AUTH,
    tags=["company"],
)
def place_bid(request, lot_id: int, payload: BidIn):
    """Bid for your company (a company member of an admitted bidder). 201 with the signed receipt when
    accepted; 400 with the reason and a message in your language when refused (nothing changes); 409
    when the request id was already used for another amount; 429 with Retry-After for too many
    attempts, or one within the lot's interval after your last (accepted or refused)."""
    # Served by the room app (``seei.room.api_bids``) for a bid with a token: this view answers the
    # session's bids, and documents the operation.
    membership = require_role(request, Role.COMPANY_MEMBER)
    check_request_id(payload.request_id)
    outcome = async_to_sync(_place)(membership, lot_id, payload, get_language())
    status, body = bid_answer(outcome)
    response = HttpResponse(body, status=status, content_type="application/json")
    if outcome.status == bids.THROTTLED:
        response["Retry-After"] = str(outcome.error.retry_after)
    return response


def _filename(ref: str) -> str:
    return "ledger-" + re.sub(r"[^A-Za-z0-9._-]+", "-", ref).strip("-") + ".json"


@router.get("/lots/{lot_id}/ledger", response={200: LedgerOut, 403: Error}, auth=None)
def public_ledger(request, lot_id: int):
    """The anonymised ledger of a closed lot, exactly as `seei verify LEDGER.json` reads it."""
    document = selectors.public_ledger(lot_id)
    return _json(document, filename=_filename(document["lot"]["ref"]))


@router.get("/ledger/public-key", response=PublicKeyOut, auth=None)
def public_key(request):
    """The platform's Ed25519 public key: it checks every ledger and every bid receipt."""
    return {
        "algorithm": "Ed25519",
        "public_key": signing.public_key_pem(),
        "public_key_b64": ledger.public_key_b64(signing.private_key()),
    }


@router.post("/auctions/suspension", response={201: SuspensionOut}, auth=AUTH, tags=["administrator"])
def suspend(request, payload: SuspendIn):
    """Incident: pause every running room (administrators only); the remaining time is credited on resume."""
    return Status(201, services.suspend_all(request.auth, payload.reason))


@router.post("/auctions/suspension/end", response=SuspensionOut, auth=AUTH, tags=["administrator"])
def resume(request):
    """End the incident: every suspended room resumes with the time it had left."""
    return services.resume_all(request.auth)
