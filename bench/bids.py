"""SEEI's real bid path under load: the room's ``POST /room/lots/{id}/bids``, as the page sends it.

Each bench bidder is a logged-in company member (its own ``sessionid`` cookie and keep-alive
connection), sends the page's headers (``X-SEEI-Room``, a same-origin ``Origin``) and waits for
each answer before its next bid: the whole path runs each time (session, permission, rules,
ledger entry signed and hash-chained, commit, snapshot published to every web process).

Amounts: bidder ``i`` of a lot with ``n`` bench bidders bids, for its ``k``-th bid,
``start - ((k + 1) * n + i)`` cents. Each bid is below the bidder's own previous one by ``n``
cents (the minimum decrement is one cent, no maximum) and no two bidders ever bid the same
amount (so never the current best), hence every bid is valid under the lot's rules.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

from bench.load import HttpConnection, LoadResult, Operation, closed_loop

START_CENTS = 10_000_000_000  # data.STARTING_PRICE in cents
ENTER_ATTEMPTS = 5
ENTER_PAUSE = 0.5  # seconds, times the attempt's number


def amount_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Bidder:
    """One company member bidding on one lot through one web process."""

    def __init__(self, port: int, lot_id: int, session_key: str, index: int, stride: int, run: str = ""):
        self.port, self.lot_id, self.index, self.stride = port, lot_id, index, stride
        self.path = f"/room/lots/{lot_id}/bids"
        self.headers = {
            "Origin": f"http://127.0.0.1:{port}",
            "X-SEEI-Room": "1",
            "Content-Type": "application/json",
            "Cookie": f"sessionid={session_key}",
            "Accept-Language": "fr",
        }
        self.connection = HttpConnection(port)
        self.count = 0
        self.run = run or uuid.uuid4().hex[:8]
        self.refusals: Counter = Counter()
        self.keep_seq = False  # parse each accepted answer for its snapshot's seq (fan-out triggers)
        self.last_seq = 0

    def move(self, port: int) -> None:
        """Bid through another web process from now on."""
        self.port = port
        self.headers["Origin"] = f"http://127.0.0.1:{port}"
        self.connection = HttpConnection(port)

    async def enter(self, pause: float = ENTER_PAUSE) -> None:
        """Load the lot's state as the room's page does before a first bid: the process then knows the
        login, as it knows a real bidder's, and no bid of the measure pays for decoding it. A 503 (the
        room's pool busy past its wait: 2,000 bidders enter at once, on a slow machine) is asked again
        after a growing pause, as the page reconnects with backoff."""
        for attempt in range(1, ENTER_ATTEMPTS + 1):
            status, _headers, answer = await self.connection.request(
                "GET", f"/room/lots/{self.lot_id}/snapshot", self.headers
            )
            if status != 503 or attempt == ENTER_ATTEMPTS:
                break
            await asyncio.sleep(pause * attempt)
        if status != 200:
            raise RuntimeError(f"the room's snapshot answered {status}: {answer[:200]!r}")

    def next_amount(self) -> str:
        return amount_text(START_CENTS - ((self.count + 1) * self.stride + self.index))

    async def bid(self) -> bool:
        body = json.dumps(
            {"amount": self.next_amount(), "request_id": f"{self.run}-{self.index}-{self.count}"}
        ).encode()
        status, _headers, answer = await self.connection.request("POST", self.path, self.headers, body)
        self.count += 1
        if status == 201:
            if self.keep_seq:
                self.last_seq = max(self.last_seq, json.loads(answer)["snapshot"]["seq"])
            return True
        try:
            reason = json.loads(answer).get("reason")
        except ValueError:
            reason = None
        self.refusals[f"{status} {reason}"] += 1
        if status >= 500 or reason in (None, "cross_site", "not_authenticated", "forbidden", "bad_request"):
            raise RuntimeError(f"bid answered {status}: {answer[:200]!r}")
        return False

    async def close(self) -> None:
        await self.connection.close()


async def enter_all(bidders: list[Bidder]) -> None:
    """Open each bidder's connection and enter its room before a measure, as the baseline's pool opens
    its connections before it is measured: 2,000 TCP handshakes and first logins at once are the load
    generator's start, not a bid's cost (they made the whole p99 of 200 lots, up to 10 s)."""
    await asyncio.gather(
        *(bidder.connection.open() for bidder in bidders if bidder.connection.writer is None)
    )
    await asyncio.gather(*(bidder.enter() for bidder in bidders))


async def run(bidders: list[Bidder], *, duration: float, max_each: int) -> LoadResult:
    """Every bidder bids back to back, once all have entered (``enter_all``); the result counts
    accepted bids (201) and refusals, and times every bid but each bidder's first (as the baseline's:
    ``closed_loop``)."""
    operations: list[Operation] = [bidder.bid for bidder in bidders]
    try:
        await enter_all(bidders)
        return await closed_loop(operations, duration=duration, max_each=max_each, time_first=False)
    finally:
        for bidder in bidders:
            await bidder.close()


def refusals(bidders: list[Bidder]) -> dict[str, int]:
    total: Counter = Counter()
    for bidder in bidders:
        total.update(bidder.refusals)
    return dict(total)
