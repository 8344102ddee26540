"""The JSON API's bid path under load: ``POST /api/v1/lots/{id}/bids`` with a personal token, as an
integration sends it, beside the room's (``bench.bids``) on the same kind of hot lot.

Each bench bidder is a company member with its own personal API token (made as ``seei.api.tokens``
makes them: ``seei.accounts.services.create_api_token``) and keep-alive connection, and waits for each
answer before its next bid. The amounts are ``bench.bids``'s: every bid is valid under the lot's rules.

``bench/run.py``'s hot scenario runs it after the room's bidders: the rows ``api bids, hot lot, 8
bidders`` (accepted bids/s, p50, p99) with the room's ``hot lot, 8 bidders`` figures as baseline.
"""

from __future__ import annotations

from bench import bids
from bench.load import LoadResult
from bench.stats import Figure


def tokens(people) -> list[str]:
    """A personal API token for each bench person (``bench.data.Person``): their keys, in order."""
    from seei.accounts import services
    from seei.accounts.models import Membership

    memberships = {
        m.user_id: m
        for m in Membership.objects.select_related("user", "organisation").filter(
            user_id__in=[p.user_id for p in people]
        )
    }
    return [services.create_api_token(memberships[p.user_id], "bench", via="bench")[1] for p in people]


class ApiBidder(bids.Bidder):
    """``bench.bids.Bidder`` sending its bids to the API with its token (no cookie, no page headers)."""

    def __init__(self, port: int, lot_id: int, key: str, index: int, stride: int, run: str = ""):
        super().__init__(port, lot_id, "", index, stride, run)
        self.path = f"/api/v1/lots/{lot_id}/bids"
        self.headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Accept-Language": "fr",
        }

    def move(self, port: int) -> None:
        super().move(port)
        self.headers.pop("Origin", None)

    async def enter(self) -> None:
        """An integration has no page to load: its first bid looks its token up."""


def bidders(port: int, lot_id: int, keys: list[str]) -> list[ApiBidder]:
    """One bidder per key, on the lot's room process (``bench.run.Bench.room_port``), as the room's."""
    return [ApiBidder(port, lot_id, key, i, len(keys)) for i, key in enumerate(keys)]


async def run(bidders: list[ApiBidder], *, duration: float, max_each: int) -> LoadResult:
    """Every bidder bids back to back (``bench.bids.run``): accepted bids (201) and refusals."""
    return await bids.run(bidders, duration=duration, max_each=max_each)


def hot(bench, level: int = 8, seconds: float | None = None) -> list[Figure]:
    """One hot lot bid on through the API by ``level`` bidders, for ``seconds`` (the bench's
    ``hot_seconds``): adds and returns accepted bids/s, p50 and p99. ``bench`` is a prepared
    ``bench.run.Bench`` (its database, base and web processes)."""
    from bench import data
    from bench.run import log, run_async

    config = bench.config
    name = f"api bids, hot lot, {level} bidders"
    people = data.people(level, "api-hot")
    lot = data.auction(bench.base, people, f"BENCH-API-HOT-{level}")
    api_bidders = bidders(bench.room_port(0), lot, tokens(people))
    log(f"{name}: SEEI")
    result = run_async(run(api_bidders, duration=seconds or config.hot_seconds, max_each=config.max_each))
    log(f"  {result.summary()} refusals {bids.refusals(api_bidders)}")
    # Beside the room's own endpoint on a lot as hot (the same run): the API must be on its path.
    room = {f.name: f.value for f in bench.figures if f.name.startswith(f"hot lot, {level} bidders: ")}
    beside = f"the room's POST /room/lots/{{id}}/bids, {level} bidders"
    figures = [
        Figure(f"{name}: {what}", value, unit, room.get(f"hot lot, {level} bidders: {what}"), note=beside)
        for what, value, unit in (
            ("accepted bids/s", result.rate, "bids/s"),
            ("p50 latency", result.p(0.5), "ms"),
            ("p99 latency", result.p(0.99), "ms"),
        )
    ]
    bench.add(*figures)
    bench._check_errors(name, result)
    return figures
