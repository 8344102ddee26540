"""Each red flag firing and not firing, with the figures that made it fire (pure rules, no database)."""

import ast
import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from seei.redflags import rules
from seei.redflags.rules import Erratum, LotFacts, NoticeFacts, Thresholds

T = Thresholds()
PUBLISHED = datetime(2016, 3, 1, 9, tzinfo=UTC)
D = Decimal


def test_the_rules_module_is_pure():
    tree = ast.parse(inspect.getsource(rules))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert imported <= {"__future__", "collections", "dataclasses", "datetime", "decimal"}


# R003 short publicity ---------------------------------------------------------------------------------


def test_short_publicity_fires_under_the_threshold_with_its_figures():
    notice = NoticeFacts(published_at=PUBLISHED, deadline=PUBLISHED + timedelta(days=10, hours=4))
    assert rules.notice_flags(notice, T) == [
        rules.Flag("R003", {"publicity_days": D("10.2"), "threshold_days": D(11)})
    ]


def test_short_publicity_stays_quiet_from_the_threshold_on():
    notice = NoticeFacts(published_at=PUBLISHED, deadline=PUBLISHED + timedelta(days=11))
    assert rules.short_publicity(notice, T) is None
    assert rules.short_publicity(notice, Thresholds(publicity_days=D("11.5"))) is not None


@given(st.integers(min_value=0, max_value=40 * 86400))
def test_short_publicity_fires_exactly_below_the_threshold(seconds):
    notice = NoticeFacts(published_at=PUBLISHED, deadline=PUBLISHED + timedelta(seconds=seconds))
    assert (rules.short_publicity(notice, T) is not None) == (seconds < 11 * 86400)


# SEEI-E1 late substantive erratum -----------------------------------------------------------------------


def _erratum(days_before, substantive=True, number=1):
    deadline = PUBLISHED + timedelta(days=15)
    return Erratum(
        number=number,
        published_at=deadline - timedelta(days=days_before),
        substantive=substantive,
        deadline_before=deadline,
        deadline_after=deadline + timedelta(days=9),
    )


def test_a_substantive_erratum_two_days_before_the_deadline_fires():
    notice = NoticeFacts(
        PUBLISHED, PUBLISHED + timedelta(days=24), (_erratum(5, number=1), _erratum(2, number=2))
    )
    assert rules.late_erratum(notice, T) == rules.Flag(
        "SEEI-E1",
        {"erratum": 2, "days_before_deadline": D("2.0"), "threshold_days": D(3), "deadline_moved": True},
    )


def test_an_early_or_a_minor_erratum_stays_quiet():
    deadline = PUBLISHED + timedelta(days=24)
    assert rules.late_erratum(NoticeFacts(PUBLISHED, deadline, (_erratum(4),)), T) is None
    assert rules.late_erratum(NoticeFacts(PUBLISHED, deadline, (_erratum(1, substantive=False),)), T) is None
    assert rules.late_erratum(NoticeFacts(PUBLISHED, deadline), T) is None


# R038 excluded applications ---------------------------------------------------------------------------


def test_excluded_share_fires_with_its_figures():
    assert rules.excluded_share(LotFacts(D(1000), applications=5, excluded=3), T) == rules.Flag(
        "R038",
        {"applications": 5, "excluded": 3, "excluded_percent": D("60.00"), "threshold_percent": D("60.0")},
    )


def test_excluded_share_stays_quiet_below_the_share_or_the_minimum_or_while_sealed():
    assert rules.excluded_share(LotFacts(D(1000), applications=5, excluded=2), T) is None
    assert rules.excluded_share(LotFacts(D(1000), applications=2, excluded=2), T) is None  # too few to say
    assert rules.excluded_share(LotFacts(D(1000)), T) is None  # the examination is not closed


# R018 single bidder ---------------------------------------------------------------------------------------


def test_a_single_bidder_fires_with_the_admitted_count():
    assert rules.single_bidder(LotFacts(D(1000), prices=(D(900),), admitted=3), T) == rules.Flag(
        "R018", {"bidders": 1, "admitted": 3, "price": D(900)}
    )


def test_two_bidders_or_a_room_not_closed_stay_quiet():
    assert rules.single_bidder(LotFacts(D(1000), prices=(D(900), D(950)), admitted=2), T) is None
    assert rules.single_bidder(LotFacts(D(1000), prices=(), admitted=2), T) is None  # no bid at all
    assert rules.single_bidder(LotFacts(D(1000)), T) is None


# R058 heavily discounted ---------------------------------------------------------------------------------


def test_far_below_the_estimate_fires_with_both_gaps():
    flag = rules.discounted(LotFacts(D("603846.00"), prices=(D("274003.20"), D("287300.05"))), T)
    assert flag.code == "R058"
    assert flag.figures["below_estimate_percent"] == D("54.62")
    assert flag.figures["below_second_percent"] == D("4.63")
    assert flag.figures["estimate_threshold_percent"] == D("50.0")


def test_far_below_the_second_fires_alone():
    flag = rules.discounted(LotFacts(D(1000), prices=(D(700), D(900))), T)
    assert flag.figures["below_estimate_percent"] == D("30.00")
    assert flag.figures["below_second_percent"] == D("22.22")


def test_an_ordinary_saving_stays_quiet():
    assert rules.discounted(LotFacts(D(1000), prices=(D(800), D(850))), T) is None
    assert rules.discounted(LotFacts(D(1000), prices=(D(500),)), T) is None  # exactly half: not under it
    assert rules.discounted(LotFacts(D(1000)), T) is None


@given(st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=6), st.integers(1, 10**7))
def test_discounted_fires_exactly_on_either_condition(cents, estimate):
    prices = tuple(sorted(D(c) / 100 for c in cents))
    estimate = D(estimate) / 100
    fired = rules.discounted(LotFacts(estimate, prices=prices), T) is not None
    second = prices[1] if len(prices) > 1 else None
    assert fired == (
        prices[0] < estimate * D("0.5") or (second is not None and prices[0] < second * D("0.8"))
    )


# R028 identical bids --------------------------------------------------------------------------------------


def test_identical_final_prices_fire():
    assert rules.identical_bids(LotFacts(D(1000), prices=(D(800), D(850), D(850))), T) == rules.Flag(
        "R028", {"price": D(850), "bidders": 2}
    )


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=0, max_size=8))
def test_identical_bids_fire_exactly_when_two_prices_are_equal(values):
    prices = tuple(sorted(D(v) for v in values))
    fired = rules.identical_bids(LotFacts(D(1000), prices=prices), T) is not None
    assert fired == (len(set(prices)) < len(prices))


# R024 narrow band ------------------------------------------------------------------------------------


def test_three_prices_within_one_percent_fire():
    assert rules.narrow_band(LotFacts(D(1000), prices=(D(800), D("802.40"), D("807.99"))), T) == rules.Flag(
        "R024",
        {
            "bidders": 3,
            "lowest": D(800),
            "highest": D("807.99"),
            "spread_percent": D("1.00"),
            "threshold_percent": D("1.00"),
        },
    )


def test_a_wide_band_or_two_bidders_stay_quiet():
    assert rules.narrow_band(LotFacts(D(1000), prices=(D(800), D(805), D("808.01"))), T) is None
    assert rules.narrow_band(LotFacts(D(1000), prices=(D(800), D(801))), T) is None


@given(st.lists(st.integers(min_value=10000, max_value=20000), min_size=3, max_size=7))
def test_narrow_band_fires_exactly_when_every_price_is_within_the_band(cents):
    prices = tuple(sorted(D(c) / 100 for c in cents))
    fired = rules.narrow_band(LotFacts(D(1000), prices=prices), T) is not None
    assert fired == all(price <= prices[0] * D("1.01") for price in prices)


# R036 award passed down --------------------------------------------------------------------------------


def test_an_award_to_the_second_rank_fires_with_the_extra_cost():
    assert rules.passed_down(LotFacts(D(1000), prices=(D(800), D(820)), awarded_rank=2), T) == rules.Flag(
        "R036", {"awarded_rank": 2, "best_price": D(800), "awarded_price": D(820), "extra_percent": D("2.50")}
    )


def test_an_award_to_the_best_or_not_final_stays_quiet():
    assert rules.passed_down(LotFacts(D(1000), prices=(D(800), D(820)), awarded_rank=1), T) is None
    assert rules.passed_down(LotFacts(D(1000), prices=(D(800), D(820))), T) is None


# SEEI-W1 repeat winner -------------------------------------------------------------------------------------


def _wins(*days_ago):
    return tuple(PUBLISHED - timedelta(days=d) for d in days_ago)


def test_the_fourth_win_within_a_year_fires():
    facts = LotFacts(
        D(1000), prices=(D(800),), awarded_rank=1, final_at=PUBLISHED,
        buyer_awards=_wins(0, 10, 20, 30, 40, 400), winner_awards=_wins(0, 10, 20, 30, 400),
    )  # fmt: skip
    assert rules.repeat_winner(facts, T) == rules.Flag(
        "SEEI-W1",
        {"wins": 4, "buyer_awards": 5, "share_percent": D("80.00"), "days": 365, "threshold_wins": 4},
    )


def test_wins_spread_over_years_or_later_ones_stay_quiet():
    old = LotFacts(
        D(1000), final_at=PUBLISHED, buyer_awards=_wins(0, 10, 400, 800), winner_awards=_wins(0, 10, 400, 800)
    )
    assert rules.repeat_winner(old, T) is None
    # The wins that come after this award do not count for it.
    early = LotFacts(
        D(1000), final_at=PUBLISHED, winner_awards=_wins(0, -1, -2, -3), buyer_awards=_wins(0, -1, -2, -3)
    )
    assert rules.repeat_winner(early, T) is None
    assert rules.repeat_winner(LotFacts(D(1000)), T) is None  # no final award


def test_a_clean_lot_raises_nothing():
    facts = LotFacts(
        D(1000), applications=4, excluded=1, prices=(D(800), D(840), D(900)), admitted=3, awarded_rank=1,
        final_at=PUBLISHED, buyer_awards=_wins(0), winner_awards=_wins(0),
    )  # fmt: skip
    assert rules.lot_flags(facts, T) == []
