"""Group commit: requests on one key that wait for their turn are handled together, in one batch.

While a lot's transaction runs, the bids that arrive for that lot in this process wait; the next
transaction takes all of them at once (up to ``max_batch``): one row lock, one clock reading, one
commit and one snapshot for the lot, each bid still decided one after the other by the rules. A
bid alone is a batch of one, with no delay: there is no timer, only the queue that forms behind a
running transaction. Batches of a key run one after the other, in order of arrival.

A batch is taken when it can run, not before: the handler takes it (``take()``) once it holds what
the batch needs (a connection of a pool whose connections are all busy, at a peak), so the items
arriving while it waited are in it, rather than waiting for that batch and then for the next.
And when more keys wait than may run at once (``Turns``: a process with more lots busy than its pool
has connections), the next batch to run is the one whose oldest item came first, whatever its key.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
# Handles one batch: takes its items with the function it is given, once ready to run them (each call
# returns the same items), and returns one result per item, in order (an exception for an item that
# failed alone).
RunBatch = Callable[[Hashable, Callable[[], list[Item]]], Awaitable[list]]


class Turns:
    """At most ``size`` batches run at once; while more wait, the next to run is the one whose oldest
    item arrived first. A lot's bid then waits for its turn behind the bids that came before it, not
    behind every lot's batch that asked for a connection before its own lot's next batch did (that
    made some bids of a busy process wait two turns, and the p99 of 200 lots 1.7× the bare SQL's)."""

    def __init__(self, size: int):
        self.free = size
        self._waiting: list[tuple[int, asyncio.Future]] = []  # by arrival (unique): a heap

    async def take(self, arrival: int) -> None:
        if self.free > 0:  # then nobody waits
            self.free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (arrival, turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # given the turn as it was cancelled: pass it on
                self.give_back()
            raise

    async def keep(self, arrival: int) -> None:
        """A turn held, for a next batch whose oldest item came at ``arrival``: kept, unless an
        older item waits (then that one's batch runs first, and this one waits its turn)."""
        oldest = self._oldest_waiting()
        if oldest is not None and oldest[0] < arrival:
            self.give_back()
            await self.take(arrival)

    def give_back(self) -> None:
        if self._oldest_waiting() is None:
            self.free += 1
        else:
            heapq.heappop(self._waiting)[1].set_result(None)

    def _oldest_waiting(self) -> tuple[int, asyncio.Future] | None:
        """The oldest waiter still waiting, once those cancelled while they waited are dropped."""
        while self._waiting and self._waiting[0][1].done():
            heapq.heappop(self._waiting)
        return self._waiting[0] if self._waiting else None


class GroupQueue(Generic[Item, Result]):
    """Per event loop and key: the items waiting, and one task (the drain) handing them to
    ``run_batch`` in batches of at most ``max_batch``, while any are waiting. ``turns(key)``: None
    for a key whose batches bring what they need, else how many batches of such keys run at once in
    an event loop (``Turns``; read when the loop's first one runs)."""

    def __init__(
        self, run_batch: RunBatch, max_batch: int, turns: Callable[[Hashable], int | None] = lambda key: None
    ):
        self._run_batch = run_batch
        self.max_batch = max_batch
        self._turns_for = turns
        # per event loop: key -> the items waiting, as (item, future, arrival)
        self._waiting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict] = (
            weakref.WeakKeyDictionary()
        )
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Turns] = weakref.WeakKeyDictionary()
        self._arrivals = itertools.count()
        self._drains: set[asyncio.Task] = set()  # strong references to the running drains

    async def submit(self, key: Hashable, item: Item) -> Result:
        """Queue ``item`` under ``key`` and wait for its result (or its exception)."""
        loop = asyncio.get_running_loop()
        queues = self._waiting.setdefault(loop, {})
        future = loop.create_future()
        waiting = queues.get(key)
        if waiting is None:
            waiting = queues[key] = [(item, future, next(self._arrivals))]
            drain = loop.create_task(self._drain(queues, key, waiting))
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        else:
            waiting.append((item, future, next(self._arrivals)))
        return await future

    def _turns_of(self, key: Hashable) -> Turns | None:
        size = self._turns_for(key)
        if size is None:
            return None
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = Turns(size)
        return turns

    async def _results(self, key: Hashable, take: Callable[[], list]) -> list:
        """The batch's results. When a batch of several fails as a whole (nothing of it committed),
        each item is run again alone, in order: an item the batch could not handle (one a database
        refuses, say) then fails only itself, never the items that happened to wait beside it."""
        try:
            return await self._run_batch(key, take)
        except Exception as error:
            items = take()
            if len(items) == 1:
                return [error]
        results = []
        for item in items:
            results += await self._results(key, lambda item=item: [item])
        return results

    async def _drain(self, queues: dict, key: Hashable, waiting: list) -> None:
        batch: list = []

        def take() -> list:
            """The first ``max_batch`` items waiting when first called (never none: the drain runs a
            batch only while some wait); the same items when called again."""
            if not batch:
                batch[:] = waiting[: self.max_batch]
                del waiting[: self.max_batch]
            return [item for item, _future, _arrival in batch]

        turns, holding = self._turns_of(key), False
        try:
            if turns is not None:
                await turns.take(waiting[0][2])
                holding = True
            while waiting:
                results = await self._results(key, take)
                for (_item, future, _arrival), result in zip(batch, results, strict=True):
                    if future.done():  # its caller went away; the outcome stays in the database
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch.clear()
                if turns is not None and waiting:  # kept, unless an older item of another key waits
                    holding = False
                    await turns.keep(waiting[0][2])
                    holding = True
        finally:
            if holding:
                turns.give_back()
            # Nothing awaits between the last check of ``waiting`` and here: no item is left behind.
            if queues.get(key) is waiting:
                del queues[key]
            for _item, future, _arrival in batch + waiting:  # only when the drain itself was cancelled
                if not future.done():
                    future.cancel()
