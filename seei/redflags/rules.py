"""The integrity red flags: pure functions over plain data (no Django, no I/O, no clock).

Each rule reads the facts of one notice or one lot and returns a ``Flag`` (its code and the figures
that made it fire) or ``None``. The facts only ever hold what may be shown: the selector fills a
field once its data is no longer sealed (prices once the room is closed, applications once the
examination is closed, the winner once the award is final), so a rule cannot reveal anything.

Codes are the identifiers of the Open Contracting Partnership's red-flag guide, "Red flags in
public procurement" (2024, the update of "Red Flags for Integrity: Giving the green light to open
data solutions", 2016), as used by its Cardinal library. Two flags of this platform have no
identifier there (``SEEI-E1``, ``SEEI-W1``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

SHORT_PUBLICITY = "R003"  # Short submission period
SINGLE_BIDDER = "R018"  # Single bid received
NARROW_BAND = "R024"  # Price close to winning bid
IDENTICAL_BIDS = "R028"  # Identical bid prices
PASSED_DOWN = "R036"  # Lowest bid disqualified
EXCLUDED_SHARE = "R038"  # Excessive disqualified bids
DISCOUNTED = "R058"  # Heavily discounted bid
LATE_ERRATUM = "SEEI-E1"  # no identifier in the guide
REPEAT_WINNER = "SEEI-W1"  # no identifier in the guide

CODES = (
    SHORT_PUBLICITY,
    LATE_ERRATUM,
    EXCLUDED_SHARE,
    SINGLE_BIDDER,
    DISCOUNTED,
    IDENTICAL_BIDS,
    NARROW_BAND,
    PASSED_DOWN,
    REPEAT_WINNER,
)

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Thresholds:
    publicity_days: Decimal = Decimal(11)  # R003: publicity shorter than this
    erratum_days: Decimal = Decimal(3)  # SEEI-E1: a substantive erratum less than this before the deadline
    excluded_share: Decimal = Decimal("0.6")  # R038: this share of the applications excluded, or more
    excluded_min_applications: int = 3  # R038: ... out of at least this many
    below_estimate: Decimal = Decimal("0.5")  # R058: winning price under this share of the estimate
    below_second: Decimal = Decimal("0.8")  # R058: ... or under this share of the second price
    band: Decimal = Decimal("0.01")  # R024: every price within this share above the lowest
    band_min_bidders: int = 3  # R024: ... with at least this many bidders
    repeat_wins: int = 4  # SEEI-W1: this many final awards to the same company by the same buyer
    repeat_days: int = 365  # SEEI-W1: ... within this many days


@dataclass(frozen=True)
class Erratum:
    number: int
    published_at: datetime
    substantive: bool
    deadline_before: datetime
    deadline_after: datetime


@dataclass(frozen=True)
class NoticeFacts:
    """A published, real notice (publication and errata are public)."""

    published_at: datetime
    deadline: datetime
    errata: tuple[Erratum, ...] = ()


@dataclass(frozen=True)
class LotFacts:
    """What is public about a lot; ``None`` where its data is still sealed."""

    estimate: Decimal
    # Once the commission closed its session: the applications naming the lot, and those excluded.
    applications: int | None = None
    excluded: int | None = None
    # Once the room is closed: each bidder's best price, best first, and how many were admitted.
    prices: tuple[Decimal, ...] | None = None
    admitted: int | None = None
    # Once the award is final: the rank awarded, and the dates of the final awards by the same buyer
    # (this one included), all of them and those to the same company.
    awarded_rank: int | None = None
    final_at: datetime | None = None
    buyer_awards: tuple[datetime, ...] = ()
    winner_awards: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Flag:
    code: str
    figures: dict = field(default_factory=dict)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * HUNDRED / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


def shorter(delta: timedelta, threshold_days: Decimal) -> bool:
    return _seconds(delta) < threshold_days * 86400


def days(delta: timedelta) -> Decimal:
    return (_seconds(delta) / 86400).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# The notice --------------------------------------------------------------------------------------


def short_publicity(notice: NoticeFacts, t: Thresholds) -> Flag | None:
    """R003: the time from publication to the application deadline (errata included) is short."""
    length = notice.deadline - notice.published_at
    if not shorter(length, t.publicity_days):
        return None
    return Flag(SHORT_PUBLICITY, {"publicity_days": days(length), "threshold_days": t.publicity_days})


def late_erratum(notice: NoticeFacts, t: Thresholds) -> Flag | None:
    """SEEI-E1: a substantive erratum published shortly before the deadline then in force (the
    first such one; moving the deadline keeps the legal minimum, not the bidders' preparation)."""
    for erratum in notice.errata:
        before = erratum.deadline_before - erratum.published_at
        if erratum.substantive and shorter(before, t.erratum_days):
            return Flag(
                LATE_ERRATUM,
                {
                    "erratum": erratum.number,
                    "days_before_deadline": days(before),
                    "threshold_days": t.erratum_days,
                    "deadline_moved": erratum.deadline_after != erratum.deadline_before,
                },
            )
    return None


# The lot --------------------------------------------------------------------------------------------


def excluded_share(lot: LotFacts, t: Thresholds) -> Flag | None:
    """R038: a high share of the applications to the lot was excluded by the commission."""
    if lot.applications is None or lot.excluded is None or lot.applications < t.excluded_min_applications:
        return None
    if lot.excluded < lot.applications * t.excluded_share:
        return None
    return Flag(
        EXCLUDED_SHARE,
        {
            "applications": lot.applications,
            "excluded": lot.excluded,
            "excluded_percent": percent(Decimal(lot.excluded), Decimal(lot.applications)),
            "threshold_percent": t.excluded_share * HUNDRED,
        },
    )


def single_bidder(lot: LotFacts, t: Thresholds) -> Flag | None:
    """R018: one company bid (however many were admitted): the price met no competition."""
    if lot.prices is None or len(lot.prices) != 1:
        return None
    return Flag(SINGLE_BIDDER, {"bidders": 1, "admitted": lot.admitted, "price": lot.prices[0]})


def discounted(lot: LotFacts, t: Thresholds) -> Flag | None:
    """R058: the best price is far below the estimate, or far below the second price."""
    if not lot.prices:
        return None
    best = lot.prices[0]
    second = lot.prices[1] if len(lot.prices) > 1 else None
    under_estimate = best < lot.estimate * t.below_estimate
    under_second = second is not None and best < second * t.below_second
    if not (under_estimate or under_second):
        return None
    return Flag(
        DISCOUNTED,
        {
            "price": best,
            "estimate": lot.estimate,
            "below_estimate_percent": percent(lot.estimate - best, lot.estimate),
            "estimate_threshold_percent": (1 - t.below_estimate) * HUNDRED,
            "second_price": second,
            "below_second_percent": None if second is None else percent(second - best, second),
            "second_threshold_percent": (1 - t.below_second) * HUNDRED,
        },
    )


def identical_bids(lot: LotFacts, t: Thresholds) -> Flag | None:
    """R028: different bidders ended on the same price."""
    if not lot.prices:
        return None
    amount, count = max(Counter(lot.prices).items(), key=lambda pair: (pair[1], -pair[0]))
    if count < 2:
        return None
    return Flag(IDENTICAL_BIDS, {"price": amount, "bidders": count})


def narrow_band(lot: LotFacts, t: Thresholds) -> Flag | None:
    """R024: every bidder's price lies in a narrow band above the best (cover bidding, rotation)."""
    if lot.prices is None or len(lot.prices) < t.band_min_bidders:
        return None
    lowest, highest = lot.prices[0], lot.prices[-1]
    if highest - lowest > lowest * t.band:
        return None
    return Flag(
        NARROW_BAND,
        {
            "bidders": len(lot.prices),
            "lowest": lowest,
            "highest": highest,
            "spread_percent": percent(highest - lowest, lowest),
            "threshold_percent": t.band * HUNDRED,
        },
    )


def passed_down(lot: LotFacts, t: Thresholds) -> Flag | None:
    """R036: the final award went to a bidder ranked below the best price (price is the only criterion)."""
    if lot.awarded_rank is None or lot.awarded_rank == 1 or not lot.prices:
        return None
    best, awarded = lot.prices[0], lot.prices[lot.awarded_rank - 1]
    return Flag(
        PASSED_DOWN,
        {
            "awarded_rank": lot.awarded_rank,
            "best_price": best,
            "awarded_price": awarded,
            "extra_percent": percent(awarded - best, best),
        },
    )


def repeat_winner(lot: LotFacts, t: Thresholds) -> Flag | None:
    """SEEI-W1: the winner has won this buyer's lots again and again over the last period."""
    if lot.final_at is None:
        return None
    start = lot.final_at - timedelta(days=t.repeat_days)

    def within(moments):
        return sum(1 for moment in moments if start < moment <= lot.final_at)

    wins = within(lot.winner_awards)
    if wins < t.repeat_wins:
        return None
    awards = within(lot.buyer_awards)
    return Flag(
        REPEAT_WINNER,
        {
            "wins": wins,
            "buyer_awards": awards,
            "share_percent": percent(Decimal(wins), Decimal(awards)),
            "days": t.repeat_days,
            "threshold_wins": t.repeat_wins,
        },
    )


NOTICE_RULES: tuple[Callable[[NoticeFacts, Thresholds], Flag | None], ...] = (short_publicity, late_erratum)
LOT_RULES: tuple[Callable[[LotFacts, Thresholds], Flag | None], ...] = (
    excluded_share,
    single_bidder,
    discounted,
    identical_bids,
    narrow_band,
    passed_down,
    repeat_winner,
)


def notice_flags(notice: NoticeFacts, t: Thresholds) -> list[Flag]:
    return [flag for rule in NOTICE_RULES if (flag := rule(notice, t)) is not None]


def lot_flags(lot: LotFacts, t: Thresholds) -> list[Flag]:
    return [flag for rule in LOT_RULES if (flag := rule(lot, t)) is not None]
