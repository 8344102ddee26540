"""The auction rules alone, in this process: what an accepted bid costs as a lot's bids grow, and
what a replay of its whole ledger costs (``seei verify``, a room reading its state again).

A lot of ten bidders takes ``count`` accepted bids in a row, each 0.01 below the last; the time of
the thousand bids before 1,000 / 10,000 / ``count`` bids gives each size's cost per bid. No
baseline: the figure that matters is that the cost stays flat as the lot grows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench.stats import Figure

SIZES = (1_000, 10_000, 50_000)
WINDOW = 1_000  # bids timed before each size


def figures(count: int = SIZES[-1]) -> list[Figure]:
    from seei.auctions.rules import Accepted, Decrement, LotParams, State, apply_bid

    opens = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    params = LotParams(
        currency="MAD",
        minor_digits=2,
        starting_price=Decimal("100000000.00"),
        min_decrement=Decrement("amount", Decimal("0.01")),
        max_decrement=None,
        opens_at=opens,
        closes_at=opens + timedelta(days=1),
        bidders=tuple(f"B-{n}" for n in range(10)),
        extension_window=timedelta(minutes=2),
        extension=timedelta(minutes=3),
    )
    sizes = [size for size in SIZES if size <= count]
    state, amount, at = State.initial(params), params.starting_price, opens
    times = {0: 0.0}
    started = time.perf_counter()
    for number in range(1, count + 1):
        amount -= Decimal("0.01")
        at += timedelta(milliseconds=1)
        result = apply_bid(params, state, f"B-{number % 10}", amount, at)
        if not isinstance(result, Accepted):
            raise RuntimeError(f"bid {number} refused: {result}")
        state = result.state
        if number in sizes or number + WINDOW in sizes or number == count:
            times[number] = time.perf_counter() - started
    found = [
        Figure(
            f"rules: an accepted bid at {size:,} bids",
            (times[size] - times[size - WINDOW]) / WINDOW * 1e6,
            "us",
        )
        for size in sizes
    ]
    return [*found, Figure(f"rules: a replay of {count:,} bids", times[count], "s")]


if __name__ == "__main__":
    from bench import stats

    print(stats.table(figures()))
