"""How a simulated bidder of a practice auction bids: pure, free of Django and of any clock.

Each rival has a floor (the lowest price it will offer) and a style. Given what it sees (the time,
the close, the best price, whether it leads, the range the rules allow its next bid) a style says
whether it bids now, how much, and when it looks again. The amounts always stay inside the rules'
range and above the floor; the rules still decide every bid, through the same bid path as people's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from seei.auctions import rules

STYLES = ("steady", "last_minute", "aggressive", "hesitant")


@dataclass(frozen=True)
class Situation:
    now: datetime
    closes_at: datetime  # the current close (extensions included)
    floor: Decimal
    leading: bool  # it holds the best price
    has_bid: bool  # it has bid already in this lot
    best: Decimal | None
    lowest: Decimal  # the range the rules allow its next bid (rules.allowed_range)
    highest: Decimal
    step: Decimal  # the lot's minimum decrement, as an amount
    unit: Decimal  # the currency's minor unit


def seen_by(
    params: rules.LotParams,
    state: rules.State,
    pseudonym: str,
    floor: Decimal,
    now: datetime,
    closes_at: datetime,
) -> Situation:
    """What a simulated bidder sees of the room; closes_at is the close on its own clock."""
    best = state.best()
    lowest, highest = rules.allowed_range(params, state, pseudonym)
    return Situation(
        now=now,
        closes_at=closes_at,
        floor=floor,
        leading=best is not None and best.bidder == pseudonym,
        has_bid=pseudonym in state.last_bids,
        best=None if best is None else best.amount,
        lowest=lowest,
        highest=highest,
        step=params.min_step,
        unit=params.unit,
    )


@dataclass(frozen=True)
class Move:
    amount: Decimal | None  # None: no bid this time
    wait: timedelta  # until it looks again


def _seconds(low: float, high: float, rng: random.Random) -> timedelta:
    return timedelta(seconds=rng.uniform(low, high))


def _pace(style: str, remaining: timedelta, has_bid: bool, rng: random.Random) -> timedelta:
    """How long it waits before looking again."""
    if style == "aggressive":
        return _seconds(3, 8, rng)
    if style == "hesitant":
        return _seconds(15, 45, rng)
    if style == "last_minute":
        # An opening bid first: where a decrement is measured from one's own last bid, a bidder whose
        # first bid came only at the end could not reach the best price any more.
        rush = timedelta(seconds=rng.uniform(40, 70))  # its own idea of "the last minute"
        if remaining <= rush or not has_bid:
            return _seconds(2, 6, rng)
        return max(remaining - rush, timedelta(seconds=2))
    return _seconds(10, 20, rng)  # steady


def _drop(style: str, situation: Situation, rng: random.Random) -> Decimal:
    """How far below the best price (or its highest allowed amount, for a first bid) it goes."""
    if style == "aggressive":
        reference = situation.best if situation.best is not None else situation.highest
        gap = max(reference - situation.floor, Decimal(0))
        return max(situation.step * rng.randint(1, 3), gap * Decimal(str(round(rng.uniform(0.1, 0.3), 3))))
    if style == "last_minute":
        return situation.step * rng.randint(1, 4)
    if style == "hesitant":
        return situation.step
    return situation.step * rng.randint(1, 2)  # steady


def next_move(style: str, situation: Situation, rng: random.Random) -> Move:
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}")
    remaining = situation.closes_at - situation.now
    wait = _pace(style, remaining, situation.has_bid, rng)
    if remaining <= timedelta(0) or situation.leading:
        return Move(None, wait)
    if style == "last_minute" and situation.has_bid and remaining > timedelta(seconds=75):
        return Move(None, wait)  # it has opened near the start; now it waits for the end
    if style == "hesitant" and rng.random() < 0.4:
        return Move(None, wait)  # not this time
    highest = min(
        situation.highest,
        situation.best - situation.unit if situation.best is not None else situation.highest,
    )
    if highest < max(situation.lowest, situation.floor):
        return Move(None, wait)  # the rules or its floor leave it nothing: it stays where it is
    reference = situation.best if situation.best is not None else situation.highest + situation.unit
    amount = reference - _drop(style, situation, rng)
    amount = min(max(amount, situation.lowest, situation.floor), highest)
    return Move(amount.quantize(situation.unit), wait)
