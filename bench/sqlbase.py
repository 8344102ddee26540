"""The bid path's baseline: the bare SQL transaction, with nothing around it.

Lock one lot row, check the price, insert a bid, update the lot; commit (durable: the server's
own synchronous_commit, as SEEI's). Five round trips (BEGIN, SELECT … FOR UPDATE, INSERT,
UPDATE, COMMIT) on psycopg's async connections, in tables of the bench's own. It runs through
the same closed-loop runner as SEEI's bids, with the same number of concurrent bidders and as
many database connections as SEEI's web processes have in their pools.
"""

from __future__ import annotations

from decimal import Decimal

from psycopg_pool import AsyncConnectionPool

from bench.load import LoadResult, Operation, closed_loop

SCHEMA = """
DROP TABLE IF EXISTS bench_bid;
DROP TABLE IF EXISTS bench_lot;
CREATE TABLE bench_lot (
    id integer PRIMARY KEY,
    price numeric(18, 2) NOT NULL,
    bids integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bench_bid (
    id bigserial PRIMARY KEY,
    lot_id integer NOT NULL REFERENCES bench_lot (id),
    bidder integer NOT NULL,
    amount numeric(18, 2) NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX bench_bid_lot_at ON bench_bid (lot_id, at);
"""
STARTING_PRICE = Decimal("100000000.00")
CENT = Decimal("0.01")


async def create_schema(conninfo: str, lots: int) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(SCHEMA)
        await reset(conn, lots)


async def reset(conn, lots: int) -> None:
    """Every lot back at the starting price, no bid: each measure starts from the same state."""
    await conn.execute("TRUNCATE bench_bid, bench_lot")
    await conn.execute(
        "INSERT INTO bench_lot (id, price) SELECT g, %s FROM generate_series(1, %s) g", (STARTING_PRICE, lots)
    )


async def place(conn, lot_id: int, bidder: int) -> bool:
    """One bid in one durable transaction: the baseline's unit of work."""
    async with conn.transaction():
        cursor = await conn.execute("SELECT price FROM bench_lot WHERE id = %s FOR UPDATE", (lot_id,))
        (price,) = await cursor.fetchone()
        amount = price - CENT  # the check: strictly below the current price
        if amount <= 0:
            return False
        await conn.execute(
            "INSERT INTO bench_bid (lot_id, bidder, amount, at) VALUES (%s, %s, %s, clock_timestamp())",
            (lot_id, bidder, amount),
        )
        await conn.execute(
            "UPDATE bench_lot SET price = %s, bids = bids + 1, updated_at = clock_timestamp() WHERE id = %s",
            (amount, lot_id),
        )
    return True


async def run(
    conninfo: str,
    *,
    lots: int,
    bidders_per_lot: int,
    connections: int,
    duration: float,
    max_each: int,
) -> LoadResult:
    """``lots`` × ``bidders_per_lot`` concurrent bidders sharing ``connections`` connections, timed as
    SEEI's (``bench.bids.run``): every bid but each bidder's first."""
    pool = AsyncConnectionPool(
        conninfo, min_size=connections, max_size=connections, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True, timeout=30)
    try:
        async with pool.connection() as conn:
            await reset(conn, lots)

        def bidder(lot_id: int, number: int) -> Operation:
            async def operation() -> bool:
                async with pool.connection() as conn:
                    return await place(conn, lot_id, number)

            return operation

        operations = [bidder(lot, n) for lot in range(1, lots + 1) for n in range(bidders_per_lot)]
        return await closed_loop(operations, duration=duration, max_each=max_each, time_first=False)
    finally:
        await pool.close()
