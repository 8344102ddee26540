"""Group commit: requests on one key that wait for their turn are handled together, in one batch.

While a lot's transaction runs, the bids that arrive for that lot in this process wait; the next
transaction takes all of them at once (up to ``max_batch``): one row lock, one clock reading, one
commit and one snapshot for the lot, each bid still decided one after the other by the rules. A
bid alone is a batch of one, with no delay: there is no timer, only the queue that forms behind a
running transaction. Batches of a key run one after the other, in order of arrival.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
# Handles one batch; returns one result per item, in order (an exception for an item that failed alone).
RunBatch = Callable[[Hashable, list[Item]], Awaitable[list]]


class GroupQueue(Generic[Item, Result]):
    """Per event loop and key: the items waiting, and one task (the drain) handing them to
    ``run_batch`` in batches of at most ``max_batch``, while any are waiting."""

    def __init__(self, run_batch: RunBatch, max_batch: int):
        self._run_batch = run_batch
        self.max_batch = max_batch
        # per event loop: key -> the items waiting, with their futures
        self._waiting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict] = (
            weakref.WeakKeyDictionary()
        )
        self._drains: set[asyncio.Task] = set()  # strong references to the running drains

    async def submit(self, key: Hashable, item: Item) -> Result:
        """Queue ``item`` under ``key`` and wait for its result (or its exception)."""
        loop = asyncio.get_running_loop()
        queues = self._waiting.setdefault(loop, {})
        future = loop.create_future()
        waiting = queues.get(key)
        if waiting is None:
            waiting = queues[key] = [(item, future)]
            drain = loop.create_task(self._drain(queues, key, waiting))
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        else:
            waiting.append((item, future))
        return await future

    async def _results(self, key: Hashable, items: list) -> list:
        """The batch's results. When a batch of several fails as a whole (nothing of it committed),
        each item is run again alone, in order: an item the batch could not handle (one a database
        refuses, say) then fails only itself, never the items that happened to wait beside it."""
        try:
            return await self._run_batch(key, items)
        except Exception as error:
            if len(items) == 1:
                return [error]
        results = []
        for item in items:
            results += await self._results(key, [item])
        return results

    async def _drain(self, queues: dict, key: Hashable, waiting: list) -> None:
        batch: list = []
        try:
            while waiting:
                batch = waiting[: self.max_batch]
                del waiting[: self.max_batch]
                results = await self._results(key, [item for item, _future in batch])
                for (_item, future), result in zip(batch, results, strict=True):
                    if future.done():  # its caller went away; the outcome stays in the database
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        finally:
            # Nothing awaits between the last check of ``waiting`` and here: no item is left behind.
            if queues.get(key) is waiting:
                del queues[key]
            for _item, future in batch + waiting:  # only when the drain itself was cancelled
                if not future.done():
                    future.cancel()
