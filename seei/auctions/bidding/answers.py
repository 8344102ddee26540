"""What a bidder is told: the result of a bid, its message in the bidder's language, and the checks
on the client's request id (the idempotency key that makes a request sent again safe).

A replayed request gets its first answer again, rebuilt here from the audit log; a refusal's text
comes from ``reasons`` (the one table of refusal texts) in the bidder's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from seei.auctions import events, ledger, reasons, rules, signing

REQUEST_ID_MAX = 64
AMOUNT_TEXT_MAX = 100


@dataclass
class BidResult:
    accepted: bool
    reason: str | None  # a rules.Reason code when refused
    message: str  # in the user's language
    receipt: dict[str, Any] | None = None  # signed, when accepted
    snapshot: dict[str, Any] | None = None  # the lot as everyone sees it after this attempt
    me: dict[str, Any] | None = None  # the bidder's own view: pseudonym, rank, allowed range
    allowed: dict[str, str] | None = None  # {"lowest", "highest"} for the next bid
    replayed: bool = False  # the request was already applied: this is its original answer
    extended: bool = False  # this bid moved the close
    frame: bytes | None = None  # the snapshot as encoded for the viewers (reused by the HTTP answer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "reason": self.reason,
            "message": self.message,
            "receipt": self.receipt,
            "snapshot": self.snapshot,
            "me": self.me,
            "allowed": self.allowed,
            "replayed": self.replayed,
            "extended": self.extended,
        }

    def encode(self) -> bytes:
        """The answer as JSON bytes, reusing the snapshot's frame (encoded once for everyone)."""
        if self.frame is None or self.snapshot is None:
            return events.encode(self.to_dict())
        rest = self.to_dict()
        del rest["snapshot"]
        return b'{"snapshot":' + self.frame + b"," + events.encode(rest)[1:]


ACCEPTED_MESSAGES = {
    "ar": "سُجّل عرضكم البالغ {amount}. ترتيبكم: {rank}.",
    "fr": "Votre offre de {amount} est enregistrée. Votre rang : {rank}.",
    "en": "Your bid of {amount} is recorded. Your rank: {rank}.",
}
EXTENDED_MESSAGES = {
    "ar": " تم تمديد موعد الإغلاق إلى {closes_at}.",
    "fr": " La clôture est reportée au {closes_at}.",
    "en": " The closing time moved to {closes_at}.",
}


def _language(lang: str | None) -> str:
    code = (lang or reasons.DEFAULT_LANGUAGE).replace("_", "-").split("-")[0].lower()
    return code if code in reasons.LANGUAGES else reasons.DEFAULT_LANGUAGE


def accepted_message(
    params: rules.LotParams, state: rules.State, bid: rules.Bid, lang: str | None, extended: bool, rank=None
) -> str:
    code = _language(lang)
    text = ACCEPTED_MESSAGES[code].format(
        amount=reasons.format_amount(bid.amount, params.currency, code),
        rank=rank if rank is not None else state.rank_of(bid.bidder),
    )
    if extended:
        text += EXTENDED_MESSAGES[code].format(closes_at=reasons.format_time(state.closes_at))
    return text


def _encode_detail(detail: Any) -> dict[str, Any]:
    return ledger.to_jsonable(dict(detail or {}))


def _decode_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The stored message parameters, with amounts and times typed again for formatting."""
    decoded = dict(detail or {})
    if isinstance(decoded.get("limit"), str):
        decoded["limit"] = Decimal(decoded["limit"])
    for key in ("opens_at", "closes_at"):
        if isinstance(decoded.get(key), str):
            decoded[key] = rules.parse_time(decoded[key])
    return decoded


def _refusal_message(code: str, detail: dict[str, Any], lang: str | None) -> str:
    return reasons.message(code, _language(lang), **detail)


def _allowed(me: dict[str, Any] | None) -> dict[str, str] | None:
    if not me or "lowest_allowed" not in me:
        return None
    return {"lowest": me["lowest_allowed"], "highest": me["highest_allowed"]}


def valid_request_id(request_id: Any) -> bool:
    """A client's idempotency key: printable (nothing the database could refuse), not blank, short."""
    return (
        isinstance(request_id, str)
        and 0 < len(request_id.strip())
        and len(request_id) <= REQUEST_ID_MAX
        and request_id.isprintable()
    )


def _check_request_id(request_id: Any) -> str:
    if not valid_request_id(request_id):
        raise ValueError(
            f"request_id must be a non-empty string of at most {REQUEST_ID_MAX} printable characters"
        )
    return request_id


def _storable(text: str) -> str:
    """Text as the audit log can keep it, still showing what was sent: PostgreSQL's text refuses NUL
    and UTF-8 has no lone surrogate, so those are kept as their escapes (``\\u0000``)."""
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RequestReused(Exception):
    """The bidder sent this request id before with another amount: a request id names one bid, so
    this is neither a replay nor a new bid. Nothing was written; the room and the API answer 409."""

    reason = "request_id_reused"

    def message(self) -> str:
        """What to tell the person, in the active language."""
        return _(
            "This request id was already used for a bid of another amount. "
            "Send the new amount with a new request id."
        )


def same_amount(first: str, again: Any, minor_digits: int) -> bool:
    """Whether ``again`` (as typed) is the amount first sent as ``first`` (as the audit log keeps it):
    the same text, or the same value written another way ("590000" and "590 000,00")."""
    if not isinstance(again, str):
        return False
    if _storable(again[:AMOUNT_TEXT_MAX]) == first:
        return True
    try:
        return rules.parse_amount(again, minor_digits) == rules.parse_amount(first, minor_digits)
    except rules.AmountError:
        return False


def outsider_refusal(lang: str | None) -> BidResult:
    """The answer to an account that is not an admitted bidder, given before the lock (``flood``)."""
    return BidResult(
        accepted=False,
        reason=str(rules.Reason.NOT_ADMITTED),
        message=_refusal_message(rules.Reason.NOT_ADMITTED, {}, lang),
    )


def _original_answer(params, state, outcome, reason, detail, stored_entry, ref, lang) -> BidResult:
    """The answer given the first time to a request now replayed, rebuilt from the audit log."""
    if outcome == "accepted":
        seq, kind, at, data, prev_hash, entry_hash = stored_entry
        at = rules.utc(at)
        entry = {
            "seq": seq,
            "type": kind,
            "at": rules.format_time(at),
            "data": data,
            "prev_hash": prev_hash,
            "hash": entry_hash,
        }
        bid = rules.Bid(seq, data["bidder"], rules.parse_decimal(data["amount"]), at)
        return BidResult(
            accepted=True,
            reason=None,
            message=accepted_message(params, state, bid, lang, extended=False),
            receipt=signing.sign_receipt(entry, ref),
        )
    return BidResult(
        accepted=False, reason=reason, message=_refusal_message(reason, _decode_detail(detail), lang)
    )
