"""Unit tests of the pure auction rules: one minimal scenario per reason code, and the
extension, suspension, view and parsing rules."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from seei.auctions import reasons
from seei.auctions.rules import (
    Accepted,
    AmountError,
    Decrement,
    LotParams,
    Reason,
    Refused,
    ReplayError,
    State,
    TransitionError,
    allowed_range,
    apply_bid,
    close,
    parse_amount,
    replay,
    resume,
    suspend,
    view,
)

T0 = datetime(2024, 5, 10, 10, 0, tzinfo=UTC)
D = Decimal


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def make_params(**overrides) -> LotParams:
    values = dict(
        currency="MAD",
        minor_digits=2,
        starting_price=D("1000.00"),
        min_decrement=Decrement("amount", D("10")),
        max_decrement=Decrement("percent", D("20")),
        opens_at=T0,
        closes_at=minutes(30),
        bidders=("B-1", "B-2", "B-3"),
        extension_window=timedelta(minutes=2),
        extension=timedelta(minutes=3),
    )
    values.update(overrides)
    return LotParams(**values)


def bids(params: LotParams, *moves: tuple[str, str, float], state: State | None = None) -> State:
    """Apply (bidder, amount, minute) moves that must all be accepted."""
    state = state or State.initial(params)
    for bidder, amount, minute in moves:
        result = apply_bid(params, state, bidder, D(amount), minutes(minute))
        assert isinstance(result, Accepted), result
        state = result.state
    return state


def refusal(params: LotParams, state: State, bidder: str, amount, minute: float) -> Refused:
    result = apply_bid(params, state, bidder, amount, minutes(minute))
    assert isinstance(result, Refused), result
    return result


# --- one scenario per bid refusal -----------------------------------------------------------------


def _not_admitted():
    return make_params(), State.initial(make_params()), "B-9", D("990"), 1


def _not_open():
    return make_params(), State.initial(make_params()), "B-1", D("990"), -0.01


def _closed_by_time():
    return make_params(), State.initial(make_params()), "B-1", D("990"), 30


def _suspended():
    params = make_params()
    return params, suspend(params, State.initial(params), minutes(5)), "B-1", D("990"), 6


def _too_soon():
    params = make_params(min_bid_interval=timedelta(seconds=5))
    return params, bids(params, ("B-1", "990", 1)), "B-1", D("980"), 1 + 2 / 60


def _malformed():
    return make_params(), State.initial(make_params()), "B-1", 990.0, 1  # a float, never


def _not_positive():
    return make_params(), State.initial(make_params()), "B-1", D("-5"), 1


def _too_large():
    return make_params(), State.initial(make_params()), "B-1", D("1E16"), 1


def _too_many_decimals():
    return make_params(), State.initial(make_params()), "B-1", D("990.001"), 1


def _not_below_start():
    return make_params(), State.initial(make_params()), "B-1", D("1000"), 1


def _not_below_own():
    params = make_params()
    return params, bids(params, ("B-1", "990", 1)), "B-1", D("995"), 2


def _equal_to_best():
    params = make_params(visibility="best")
    return params, bids(params, ("B-1", "950", 1)), "B-2", D("950"), 2


def _decrement_too_small():
    return make_params(), State.initial(make_params()), "B-1", D("995"), 1


def _decrement_too_large():
    return make_params(), State.initial(make_params()), "B-1", D("799.99"), 1


BID_SCENARIOS = {
    Reason.NOT_ADMITTED: (_not_admitted, {}),
    Reason.NOT_OPEN: (_not_open, {"opens_at": T0}),
    Reason.CLOSED: (_closed_by_time, {}),
    Reason.SUSPENDED: (_suspended, {}),
    Reason.TOO_SOON: (_too_soon, {"seconds": 3}),
    Reason.MALFORMED_AMOUNT: (_malformed, {}),
    Reason.NOT_POSITIVE: (_not_positive, {}),
    Reason.TOO_LARGE: (_too_large, {}),
    Reason.TOO_MANY_DECIMALS: (_too_many_decimals, {"digits": 2}),
    Reason.NOT_BELOW_START: (_not_below_start, {"limit": D("1000.00"), "currency": "MAD"}),
    Reason.NOT_BELOW_OWN: (_not_below_own, {"limit": D("990.00"), "currency": "MAD"}),
    Reason.EQUAL_TO_BEST: (_equal_to_best, {"limit": D("950.00"), "currency": "MAD"}),
    Reason.DECREMENT_TOO_SMALL: (_decrement_too_small, {"limit": D("990.00"), "currency": "MAD"}),
    Reason.DECREMENT_TOO_LARGE: (_decrement_too_large, {"limit": D("800.00"), "currency": "MAD"}),
}


@pytest.mark.parametrize("code", list(BID_SCENARIOS))
def test_each_bid_refusal_has_a_minimal_scenario(code):
    scenario, detail = BID_SCENARIOS[code]
    params, state, bidder, amount, minute = scenario()
    result = refusal(params, state, bidder, amount, minute)
    assert result.code == code
    assert dict(result.detail) == detail
    for lang in reasons.LANGUAGES:  # the detail fills the message in every language
        assert reasons.message(result.code, lang, **result.detail)


def test_every_reason_code_is_reachable_and_tested():
    transition_codes = {Reason.NOT_SUSPENDED, Reason.NOT_DUE}  # see the transition tests below
    parse_only = {Reason.EMPTY_AMOUNT, Reason.AMBIGUOUS_AMOUNT}  # see test_parse_amount_refusals
    assert set(BID_SCENARIOS) | transition_codes | parse_only == set(Reason)


def test_closed_after_close_entry():
    params = make_params()
    state = close(params, State.initial(params), minutes(30))
    assert refusal(params, state, "B-1", D("990"), 31).code == Reason.CLOSED


def test_malformed_amounts_other_than_float():
    params = make_params()
    state = State.initial(params)
    for amount in (D("NaN"), D("Infinity"), "990", None):
        assert refusal(params, state, "B-1", amount, 1).code == Reason.MALFORMED_AMOUNT
    assert refusal(params, state, "B-1", D("0"), 1).code == Reason.NOT_POSITIVE


def test_equal_to_best_is_accepted_when_allowed_and_ranks_after():
    params = make_params(refuse_equal_best=False)
    state = bids(params, ("B-1", "950", 1), ("B-2", "950", 2))
    assert [b.bidder for b in state.ranking()] == ["B-1", "B-2"]  # earlier first
    assert state.winner().bidder == "B-1"


def test_flood_guard_allows_after_the_interval():
    params = make_params(min_bid_interval=timedelta(seconds=5))
    state = bids(params, ("B-1", "990", 1), ("B-2", "980", 1 + 1 / 60))  # other bidders are not held
    assert refusal(params, state, "B-1", D("970"), 1 + 4 / 60).code == Reason.TOO_SOON
    bids(params, ("B-1", "970", 1 + 5 / 60), state=state)


def test_accepted_amounts_are_normalised_to_the_minor_unit():
    params = make_params()
    state = bids(params, ("B-1", "990", 1))
    assert str(state.bids[0].amount) == "990.00"
    assert state.seq == 1 and state.status == "open"


# --- decrements -----------------------------------------------------------------------------------


def test_decrement_from_own_previous_bid():
    params = make_params()
    state = bids(params, ("B-1", "900", 1), ("B-2", "990", 2))
    # B-2 is measured from its own 990, not from the best 900.
    bids(params, ("B-2", "980", 3), state=state)
    assert refusal(params, state, "B-2", D("985"), 3).detail["limit"] == D("980.00")


def test_decrement_from_the_best():
    params = make_params(decrement_base="best", visibility="best")
    state = bids(params, ("B-1", "900", 1), ("B-2", "890", 2))
    assert refusal(params, state, "B-1", D("885"), 3).code == Reason.DECREMENT_TOO_SMALL
    assert refusal(params, state, "B-1", D("689.99"), 3).code == Reason.DECREMENT_TOO_LARGE
    bids(params, ("B-1", "880", 3), state=state)


def test_percentage_step_rounds_towards_the_stricter_bound():
    # 1 % of 999.99 is 9.9999: the smallest allowed decrease is 10.00, the largest 99.99 (10 %).
    params = make_params(
        starting_price=D("999.99"),
        min_decrement=Decrement("percent", D("1")),
        max_decrement=Decrement("percent", D("10")),
    )
    assert allowed_range(params, State.initial(params), "B-1") == (D("900.00"), D("989.99"))
    assert refusal(params, State.initial(params), "B-1", D("990.00"), 1).code == Reason.DECREMENT_TOO_SMALL
    assert refusal(params, State.initial(params), "B-1", D("899.99"), 1).code == Reason.DECREMENT_TOO_LARGE
    bids(params, ("B-1", "989.99", 1))
    bids(params, ("B-1", "900.00", 1))


def test_allowed_range_skips_the_best_when_equal_is_refused():
    params = make_params(visibility="best")
    state = bids(params, ("B-1", "980", 1), ("B-2", "990", 2))
    assert allowed_range(params, state, "B-2") == (D("790.00"), D("979.99"))
    assert allowed_range(params, state, "B-3") == (D("800.00"), D("990.00"))


def test_a_decrement_from_the_best_price_is_refused_when_the_room_shows_ranks_only():
    # Every bidder's highest allowed amount would be the best price minus the step.
    with pytest.raises(ValueError, match="visibility that shows the best price"):
        make_params(decrement_base="best", visibility="rank")
    for visibility in ("best", "all"):
        make_params(decrement_base="best", visibility=visibility)


def test_a_room_showing_ranks_only_never_tells_the_best_price():
    # B-2's own step allows up to 980.00 (below its 990): exactly B-1's best.
    params = make_params(visibility="rank")
    state = bids(params, ("B-1", "980", 1), ("B-2", "990", 2))
    assert allowed_range(params, state, "B-2") == (D("790.00"), D("980.00"))
    me = view(params, state, minutes(3), viewer="B-2")["me"]
    assert me["highest_allowed"] == "980.00" and "best" not in view(params, state, minutes(3))
    result = refusal(params, state, "B-2", D("980"), 3)
    assert result.code == Reason.EQUAL_TO_BEST and dict(result.detail) == {}
    for lang in reasons.LANGUAGES:
        text = reasons.message(result.code, lang, **result.detail)
        assert "980" not in text and "{" not in text


def test_no_max_decrement():
    params = make_params(max_decrement=None)
    bids(params, ("B-1", "0.01", 1))
    assert allowed_range(params, State.initial(params), "B-1") == (D("0.01"), D("990.00"))


# --- extensions -----------------------------------------------------------------------------------


def test_bid_in_the_window_extends_the_close():
    params = make_params()
    state = bids(params, ("B-1", "990", 10))
    result = apply_bid(params, state, "B-2", D("980"), minutes(28.5))
    assert result.extended and result.state.closes_at == minutes(31.5) and result.state.extensions == 1


def test_bid_before_the_window_does_not_extend():
    params = make_params()
    result = apply_bid(params, State.initial(params), "B-1", D("990"), minutes(27.9))
    assert not result.extended and result.state.closes_at == minutes(30)


def test_close_never_moves_earlier():
    params = make_params(extension=timedelta(seconds=30))
    result = apply_bid(params, State.initial(params), "B-1", D("990"), minutes(29))
    assert not result.extended and result.state.closes_at == minutes(30) and result.state.extensions == 0


def test_extension_cap():
    params = make_params(extension_cap=1)
    state = bids(params, ("B-1", "990", 29))
    assert state.closes_at == minutes(32) and state.extensions == 1
    result = apply_bid(params, state, "B-2", D("980"), minutes(31))
    assert not result.extended and result.state.closes_at == minutes(32)


def test_only_a_lead_change_extends():
    params = make_params(only_lead_change_extends=True, refuse_equal_best=False)
    state = bids(params, ("B-1", "900", 10))
    behind = apply_bid(params, state, "B-2", D("950"), minutes(29))
    assert not behind.extended
    equal = apply_bid(params, behind.state, "B-3", D("900"), minutes(29))
    assert not equal.extended
    lead = apply_bid(params, equal.state, "B-3", D("890"), minutes(29.5))
    assert lead.extended and lead.state.closes_at == minutes(32.5)


def test_a_first_bid_is_a_lead_change():
    params = make_params(only_lead_change_extends=True)
    assert apply_bid(params, State.initial(params), "B-1", D("990"), minutes(29)).extended


def test_bids_follow_the_extended_close():
    params = make_params()
    state = bids(params, ("B-1", "990", 29), ("B-2", "980", 31))  # 31 < 32, the new close
    assert state.closes_at == minutes(34)
    assert refusal(params, state, "B-3", D("970"), 34).code == Reason.CLOSED


# --- suspension and close -------------------------------------------------------------------------


def test_resume_credits_the_remaining_time():
    params = make_params()
    state = bids(params, ("B-1", "990", 1))
    suspended = suspend(params, state, minutes(20))
    assert suspended.status == "suspended" and suspended.suspended_at == minutes(20)
    resumed = resume(params, suspended, minutes(65))
    assert resumed.status == "open" and resumed.closes_at == minutes(75)  # 10 minutes remained
    assert resumed.seq == 3
    bids(params, ("B-2", "980", 74), state=resumed)


def test_transition_refusals():
    params = make_params()
    state = State.initial(params)
    with pytest.raises(TransitionError) as error:
        resume(params, state, minutes(1))
    assert error.value.code == Reason.NOT_SUSPENDED
    with pytest.raises(TransitionError) as error:
        close(params, state, minutes(29))
    assert error.value.code == Reason.NOT_DUE and error.value.detail == {"closes_at": minutes(30)}
    with pytest.raises(TransitionError) as error:
        suspend(params, state, minutes(-1))
    assert error.value.code == Reason.NOT_OPEN
    suspended = suspend(params, state, minutes(5))
    for action, code in ((suspend, Reason.SUSPENDED), (close, Reason.SUSPENDED)):
        with pytest.raises(TransitionError) as error:
            action(params, suspended, minutes(40))
        assert error.value.code == code
    with pytest.raises(ValueError):
        resume(params, suspended, minutes(4))  # before the suspension began
    closed = close(params, state, minutes(30))
    assert closed.status == "closed"
    for action in (suspend, close):
        with pytest.raises(TransitionError) as error:
            action(params, closed, minutes(31))
        assert error.value.code == Reason.CLOSED
    for code in (Reason.NOT_SUSPENDED, Reason.NOT_DUE):
        for lang in reasons.LANGUAGES:
            assert reasons.message(code, lang, closes_at=minutes(30))


# --- ranking, replay, view ------------------------------------------------------------------------


def test_ranking_uses_each_bidders_last_bid():
    params = make_params()
    state = bids(params, ("B-1", "990", 1), ("B-2", "970", 2), ("B-1", "960", 3))
    assert [(b.bidder, b.amount) for b in state.ranking()] == [("B-1", D("960")), ("B-2", D("970"))]
    assert state.rank_of("B-2") == 2 and state.rank_of("B-3") is None
    assert State.initial(params).winner() is None


def _events(state: State, closed_at: datetime | None = None) -> list[dict]:
    events = [
        {
            "seq": bid.seq,
            "type": "bid",
            "at": bid.at,
            "data": {"bidder": bid.bidder, "amount": str(bid.amount)},
        }
        for bid in state.bids
    ]
    if closed_at:
        events.append({"seq": state.seq + 1, "type": "close", "at": closed_at, "data": {}})
    return events


def test_replay_reproduces_the_state():
    params = make_params()
    state = bids(params, ("B-1", "990", 1), ("B-2", "970", 29), ("B-1", "960", 31))
    assert replay(params, _events(state)) == state
    closed = replay(params, _events(state, minutes(40)))
    assert closed.status == "closed" and closed.closes_at == state.closes_at


def test_replay_refuses_a_bid_the_rules_refuse():
    params = make_params()
    events = _events(bids(params, ("B-1", "990", 1)))
    events.append({"seq": 2, "type": "bid", "at": minutes(2), "data": {"bidder": "B-2", "amount": "995.00"}})
    with pytest.raises(ReplayError) as error:
        replay(params, events)
    assert error.value.code == Reason.DECREMENT_TOO_SMALL
    assert "decrement_too_small" in str(error.value)
    events[1]["seq"] = 5
    with pytest.raises(ReplayError, match="sequence number 5"):
        replay(params, events)


def test_view_by_visibility_holds_pseudonyms_only():
    state = bids(make_params(), ("B-1", "990", 1), ("B-2", "970", 2))
    now = minutes(3)
    rank_view = view(make_params(visibility="rank"), state, now)
    assert rank_view["ranking"] == [{"rank": 1, "bidder": "B-2"}, {"rank": 2, "bidder": "B-1"}]
    assert "best" not in rank_view
    assert (rank_view["status"], rank_view["bidders"], rank_view["active_bidders"], rank_view["bids"]) == (
        "open",
        3,
        2,
        2,
    )
    assert rank_view["remaining_ms"] == 27 * 60 * 1000
    best_view = view(make_params(visibility="best"), state, now)
    assert best_view["best"] == "970.00" and "amount" not in best_view["ranking"][0]
    all_view = view(make_params(visibility="all"), state, now)
    assert all_view["ranking"][1] == {"rank": 2, "bidder": "B-1", "amount": "990.00"}
    for entry in all_view["ranking"]:
        assert set(entry) <= {"rank", "bidder", "amount"}


def test_view_for_a_bidder():
    params = make_params()
    state = bids(params, ("B-1", "990", 1), ("B-2", "970", 2))
    me = view(params, state, minutes(3), viewer="B-1")["me"]
    assert me == {
        "bidder": "B-1",
        "rank": 2,
        "last_amount": "990.00",
        "lowest_allowed": "790.00",
        "highest_allowed": "980.00",
    }
    assert view(params, state, minutes(3), viewer="B-3")["me"]["rank"] is None


def test_view_status_follows_the_clock():
    params = make_params()
    state = State.initial(params)
    assert view(params, state, minutes(-1))["status"] == "scheduled"
    assert view(params, state, minutes(30))["status"] == "closed"
    suspended = suspend(params, state, minutes(20))
    snapshot = view(params, suspended, minutes(50))
    assert snapshot["status"] == "suspended" and snapshot["remaining_ms"] == 10 * 60 * 1000


# --- parameters -----------------------------------------------------------------------------------


def test_params_round_trip_through_a_stable_encoding():
    params = make_params(extension_cap=3, min_bid_interval=timedelta(milliseconds=1500))
    data = params.to_dict()
    assert data["opens_at"] == "2024-05-10T10:00:00.000000Z"
    assert data["starting_price"] == "1000.00"
    assert data["min_bid_interval_us"] == 1_500_000
    assert LotParams.from_dict(data) == params
    assert LotParams.from_dict(data).to_dict() == data
    with pytest.raises(ValueError, match="unexpected"):
        LotParams.from_dict(data | {"secret_rule": True})


def test_state_round_trip():
    params = make_params()
    state = suspend(params, bids(params, ("B-1", "990", 1), ("B-2", "970", 2)), minutes(5))
    again = State.from_dict(state.to_dict())
    assert again == state and again.last_bids == state.last_bids


@pytest.mark.parametrize(
    "overrides",
    [
        {"starting_price": D("1000.001")},
        {"starting_price": D("0")},
        {"closes_at": T0},
        {"opens_at": datetime(2024, 5, 10, 10)},  # naive
        {"bidders": ("B-1", "B-1")},
        {"min_decrement": Decrement("amount", D("300"))},  # above the 20 % maximum
        {"visibility": "names"},
        {"extension": timedelta(seconds=-1)},
        {"minor_digits": 9},
    ],
)
def test_invalid_params_are_refused(overrides):
    with pytest.raises(ValueError):
        make_params(**overrides)


def test_invalid_decrements_are_refused():
    for kind, value in (("amount", D("-1")), ("percent", D("101")), ("ratio", D("1")), ("amount", 1.5)):
        with pytest.raises(ValueError):
            Decrement(kind, value)


def test_naive_bid_time_is_refused():
    params = make_params()
    with pytest.raises(ValueError):
        apply_bid(params, State.initial(params), "B-1", D("990"), datetime(2024, 5, 10, 10, 1))


def test_replace_keeps_the_state_consistent():
    params = make_params()
    state = bids(params, ("B-1", "990", 1))
    assert replace(state, seq=7).last_bids["B-1"].amount == D("990")


# --- parse_amount ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1234.50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1\u202f234,50", "1234.50"),
        ("1234,5", "1234.50"),
        ("1234", "1234.00"),
        ("  990 ", "990.00"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1.234.567", "1234567.00"),
        ("0,01", "0.01"),
        ("١٢٣٤٫٥٠", "1234.50"),  # Arabic-Indic digits and decimal separator
        ("١٬٢٣٤٫٥", "1234.50"),  # with the Arabic thousands separator
        ("۱۲۳۴,۵", "1234.50"),  # Persian digits
        ("１２３４", "1234.00"),  # full-width digits
    ],
)
def test_parse_amount_accepts(text, expected):
    value = parse_amount(text, 2)
    assert isinstance(value, Decimal) and str(value) == expected


@pytest.mark.parametrize(
    "text, code",
    [
        ("", Reason.EMPTY_AMOUNT),
        ("   ", Reason.EMPTY_AMOUNT),
        ("12a", Reason.MALFORMED_AMOUNT),
        ("abc", Reason.MALFORMED_AMOUNT),
        ("1234 MAD", Reason.MALFORMED_AMOUNT),
        ("1e5", Reason.MALFORMED_AMOUNT),
        ("1E+3", Reason.MALFORMED_AMOUNT),
        ("NaN", Reason.MALFORMED_AMOUNT),
        ("Infinity", Reason.MALFORMED_AMOUNT),
        ("inf", Reason.MALFORMED_AMOUNT),
        ("0x10", Reason.MALFORMED_AMOUNT),
        ("1_000", Reason.MALFORMED_AMOUNT),
        ("12 34", Reason.MALFORMED_AMOUNT),  # a typo, not 1234
        ("1234,", Reason.MALFORMED_AMOUNT),
        (",50", Reason.MALFORMED_AMOUNT),
        ("1.2.3,4", Reason.MALFORMED_AMOUNT),
        ("+5", Reason.MALFORMED_AMOUNT),
        ("-5", Reason.NOT_POSITIVE),
        ("\u22125,00", Reason.NOT_POSITIVE),
        ("0", Reason.NOT_POSITIVE),
        ("0,00", Reason.NOT_POSITIVE),
        ("1234.567", Reason.TOO_MANY_DECIMALS),
        ("1.234", Reason.AMBIGUOUS_AMOUNT),  # one thousand two hundred, or one point two?
        ("1,000", Reason.AMBIGUOUS_AMOUNT),
        ("-1,000", Reason.AMBIGUOUS_AMOUNT),
        ("1 234.567", Reason.TOO_MANY_DECIMALS),  # the space groups, so the point is decimal
        ("1,2345", Reason.TOO_MANY_DECIMALS),
        ("1234.500", Reason.TOO_MANY_DECIMALS),
        ("١٢٣٤٫٥٦٧", Reason.TOO_MANY_DECIMALS),
        ("1000000000000000.01", Reason.TOO_LARGE),
        ("9" * 40, Reason.TOO_LARGE),
        ("9" * 100_000, Reason.TOO_LARGE),
    ],
)
def test_parse_amount_refusals(text, code):
    with pytest.raises(AmountError) as error:
        parse_amount(text, 2)
    assert error.value.code == code
    for lang in reasons.LANGUAGES:
        assert reasons.message(error.value.code, lang, **error.value.detail)


def test_parse_amount_without_minor_unit():
    assert parse_amount("1 234", 0) == D("1234")
    with pytest.raises(AmountError) as error:
        parse_amount("1234,5", 0)
    assert error.value.code == Reason.TOO_MANY_DECIMALS and error.value.detail == {"digits": 0}


def test_three_minor_digits_read_a_lone_separator_as_decimal():
    assert parse_amount("1,234", 3) == D("1.234")
    assert parse_amount("1 234", 3) == D("1234.000")


def test_parse_amount_refuses_non_strings():
    with pytest.raises(AmountError):
        parse_amount(None, 2)  # type: ignore[arg-type]


# --- messages -------------------------------------------------------------------------------------


def test_every_code_has_a_message_in_every_language():
    for code in Reason:
        texts = reasons.MESSAGES[code]
        assert set(texts) == {"ar", "fr", "en"}
        assert len({texts["ar"], texts["fr"], texts["en"]}) == 3
        assert any("\u0600" <= c <= "\u06ff" for c in texts["ar"])  # really Arabic


def test_message_formats_the_bound_for_the_language():
    detail = {"limit": D("1200.00"), "currency": "MAD"}
    assert reasons.message("decrement_too_small", "en", **detail) == (
        "The decrease is too small: your bid must be at most 1,200.00\u00a0MAD."
    )
    assert "1\u00a0200,00\u00a0MAD" in reasons.message("decrement_too_small", "fr", **detail)
    assert "1\u00a0200,00\u00a0MAD" in reasons.message("decrement_too_small", "ar", **detail)


def test_message_falls_back_to_french():
    assert reasons.message("closed", "de") == reasons.MESSAGES["closed"]["fr"]
    assert reasons.message("closed", None) == reasons.MESSAGES["closed"]["fr"]
    assert reasons.message("closed", "en-GB") == reasons.MESSAGES["closed"]["en"]
    assert reasons.message("closed", "ar_MA") == reasons.MESSAGES["closed"]["ar"]


def test_format_amount():
    assert reasons.format_amount(D("1234567.5"), "EUR", "en") == "1,234,567.5\u00a0EUR"
    assert reasons.format_amount(D("999.00"), "", "fr") == "999,00"
    assert reasons.format_amount(D("1000"), "MAD", "fr") == "1\u00a0000\u00a0MAD"


@pytest.mark.parametrize(
    "overrides",
    [
        {"closes_at": T0 + timedelta(hours=24, seconds=1)},
        {"extension_window": timedelta(hours=1, seconds=1)},
        {"extension": timedelta(days=10_000)},
        {"min_bid_interval": timedelta(hours=2)},
        {"extension_cap": 2147483647},
    ],
)
def test_timings_have_upper_bounds(overrides):
    with pytest.raises(ValueError):
        make_params(**overrides)
    at_limits = make_params(
        closes_at=T0 + timedelta(hours=24), extension_window=timedelta(hours=1), extension_cap=1000
    )
    assert at_limits.closes_at - at_limits.opens_at == timedelta(hours=24)


def test_a_state_adding_a_bid_never_changes_another_states_bids():
    """States of one lineage share their bids (adding one copies none of them); a state that adds
    a bid after another state was built on it (a branch) keeps its own."""
    params = make_params()
    first = bids(params, ("B-1", "990", 1))
    second = bids(params, ("B-2", "980", 2), state=first)
    branch = bids(params, ("B-3", "985", 2), state=first)
    third = bids(params, ("B-1", "970", 3), state=second)

    assert [bid.bidder for bid in first.bids] == ["B-1"]
    assert [bid.bidder for bid in second.bids] == ["B-1", "B-2"]
    assert [bid.bidder for bid in branch.bids] == ["B-1", "B-3"]
    assert [bid.bidder for bid in third.bids] == ["B-1", "B-2", "B-1"]
    assert second.bids._items is third.bids._items and branch.bids._items is not third.bids._items
    assert branch.winner().bidder == "B-3" and branch.bids[-1].amount == D("985.00")


def test_a_states_bids_read_and_compare_as_a_tuple():
    state = bids(make_params(), ("B-1", "990", 1), ("B-2", "980", 2), ("B-3", "970", 3))
    as_tuple = tuple(state.bids)

    assert state.bids == as_tuple and as_tuple == state.bids and state.bids != as_tuple[:2]
    assert state.bids[1:] == as_tuple[1:] and state.bids[-1] is as_tuple[-1] and len(state.bids) == 3
    with pytest.raises(IndexError):
        state.bids[3]  # noqa: B018 (an index past the end, not one into the shared list)
    assert hash(state) == hash(replace(state, bids=as_tuple)) and replace(state, bids=as_tuple) == state
    assert State.from_dict(state.to_dict()) == state
