"""Group commit: the bids that wait for a lot's transaction are decided together, each by the rules.

The lot of the ``auction`` fixture: starting price 600,000.00 MAD, minimum decrement 1,000.00,
maximum 10 %, 5 s between two bids of a bidder.
"""

import asyncio
import json
from datetime import timedelta

import pytest

from seei.auctions import bidding, flood, ledger, rules, services
from seei.auctions.batches import GroupQueue, Turns
from seei.auctions.models import BidAttempt, LedgerEntry
from seei.auctions.verify import verify_ledger
from tests.conftest import Client, run_async

from .conftest import move_before_close, open_room

# The queue itself --------------------------------------------------------------------------------


def test_items_waiting_on_a_key_are_handled_together_in_order_and_split_by_size():
    batches = []

    async def run_batch(key, take):
        items = take()
        batches.append((key, list(items)))
        await asyncio.sleep(0)
        return [item * 10 for item in items]

    queue = GroupQueue(run_batch, max_batch=2)

    async def main():
        return await asyncio.gather(*(queue.submit("lot", n) for n in range(5)), queue.submit("other", 7))

    assert run_async(main()) == [0, 10, 20, 30, 40, 70]
    assert batches == [("lot", [0, 1]), ("other", [7]), ("lot", [2, 3]), ("lot", [4])]


def test_an_item_that_fails_its_batch_fails_alone_and_the_others_are_run_again_in_order():
    runs = []

    async def run_batch(key, take):
        items = take()
        runs.append(list(items))
        if "boom" in items:
            raise RuntimeError("the transaction failed")
        return [ValueError(item) if item == "bad" else item.upper() for item in items]

    queue = GroupQueue(run_batch, max_batch=3)

    async def main():
        return await asyncio.gather(
            *(queue.submit("lot", item) for item in ("a", "boom", "b", "bad")), return_exceptions=True
        )

    first, boom, second, bad = run_async(main())
    assert (first, second) == ("A", "B")
    assert isinstance(boom, RuntimeError) and isinstance(bad, ValueError) and str(bad) == "bad"
    assert runs == [["a", "boom", "b"], ["a"], ["boom"], ["b"], ["bad"]]


def test_a_batch_is_taken_when_it_can_run_so_items_arriving_while_it_waits_are_in_it():
    """As a lot's batch waiting for a connection of a busy pool: the bids arriving meanwhile are in
    it, not left to wait for it and then for a batch of their own."""
    batches = []
    connection = asyncio.Lock()  # the pool's one connection

    async def run_batch(key, take):
        async with connection:
            batches.append(list(take()))
            await asyncio.sleep(0)
            return [item * 10 for item in take()]  # the same items when taken again

    queue = GroupQueue(run_batch, max_batch=10)

    async def main():
        async with connection:  # busy with something else
            first = asyncio.ensure_future(queue.submit("lot", 1))
            await asyncio.sleep(0)  # its batch is waiting for the connection
            later = [asyncio.ensure_future(queue.submit("lot", n)) for n in (2, 3)]
            await asyncio.sleep(0)
        return await asyncio.gather(first, *later)

    assert run_async(main()) == [10, 20, 30]
    assert batches == [[1, 2, 3]]


@pytest.mark.parametrize("order", ["AB", "BA"])
def test_when_more_keys_wait_than_may_run_the_batch_with_the_oldest_item_runs_first(order):
    """One turn (a pool of one connection), lot A's first batch running: A's next bid and B's bid
    arrive, in ``order``. Whichever came first runs first: A's next batch does not go behind B's
    for having asked after it, nor does it keep the turn from an older bid of B."""
    runs = []
    gate = asyncio.Event()

    async def run_batch(key, take):
        items = take()
        runs.append(items[0])
        if len(runs) == 1:
            await gate.wait()
        return items

    queue = GroupQueue(run_batch, max_batch=10, turns=lambda key: 1)
    keys = {"A": "A2", "B": "B1"}

    async def main():
        first = asyncio.ensure_future(queue.submit("A", "A1"))
        await asyncio.sleep(0)  # A's first batch runs and holds the one turn
        later = [asyncio.ensure_future(queue.submit(key, keys[key])) for key in order]
        await asyncio.sleep(0)  # B's batch waits for the turn
        gate.set()
        return await asyncio.gather(first, *later)

    assert run_async(main()) == ["A1", *(keys[key] for key in order)]
    assert runs == ["A1", *(keys[key] for key in order)]


def test_a_batch_that_brings_its_own_connection_takes_no_turn():
    """The API's bid holds its pool connection while it waits for its batch: were it to wait for a
    turn too, it could wait for batches waiting for the connection it holds."""
    gate = asyncio.Event()

    async def run_batch(key, take):
        if key == "pool":
            await gate.wait()
        return take()

    queue = GroupQueue(run_batch, max_batch=10, turns=lambda key: 1 if key == "pool" else None)

    async def main():
        held = asyncio.ensure_future(queue.submit("pool", 1))  # holds the one turn until the gate opens
        await asyncio.sleep(0)
        own = await asyncio.wait_for(queue.submit("own connection", 2), 1)
        gate.set()
        return own, await held

    assert run_async(main()) == (2, 1)


async def one_turn_held(held: int, cancelled: int, waiting: int):
    """One turn, taken for an item of ``held``; a waiter for ``cancelled`` gone, one for ``waiting``
    still waiting (its task is returned)."""
    turns = Turns(1)
    await turns.take(held)
    gone = asyncio.ensure_future(turns.take(cancelled))
    other = asyncio.ensure_future(turns.take(waiting))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    return turns, other


def test_a_turn_given_back_skips_a_cancelled_waiter():
    async def main():
        turns, next_ = await one_turn_held(0, cancelled=1, waiting=2)
        turns.give_back()
        await asyncio.wait_for(next_, 1)
        turns.give_back()
        return turns.free

    assert run_async(main()) == 1


def test_a_turn_is_kept_when_the_only_older_waiter_was_cancelled():
    async def main():
        turns, younger = await one_turn_held(5, cancelled=1, waiting=9)
        await asyncio.wait_for(turns.keep(7), 1)  # kept: the waiter of 9 came after
        kept = not younger.done()
        turns.give_back()
        await asyncio.wait_for(younger, 1)
        return kept

    assert run_async(main())


def test_a_batch_that_fails_before_it_takes_its_items_fails_the_items_waiting_then():
    async def refused(key, take):
        raise ConnectionError("no connection")

    queue = GroupQueue(refused, max_batch=10)

    async def main():
        return await asyncio.gather(*(queue.submit("lot", n) for n in range(3)), return_exceptions=True)

    assert [type(result) for result in run_async(main())] == [ConnectionError] * 3


# The bids ----------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(auction, clock):
    open_room(auction, clock)
    return auction


def place_together(live, bids):
    """Submit ``(membership, amount, request_id[, session_check])`` bids at once on one connection:
    they all wait for the same transaction of the lot."""

    async def main():
        async with bidding.connection() as conn:
            return await asyncio.gather(
                *(
                    bidding.place_bid(
                        conn,
                        lot_id=live.lot.pk,
                        user_id=member.user_id,
                        amount=amount,
                        request_id=request_id,
                        lang="en",
                        session_check=check[0] if check else None,
                    )
                    for member, amount, request_id, *check in bids
                ),
                return_exceptions=True,
            )

    return run_async(main())


def test_bids_that_wait_together_are_each_decided_chained_and_audited(live, clock):
    first, second, third = live.bidders
    outsider = live.outsiders[0]

    results = place_together(
        live,
        [
            (first, "590000", "r1"),
            (second, "589000", "r2"),
            (third, "588000", "r3"),
            (outsider, "580000", "r4"),  # refused before the lock (seei.auctions.flood): not written
            (first, "585000", "r5"),  # too soon after its own bid: 5 s between two bids
            (second, "589000", "r2"),  # the same request again: the first answer, written once
        ],
    )

    a, b, c, out, soon, again = results
    assert [r.accepted for r in (a, b, c)] == [True, True, True]
    assert (out.reason, out.snapshot, soon.reason) == ("not_admitted", None, "too_soon")
    assert again.replayed and again.accepted and again.receipt["seq"] == b.receipt["seq"]
    entries = list(LedgerEntry.objects.filter(room__lot=live.lot, type="bid").order_by("seq"))
    assert [e.data["bidder"] for e in entries] == [live.pseudonym(m) for m in (first, second, third)]
    assert [r.receipt["seq"] for r in (a, b, c)] == [e.seq for e in entries]
    assert len({e.at for e in entries}) == 1  # one transaction, one reading of the clock
    attempts = BidAttempt.objects.order_by("id")
    assert [(x.request_id, x.outcome) for x in attempts] == [
        ("r1", "accepted"),
        ("r2", "accepted"),
        ("r3", "accepted"),
        ("r5", "refused"),
    ]
    # Everyone got the state after the whole batch, with its own rank in it.
    assert {r.snapshot["seq"] for r in (a, b, c, soon, again)} == {entries[-1].seq}
    assert [r.me["rank"] for r in (a, b, c)] == [3, 2, 1]
    moving = ("server_time", "remaining_ms", "events")
    later = bidding.snapshot_sync(live.lot.pk)
    assert {k: v for k, v in b.snapshot.items() if k not in moving} == {
        k: v for k, v in later.items() if k not in moving
    }
    # The frame brings the batch's history lines, as the lot (best price shown) lets everyone see them.
    at = rules.format_time(entries[0].at)
    assert b.snapshot["events"] == [
        {"seq": e.seq, "type": "bid", "at": at, "pseudonym": e.data["bidder"], "best": best}
        for e, best in zip(entries, ("590000.00", "589000.00", "588000.00"), strict=True)
    ]

    # The chain of the batch verifies like any other.
    move_before_close(live, clock, -1)
    services.close_room(live.lot.pk)
    client = Client()
    key = ledger.load_public_key(client.get("/api/v1/ledger/public-key").json()["public_key"])
    assert all(ledger.verify_receipt(key, r.receipt) for r in (a, b, c))
    report = verify_ledger(client.get(f"/api/v1/lots/{live.lot.pk}/ledger").json(), public_key=key)
    assert report.ok, report.errors
    assert report.winner == live.pseudonym(third)


def test_bids_arriving_while_a_lot_waits_for_a_busy_pools_connection_share_its_transaction(live, settings):
    settings.SEEI_DB_POOL_SIZE = 2
    first, second, third = live.bidders

    async def main():
        pool = bidding.pool()
        await pool.open()
        try:

            def place(member, amount):
                return asyncio.ensure_future(
                    bidding.place_bid(
                        pool, lot_id=live.lot.pk, user_id=member.user_id, amount=amount, request_id=amount
                    )
                )

            assert not await flood.is_outsider(pool, live.lot.pk, first.user_id)  # the admitted, read
            async with pool.connection(), pool.connection():  # the pool's connections, busy elsewhere
                waiting = place(first, "590000")
                await asyncio.sleep(0.05)  # its batch waits for the connection, then two more bids come
                waiting = [waiting, place(second, "589000"), place(third, "588000")]
                await asyncio.sleep(0.05)
            return await asyncio.gather(*waiting)
        finally:
            await pool.close()

    results = run_async(main())

    assert [result.accepted for result in results] == [True, True, True]
    entries = LedgerEntry.objects.filter(room__lot=live.lot, type="bid")
    assert entries.count() == 3 and len({entry.at for entry in entries}) == 1  # one transaction
    assert {result.snapshot["seq"] for result in results} == {max(entry.seq for entry in entries)}


def test_a_refused_login_in_a_batch_writes_nothing_for_it_and_spares_the_others(live):
    first, second, _third = live.bidders

    def refuse(*_row):
        return False

    kept, refused = place_together(live, [(first, "590000", "ok"), (second, "589000", "no", refuse)])

    assert kept.accepted
    assert isinstance(refused, bidding.SessionRefused)
    assert list(BidAttempt.objects.values_list("request_id", flat=True)) == ["ok"]
    assert LedgerEntry.objects.filter(room__lot=live.lot, type="bid").count() == 1


def test_a_frames_history_lines_show_the_best_price_of_the_whole_auction(live):
    first, second, _third = live.bidders

    (lower,) = place_together(live, [(first, "590000", "low")])
    (higher,) = place_together(live, [(second, "595000", "high")])

    assert lower.accepted and higher.accepted
    assert [(e["pseudonym"], e["best"]) for e in higher.snapshot["events"]] == [
        (live.pseudonym(second), "590000.00")  # the best is still the earlier, lower bid
    ]
    assert json.loads(higher.frame)["events"] == higher.snapshot["events"]


def test_a_bid_the_database_could_not_store_fails_no_other_bid_and_leaves_the_pool_sound(live, clock):
    """A NUL character in an amount once made PostgreSQL refuse the batch's audit rows: it failed
    the other bidders' bids of the batch, and the pool's connections kept failing afterwards."""
    first, second, third = live.bidders
    outsider = live.outsiders[0]
    amounts = (str(amount) for amount in range(590000, 0, -1000))

    async def main():
        pool = bidding.pool()
        await pool.open()
        try:

            async def place(member, amount, request_id):
                return await bidding.place_bid(
                    pool, lot_id=live.lot.pk, user_id=member.user_id, amount=amount, request_id=request_id
                )

            async def rounds(name, count):  # past psycopg's threshold: the statements are prepared
                results = []
                for round_ in range(count):
                    clock.advance(timedelta(seconds=6))
                    for n, member in enumerate((first, second, third)):
                        results.append(await place(member, next(amounts), f"{name}-{round_}-{n}"))
                return results

            before = await rounds("before", 6)
            clock.advance(timedelta(seconds=6))
            together = await asyncio.gather(
                place(first, next(amounts), "a"),
                place(second, "99\u000099", "nul"),
                place(outsider, "98\u00008", "nul-outsider"),
                place(third, next(amounts), "c"),
                return_exceptions=True,
            )
            return before, together, await rounds("after", 34)  # then a hundred more
        finally:
            await pool.close()

    before, (a, nul, nul_outsider, c), after = run_async(main())
    assert len(after) == 102
    assert all(result.accepted for result in before + after), [r.reason for r in after if not r.accepted]
    assert a.accepted and c.accepted
    assert (nul.accepted, nul.reason) == (False, "malformed_amount")
    assert (nul_outsider.accepted, nul_outsider.reason) == (False, "not_admitted")
    audited = dict(BidAttempt.objects.values_list("request_id", "amount_text"))
    assert audited["nul"] == "99\\u000099"
    assert "nul-outsider" not in audited  # refused before the lock (seei.auctions.flood): not written
