"""The watchdog's decisions, pure: when the platform cannot take bids it suspends, when it is back it
resumes (soon enough), and a lot's suspension never goes back over its ledger nor past its close."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from seei.auctions import ledger
from seei.auctions.rules import close, resume, suspend
from seei.auctions.verify import verify_ledger
from seei.auctions.watchdog import (
    NOTHING,
    ROOM,
    WORKER,
    Active,
    Beat,
    Decision,
    Seen,
    decide,
    suspension_time,
)

from .test_ledger import build_chain
from .test_verify import KEY, export

GRACE, LIMIT = 5.0, 600.0
NOW = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=300, deadline=None)


def ago(seconds: float, kind: str = ROOM, accepting: bool = True) -> Beat:
    return Beat(kind, NOW - timedelta(seconds=seconds), seconds, accepting)


beats = st.lists(
    st.builds(
        ago,
        st.floats(min_value=0, max_value=10 * LIMIT, allow_nan=False),
        st.sampled_from([ROOM, WORKER]),
        st.booleans(),
    ),
    max_size=5,
).map(tuple)
actives = st.none() | st.builds(
    lambda seconds, automatic: Active(NOW - timedelta(seconds=seconds), automatic),
    st.floats(min_value=0, max_value=10 * LIMIT, allow_nan=False),
    st.booleans(),
)
seens = st.builds(Seen, st.just(NOW), beats, actives, st.booleans())


def fresh_room(seen: Seen) -> bool:
    return any(b.kind == ROOM and b.accepting and b.age <= GRACE for b in seen.beats)


def after(seen: Seen, decision: Decision) -> Seen:
    """What the watchdog sees once its decision is carried out (the process that looked has beaten)."""
    active = seen.active
    if decision.suspend_at is not None:
        active = Active(decision.suspend_at, automatic=True)
    if decision.resume:
        active = None
    own = (ago(0),) if seen.accepting_here else ()
    return Seen(seen.now, seen.beats + own, active, seen.accepting_here)


# --- examples -------------------------------------------------------------------------------------


def test_the_worker_suspends_when_every_room_process_is_silent_for_longer_than_the_grace():
    seen = Seen(NOW, (ago(7), ago(30), ago(0, WORKER, False)))
    assert decide(seen, GRACE, LIMIT) == Decision(suspend_at=NOW - timedelta(seconds=7))


def test_nothing_within_the_grace_or_while_one_room_process_answers():
    assert decide(Seen(NOW, (ago(4),)), GRACE, LIMIT) == NOTHING
    assert decide(Seen(NOW, (ago(1), ago(60))), GRACE, LIMIT) == NOTHING
    assert decide(Seen(NOW, ()), GRACE, LIMIT) == NOTHING  # no room process ever beat: nothing is watched


def test_a_room_process_back_after_the_database_records_the_gap_and_resumes():
    seen = Seen(NOW, (ago(12), ago(12)), accepting_here=True)
    assert decide(seen, GRACE, LIMIT) == Decision(suspend_at=NOW - timedelta(seconds=12), resume=True)


def test_a_gap_longer_than_the_limit_stays_suspended():
    seen = Seen(NOW, (ago(LIMIT + 1),), accepting_here=True)
    assert decide(seen, GRACE, LIMIT) == Decision(suspend_at=NOW - timedelta(seconds=LIMIT + 1))


def test_a_room_process_that_stopped_is_silent_at_once():
    seen = Seen(NOW, (ago(6, accepting=False),))
    assert decide(seen, GRACE, LIMIT).suspend_at == NOW - timedelta(seconds=6)


def test_an_administrators_suspension_is_left_to_them():
    seen = Seen(NOW, (ago(0),), Active(NOW - timedelta(seconds=10), automatic=False), accepting_here=True)
    assert decide(seen, GRACE, LIMIT) == NOTHING


def test_an_automatic_suspension_resumes_when_a_room_process_answers_again_soon_enough():
    active = Active(NOW - timedelta(seconds=30), automatic=True)
    assert decide(Seen(NOW, (ago(0),), active), GRACE, LIMIT) == Decision(resume=True)
    assert decide(Seen(NOW, (ago(20),), active), GRACE, LIMIT) == NOTHING  # still silent
    late = Active(NOW - timedelta(seconds=LIMIT + 1), automatic=True)
    assert decide(Seen(NOW, (ago(0),), late), GRACE, LIMIT) == NOTHING  # the administrator's to resume


# --- properties -----------------------------------------------------------------------------------


@PROPERTY
@given(seen=seens)
def test_decisions_follow_the_rules(seen):
    decision = decide(seen, GRACE, LIMIT)
    if seen.active is not None:
        assert decision.suspend_at is None  # one suspension at a time
        if decision.resume:
            assert seen.active.automatic and (fresh_room(seen) or seen.accepting_here)
            assert seen.now - seen.active.started_at <= timedelta(seconds=LIMIT)
    elif decision.suspend_at is not None:
        rooms = [b for b in seen.beats if b.kind == ROOM]
        assert not fresh_room(seen) and rooms and min(b.age for b in rooms) > GRACE
        assert decision.suspend_at == min(rooms, key=lambda b: b.age).beat_at <= seen.now
        assert decision.resume == (
            seen.accepting_here and seen.now - decision.suspend_at <= timedelta(seconds=LIMIT)
        )
    else:
        assert not decision.resume


@PROPERTY
@given(seen=seens)
def test_once_carried_out_a_decision_is_not_taken_again(seen):
    decision = decide(seen, GRACE, LIMIT)
    assert decide(after(seen, decision), GRACE, LIMIT) == NOTHING


moments = st.integers(min_value=0, max_value=10_000).map(lambda s: NOW + timedelta(seconds=s))


@PROPERTY
@given(since=moments, last_entry_at=moments, opens_at=moments, closes_at=moments)
def test_a_lot_is_suspended_after_its_last_entry_and_before_its_close(
    since, last_entry_at, opens_at, closes_at
):
    at = suspension_time(since, last_entry_at, opens_at, closes_at)
    latest = max(since, last_entry_at, opens_at)
    if at is None:
        assert latest >= closes_at
    else:
        assert at == latest < closes_at


# --- the published chain --------------------------------------------------------------------------


def test_a_chain_with_an_outage_recorded_after_the_fact_verifies():
    """Suspended at the last beat before the gap (with its cause), resumed when the platform came back,
    the close moved by the gap: ``seei verify`` recomputes the same close."""
    params, entries, state = build_chain()
    closes_before = state.closes_at
    last_beat = ledger_time(entries[-2]) + timedelta(seconds=3)
    back = last_beat + timedelta(seconds=12)
    body = entries[:-1]  # before the close
    state = suspend(params, _replayed(params, body), last_beat)
    body.append(ledger.Chain.suspend(body[-1], last_beat, "database"))
    state = resume(params, state, back)
    body.append(ledger.Chain.resume(body[-1], back))
    closed_at = state.closes_at
    body.append(ledger.Chain.close(body[-1], state, closed_at))
    close(params, state, closed_at)

    report = verify_ledger(export(body), public_key=KEY.public_key())
    assert report.ok, report.errors
    assert body[-3]["data"] == {"automatic": True, "cause": "database"}
    assert report.closes_at == closed_at
    assert closed_at - closes_before == timedelta(seconds=12)  # the close moved by the gap


def test_the_verifier_refuses_an_entry_placed_before_the_one_before_it():
    params, entries, state = build_chain()
    body = entries[:-1]
    state = _replayed(params, body)
    early = ledger_time(body[-1]) - timedelta(seconds=1)  # over the last bid: time going back
    state = suspend(params, state, early)
    body.append(ledger.Chain.suspend(body[-1], early, "database"))
    state = resume(params, state, early + timedelta(seconds=30))
    body.append(ledger.Chain.resume(body[-1], early + timedelta(seconds=30)))
    body.append(ledger.Chain.close(body[-1], state, state.closes_at))

    report = verify_ledger(export(body), public_key=KEY.public_key())
    assert not report.ok
    assert report.errors == [
        f"entry {len(body) - 3}: recorded at {body[-3]['at']}, before the entry before it ({body[-4]['at']})"
    ]


def ledger_time(entry):
    from seei.auctions.rules import parse_time

    return parse_time(entry["at"])


def _replayed(params, entries):
    from seei.auctions.rules import replay

    return replay(params, entries[1:])
