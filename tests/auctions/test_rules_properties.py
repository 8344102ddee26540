"""Property tests: random lots, random bid sequences at random times, random incidents.

``run_auction`` drives a whole auction and checks the invariants after every step; it is
reused by test_verify.py to check that any ledger it produces verifies.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seei.auctions import reasons
from seei.auctions.rules import (
    Accepted,
    AmountError,
    Bid,
    Bids,
    Decrement,
    LotParams,
    Reason,
    Refused,
    State,
    TransitionError,
    allowed_range,
    apply_bid,
    close,
    parse_amount,
    replay,
    resume,
    suspend,
)

T0 = datetime(2024, 5, 10, 10, 0, tzinfo=UTC)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Codes that do not depend on the amount: a bid inside the allowed range may still get them.
NOT_AMOUNT_CODES = {Reason.NOT_ADMITTED, Reason.NOT_OPEN, Reason.CLOSED, Reason.SUSPENDED, Reason.TOO_SOON}


@st.composite
def lot_params(draw) -> LotParams:
    minor = draw(st.integers(0, 3))
    unit = Decimal(1).scaleb(-minor)
    starting_price = draw(st.integers(1_000, 10_000_000)) * unit
    if draw(st.booleans()):
        min_decrement = Decrement("amount", draw(st.integers(0, 50)) * unit)
    else:
        min_decrement = Decrement("percent", Decimal(draw(st.integers(0, 300))) / 100)  # up to 3 %
    # A maximum of at least 5 % is always above the minimum drawn above.
    max_percent = Decimal(draw(st.integers(5, 50)))
    max_decrement = draw(
        st.sampled_from(
            [
                None,
                Decrement("percent", max_percent),
                Decrement("amount", (starting_price * max_percent / 100).quantize(unit)),
            ]
        )
    )
    duration = timedelta(seconds=draw(st.integers(60, 3_600)))
    base = draw(st.sampled_from(["own", "best"]))
    # A decrement from the best price needs a room that shows it (LotParams refuses the rest).
    visibility = draw(st.sampled_from(["rank", "best", "all"] if base == "own" else ["best", "all"]))
    return LotParams(
        currency=draw(st.sampled_from(["MAD", "EUR", "USD"])),
        minor_digits=minor,
        starting_price=starting_price,
        min_decrement=min_decrement,
        max_decrement=max_decrement,
        decrement_base=base,
        opens_at=T0,
        closes_at=T0 + duration,
        extension_window=timedelta(seconds=draw(st.integers(0, 300))),
        extension=timedelta(seconds=draw(st.integers(0, 300))),
        extension_cap=draw(st.none() | st.integers(0, 4)),
        only_lead_change_extends=draw(st.booleans()),
        refuse_equal_best=draw(st.booleans()),
        min_bid_interval=timedelta(milliseconds=draw(st.integers(0, 10_000))),
        visibility=visibility,
        bidders=tuple(f"B-{i}" for i in range(draw(st.integers(1, 4)))),
    )


@dataclass
class Run:
    params: LotParams
    state: State
    events: list[dict] = field(default_factory=list)  # in ledger form, for replay and ledgers


def _amount(data, params: LotParams, state: State, bidder: str) -> Decimal:
    """Mostly amounts the rules may accept, plus edges and junk around them."""
    unit = params.unit
    lowest, highest = allowed_range(params, state, bidder)
    best = state.best()
    choice = data.draw(st.sampled_from(["inside"] * 6 + ["just_above", "just_below", "best", "anywhere"]))
    if choice == "inside" and lowest <= highest:
        return data.draw(st.integers(int(lowest / unit), int(highest / unit))) * unit
    if choice == "just_above":
        return highest + unit
    if choice == "just_below":
        return lowest - unit
    if choice == "best" and best is not None:
        return best.amount
    top = int(params.starting_price / unit) + 10
    return data.draw(st.integers(-5, top)) * unit


def _check_bid(params: LotParams, before: State, bidder: str, amount: Decimal, at: datetime, result) -> None:
    """The invariants of one bid decision."""
    lowest, highest = allowed_range(params, before, bidder)
    if isinstance(result, Refused):
        inside = lowest <= amount <= highest and amount == amount.quantize(params.unit)
        if inside:  # allowed_range is exactly what the form may offer
            assert result.code in NOT_AMOUNT_CODES or result.code == Reason.EQUAL_TO_BEST, result
        return
    after, bid = result.state, result.bid
    # No accepted bid outside the room's opening hours, nor while suspended or closed.
    assert before.status in ("scheduled", "open")
    assert params.opens_at <= at < before.closes_at
    # Each bidder's amounts strictly decrease and respect the decrement bounds.
    own = before.last_bids.get(bidder)
    assert own is None or bid.amount < own.amount
    assert bid.amount < params.starting_price
    base_bid = before.best() if params.decrement_base == "best" else own
    base = params.starting_price if base_bid is None else base_bid.amount
    assert base - bid.amount >= params.min_step
    assert params.max_step is None or base - bid.amount <= params.max_step
    assert lowest <= bid.amount <= highest
    # The close never moves earlier, and only moves by the extension rule.
    assert after.closes_at >= before.closes_at
    if result.extended:
        assert after.closes_at == at + params.extension
        assert before.closes_at - at <= params.extension_window
        assert params.extension_cap is None or after.extensions <= params.extension_cap
        assert after.extensions == before.extensions + 1
    else:
        assert after.closes_at == before.closes_at and after.extensions == before.extensions


def _check_ranking(state: State) -> None:
    ranking = state.ranking()
    keys = [(bid.amount, bid.at) for bid in ranking]
    assert keys == sorted(keys)
    assert {bid.bidder: bid for bid in ranking} == {bid.bidder: bid for bid in state.bids}  # last bid each
    assert state.winner() == (ranking[0] if ranking else None)
    assert state.best() == state.winner()


def run_auction(data, params: LotParams, max_steps: int = 40) -> Run:
    """Drive an auction with random moves, checking the invariants after each one."""
    run = Run(params, State.initial(params))
    at = params.opens_at - timedelta(seconds=data.draw(st.integers(0, 30)))
    for _ in range(data.draw(st.integers(0, max_steps))):
        at += timedelta(milliseconds=data.draw(st.integers(0, 90_000)))
        move = data.draw(st.sampled_from(["bid"] * 12 + ["suspend"] + ["resume"] * 3))
        before = run.state
        if move == "bid":
            bidder = data.draw(st.sampled_from([*params.bidders * 3, "B-intruder"]))
            amount = _amount(data, params, before, bidder)
            result = apply_bid(params, before, bidder, amount, at)
            _check_bid(params, before, bidder, amount, at, result)
            if isinstance(result, Accepted):
                run.state = result.state
                bid = result.bid
                run.events.append(
                    {
                        "seq": bid.seq,
                        "type": "bid",
                        "at": at,
                        "data": {"bidder": bidder, "amount": str(bid.amount)},
                    }
                )
        else:
            try:
                after = (suspend if move == "suspend" else resume)(params, before, at)
            except TransitionError:
                continue
            assert after.closes_at >= before.closes_at
            if move == "resume":
                # The time that remained at the suspension is credited in full.
                assert after.closes_at - at == before.closes_at - before.suspended_at
            run.state = after
            run.events.append({"seq": after.seq, "type": move, "at": at, "data": {}})
        _check_ranking(run.state)
    if run.state.status == "suspended":
        at = max(at, run.state.suspended_at) + timedelta(seconds=1)
        run.state = resume(params, run.state, at)
        run.events.append({"seq": run.state.seq, "type": "resume", "at": at, "data": {}})
    closed_at = max(at, run.state.closes_at)
    run.state = close(params, run.state, closed_at)
    run.events.append({"seq": run.state.seq, "type": "close", "at": closed_at, "data": {}})
    # No accepted bid at or after the final close.
    assert all(bid.at < run.state.closes_at for bid in run.state.bids)
    return run


@PROPERTY_SETTINGS
@given(params=lot_params(), data=st.data())
def test_random_auctions_keep_the_invariants_and_replay_exactly(params, data):
    run = run_auction(data, params)
    # Replaying the accepted events reproduces the same state.
    assert replay(params, run.events) == run.state
    assert replay(params, run.events).last_bids == run.state.last_bids


@PROPERTY_SETTINGS
@given(params=lot_params(), data=st.data())
def test_refusal_details_always_fill_their_messages(params, data):
    state = State.initial(params)
    at = params.opens_at + timedelta(seconds=1)
    for _ in range(10):
        bidder = data.draw(st.sampled_from(params.bidders))
        result = apply_bid(params, state, bidder, _amount(data, params, state, bidder), at)
        if isinstance(result, Refused):
            for lang in reasons.LANGUAGES:
                text = reasons.message(result.code, lang, **result.detail)
                assert "{" not in text
        else:
            state = result.state
        at += params.min_bid_interval


@PROPERTY_SETTINGS
@given(params=lot_params())
def test_params_encoding_round_trips(params):
    assert LotParams.from_dict(params.to_dict()) == params
    assert LotParams.from_dict(params.to_dict()).to_dict() == params.to_dict()


@PROPERTY_SETTINGS
@given(
    units=st.integers(1, 10**15),
    minor=st.integers(0, 3),
    lang=st.sampled_from(["ar", "fr", "en"]),
    arabic_digits=st.booleans(),
)
def test_formatted_amounts_parse_back(units, minor, lang, arabic_digits):
    amount = (Decimal(units).scaleb(-minor)).quantize(Decimal(1).scaleb(-minor))
    if amount > Decimal(10) ** 15:
        return
    text = reasons.format_amount(amount, "", lang)
    if arabic_digits:
        text = text.translate(str.maketrans("0123456789,", "٠١٢٣٤٥٦٧٨٩٫")) if lang != "en" else text
    try:
        assert parse_amount(text, minor) == amount
    except AmountError as error:
        # Only "1,000"-like amounts (no decimals to tell) are refused, as ambiguous.
        assert error.code == Reason.AMBIGUOUS_AMOUNT and minor == 0 and text.count(",") == 1


@PROPERTY_SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60))
def test_bids_added_from_any_earlier_bids_are_those_bids_and_the_new_one(choices):
    """Bids (shared by the states of a lineage) against tuples: adding to any bids made so far, the
    newest or an older one (a branch), gives exactly those bids and the new one, and leaves every
    bids made before as they were."""
    made = [(Bids(), ())]
    for number, choice in enumerate(choices):
        bids, model = made[choice % len(made)]
        bid = Bid(seq=number + 1, bidder=f"B-{choice % 3}", amount=Decimal(1000 - number), at=T0)
        made.append((bids.added(bid), (*model, bid)))
        assert all(tuple(bids) == model and len(bids) == len(model) for bids, model in made)
    assert all(bids == model and bids[-1:] == model[-1:] for bids, model in made[1:])
