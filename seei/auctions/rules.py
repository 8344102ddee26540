"""The auction rules: a pure module (no Django, no I/O, no clock).

Every function takes the lot's frozen parameters, the state folded from the ledger so far
and a server time, and returns a new immutable state. The room, the closing task, the
replay and the stand-alone verifier all call these same functions, so a published ledger
can be re-checked exactly.

Encoding used by ``to_dict``/``from_dict`` (and by the ledger):
- ``Decimal``   -> plain string, never an exponent: ``"1234.50"``; accepted amounts always
  carry exactly ``minor_digits`` decimals;
- ``datetime``  -> ISO 8601 in UTC with microseconds and ``Z``: ``"2024-05-10T10:00:00.000000Z"``;
- ``timedelta`` -> integer microseconds, in keys suffixed ``_us``: ``"extension_us": 120000000``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from enum import StrEnum
from itertools import islice
from types import MappingProxyType
from typing import Any, Literal

MAX_AMOUNT = Decimal(10) ** 15  # beyond any real purchase: a longer number is a typo
MAX_MINOR_DIGITS = 6
# The longest timings a lot may have: beyond any real auction, and far from overflowing a date.
MAX_DURATION = timedelta(hours=24)
MAX_EXTENSION = timedelta(hours=1)  # the extension window and each extension
MAX_EXTENSION_CAP = 1000
MAX_BID_INTERVAL = timedelta(hours=1)

Status = Literal["scheduled", "open", "suspended", "closed"]
DecrementKind = Literal["amount", "percent"]
DecrementBase = Literal["own", "best"]
Visibility = Literal["rank", "best", "all"]


_WIDE = Context(prec=60)  # exact arithmetic on amounts: room for any amount with any decimals


class Reason(StrEnum):
    """Why a bid, an amount or a transition was refused. Each has a message in reasons.py."""

    NOT_ADMITTED = "not_admitted"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    TOO_SOON = "too_soon"
    EMPTY_AMOUNT = "empty_amount"
    MALFORMED_AMOUNT = "malformed_amount"
    AMBIGUOUS_AMOUNT = "ambiguous_amount"  # "1.000": one thousand, or one?
    NOT_POSITIVE = "not_positive"
    TOO_LARGE = "too_large"
    TOO_MANY_DECIMALS = "too_many_decimals"
    NOT_BELOW_START = "not_below_start"
    NOT_BELOW_OWN = "not_below_own"
    EQUAL_TO_BEST = "equal_to_best"
    DECREMENT_TOO_SMALL = "decrement_too_small"
    DECREMENT_TOO_LARGE = "decrement_too_large"
    NOT_SUSPENDED = "not_suspended"  # resume without a suspension
    NOT_DUE = "not_due"  # close before the closing time


class AmountError(ValueError):
    """An amount that cannot be a bid, whatever the state of the auction."""

    def __init__(self, code: Reason, **detail: Any) -> None:
        super().__init__(str(code))
        self.code = code
        self.detail = detail


class TransitionError(ValueError):
    """A suspend, resume or close that the rules do not allow now."""

    def __init__(self, code: Reason, **detail: Any) -> None:
        super().__init__(str(code))
        self.code = code
        self.detail = detail


class ReplayError(ValueError):
    """A ledger event that the rules do not accept (code is set when the rules refused it)."""

    def __init__(self, message: str, code: Reason | None = None, detail: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.detail = dict(detail or {})


# --- encoding -------------------------------------------------------------------------------


def utc(dt: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused, as their instant is unknown."""
    if not isinstance(dt, datetime) or dt.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {dt!r}")
    return dt.astimezone(UTC)


def format_time(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"a timestamp string is required, got {text!r}")
    return utc(datetime.fromisoformat(text))


def format_decimal(value: Decimal) -> str:
    return format(value, "f")


_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def parse_decimal(text: Any) -> Decimal:
    """A plain decimal string as written by format_decimal (no exponent, no NaN)."""
    if not isinstance(text, str) or not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(f"a plain decimal string is required, got {text!r}")
    return Decimal(text)


def to_us(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def from_us(value: Any) -> timedelta:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"a duration in integer microseconds is required, got {value!r}")
    return timedelta(microseconds=value)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


# --- parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decrement:
    """A step between two prices: a fixed amount, or a percentage of the starting price."""

    kind: DecrementKind
    value: Decimal

    def __post_init__(self) -> None:
        _check(self.kind in ("amount", "percent"), f"decrement kind must be amount or percent: {self.kind!r}")
        _check(
            isinstance(self.value, Decimal) and self.value.is_finite() and self.value >= 0,
            f"decrement value must be a non-negative Decimal: {self.value!r}",
        )
        _check(self.kind == "amount" or self.value <= 100, "a percentage decrement cannot exceed 100")

    def step(self, starting_price: Decimal) -> Decimal:
        """The step as an exact amount (a percentage may fall between two minor units)."""
        if self.kind == "amount":
            return self.value
        return _WIDE.divide(_WIDE.multiply(starting_price, self.value), 100)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": format_decimal(self.value)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decrement:
        return cls(data["kind"], parse_decimal(data["value"]))


@dataclass(frozen=True)
class LotParams:
    """A lot's auction parameters, frozen (and hashed in the ledger's genesis) before opening."""

    currency: str
    minor_digits: int
    starting_price: Decimal
    min_decrement: Decrement
    opens_at: datetime
    closes_at: datetime  # the initial close; State.closes_at is the current one
    bidders: tuple[str, ...]  # pseudonyms of the admitted bidders, never identities
    max_decrement: Decrement | None = None
    decrement_base: DecrementBase = "own"
    extension_window: timedelta = timedelta(0)
    extension: timedelta = timedelta(0)
    extension_cap: int | None = None
    only_lead_change_extends: bool = False
    refuse_equal_best: bool = True
    min_bid_interval: timedelta = timedelta(0)
    visibility: Visibility = "rank"
    practice: bool = False  # a practice lot: the same rules, never a real procedure

    def __post_init__(self) -> None:
        _check(isinstance(self.currency, str) and bool(self.currency), "currency is required")
        _check(
            isinstance(self.minor_digits, int)
            and not isinstance(self.minor_digits, bool)
            and 0 <= self.minor_digits <= MAX_MINOR_DIGITS,
            f"minor_digits must be an integer from 0 to {MAX_MINOR_DIGITS}",
        )
        try:
            starting_price = check_amount(self.starting_price, self.minor_digits)
        except AmountError as error:
            raise ValueError(f"invalid starting price: {error.code}") from None
        _check(isinstance(self.min_decrement, Decrement), "min_decrement must be a Decrement")
        _check(
            self.max_decrement is None or isinstance(self.max_decrement, Decrement),
            "max_decrement must be a Decrement or None",
        )
        _check(
            self.decrement_base in ("own", "best"),
            f"decrement_base must be own or best: {self.decrement_base!r}",
        )
        _check(
            self.visibility in ("rank", "best", "all"),
            f"visibility must be rank, best or all: {self.visibility!r}",
        )
        # A decrement measured from the best price tells every bidder the best price (the highest
        # amount it may bid, the refusal's limit): it contradicts a room that shows ranks only.
        _check(
            not (self.decrement_base == "best" and self.visibility == "rank"),
            "a decrement measured from the best price needs a visibility that shows the best price",
        )
        opens_at, closes_at = utc(self.opens_at), utc(self.closes_at)
        _check(opens_at < closes_at, "the auction must open before it closes")
        _check(closes_at - opens_at <= MAX_DURATION, f"an auction lasts {MAX_DURATION} at most")
        for name, limit in (
            ("extension_window", MAX_EXTENSION),
            ("extension", MAX_EXTENSION),
            ("min_bid_interval", MAX_BID_INTERVAL),
        ):
            value = getattr(self, name)
            _check(
                isinstance(value, timedelta) and timedelta(0) <= value <= limit,
                f"{name} must be a timedelta from 0 to {limit}",
            )
        _check(
            self.extension_cap is None
            or (
                isinstance(self.extension_cap, int)
                and not isinstance(self.extension_cap, bool)
                and 0 <= self.extension_cap <= MAX_EXTENSION_CAP
            ),
            f"extension_cap must be None or an integer from 0 to {MAX_EXTENSION_CAP}",
        )
        for name in ("only_lead_change_extends", "refuse_equal_best"):
            _check(isinstance(getattr(self, name), bool), f"{name} must be a boolean")
        bidders = tuple(self.bidders)
        _check(all(isinstance(b, str) and b for b in bidders), "bidders must be non-empty pseudonyms")
        _check(len(set(bidders)) == len(bidders), "bidder pseudonyms must be unique")
        # Normalised forms, so that equal parameters always encode (and hash) the same way.
        object.__setattr__(self, "starting_price", starting_price)
        object.__setattr__(self, "opens_at", opens_at)
        object.__setattr__(self, "closes_at", closes_at)
        object.__setattr__(self, "bidders", bidders)
        if self.max_decrement is not None:
            _check(self.min_step <= self.max_step, "the minimum decrement exceeds the maximum decrement")

    @property
    def unit(self) -> Decimal:
        """The currency's minor unit, e.g. 0.01."""
        return Decimal(1).scaleb(-self.minor_digits)

    @property
    def min_step(self) -> Decimal:
        return self.min_decrement.step(self.starting_price)

    @property
    def max_step(self) -> Decimal | None:
        return None if self.max_decrement is None else self.max_decrement.step(self.starting_price)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "minor_digits": self.minor_digits,
            "starting_price": format_decimal(self.starting_price),
            "min_decrement": self.min_decrement.to_dict(),
            "max_decrement": None if self.max_decrement is None else self.max_decrement.to_dict(),
            "decrement_base": self.decrement_base,
            "opens_at": format_time(self.opens_at),
            "closes_at": format_time(self.closes_at),
            "extension_window_us": to_us(self.extension_window),
            "extension_us": to_us(self.extension),
            "extension_cap": self.extension_cap,
            "only_lead_change_extends": self.only_lead_change_extends,
            "refuse_equal_best": self.refuse_equal_best,
            "min_bid_interval_us": to_us(self.min_bid_interval),
            "visibility": self.visibility,
            "bidders": list(self.bidders),
        } | ({"practice": True} if self.practice else {})  # real lots' parameters keep their form

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LotParams:
        """Strict: an unknown key is a rule this code does not know, so it is refused."""
        keys = set(data) - ({"practice"} if data.get("practice") is True else set())
        _check(keys == _PARAM_KEYS, f"unexpected or missing parameters: {sorted(keys ^ _PARAM_KEYS)}")
        return cls(
            currency=data["currency"],
            minor_digits=data["minor_digits"],
            starting_price=parse_decimal(data["starting_price"]),
            min_decrement=Decrement.from_dict(data["min_decrement"]),
            max_decrement=None
            if data["max_decrement"] is None
            else Decrement.from_dict(data["max_decrement"]),
            decrement_base=data["decrement_base"],
            opens_at=parse_time(data["opens_at"]),
            closes_at=parse_time(data["closes_at"]),
            extension_window=from_us(data["extension_window_us"]),
            extension=from_us(data["extension_us"]),
            extension_cap=data["extension_cap"],
            only_lead_change_extends=data["only_lead_change_extends"],
            refuse_equal_best=data["refuse_equal_best"],
            min_bid_interval=from_us(data["min_bid_interval_us"]),
            visibility=data["visibility"],
            bidders=tuple(data["bidders"]),
            practice=data.get("practice", False),
        )


_PARAM_KEYS = frozenset(
    {
        "currency",
        "minor_digits",
        "starting_price",
        "min_decrement",
        "max_decrement",
        "decrement_base",
        "opens_at",
        "closes_at",
        "extension_window_us",
        "extension_us",
        "extension_cap",
        "only_lead_change_extends",
        "refuse_equal_best",
        "min_bid_interval_us",
        "visibility",
        "bidders",
    }
)


# --- state ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bid:
    seq: int  # the ledger sequence number of the entry recording this bid
    bidder: str
    amount: Decimal
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "bidder": self.bidder,
            "amount": format_decimal(self.amount),
            "at": format_time(self.at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Bid:
        return cls(data["seq"], data["bidder"], parse_decimal(data["amount"]), parse_time(data["at"]))


def _ranking_key(bid: Bid) -> tuple[Decimal, datetime, int]:
    # Equal amounts rank by server receive time; seq only breaks exact-time ties.
    return (bid.amount, bid.at, bid.seq)


class Bids(Sequence[Bid]):
    """A lot's bids in order, immutable; ``added`` returns them with one more in O(1) instead of
    copying them all (that copy cost a lot of 10,000 bids 30 µs a bid, and made a replay of its
    ledger quadratic). A state's bids and those of the states built on it share one list, each
    seeing its first ``len``; adding to bids another state already added to (a batch decided again
    after its transaction failed) copies them first, as every bid did before."""

    __slots__ = ("_items", "_length")

    def __init__(self, bids: Iterable[Bid] = ()):
        self._items = list(bids)
        self._length = len(self._items)

    def added(self, bid: Bid) -> Bids:
        items, length = self._items, self._length
        if len(items) == length:
            items.append(bid)  # atomic: of two states adding to this one at once, one takes the slot
        if items[length] is not bid:
            items = items[:length]
            items.append(bid)
        new = Bids.__new__(Bids)
        new._items, new._length = items, length + 1
        return new

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self._items[: self._length][index])
        if not -self._length <= index < self._length:
            raise IndexError("bid index out of range")
        return self._items[index % self._length]

    def __iter__(self) -> Iterator[Bid]:
        return islice(self._items, self._length)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bids | tuple | list):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True)
class State:
    """The lot's state folded from its ledger; ``seq`` is the last ledger entry applied."""

    closes_at: datetime
    seq: int = 0
    extensions: int = 0
    status: Status = "scheduled"
    suspended_at: datetime | None = None
    bids: Sequence[Bid] = ()  # kept as Bids
    # Derived from bids, kept so that a bid costs O(bidders) and not O(bids).
    last_bids: Mapping[str, Bid] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.bids, Bids):
            object.__setattr__(self, "bids", Bids(self.bids))
        last = self.last_bids
        if last is None:
            last = {}
            for bid in self.bids:
                last[bid.bidder] = bid
        if not isinstance(last, MappingProxyType):
            last = MappingProxyType(dict(last))
        object.__setattr__(self, "last_bids", last)

    @classmethod
    def initial(cls, params: LotParams) -> State:
        return cls(closes_at=params.closes_at)

    def ranking(self) -> tuple[Bid, ...]:
        """Each bidder's best bid (its last one, as a bidder's bids strictly decrease), best first."""
        return tuple(sorted(self.last_bids.values(), key=_ranking_key))

    def best(self) -> Bid | None:
        return min(self.last_bids.values(), key=_ranking_key, default=None)

    def winner(self) -> Bid | None:
        ranking = self.ranking()
        return ranking[0] if ranking else None

    def rank_of(self, bidder: str) -> int | None:
        for rank, bid in enumerate(self.ranking(), start=1):
            if bid.bidder == bidder:
                return rank
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "closes_at": format_time(self.closes_at),
            "extensions": self.extensions,
            "status": self.status,
            "suspended_at": None if self.suspended_at is None else format_time(self.suspended_at),
            "bids": [bid.to_dict() for bid in self.bids],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> State:
        return cls(
            closes_at=parse_time(data["closes_at"]),
            seq=data["seq"],
            extensions=data["extensions"],
            status=data["status"],
            suspended_at=None if data["suspended_at"] is None else parse_time(data["suspended_at"]),
            bids=tuple(Bid.from_dict(bid) for bid in data["bids"]),
        )


@dataclass(frozen=True)
class Accepted:
    state: State
    bid: Bid
    extended: bool  # the close moved later because of this bid
    ok: bool = field(default=True, init=False)


@dataclass(frozen=True)
class Refused:
    code: Reason
    detail: Mapping[str, Any] = field(default_factory=dict)  # message parameters, see reasons.py
    ok: bool = field(default=False, init=False)


# --- amounts --------------------------------------------------------------------------------


def check_amount(amount: Any, minor_digits: int) -> Decimal:
    """The amount normalised to exactly minor_digits decimals, or AmountError."""
    # A float is refused on purpose: prices are never binary floating point.
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise AmountError(Reason.MALFORMED_AMOUNT)
    if amount <= 0:
        raise AmountError(Reason.NOT_POSITIVE)
    if amount > MAX_AMOUNT:
        raise AmountError(Reason.TOO_LARGE)
    quantized = amount.quantize(Decimal(1).scaleb(-minor_digits), context=_WIDE)
    if quantized != amount:
        raise AmountError(Reason.TOO_MANY_DECIMALS, digits=minor_digits)
    return quantized


_LOCAL_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}
_ARABIC_DECIMAL, _ARABIC_THOUSANDS = "\u066b", "\u066c"
_GROUP_MARKS = " '\u2019" + _ARABIC_THOUSANDS  # never a decimal mark
_ALLOWED = set("0123456789.,") | set(_GROUP_MARKS) | {_ARABIC_DECIMAL}
_MINUS = ("-", "\u2212")
_AMBIGUOUS = re.compile(r"\d{1,3}[.,]\d{3}")


def parse_amount(text: str, minor_digits: int) -> Decimal:
    """Read an amount typed by a person, or raise AmountError.

    Accepts "1234.50", "1 234,50", "1,234.50", "1234,5" and Arabic-Indic or Persian digits
    with the Arabic separators. A lone "," or "." is the decimal mark, except that "1.234" or
    "1,234" is refused as ambiguous (unless the currency has three minor digits) rather than
    risk reading it a thousand times too large or too small.
    """
    if not isinstance(text, str):
        raise AmountError(Reason.MALFORMED_AMOUNT)
    # NFKC turns no-break and narrow spaces into spaces, and full-width digits into ASCII.
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise AmountError(Reason.EMPTY_AMOUNT)
    text = "".join(_LOCAL_DIGITS.get(c, c) for c in text)
    negative = text.startswith(_MINUS)
    if negative:
        text = text[1:].lstrip()
    text = re.sub(r"\s+", " ", text)
    if not text or any(c not in _ALLOWED for c in text):
        raise AmountError(Reason.MALFORMED_AMOUNT)  # letters, signs, exponents, NaN, Infinity
    if minor_digits < 3 and _AMBIGUOUS.fullmatch(text):
        raise AmountError(Reason.AMBIGUOUS_AMOUNT)
    integer, fraction = _split_decimal_mark(text)
    integer = _ungroup(integer)
    if negative and (integer.strip("0") or fraction.strip("0")):
        raise AmountError(Reason.NOT_POSITIVE)
    # Length guards first, so that a pasted megabyte of digits costs nothing.
    if len(integer.lstrip("0")) > len(str(MAX_AMOUNT)):
        raise AmountError(Reason.TOO_LARGE)
    if len(fraction) > minor_digits:
        # "1234.500" is refused too: three written decimals suggest a misplaced separator.
        raise AmountError(Reason.TOO_MANY_DECIMALS, digits=minor_digits)
    return check_amount(Decimal(f"{integer}.{fraction or '0'}"), minor_digits)


def _split_decimal_mark(text: str) -> tuple[str, str]:
    if _ARABIC_DECIMAL in text:
        mark = _ARABIC_DECIMAL
    elif "." in text and "," in text:
        mark = max(".,", key=text.rindex)  # the later one is the decimal mark: 1.234,50 / 1,234.50
    elif text.count(".") == 1 or text.count(",") == 1:
        mark = "." if "." in text else ","
    else:
        mark = None  # none, or repeated marks: thousands separators only ("1.234.567")
    if mark is None:
        return text, ""
    integer, _, fraction = text.partition(mark)
    if not fraction.isdigit() or not fraction.isascii():
        raise AmountError(Reason.MALFORMED_AMOUNT)  # "1234," or a separator after the decimal mark
    return integer, fraction


def _ungroup(integer: str) -> str:
    """The digits of an integer part, checking that thousands groups have three digits."""
    groups = re.split(r"[.,]|[" + re.escape(_GROUP_MARKS) + "]", integer)
    head, tail = groups[0], groups[1:]
    if not head.isdigit() or not head.isascii() or (tail and len(head) > 3):
        raise AmountError(Reason.MALFORMED_AMOUNT)
    if any(len(group) != 3 or not group.isdigit() for group in tail):
        raise AmountError(Reason.MALFORMED_AMOUNT)  # "12 34" is a typo, not 1234
    return "".join(groups)


# --- bids -----------------------------------------------------------------------------------


def _phase_refusal(params: LotParams, state: State, at: datetime) -> Refused | None:
    """Why nothing can happen now (bid or suspension), or None while the room is open."""
    if state.status == "closed":
        return Refused(Reason.CLOSED)
    if state.status == "suspended":
        return Refused(Reason.SUSPENDED)
    if at < params.opens_at:
        return Refused(Reason.NOT_OPEN, {"opens_at": params.opens_at})
    if at >= state.closes_at:
        return Refused(Reason.CLOSED)
    return None


def _base(params: LotParams, state: State, bidder: str) -> Decimal:
    """The price a decrement is measured from."""
    previous = state.best() if params.decrement_base == "best" else state.last_bids.get(bidder)
    return params.starting_price if previous is None else previous.amount


def _step_bounds(params: LotParams, base: Decimal) -> tuple[Decimal | None, Decimal]:
    """(lowest, highest) amounts that the decrement bounds allow from base, in minor units."""
    unit = params.unit
    highest = base - params.min_step.quantize(unit, rounding=ROUND_CEILING)
    max_step = params.max_step
    lowest = None if max_step is None else base - max_step.quantize(unit, rounding=ROUND_FLOOR)
    return lowest, highest


def allowed_range(params: LotParams, state: State, bidder: str) -> tuple[Decimal, Decimal]:
    """(lowest, highest) amount the bid form should allow; lowest > highest means none.

    When equal bids are refused, the current best is refused even if it lies inside the range,
    unless the room shows ranks only: then the range must not betray the best price.
    """
    unit = params.unit
    lowest, highest = _step_bounds(params, _base(params, state, bidder))
    lowest = unit if lowest is None else max(lowest, unit)
    highest = min(highest, params.starting_price - unit)
    own = state.last_bids.get(bidder)
    if own is not None:
        highest = min(highest, own.amount - unit)
    best = state.best()
    if (
        params.refuse_equal_best
        and params.visibility != "rank"
        and best is not None
        and highest == best.amount
    ):
        highest -= unit
    return lowest, highest


def apply_bid(
    params: LotParams, state: State, bidder: str, amount: Decimal, at: datetime
) -> Accepted | Refused:
    """Accept or refuse a bid received by the server at ``at``."""
    at = utc(at)
    if bidder not in params.bidders:
        return Refused(Reason.NOT_ADMITTED)
    refusal = _phase_refusal(params, state, at)
    if refusal is not None:
        return refusal
    own = state.last_bids.get(bidder)
    # The flood guard counts accepted bids only: refused attempts are not in the ledger,
    # and the verifier must reach the same decisions from the ledger alone.
    if own is not None and at - own.at < params.min_bid_interval:
        wait = own.at + params.min_bid_interval - at
        return Refused(Reason.TOO_SOON, {"seconds": math.ceil(wait / timedelta(seconds=1))})
    try:
        amount = check_amount(amount, params.minor_digits)
    except AmountError as error:
        return Refused(error.code, error.detail)
    money = {"currency": params.currency}
    if amount >= params.starting_price:
        return Refused(Reason.NOT_BELOW_START, {"limit": params.starting_price, **money})
    if own is not None and amount >= own.amount:
        return Refused(Reason.NOT_BELOW_OWN, {"limit": own.amount, **money})
    best = state.best()
    if params.refuse_equal_best and best is not None and amount == best.amount:
        # A room showing ranks only keeps the best price out of the refusal too.
        return Refused(
            Reason.EQUAL_TO_BEST, {} if params.visibility == "rank" else {"limit": best.amount, **money}
        )
    lowest, highest = _step_bounds(params, _base(params, state, bidder))
    if amount > highest:
        return Refused(Reason.DECREMENT_TOO_SMALL, {"limit": highest, **money})
    if lowest is not None and amount < lowest:
        return Refused(Reason.DECREMENT_TOO_LARGE, {"limit": lowest, **money})

    bid = Bid(seq=state.seq + 1, bidder=bidder, amount=amount, at=at)
    closes_at, extensions = state.closes_at, state.extensions
    takes_lead = best is None or amount < best.amount
    if (
        closes_at - at <= params.extension_window
        and (params.extension_cap is None or extensions < params.extension_cap)
        and (takes_lead or not params.only_lead_change_extends)
        and at + params.extension > closes_at  # the close never moves earlier
    ):
        closes_at, extensions = at + params.extension, extensions + 1
    new_state = replace(
        state,
        seq=bid.seq,
        status="open",
        closes_at=closes_at,
        extensions=extensions,
        bids=state.bids.added(bid),
        last_bids=MappingProxyType({**state.last_bids, bidder: bid}),
    )
    return Accepted(new_state, bid, extended=extensions != state.extensions)


# --- incidents and close --------------------------------------------------------------------


def suspend(params: LotParams, state: State, at: datetime) -> State:
    """Platform-wide incident: stop the clock of an open room."""
    at = utc(at)
    refusal = _phase_refusal(params, state, at)
    if refusal is not None:
        raise TransitionError(refusal.code, **refusal.detail)
    return replace(state, seq=state.seq + 1, status="suspended", suspended_at=at)


def resume(params: LotParams, state: State, at: datetime) -> State:
    """Restart the clock, crediting the time that remained when the room was suspended."""
    at = utc(at)
    if state.status != "suspended" or state.suspended_at is None:
        raise TransitionError(Reason.NOT_SUSPENDED)
    if at < state.suspended_at:
        raise ValueError("a suspension cannot end before it began")
    remaining = state.closes_at - state.suspended_at
    return replace(state, seq=state.seq + 1, status="open", suspended_at=None, closes_at=at + remaining)


def close(params: LotParams, state: State, at: datetime) -> State:
    """Mark the lot closed; valid only at or after the current closing time."""
    at = utc(at)
    if state.status == "closed":
        raise TransitionError(Reason.CLOSED)
    if state.status == "suspended":
        raise TransitionError(Reason.SUSPENDED)
    if at < state.closes_at:
        raise TransitionError(Reason.NOT_DUE, closes_at=state.closes_at)
    return replace(state, seq=state.seq + 1, status="closed")


# --- replay ---------------------------------------------------------------------------------


def apply_event(params: LotParams, state: State, event: Mapping[str, Any]) -> State:
    """Apply one ledger entry ({"seq", "type", "at", "data"}); genesis entries change nothing."""
    kind = event.get("type")
    if kind == "genesis":
        return state
    seq = event.get("seq")
    if seq is not None and seq != state.seq + 1:
        raise ReplayError(f"sequence number {seq} where {state.seq + 1} was expected")
    try:
        at = event["at"]
        at = parse_time(at) if isinstance(at, str) else utc(at)
    except (KeyError, ValueError):
        raise ReplayError(f"unreadable time {event.get('at')!r}") from None
    if kind == "bid":
        data = event.get("data")
        data = data if isinstance(data, Mapping) else {}
        result = apply_bid(params, state, data.get("bidder"), _event_amount(data.get("amount")), at)
        if isinstance(result, Refused):
            raise ReplayError(f"bid refused by the rules: {result.code}", result.code, result.detail)
        return result.state
    transition = (
        {"suspend": suspend, "resume": resume, "close": close}.get(kind) if isinstance(kind, str) else None
    )
    if transition is None:
        raise ReplayError(f"unknown event type {kind!r}")
    try:
        return transition(params, state, at)
    except TransitionError as error:
        raise ReplayError(f"{kind} refused by the rules: {error.code}", error.code, error.detail) from None
    except ValueError as error:
        raise ReplayError(f"{kind} refused by the rules: {error}") from None


def _event_amount(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_decimal(value)
        except ValueError:
            return None  # then refused as malformed_amount
    return value


def replay(params: LotParams, events: Iterable[Mapping[str, Any]]) -> State:
    """Fold the ledger's events into a state; ReplayError on any event the rules refuse."""
    state = State.initial(params)
    for event in events:
        state = apply_event(params, state, event)
    return state


# --- what a viewer sees ---------------------------------------------------------------------


def phase(params: LotParams, state: State, now: datetime) -> Status:
    """The status as seen at ``now``: a room past its closing time is closed, even before
    the closing task has recorded it."""
    if state.status in ("closed", "suspended"):
        return state.status
    if now < params.opens_at:
        return "scheduled"
    return "closed" if now >= state.closes_at else "open"


def time_left(state: State, status: Status, now: datetime) -> timedelta:
    """What the countdown shows in phase ``status``: stopped while suspended, nothing unless open."""
    if status == "suspended" and state.suspended_at is not None:
        return state.closes_at - state.suspended_at  # the clock is stopped
    if status == "open":
        return state.closes_at - now
    return timedelta(0)


def view(params: LotParams, state: State, now: datetime, viewer: str | None = None) -> dict[str, Any]:
    """The visibility-filtered snapshot. Without a viewer it is the same for everyone: the
    ranking lists pseudonyms only (with amounts when visibility is "all"), so each client
    finds its own rank in it."""
    now = utc(now)
    status = phase(params, state, now)
    remaining = time_left(state, status, now)
    ranking = state.ranking()
    snapshot: dict[str, Any] = {
        "seq": state.seq,
        "now": format_time(now),
        "status": status,
        "opens_at": format_time(params.opens_at),
        "closes_at": format_time(state.closes_at),
        "remaining_ms": max(0, remaining // timedelta(milliseconds=1)),
        "extensions": state.extensions,
        "currency": params.currency,
        "visibility": params.visibility,
        "bidders": len(params.bidders),
        "active_bidders": len(ranking),
        "bids": len(state.bids),
        "ranking": [
            {"rank": rank, "bidder": bid.bidder}
            | ({"amount": format_decimal(bid.amount)} if params.visibility == "all" else {})
            for rank, bid in enumerate(ranking, start=1)
        ],
    }
    if params.visibility in ("best", "all"):
        snapshot["best"] = format_decimal(ranking[0].amount) if ranking else None
    if viewer is not None:
        own = state.last_bids.get(viewer)
        me: dict[str, Any] = {
            "bidder": viewer,
            "rank": state.rank_of(viewer),
            "last_amount": None if own is None else format_decimal(own.amount),
        }
        if viewer in params.bidders and status == "open":
            lowest, highest = allowed_range(params, state, viewer)
            me |= {"lowest_allowed": format_decimal(lowest), "highest_allowed": format_decimal(highest)}
        snapshot["me"] = me
    return snapshot
