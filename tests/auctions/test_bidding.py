"""The bid transaction (bidding.place_bid): every refusal is clear and changes nothing.

The lot of the ``auction`` fixture: starting price 600,000.00 MAD, minimum decrement 1,000.00,
maximum 10 % (so a first bid lies between 540,000.00 and 599,000.00), 5 s between two bids of a
bidder, a 180 s extension window and extension.
"""

import asyncio
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from seei.auctions import bidding, events, flood, ledger, rules, services, signing
from seei.auctions.bidding import state as known_states
from seei.auctions.models import BidAttempt, LedgerEntry
from tests.conftest import run_async

from .conftest import bid, ledger_length, move_before_close, open_room, room_row

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(auction, clock):
    """The auction's room, open for a minute."""
    open_room(auction, clock)
    return auction


def refused(auction, membership, amount, reason, message, lang="en", **kwargs):
    """Bid, and check the refusal: its code, its message, and that the chain and the room did not move."""
    before_length, before_room = ledger_length(auction.lot), room_row(auction.lot)
    attempts = BidAttempt.objects.count()

    result = bid(auction, membership, amount, lang=lang, **kwargs)

    assert (result.accepted, result.reason) == (False, reason)
    assert result.message == message
    assert result.receipt is None
    assert ledger_length(auction.lot) == before_length
    assert room_row(auction.lot) == before_room
    if reason == "not_admitted":  # refused before the lot's lock (seei.auctions.flood): not written
        assert BidAttempt.objects.count() == attempts
        return result
    attempt = BidAttempt.objects.latest("id")
    assert BidAttempt.objects.count() == attempts + 1
    assert (attempt.outcome, attempt.reason, attempt.amount_text) == ("refused", reason, amount[:100])
    assert attempt.entry is None
    return result


# Accepted ------------------------------------------------------------------------------------------


def test_an_accepted_bid_is_chained_signed_and_receipted(live):
    member = live.bidders[0]
    pseudonym = live.pseudonym(member)

    result = bid(live, member, "590 000,00")

    assert result.accepted and result.reason is None
    assert result.message == "Your bid of 590,000.00\xa0MAD is recorded. Your rank: 1."
    entry = LedgerEntry.objects.get(room__lot=live.lot, seq=1)
    assert entry.type == "bid" and entry.data == {"bidder": pseudonym, "amount": "590000.00"}
    assert entry.prev_hash == live.room.genesis_hash and entry.hash == ledger.entry_hash(entry.as_entry())
    key = signing.private_key().public_key()
    assert ledger.verify_entry_signature(key, entry.hash, entry.signature)
    receipt = result.receipt
    assert ledger.verify_receipt(key, receipt)
    assert (receipt["lot"], receipt["seq"], receipt["hash"], receipt["bidder"], receipt["amount"]) == (
        "AO-ROOM-001/1",
        1,
        entry.hash,
        pseudonym,
        "590000.00",
    )
    room = live.room
    assert room.seq == 1 and room.last_hash == entry.hash
    assert services.rules_of(room)[1].bids[0].amount == Decimal("590000.00")
    attempt = BidAttempt.objects.get(entry=entry)
    assert (attempt.outcome, attempt.user_id, attempt.amount_text) == (
        "accepted",
        member.user_id,
        "590 000,00",
    )
    assert result.me == {
        "pseudonym": pseudonym,
        "rank": 1,
        "last_amount": "590000.00",
        "lowest_allowed": "530000.00",
        "highest_allowed": "589000.00",
    }
    assert result.allowed == {"lowest": "530000.00", "highest": "589000.00"}


def test_the_snapshot_shows_pseudonyms_never_identities(live):
    bid(live, live.bidders[0], "590000")
    result = bid(live, live.bidders[1], "580000")
    snapshot = result.snapshot

    assert snapshot["seq"] == 2 and snapshot["bids"] == 2 and snapshot["bidders"] == 3
    assert snapshot["best"] == "580000.00"  # the lot shows the best price
    assert [line["pseudonym"] for line in snapshot["ranking"]] == [
        live.pseudonym(live.bidders[1]),
        live.pseudonym(live.bidders[0]),
    ]
    assert all("amount" not in line for line in snapshot["ranking"])  # but not every price
    assert snapshot["status"] == "open" and snapshot["winner"] is None and "me" not in snapshot
    text = json.dumps(snapshot, ensure_ascii=False)
    for member in live.bidders:
        assert member.organisation.name not in text
        assert member.user.email not in text and member.user.first_name not in text
        assert f'"{member.organisation_id}"' not in text


def test_the_snapshot_is_the_same_through_every_read(live):
    bid(live, live.bidders[0], "590000")

    async def read():
        async with bidding.connection() as conn:
            return await bidding.room_snapshot(conn, live.lot.pk)

    from_async, from_sync = run_async(read()), bidding.snapshot_sync(live.lot.pk)

    assert {k: v for k, v in from_async.items() if k not in ("server_time", "remaining_ms")} == {
        k: v for k, v in from_sync.items() if k not in ("server_time", "remaining_ms")
    }
    mine = bidding.snapshot_sync(live.lot.pk, user_id=live.bidders[0].user_id)["me"]
    assert mine["rank"] == 1 and mine["pseudonym"] == live.pseudonym(live.bidders[0])
    assert "me" not in bidding.snapshot_sync(live.lot.pk, user_id=live.outsiders[0].user_id)


def test_an_accepted_bid_publishes_one_snapshot_and_a_refusal_none(live, settings):
    settings.REDIS_URL = ""  # the in-process fan-out of the embedded default
    frames = []

    def listener(lot_id, frame):
        frames.append((lot_id, frame))

    events.add_local_listener(listener)
    try:
        result = bid(live, live.bidders[0], "590000")
        bid(live, live.bidders[1], "600000")  # refused
    finally:
        events.remove_local_listener(listener)

    assert frames == [(live.lot.pk, events.encode(result.snapshot))]


def test_arabic_indic_digits_are_accepted_and_normalised(live):
    result = bid(live, live.bidders[0], "٥٩٠٠٠٠٫٥٠")

    assert result.accepted
    entry = LedgerEntry.objects.get(room__lot=live.lot, seq=1)
    assert entry.data["amount"] == "590000.50"
    assert BidAttempt.objects.get(entry=entry).amount_text == "٥٩٠٠٠٠٫٥٠"


def test_a_bid_in_the_extension_window_moves_the_close(live, clock):
    move_before_close(live, clock, 60)
    closes_at = live.room.closes_at

    result = bid(live, live.bidders[0], "590000")

    assert result.accepted and result.extended
    room = live.room
    assert room.closes_at > closes_at
    assert room.closes_at == LedgerEntry.objects.get(room=room, seq=1).at + timedelta(seconds=180)
    assert result.snapshot["extensions"] == 1
    assert result.message.endswith(f"The closing time moved to {room.closes_at:%Y-%m-%d %H:%M:%S} UTC.")


# Refused ---------------------------------------------------------------------------------------------


def test_a_company_that_is_not_admitted_cannot_bid(live):
    refused(
        live, live.outsiders[0], "590000", "not_admitted", "Your company is not admitted to bid on this lot."
    )
    assert not BidAttempt.objects.exists()  # refused before the lot's lock (seei.auctions.flood)


def test_a_buyer_cannot_bid(live):
    refused(live, live.buyer, "590000", "not_admitted", "Your company is not admitted to bid on this lot.")


def test_a_bid_at_the_starting_price_is_refused(live):
    refused(
        live,
        live.bidders[0],
        "600000",
        "not_below_start",
        "Your bid must be below the starting price of 600,000.00\xa0MAD.",
    )


def test_a_bid_above_the_allowed_range_is_refused(live):
    refused(
        live,
        live.bidders[0],
        "599500",
        "decrement_too_small",
        "The decrease is too small: your bid must be at most 599,000.00\xa0MAD.",
    )


def test_a_bid_below_the_maximum_decrement_is_refused(live):
    refused(
        live,
        live.bidders[0],
        "539999.99",
        "decrement_too_large",
        "The decrease is too large: your bid must be at least 540,000.00\xa0MAD.",
    )


def test_a_bid_above_ones_own_previous_bid_is_refused(live, clock):
    bid(live, live.bidders[0], "590000")
    clock.advance(timedelta(seconds=6))
    refused(
        live,
        live.bidders[0],
        "595000",
        "not_below_own",
        "Your bid must be lower than your previous bid of 590,000.00\xa0MAD.",
    )


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        (
            "59O000",
            "malformed_amount",
            "The amount is not a valid number. Use digits and a decimal point, for example 1234.50.",
        ),
        (
            "abc",
            "malformed_amount",
            "The amount is not a valid number. Use digits and a decimal point, for example 1234.50.",
        ),
        (
            "590000.123",
            "too_many_decimals",
            "The amount can have at most 2 digit(s) after the decimal point.",
        ),
        ("-590000", "not_positive", "The amount must be greater than zero."),
        ("1" + "0" * 30, "too_large", "The amount is too large. Check the number of digits."),
        ("9" * 5000, "too_large", "The amount is too large. Check the number of digits."),
        ("", "empty_amount", "Please enter an amount."),
        (
            "1e5",
            "malformed_amount",
            "The amount is not a valid number. Use digits and a decimal point, for example 1234.50.",
        ),
    ],
)
def test_a_malformed_amount_is_refused(live, amount, reason, message):
    refused(live, live.bidders[0], amount, reason, message)


def test_a_bid_before_the_opening_is_refused(auction):
    opens_at = auction.room.opens_at
    refused(
        auction,
        auction.bidders[0],
        "590000",
        "not_open",
        f"The auction has not opened yet; it opens at {opens_at:%Y-%m-%d %H:%M:%S} UTC.",
    )


def test_a_bid_after_the_closing_time_is_refused_even_before_the_close_task(live, clock):
    move_before_close(live, clock, 0)  # exactly the closing time: too late
    refused(live, live.bidders[0], "590000", "closed", "The auction is closed; no more bids are accepted.")


def test_a_bid_after_the_close_is_refused(live, clock):
    bid(live, live.bidders[0], "590000")
    move_before_close(live, clock, -1)
    assert services.close_room(live.lot.pk).status == "closed"

    refused(live, live.bidders[1], "580000", "closed", "The auction is closed; no more bids are accepted.")


def test_a_flood_from_one_bidder_is_held_back(live, clock):
    member = live.bidders[0]
    first = bid(live, member, "590000")
    by_rules = [bid(live, member, f"{589000 - step * 1000}") for step in range(3)]  # 5 s between bids
    later = []
    for step in range(6):  # then before the lot's lock: refused attempts count in the pace too
        with pytest.raises(flood.Throttled) as refused_early:
            bid(live, member, f"{586000 - step * 1000}")
        later.append(refused_early.value)

    assert first.accepted
    assert all((r.accepted, r.reason) == (False, "too_soon") for r in by_rules)
    assert by_rules[0].message == "You bid a moment ago. Please wait 5 s before your next bid."
    assert all(r.reason == "too_soon" for r in later)
    assert ledger_length(live.lot) == 2
    assert BidAttempt.objects.filter(outcome="refused", reason="too_soon").count() == 3
    clock.advance(timedelta(seconds=5))
    assert bid(live, member, "589000").accepted


def test_refusals_speak_the_bidders_language(live, clock):
    member = live.bidders[0]
    french = bid(live, member, "600000", lang="fr")
    clock.advance(timedelta(seconds=5))  # a refused attempt counts in the pace too
    arabic = bid(live, member, "600000", lang="ar")
    member.user.language = "ar"
    member.user.save()
    clock.advance(timedelta(seconds=5))
    default = bid(live, member, "600000", lang=None)

    assert french.message == "Votre offre doit être inférieure au prix de départ de 600\xa0000,00\xa0MAD."
    assert arabic.message.startswith("يجب أن يكون عرضكم أقل من السعر الابتدائي")
    assert default.message == arabic.message


# Replayed requests --------------------------------------------------------------------------------------


def test_a_replayed_request_returns_the_original_answer_and_changes_nothing(live, clock):
    member = live.bidders[0]
    first = bid(live, member, "590000", request_id="req-1")
    length, room, attempts = ledger_length(live.lot), room_row(live.lot), BidAttempt.objects.count()
    clock.advance(timedelta(seconds=10))

    again = bid(live, member, "590000", request_id="req-1")

    assert again.replayed and again.accepted
    assert again.receipt == first.receipt
    assert (ledger_length(live.lot), room_row(live.lot), BidAttempt.objects.count()) == (
        length,
        room,
        attempts,
    )


def test_a_replayed_refusal_stays_refused(live, clock):
    member = live.bidders[0]
    bid(live, member, "590000")
    first = bid(live, member, "589000", request_id="too-early")
    clock.advance(timedelta(seconds=10))
    length, room, attempts = ledger_length(live.lot), room_row(live.lot), BidAttempt.objects.count()

    again = bid(live, member, "589000", request_id="too-early")

    assert (first.reason, again.reason, again.replayed) == ("too_soon", "too_soon", True)
    assert again.message == first.message == "You bid a moment ago. Please wait 5 s before your next bid."
    assert (ledger_length(live.lot), room_row(live.lot), BidAttempt.objects.count()) == (
        length,
        room,
        attempts,
    )


def test_the_same_request_id_from_another_bidder_is_another_request(live):
    assert bid(live, live.bidders[0], "590000", request_id="shared").accepted
    other = bid(live, live.bidders[1], "580000", request_id="shared")
    assert other.accepted and not other.replayed


# Contract -------------------------------------------------------------------------------------------------


def test_a_lot_without_room_is_not_found(published_tender):
    with pytest.raises(bidding.RoomNotFound):
        bid(published_tender.lots.get(), published_tender.buyer.memberships.first(), "1")


@pytest.mark.parametrize("request_id", ["", "x" * 65, None])
def test_a_request_needs_a_usable_id(live, request_id):
    async def run():
        async with bidding.connection() as conn:
            await bidding.place_bid(
                conn,
                lot_id=live.lot.pk,
                user_id=live.bidders[0].user_id,
                amount="590000",
                request_id=request_id,
            )

    with pytest.raises(ValueError, match="request_id"):
        run_async(run())
    assert not BidAttempt.objects.exists()


def test_access_tells_who_may_watch(live):
    async def role(user_id):
        async with bidding.connection() as conn:
            return await bidding.access(conn, lot_id=live.lot.pk, user_id=user_id)

    bidder = run_async(role(live.bidders[0].user_id))
    assert (bidder.role, bidder.pseudonym) == ("bidder", live.pseudonym(live.bidders[0]))
    assert run_async(role(live.buyer.user_id)).role == "buyer"
    assert run_async(role(live.commission.user_id)).role == "commission"
    assert not run_async(role(live.outsiders[0].user_id)).allowed
    assert not run_async(role(None)).allowed


def test_one_person_bids_and_watches_only_as_the_membership_it_acts_through(live, clock):
    """Pages, API and room share one rule: a bidder's person acting as a buyer agent is no bidder."""
    from seei.accounts.models import Membership
    from seei.auctions import selectors

    company = live.bidders[0]
    as_buyer = Membership.objects.create(
        user=company.user, organisation=live.buyer.organisation, role=live.buyer.role
    )

    async def attempt(membership_id):
        async with bidding.connection() as conn:
            seen = await bidding.access(
                conn, lot_id=live.lot.pk, user_id=company.user_id, membership_id=membership_id
            )
            result = await bidding.place_bid(
                conn,
                lot_id=live.lot.pk,
                user_id=company.user_id,
                membership_id=membership_id,
                amount="1",
                request_id=f"parity-{membership_id}",
            )
            return seen.role, result.reason

    assert run_async(attempt(as_buyer.pk)) == ("buyer", "not_admitted")
    assert selectors.watcher_role(as_buyer, live.room) == "buyer"
    clock.advance(timedelta(seconds=5))  # the person's attempt counts in its pace on the lot
    role, reason = run_async(attempt(company.pk))
    assert role == "bidder" and reason != "not_admitted"
    assert selectors.watcher_role(company, live.room) == "bidder"


# The stored state --------------------------------------------------------------------------------------


def test_the_state_is_a_checkpoint_moved_forward_by_the_ledger(live, clock):
    """Room.state is rewritten every 32 entries; the head state is the checkpoint plus the entries after
    it, exactly what replaying the whole ledger through the rules gives, however a process reads it."""
    from seei.auctions import rules
    from seei.auctions.models import Room

    def head_state():
        room = Room.objects.get(lot=live.lot)
        return services.rules_of(room)[1]

    def replayed():
        room = Room.objects.get(lot=live.lot)
        entries = [e.as_entry() for e in LedgerEntry.objects.filter(room=room).order_by("seq")]
        return rules.replay(rules.LotParams.from_dict(room.params), entries[1:])

    for round_number in range(14):
        for index, member in enumerate(live.bidders):
            assert bid(live, member, str(599_000 - 1_000 * round_number - 100 * index)).accepted
        clock.advance(timedelta(seconds=5))

    room = Room.objects.get(lot=live.lot)
    assert (room.seq, room.state["seq"]) == (42, 32)
    assert head_state() == replayed()

    # A process that knows nothing (a fresh one), one that knows an old state, one whose copy is wrong.
    known = known_states._state_cache[live.lot.pk]
    old = known_states._Known(
        10,
        LedgerEntry.objects.get(room=room, seq=10).hash,
        rules.replay(
            rules.LotParams.from_dict(room.params),
            [
                e.as_entry()
                for e in LedgerEntry.objects.filter(room=room, seq__in=range(1, 11)).order_by("seq")
            ],
        ),
    )
    wrong = known_states._Known(known.seq, "0" * 64, known.state)
    for cache, amount in ((None, "580000"), (old, "579000"), (wrong, "578000")):
        known_states._state_cache.pop(live.lot.pk, None)
        known_states._params_cache.clear()
        if cache is not None:
            known_states._state_cache[live.lot.pk] = cache
        clock.advance(timedelta(seconds=5))
        result = bid(live, live.bidders[0], amount)
        assert result.accepted, result.message
        assert result.snapshot == bidding.snapshot_sync(live.lot.pk) | {
            "server_time": result.snapshot["server_time"],
            "remaining_ms": result.snapshot["remaining_ms"],
            "events": result.snapshot["events"],  # only in the frame of new bids
        }
    assert head_state() == replayed() and head_state().seq == 45


def test_with_redis_each_snapshot_is_published_once_on_the_lots_channel(live, settings, machine_redis):
    import redis

    settings.REDIS_URL = machine_redis
    client = redis.Redis.from_url(settings.REDIS_URL)
    subscriber = client.pubsub()
    subscriber.subscribe(events.channel(live.lot.pk))
    subscriber.get_message(timeout=1)  # the subscription's confirmation
    try:
        result = bid(live, live.bidders[0], "590000")
        bid(live, live.bidders[1], "600000")  # refused: nothing published
        message = subscriber.get_message(timeout=2)
        assert message["channel"] == events.channel(live.lot.pk).encode()
        assert events.lot_of_channel(message["channel"]) == live.lot.pk
        assert message["data"] == events.encode(result.snapshot)
        assert subscriber.get_message(timeout=0.5) is None
    finally:
        subscriber.close()
        events._sync_client = None


# The hot path's shortcuts give the same results as the plain ones -----------------------------------


def test_a_busy_rooms_checkpoints_thin_out_as_it_grows():
    """Every 32 entries at first; then, since each checkpoint holds every bid, at most a quarter of the
    room apart, so that all the checkpoints of a room write O(entries) bids in all, not O(entries²)."""
    entries = 100_000
    due = [seq for seq in range(1, entries + 1) if bidding.checkpoint_due(seq)]
    assert due[:9] == [32, 64, 96, 128, 160, 192, 224, 256, 320]
    assert not bidding.checkpoint_due(0)
    written = sum(due)  # each checkpoint holds the room's entries so far
    assert written <= 7 * entries  # at every 32 entries it would be about entries² / 64
    last = 0
    for seq in range(1, entries + 1):  # a read from the checkpoint folds at most a quarter of the room
        last = seq if bidding.checkpoint_due(seq) else last
        assert seq - last < max(bidding.CHECKPOINT_EVERY, seq / 4)


def test_the_checkpoint_written_under_the_lock_is_the_states_own_dict(live):
    from seei.auctions.models import Room

    for number in range(2):
        assert bid(live, live.bidders[number], str(590000 - 1000 * number)).accepted
    state = bidding.state_of_room_sync(Room.objects.get(lot=live.lot))

    assert json.loads(bidding.checkpoint_json(state)) == state.to_dict()
    assert json.loads(bidding.checkpoint_json(state)) == state.to_dict()  # the second time from the cache
    assert len(state.bids) == 2
    last = state.bids[-1]
    params = rules.LotParams.from_dict(Room.objects.get(lot=live.lot).params)
    later = rules.apply_bid(
        params, state, state.bids[0].bidder, last.amount - 1000, last.at + timedelta(seconds=6)
    )
    assert isinstance(later, rules.Accepted)
    # The cached text of the first two bids, extended by the third.
    assert json.loads(bidding.checkpoint_json(later.state)) == later.state.to_dict()
    assert json.loads(bidding.checkpoint_json(state)) == state.to_dict()  # an earlier state still


def test_from_a_pool_an_outsider_is_refused_and_with_no_audit_nothing_is_written(live):
    from psycopg_pool import AsyncConnectionPool

    before_length, before_room = ledger_length(live.lot), room_row(live.lot)

    async def place(membership, amount):
        pool = AsyncConnectionPool(bidding.conninfo(), kwargs={"autocommit": True}, min_size=1, open=False)
        await pool.open()
        try:
            return await bidding.place_bid(
                pool,
                lot_id=live.lot.pk,
                user_id=membership.user_id,
                amount=amount,
                request_id="pooled",
                audit_outsiders=False,
            )
        finally:
            await pool.close()

    outsider = run_async(place(live.outsiders[0], "590000"))
    assert (outsider.accepted, outsider.reason) == (False, "not_admitted")
    assert (ledger_length(live.lot), room_row(live.lot)) == (before_length, before_room)
    assert not BidAttempt.objects.exists()

    accepted = run_async(place(live.bidders[0], "590000"))
    assert accepted.accepted and ledger_length(live.lot) == before_length + 1
    assert json.loads(accepted.encode()) == json.loads(json.dumps(accepted.to_dict()))
    assert accepted.frame == events.encode(accepted.snapshot)


def test_handed_over_frames_leave_in_chain_order_and_only_the_latest_of_a_backlog(settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # never reached: the client is a fake
    rounds = []

    class FakePipeline:
        def __init__(self):
            self.sent = []

        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc):
            return False

        def publish(self, channel, frame):
            self.sent.append((channel, frame))

        async def execute(self):
            await asyncio.sleep(0.01)  # a round trip, during which more frames are handed over
            rounds.append(self.sent)

    class FakeRedis:
        def pipeline(self, transaction):
            assert transaction is False
            return FakePipeline()

    monkeypatch.setattr(events, "_async_redis", lambda: FakeRedis())

    async def main():
        first = asyncio.ensure_future(events.hand_over(7, 1, b"1"))
        await asyncio.sleep(0)  # frame 1 is on its way
        backlog = [events.hand_over(7, 2, b"2"), events.hand_over(8, 1, b"8"), events.hand_over(7, 3, b"3")]
        await asyncio.gather(first, *backlog)
        assert events.hand_over(7, 2, b"late") is None  # older than what left: nothing more to send

    run_async(main())

    # One round trip per round, every lot's latest frame in it, in the order of each lot's chain.
    lot_7, lot_8 = events.channel(7), events.channel(8)
    assert rounds == [[(lot_7, b"1")], [(lot_7, b"3"), (lot_8, b"8")]]
