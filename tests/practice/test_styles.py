"""The simulated bidders' styles: pure, so every move is checked against the rules' range and the floor."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seei.practice.styles import STYLES, Situation, next_move

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
UNIT = Decimal("0.01")


def situation(**overrides) -> Situation:
    values = dict(
        now=NOW,
        closes_at=NOW + timedelta(minutes=3),
        floor=Decimal("70000.00"),
        leading=False,
        has_bid=True,
        best=Decimal("95000.00"),
        lowest=Decimal("85500.00"),
        highest=Decimal("94999.99"),
        step=Decimal("500.00"),
        unit=UNIT,
    )
    return Situation(**(values | overrides))


amounts = st.decimals(min_value=Decimal("1000"), max_value=Decimal("100000"), places=2)


@given(
    style=st.sampled_from(STYLES),
    floor=amounts,
    best=st.one_of(st.none(), amounts),
    low=amounts,
    width=st.decimals(min_value=Decimal("-100"), max_value=Decimal("20000"), places=2),
    remaining=st.integers(min_value=-5, max_value=600),
    seed=st.integers(0, 2**32),
)
def test_a_bid_stays_within_the_rules_range_above_the_floor_and_below_the_best(
    style, floor, best, low, width, remaining, seed
):
    seen = situation(
        floor=floor,
        best=best,
        lowest=low,
        highest=low + width,
        closes_at=NOW + timedelta(seconds=remaining),
    )
    move = next_move(style, seen, random.Random(seed))
    assert move.wait > timedelta(0)
    if move.amount is not None:
        assert max(seen.lowest, seen.floor) <= move.amount <= seen.highest
        assert best is None or move.amount < best
        assert move.amount == move.amount.quantize(UNIT)
        assert remaining > 0


@pytest.mark.parametrize("style", STYLES)
def test_nobody_bids_against_itself(style):
    assert next_move(style, situation(leading=True), random.Random(1)).amount is None


def test_the_last_minute_bidder_opens_early_so_that_its_own_decrement_can_reach_the_best_later():
    opening = next_move(
        "last_minute", situation(has_bid=False, closes_at=NOW + timedelta(minutes=4)), random.Random(3)
    )
    assert opening.amount is not None and opening.wait <= timedelta(seconds=6)


def test_the_last_minute_bidder_waits_for_the_end_then_bids_quickly():
    rng = random.Random(3)
    early = next_move("last_minute", situation(closes_at=NOW + timedelta(minutes=4)), rng)
    assert early.amount is None and timedelta(minutes=2) < early.wait < timedelta(minutes=4)
    late = next_move("last_minute", situation(closes_at=NOW + timedelta(seconds=30)), rng)
    assert late.amount is not None and late.wait <= timedelta(seconds=6)


def test_the_aggressive_bidder_drops_further_and_faster_than_the_hesitant_one():
    aggressive = [next_move("aggressive", situation(), random.Random(seed)) for seed in range(50)]
    hesitant = [next_move("hesitant", situation(), random.Random(seed)) for seed in range(50)]
    drops = [Decimal("95000") - move.amount for move in aggressive if move.amount]
    small = [Decimal("95000") - move.amount for move in hesitant if move.amount]
    assert min(drops) >= Decimal("500") and max(small) == Decimal("500")
    assert sum(drops) / len(drops) > 2 * sum(small) / len(small)
    assert max(move.wait for move in aggressive) < min(move.wait for move in hesitant)
    assert len(small) < 50  # it sometimes lets a turn pass


def test_a_rival_stops_at_its_floor():
    move = next_move(
        "aggressive", situation(best=Decimal("70000.00"), floor=Decimal("70000.00")), random.Random(2)
    )
    assert move.amount is None
