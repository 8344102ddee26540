"""One bid of a known person, from its amount to its outcome: the decision the room's bid endpoint
(``seei.room.app``) and the API's (``seei.room.api_bids``, and the ninja view behind Django) share.

They differ only in who they accept (a login or a token; the API also checks the role) and in the
shape of their answer (``seei.room.app`` and ``seei.api.auctions.bid_answer``): what the outcome of a
bid is, and its status, is decided here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async

from seei.accounts.models import Membership
from seei.auctions import bidding, flood
from seei.auctions.rules import Reason
from seei.practice import services as practice_services

if TYPE_CHECKING:
    from seei.auctions.bidding import BidResult

ACCEPTED = 201
REFUSED = 422  # a decision of the rules: the room answers it as such, the API as a 400 on a field
NOT_ADMITTED = 403  # not an admitted bidder of the lot (nothing written for the room)
NO_ROOM = 404
REUSED = 409  # the request id was used before for another amount: nothing written
THROTTLED = 429  # too many attempts, or one too soon: nothing written (``error.retry_after``)


@dataclass(frozen=True)
class Outcome:
    status: int  # one of the constants above
    result: BidResult | None = None  # the transaction's answer (201, 422, and 403 when it decided)
    error: Exception | None = None  # what refused the attempt before any decision (403, 409, 429)


async def place(
    source,
    *,
    lot_id: int,
    user_id: int,
    membership_id: int | None,
    amount: str,
    request_id: str,
    language: str | None,
    audit_outsiders: bool,
    session_check=None,
    practice: bool = False,
) -> Outcome:
    """``bidding.place_bid`` on ``source`` (the room's pool: the lot's batch; or one connection), its
    exceptions and result told apart. With ``practice``, a company that is not admitted to the public
    practice auction takes a free seat there and bids again (the API: any company may practise).
    ``bidding.SessionRefused`` and the database's failures propagate (each endpoint answers them)."""
    bid = {
        "lot_id": lot_id,
        "user_id": user_id,
        "membership_id": membership_id,
        "amount": amount,
        "request_id": request_id,
        "lang": language,
        "audit_outsiders": audit_outsiders,
    }
    try:
        result = await bidding.place_bid(source, **bid, session_check=session_check)
        if (
            practice
            and result.reason == Reason.NOT_ADMITTED
            and await _joined_practice(lot_id, membership_id)
        ):
            result = await bidding.place_bid(source, **bid)  # its seat taken: the same bid again
    except bidding.RoomNotFound:
        return Outcome(NO_ROOM)
    except bidding.RequestReused as error:
        return Outcome(REUSED, error=error)
    except flood.Throttled as error:
        return Outcome(THROTTLED, error=error)
    except practice_services.PracticeError as error:
        return Outcome(NOT_ADMITTED, error=error)
    if result.accepted:
        return Outcome(ACCEPTED, result)
    if result.reason == Reason.NOT_ADMITTED:
        return Outcome(NOT_ADMITTED, result)
    return Outcome(REFUSED, result)


async def _joined_practice(lot_id: int, membership_id: int | None) -> bool:
    """The rare path of a first practice bid: Django's ORM, off the event loop."""
    return membership_id is not None and await sync_to_async(_join_practice)(lot_id, membership_id)


def _join_practice(lot_id: int, membership_id: int) -> bool:
    if not practice_services.joinable(lot_id):
        return False
    membership = Membership.objects.select_related("organisation").get(pk=membership_id)
    practice_services.join(lot_id, membership.organisation)
    return True
