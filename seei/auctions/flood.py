"""The flood guard: what a bid attempt is refused before it waits for its lot's lock.

Every attempt that reaches the bid transaction takes the lot's row lock (``bidding``), so a flood of
attempts would make the real bids queue past the close. ``before_lock`` decides in this process, in
microseconds and with no I/O for an admitted bidder, in this order:

1. per user: at most ``SEEI_BID_LIMIT_PER_USER`` = (attempts, seconds) attempts, on every lot;
2. who is admitted: an account that is not an admitted bidder of the lot is refused (``not_admitted``)
   from a cached set, ``Admitted``, never reaching the lock;
3. the pace counts refused attempts: a bidder may make REFUSED_PER_INTERVAL refused attempts per
   ``min_bid_interval`` (``decided``), then waits, as the rules make it wait after an accepted bid
   (they count accepted bids only, as the verifier sees the ledger); the same request id again (a
   retry after a lost answer) is not a new attempt;
4. per lot: at most ``SEEI_BID_LIMIT_PER_LOT`` attempts go on to the lock.

1, 3 and 4 raise ``Throttled`` (answered 429 with Retry-After). The counters belong to this process:
N processes admit N times the limits, which still keeps a flood away from the lock.

The admitted set of a lot (the users with a company membership of a company that is a bidder of its
room) changes only when a room is created, a seat is taken, or a membership changes: each such save
bumps a generation (``admission_changed``, from the model signals: at once and again at the commit).
A user found in the set passes at once (the transaction checks again: a stale "yes" costs nothing);
a user not found is refused only while the generation the set was read under is still current: this
process's own, and with Redis the one shared by every process (read at most every SHARED_EVERY
seconds, for outsiders only: another process's change is seen within 0.1 s). Otherwise the set is
read again, without the lock.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from psycopg_pool import AsyncConnectionPool

from seei.auctions import reasons
from seei.auctions.rules import Reason
from seei.core import clock

log = logging.getLogger(__name__)

GENERATION_KEY = "seei:bids:admitted-generation"
REDIS_TIMEOUT = 0.5  # seconds: past it, the generation is unknown and the transaction decides
SHARED_EVERY = 0.1  # seconds: another process's change of who is admitted is seen here within this
MAX_AGE = 30.0  # seconds: a set read again after this, should a change have gone unannounced
REFUSED_PER_INTERVAL = 3  # refused attempts a bidder may make per lot interval (a typo, its correction)
MAX_TRACKED = 100_000  # users, lots or (lot, user) pairs remembered: past it, forgotten (rare)


class Throttled(Exception):
    """Refused before the lock: too many attempts (``rate_limited``: this user; ``lot_busy``: this
    lot) or an attempt too soon after the last (``too_soon``). Nothing was written."""

    def __init__(self, reason: str, wait: float):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = max(1, math.ceil(wait))  # seconds

    def message(self) -> str:
        """What to tell the person, in the active language."""
        if self.reason == Reason.TOO_SOON:  # the rules' own message, in the same words
            return reasons.message(Reason.TOO_SOON, get_language(), seconds=self.retry_after)
        if self.reason == "lot_busy":
            return _("Too many bids on this lot right now. Please send yours again in %(seconds)s s.") % {
                "seconds": self.retry_after
            }
        return _("Too many bid attempts. Please wait %(seconds)s s before trying again.") % {
            "seconds": self.retry_after
        }


# --- rate limits --------------------------------------------------------------------------------------


class Buckets:
    """Token buckets by key: ``capacity`` attempts at once, refilled at capacity/period per second."""

    def __init__(self, limit_setting: str):
        self.limit_setting = limit_setting
        self._buckets: dict = {}  # key -> (tokens, at)

    def take(self, key) -> float:
        """0 when an attempt may go on (one token taken), else the seconds until one may."""
        capacity, period = getattr(settings, self.limit_setting)
        rate = capacity / period
        now = clock.monotonic()
        tokens, at = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - at) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate
        if len(self._buckets) >= MAX_TRACKED:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1, now)
        return 0.0

    def clear(self) -> None:
        self._buckets.clear()


per_user = Buckets("SEEI_BID_LIMIT_PER_USER")
per_lot = Buckets("SEEI_BID_LIMIT_PER_LOT")
# (lot, user) -> (refused attempts it may still make, when counted, the request id of its last refusal)
_refused: dict[tuple[int, int], tuple[float, float, str]] = {}


# --- who is admitted ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Admitted:
    users: frozenset[int]  # users that may act for a company admitted to the lot
    interval: float  # the lot's min_bid_interval, in seconds
    local: int  # this process's generation when the set was read
    shared: str | None  # the shared generation (Redis) then; None without Redis
    read_at: float  # clock.monotonic() then: a set older than MAX_AGE is read again before a refusal


_admitted: dict[int, Admitted] = {}  # lot id -> its admitted set
_loading: dict[tuple[int, int], asyncio.Future] = {}  # (loop, lot) -> the read in flight
_local_generation = 0

ADMITTED_SQL = """
SELECT (r.params ->> 'min_bid_interval_us')::bigint,
       ARRAY(SELECT DISTINCT m.user_id FROM auctions_bidder b
             JOIN accounts_membership m ON m.organisation_id = b.company_id AND m.role = 'company_member'
             WHERE b.room_id = r.id)
FROM auctions_room r WHERE r.lot_id = %s
"""


def admission_changed(sender=None, created: bool = True, **_signal) -> None:
    """A room was created, or a seat or a membership changed: every admitted set read before is
    checked again. Bumped at the save and again at the commit (a set read in between holds the old rows)."""
    if sender is not None and sender.__name__ == "Room" and not created:
        return  # a room's own progress (opened, closed...) does not change who bids
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    global _local_generation, _shared_seen
    _local_generation += 1
    _shared_seen = (-1.0, None)
    if settings.REDIS_URL:
        from seei.auctions import events

        try:
            events._redis().set(GENERATION_KEY, secrets.token_hex(8))
        except Exception as error:  # other processes then read their sets again after MAX_AGE
            log.warning("flood: the admitted generation could not be shared (%s)", error)


_shared_seen: tuple[float, str | None] = (-1.0, None)  # (when, value) of the last read of the shared one


async def _shared() -> str | None:
    """The generation every process shares (Redis), or None without Redis; read at most every
    SHARED_EVERY seconds (a flood of outsiders costs no Redis round trip each). Raises when Redis fails."""
    global _shared_seen
    if not settings.REDIS_URL:
        return None
    now = clock.monotonic()
    if now - _shared_seen[0] < SHARED_EVERY:
        return _shared_seen[1]
    value = await _read_shared()
    _shared_seen = (now, value)
    return value


async def _read_shared() -> str:
    from seei.auctions import events

    client = events._async_redis()
    async with asyncio.timeout(REDIS_TIMEOUT):
        value = await client.get(GENERATION_KEY)
        if value is None:  # never set, or evicted: a fresh one (every set read before is then stale)
            await client.set(GENERATION_KEY, secrets.token_hex(8), nx=True)
            value = await client.get(GENERATION_KEY)
    return value.decode() if isinstance(value, bytes) else value


async def _read(source, lot_id: int) -> Admitted | None:
    local = _local_generation
    try:
        shared = await _shared()
    except Exception as error:  # Redis down: a set no generation will match (read again each time)
        log.warning("flood: the admitted generation could not be read (%s)", error)
        shared = "unknown"
    if isinstance(source, AsyncConnectionPool):
        async with source.connection() as conn:
            row = await (await conn.execute(ADMITTED_SQL, (lot_id,))).fetchone()
    else:
        row = await (await source.execute(ADMITTED_SQL, (lot_id,))).fetchone()
    if row is None:
        return None  # no room (yet): the transaction answers it
    found = Admitted(frozenset(row[1]), (row[0] or 0) / 1_000_000, local, shared, clock.monotonic())
    if len(_admitted) >= MAX_TRACKED:
        _admitted.clear()
    _admitted[lot_id] = found
    return found


async def _fresh(source, lot_id: int) -> Admitted | None:
    """The lot's admitted set read again, once for all the attempts that ask at the same time."""
    key = (id(asyncio.get_running_loop()), lot_id)
    loading = _loading.get(key)
    if loading is None:
        loading = _loading[key] = asyncio.ensure_future(_read(source, lot_id))
        loading.add_done_callback(lambda _done: _loading.pop(key, None))
    return await asyncio.shield(loading)


async def is_outsider(source, lot_id: int, user_id: int) -> bool | None:
    """True when the user is surely not an admitted bidder of the lot; None when the lot has no room."""
    known = _admitted.get(lot_id)
    if known is not None and user_id in known.users:
        return False  # the hot path: nothing else to do
    if known is not None and known.local == _local_generation and clock.monotonic() - known.read_at < MAX_AGE:
        try:
            current = await _shared()
        except Exception as error:  # Redis down: the set may be stale, and the transaction decides
            log.warning("flood: the admitted generation could not be read (%s)", error)
            return False
        if current == known.shared:
            return True
    known = await _fresh(source, lot_id)
    if known is None:
        return None
    return user_id not in known.users


# --- the guard ----------------------------------------------------------------------------------------


async def before_lock(source, lot_id: int, user_id: int, request_id: str) -> bool:
    """Raise Throttled, or return True for an outsider (refused as not admitted, nothing written),
    False for an attempt that goes on to the lot's transaction. ``source``: a pool or a connection."""
    wait = per_user.take(user_id)
    if wait:
        raise Throttled("rate_limited", wait)
    outsider = await is_outsider(source, lot_id, user_id)
    if outsider:
        return True
    known = _admitted.get(lot_id)
    refused = _refused.get((lot_id, user_id))
    if known is not None and known.interval > 0 and refused is not None and refused[2] != request_id:
        tokens = _refill(refused, known.interval)
        if tokens < 1:
            raise Throttled(Reason.TOO_SOON, (1 - tokens) * known.interval / REFUSED_PER_INTERVAL)
    wait = per_lot.take(lot_id)
    if wait:
        raise Throttled("lot_busy", wait)
    return False


def _refill(refused: tuple[float, float, str], interval: float) -> float:
    tokens, at, _request_id = refused
    return min(REFUSED_PER_INTERVAL, tokens + (clock.monotonic() - at) * REFUSED_PER_INTERVAL / interval)


def decided(lot_id: int, user_id: int, request_id: str, accepted: bool) -> None:
    """The transaction's answer: each refused attempt takes one of the REFUSED_PER_INTERVAL a bidder
    may make per lot interval (the rules count accepted bids only, as the ledger shows them); an
    accepted bid starts afresh (the rules' interval then holds)."""
    key = (lot_id, user_id)
    known = _admitted.get(lot_id)
    if accepted or known is None or known.interval <= 0:
        _refused.pop(key, None)
        return
    last = _refused.get(key)
    tokens = REFUSED_PER_INTERVAL if last is None else _refill(last, known.interval)
    if len(_refused) >= MAX_TRACKED:
        _refused.clear()
    _refused[key] = (tokens - 1, clock.monotonic(), request_id)


def forget() -> None:
    """Every counter and cached set of this process (tests)."""
    global _local_generation, _shared_seen
    _shared_seen = (-1.0, None)
    per_user.clear()
    per_lot.clear()
    _refused.clear()
    _admitted.clear()
    _local_generation += 1


def connect() -> None:
    """Bump the generation whenever what decides who is admitted is saved or deleted."""
    from django.db.models.signals import post_delete, post_save

    from seei.accounts.models import Membership
    from seei.auctions.models import Bidder, Room

    for model in (Room, Bidder, Membership):
        post_save.connect(admission_changed, sender=model, dispatch_uid=f"flood-{model.__name__}-save")
        post_delete.connect(admission_changed, sender=model, dispatch_uid=f"flood-{model.__name__}-delete")
