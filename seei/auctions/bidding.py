"""The bid transaction: the hot path of the room, in plain async psycopg (no ORM).

Bids on one lot are decided in batches (group commit, ``seei.auctions.batches``): the bids that
arrive while the lot's transaction runs wait in this process and the next transaction takes them
all; a lone bid is a batch of one. A batch is one transaction of two pipelined round trips:

1. ``BEGIN``; lock the room row (``SELECT … FOR UPDATE``); then, in statements of their own so that
   they run once the lock is held, what each bid's decision needs (the user's admitted bidder, the
   first answer to a replayed request and, for the room, the login's session row, re-validated here
   rather than in a round trip of its own), PostgreSQL's time (read once) and the ledger entries
   since the state this process knows;
2. ``rules.apply_bid`` decides each bid in turn (in Python, microseconds); one statement appends the
   signed ledger entries, moves the room's head and logs every attempt; ``COMMIT``.

The lock covers only the rules and the inserts: the snapshot is built once per batch and published
after the commit (handed over in chain order, the Redis round trip outside the lot's turn), and each
receipt is signed by its own request. Batching keeps each process to one transaction per lot at a
time, so a commit wakes one waiting backend, not all of them, and a waiting bid holds no
connection. ``Room.state`` is a checkpoint rewritten every CHECKPOINT_EVERY entries; each process
keeps the latest state it has seen and moves it forward with the few entries since (through the
rules), so a bid costs the same at the 1000th bid as at the first.

Other entry points: ``room_snapshot``/``snapshot_sync`` (the snapshot every viewer gets),
``access`` (who may watch), ``pool``/``connection`` (connections of Django's database).
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from django.conf import settings
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from seei.auctions import events, flood, ledger, reasons, rules, signing, watchdog
from seei.auctions.batches import GroupQueue
from seei.core import database
from seei.room import history as room_history

REQUEST_ID_MAX = 64
AMOUNT_TEXT_MAX = 100


class RoomNotFound(LookupError):
    """The lot has no auction room (yet)."""


# --- the clock of record ------------------------------------------------------------------------


def now_sql() -> str:
    """PostgreSQL's clock, plus the test offset when SEEI_TEST_CLOCK is on (as seei.core.clock.now())."""
    if settings.SEEI_TEST_CLOCK:
        return (
            "clock_timestamp() + make_interval(secs => "
            "COALESCE((SELECT seconds FROM core_clockoffset WHERE id = 1), 0))"
        )
    return "clock_timestamp()"


# --- connections ----------------------------------------------------------------------------------

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncConnectionPool] = (
    weakref.WeakKeyDictionary()
)


def conninfo() -> str:
    """The connection string of Django's default database (the test database during tests)."""
    return database.url()


# No process may stall the others through the database: a lot's lock holder that stops responding
# (a frozen process) loses its session after IDLE_IN_TRANSACTION_TIMEOUT, a bid waits for a lot's lock
# at most LOCK_TIMEOUT (then it is answered "busy", retryable), and no statement of the room runs
# longer than STATEMENT_TIMEOUT. During an outage a request waits for a connection at most
# settings.SEEI_DB_POOL_TIMEOUT, so a bidder is answered within seconds.
LOCK_TIMEOUT_MS = 2000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 3000
STATEMENT_TIMEOUT_MS = 5000
CONNECT_TIMEOUT = 3  # seconds


class Unavailable(Exception):
    """The database did not answer in time (an outage, or a lot locked by a holder gone silent): the
    bid was not decided; the same request may be sent again (it is never counted twice). The room
    and the API answer it alike: a 503 with ``message()``, ``reason`` and ``retry_after``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "busy" (the lot's lock), "unavailable" or "recovering" (an outage)

    @property
    def retry_after(self) -> int:
        """Seconds before sending it again: a lot's lock frees at once, an outage takes longer."""
        return 1 if self.reason == "busy" else 3

    def message(self) -> str:
        """What to tell the person, in the active language."""
        if self.reason == "busy":
            return _("The lot is busy; your bid was not recorded. Please send it again.")
        return _(
            "The auction service is briefly unavailable; your request was not handled. "
            "Please try again in a few seconds."
        )


def unavailable(error: BaseException) -> Unavailable | None:
    """The answer to give for a database failure that is not the request's fault, if it is one."""
    if isinstance(error, Unavailable):
        return error
    if isinstance(error, psycopg.errors.LockNotAvailable | psycopg.errors.QueryCanceled):
        return Unavailable("busy")
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return Unavailable("unavailable")  # PoolTimeout is an OperationalError
    return None


def _session_options() -> str:
    """The connection's ``options``: the database's own, then the room's timeouts."""
    own = psycopg.conninfo.conninfo_to_dict(conninfo()).get("options") or ""
    timeouts = (
        f"-c lock_timeout={LOCK_TIMEOUT_MS} -c statement_timeout={STATEMENT_TIMEOUT_MS}"
        f" -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
    return f"{own} {timeouts}".strip()


def _connection_kwargs() -> dict[str, Any]:
    options = settings.DATABASES["default"].get("OPTIONS", {})
    # Server-side prepared statements pay off on the hot path unless a pooler forbids them.
    return {
        "autocommit": True,
        "prepare_threshold": options.get("prepare_threshold", 5),
        "connect_timeout": CONNECT_TIMEOUT,
        "options": _session_options(),
    }


def pool() -> AsyncConnectionPool:
    """The pool of the running event loop, created closed on first use: the ROOM app opens it
    (``await pool().open()``) and closes it in its lifespan."""
    loop = asyncio.get_running_loop()
    existing = _pools.get(loop)
    if existing is None:
        existing = _pools[loop] = AsyncConnectionPool(
            conninfo(),
            kwargs=_connection_kwargs(),
            min_size=2,
            max_size=settings.SEEI_DB_POOL_SIZE,
            timeout=settings.SEEI_DB_POOL_TIMEOUT,
            open=False,
            name="seei-room",
        )
    return existing


def _open_pool_of_this_loop() -> AsyncConnectionPool | None:
    try:
        existing = _pools.get(asyncio.get_running_loop())
    except RuntimeError:
        return None
    return existing if existing is not None and not existing.closed else None


@asynccontextmanager
async def connection():
    """A connection from the pool opened on this loop, or a short-lived one (a sync caller such as
    a Django view run through async_to_sync gets a fresh loop per call)."""
    opened = _open_pool_of_this_loop()
    if opened is not None:
        async with opened.connection() as conn:
            yield conn
        return
    conn = await psycopg.AsyncConnection.connect(conninfo(), **_connection_kwargs())
    try:
        yield conn
    finally:
        await conn.close()


# --- the shared snapshot --------------------------------------------------------------------------


_format_time = lru_cache(maxsize=8192)(rules.format_time)  # a bid's time is formatted once, not per snapshot


def build_snapshot(
    lot_id: int, params: rules.LotParams, state: rules.State, now: datetime, *, viewer: str | None = None
) -> dict[str, Any]:
    """The snapshot every viewer of the lot receives (plus ``me`` for one bidder when asked).

    Pseudonyms only, never a company or a person. Amounts follow the lot's visibility until the
    close; the final ranking is shown in full once the close entry is written. It is built on every
    change of a busy room, so it reads the state once (see rules.view for the same view, per viewer).
    """
    status = rules.phase(params, state, now)
    if status == "suspended" and state.suspended_at is not None:
        remaining = state.closes_at - state.suspended_at  # the clock is stopped
    elif status == "open":
        remaining = state.closes_at - now
    else:
        remaining = timedelta(0)
    closed = state.status == "closed"
    show_amounts = closed or params.visibility == "all"
    ordered = state.ranking()
    ranking = []
    for rank, bid in enumerate(ordered, start=1):
        line = {"rank": rank, "pseudonym": bid.bidder, "at": _format_time(bid.at)}
        if show_amounts:
            line["amount"] = rules.format_decimal(bid.amount)
        ranking.append(line)
    snapshot: dict[str, Any] = {
        "lot": lot_id,
        "seq": state.seq,
        "server_time": rules.format_time(now),
        "status": status,
        "opens_at": _format_time(params.opens_at),
        "closes_at": _format_time(state.closes_at),
        "remaining_ms": max(0, remaining // timedelta(milliseconds=1)),
        "extensions": state.extensions,
        "currency": params.currency,
        "visibility": params.visibility,
        "starting_price": rules.format_decimal(params.starting_price),
        "bidders": len(params.bidders),
        "active_bidders": len(ordered),
        "bids": len(state.bids),
        "ranking": ranking,
        "winner": ordered[0].bidder if closed and ordered else None,
        "suspended": status == "suspended",
    }
    if params.practice:
        snapshot["practice"] = True
    if closed or params.visibility in ("best", "all"):
        snapshot["best"] = rules.format_decimal(ordered[0].amount) if ordered else None
    if viewer is not None:
        snapshot["me"] = viewer_view(params, state, snapshot, viewer)
    return snapshot


def viewer_view(
    params: rules.LotParams, state: rules.State, snapshot: dict[str, Any], viewer: str
) -> dict[str, Any]:
    """One bidder's own part of ``snapshot`` (built from ``state``): rank, last amount, allowed range."""
    own = state.last_bids.get(viewer)
    me = {
        "pseudonym": viewer,
        "rank": next((line["rank"] for line in snapshot["ranking"] if line["pseudonym"] == viewer), None),
        "last_amount": None if own is None else rules.format_decimal(own.amount),
    }
    if viewer in params.bidders and snapshot["status"] == "open":
        lowest, highest = rules.allowed_range(params, state, viewer)
        me |= {
            "lowest_allowed": rules.format_decimal(lowest),
            "highest_allowed": rules.format_decimal(highest),
        }
    return me


# --- the state of a room -------------------------------------------------------------------------
# ``Room.state`` is a checkpoint: rules.State.to_dict() at the seq it names, rewritten every
# CHECKPOINT_EVERY entries (and by every transition of services.py), so that a bid writes one small
# row and not the whole history. The state at the head of the chain is the checkpoint moved forward
# by the ledger entries after it, through rules.apply_event (as the verifier replays them).
#
# Each process also keeps the latest state it has seen, at some (seq, hash) of the chain: a read then
# needs only the few entries since, so a busy room costs O(new entries) per bid, not O(all bids),
# even when several processes share it.

CHECKPOINT_EVERY = 32
MAX_DELTA = 64  # a known state further behind than this is dropped for the checkpoint


@dataclass(frozen=True)
class _Known:
    seq: int
    hash: str
    state: rules.State


_params_cache: dict[int, tuple[str, rules.LotParams]] = {}  # lot id -> (genesis hash, params)
_state_cache: dict[int, _Known] = {}  # lot id -> the latest state this process has seen


def _params(lot_id: int, known: tuple | None, genesis_hash: str, raw: Any) -> rules.LotParams:
    if raw is None and known is not None:
        return known[1]
    params = rules.LotParams.from_dict(_json(raw))
    _params_cache[lot_id] = (genesis_hash, params)
    return params


def _remember(lot_id: int, seq: int, entry_hash: str, state: rules.State) -> None:
    current = _state_cache.get(lot_id)
    if current is None or current.seq <= seq:
        _state_cache[lot_id] = _Known(seq, entry_hash, state)


def advance(params: rules.LotParams, state: rules.State, entries) -> rules.State:
    """``state`` moved forward by the ledger entries after it: rows of (seq, type, at, data, ...)
    in order. Raises rules.ReplayError if they do not follow on from it."""
    for seq, kind, at, data, *_rest in entries:
        if seq > state.seq:
            state = rules.apply_event(
                params, state, {"seq": seq, "type": kind, "at": at, "data": _json(data)}
            )
    return state


def _state(
    lot_id, params, known: _Known | None, head: tuple[int, str], checkpoint: Any, delta
) -> rules.State | None:
    """The state at the chain's head ``(seq, hash)``, from the checkpoint (when sent) or the known
    state, and the ``delta`` entries from there on. None if they do not fit together."""
    if checkpoint is not None:
        state = rules.State.from_dict(_json(checkpoint))
    elif known is not None and delta and (delta[0][0], delta[0][4]) == (known.seq, known.hash):
        state = known.state
    else:
        return None
    try:
        state = advance(params, state, delta)
    except rules.ReplayError:
        return None
    last = (delta[-1][0], delta[-1][4]) if delta else None
    if state.seq != head[0] or (last is not None and last != head):
        return None
    _remember(lot_id, head[0], head[1], state)
    return state


# id(bid) -> (bid, bid.to_dict()) for the bids of the rooms in memory (by identity: two bids may be
# equal as values yet differ in how their amount is written)
_bid_dicts: dict[int, tuple[rules.Bid, dict[str, Any]]] = {}


def checkpoint_dict(state: rules.State) -> dict[str, Any]:
    """``state.to_dict()``, with each bid's dict made once per process: a checkpoint is written
    under the room's lock and holds every bid so far, so it must not re-format them all each time."""
    if len(_bid_dicts) > 200_000:
        _bid_dicts.clear()
    bids = []
    for bid in state.bids:
        known = _bid_dicts.get(id(bid))
        if known is None or known[0] is not bid:
            known = _bid_dicts[id(bid)] = (bid, bid.to_dict())
        bids.append(known[1])
    return {
        "seq": state.seq,
        "closes_at": rules.format_time(state.closes_at),
        "extensions": state.extensions,
        "status": state.status,
        "suspended_at": None if state.suspended_at is None else rules.format_time(state.suspended_at),
        "bids": bids,
    }


def _state_sql(known: _Known | None) -> dict[str, Any]:
    return {"known_seq": None if known is None else known.seq}


# Our known state is usable when the head is at most MAX_DELTA entries ahead of it.
_USABLE = f"r.seq BETWEEN %(known_seq)s AND %(known_seq)s + {MAX_DELTA}"
# The checkpoint is sent only when the known state is not usable.
STATE_COLUMN = f"CASE WHEN {_USABLE} THEN NULL ELSE r.state END"
# The entries from the known state (or the checkpoint) to the head. ``r`` is the room.
_DELTA = f"""
    SELECT e.seq, e.type, e.at, e.data, e.hash
    FROM auctions_ledgerentry e
    WHERE e.room_id = r.id
      AND e.seq >= CASE WHEN {_USABLE} THEN %(known_seq)s ELSE (r.state ->> 'seq')::int END
"""
# Read once the room is locked (so in a statement of its own, with a snapshot taken after the lock):
# the time, then the entries since the state we know.
TIME_AND_DELTA_SQL = (
    """
WITH clock AS MATERIALIZED (SELECT {now} AS now)
SELECT clock.now, e.seq, e.type, e.at, e.data, e.hash
FROM clock LEFT JOIN (
    SELECT e.* FROM auctions_room r CROSS JOIN LATERAL ("""
    + _DELTA
    + """) e WHERE r.lot_id = %(lot_id)s
) e ON true
ORDER BY e.seq
"""
)
# When our known state does not fit the chain after all (a rare fallback): the checkpoint and all after it.
FULL_STATE_SQL = """
SELECT r.state, e.seq, e.type, e.at, e.data, e.hash
FROM auctions_room r
LEFT JOIN auctions_ledgerentry e ON e.room_id = r.id AND e.seq >= (r.state ->> 'seq')::int
WHERE r.lot_id = %(lot_id)s
ORDER BY e.seq
"""


async def _read_whole(conn, lot_id, params, head) -> rules.State:
    rows = await (await conn.execute(FULL_STATE_SQL, {"lot_id": lot_id})).fetchall()
    state = _state(lot_id, params, None, head, rows[0][0], [row[1:] for row in rows if row[1] is not None])
    if state is None:
        raise RuntimeError(f"the ledger of lot {lot_id} does not replay to its head {head}")
    return state


def state_of_room_sync(room) -> rules.State:
    """The state at the head of a Room's chain, through the ORM (services, pages)."""
    from seei.auctions.models import LedgerEntry

    params = rules.LotParams.from_dict(room.params)
    checkpoint = rules.State.from_dict(room.state)
    if checkpoint.seq == room.seq:
        return checkpoint
    entries = LedgerEntry.objects.filter(room_id=room.pk, seq__gt=checkpoint.seq).order_by("seq")
    return advance(params, checkpoint, entries.values_list("seq", "type", "at", "data"))


# --- the result -----------------------------------------------------------------------------------


@dataclass
class BidResult:
    accepted: bool
    reason: str | None  # a rules.Reason code when refused
    message: str  # in the user's language
    receipt: dict[str, Any] | None = None  # signed, when accepted
    snapshot: dict[str, Any] | None = None  # the lot as everyone sees it after this attempt
    me: dict[str, Any] | None = None  # the bidder's own view: pseudonym, rank, allowed range
    allowed: dict[str, str] | None = None  # {"lowest", "highest"} for the next bid
    replayed: bool = False  # the request was already applied: this is its original answer
    extended: bool = False  # this bid moved the close
    frame: bytes | None = None  # the snapshot as encoded for the viewers (reused by the HTTP answer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "reason": self.reason,
            "message": self.message,
            "receipt": self.receipt,
            "snapshot": self.snapshot,
            "me": self.me,
            "allowed": self.allowed,
            "replayed": self.replayed,
            "extended": self.extended,
        }

    def encode(self) -> bytes:
        """The answer as JSON bytes, reusing the snapshot's frame (encoded once for everyone)."""
        if self.frame is None or self.snapshot is None:
            return events.encode(self.to_dict())
        rest = self.to_dict()
        del rest["snapshot"]
        return b'{"snapshot":' + self.frame + b"," + events.encode(rest)[1:]


ACCEPTED_MESSAGES = {
    "ar": "سُجّل عرضكم البالغ {amount}. ترتيبكم: {rank}.",
    "fr": "Votre offre de {amount} est enregistrée. Votre rang : {rank}.",
    "en": "Your bid of {amount} is recorded. Your rank: {rank}.",
}
EXTENDED_MESSAGES = {
    "ar": " تم تمديد موعد الإغلاق إلى {closes_at}.",
    "fr": " La clôture est reportée au {closes_at}.",
    "en": " The closing time moved to {closes_at}.",
}


def _language(lang: str | None) -> str:
    code = (lang or reasons.DEFAULT_LANGUAGE).replace("_", "-").split("-")[0].lower()
    return code if code in reasons.LANGUAGES else reasons.DEFAULT_LANGUAGE


def accepted_message(
    params: rules.LotParams, state: rules.State, bid: rules.Bid, lang: str | None, extended: bool, rank=None
) -> str:
    code = _language(lang)
    text = ACCEPTED_MESSAGES[code].format(
        amount=reasons.format_amount(bid.amount, params.currency, code),
        rank=rank if rank is not None else state.rank_of(bid.bidder),
    )
    if extended:
        text += EXTENDED_MESSAGES[code].format(closes_at=reasons.format_time(state.closes_at))
    return text


def _encode_detail(detail: Any) -> dict[str, Any]:
    return ledger.to_jsonable(dict(detail or {}))


def _decode_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The stored message parameters, with amounts and times typed again for formatting."""
    decoded = dict(detail or {})
    if isinstance(decoded.get("limit"), str):
        decoded["limit"] = Decimal(decoded["limit"])
    for key in ("opens_at", "closes_at"):
        if isinstance(decoded.get(key), str):
            decoded[key] = rules.parse_time(decoded[key])
    return decoded


def _refusal_message(code: str, detail: dict[str, Any], lang: str | None) -> str:
    return reasons.message(code, _language(lang), **detail)


def _allowed(me: dict[str, Any] | None) -> dict[str, str] | None:
    if not me or "lowest_allowed" not in me:
        return None
    return {"lowest": me["lowest_allowed"], "highest": me["highest_allowed"]}


def valid_request_id(request_id: Any) -> bool:
    """A client's idempotency key: printable (nothing the database could refuse), not blank, short."""
    return (
        isinstance(request_id, str)
        and 0 < len(request_id.strip())
        and len(request_id) <= REQUEST_ID_MAX
        and request_id.isprintable()
    )


def _check_request_id(request_id: Any) -> str:
    if not valid_request_id(request_id):
        raise ValueError(
            f"request_id must be a non-empty string of at most {REQUEST_ID_MAX} printable characters"
        )
    return request_id


def _storable(text: str) -> str:
    """Text as the audit log can keep it, still showing what was sent: PostgreSQL's text refuses NUL
    and UTF-8 has no lone surrogate, so those are kept as their escapes (``\\u0000``)."""
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# --- the transaction ------------------------------------------------------------------------------


@asynccontextmanager
async def _transaction(conn: psycopg.AsyncConnection):
    """A transaction inside a pipeline. On an autocommit connection (the pool's) BEGIN and COMMIT are
    plain pipelined statements, which costs half of ``conn.transaction()`` on this path."""
    if not conn.autocommit:
        async with conn.pipeline() as pipeline, conn.transaction():
            yield pipeline
        return
    try:
        async with conn.pipeline() as pipeline:
            await conn.execute("BEGIN")
            yield pipeline
            await conn.execute("COMMIT")
    except BaseException:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            await conn.execute("ROLLBACK")
        raise


def _acting(membership: str) -> str:
    """Who a person acts as: the membership chosen in the session (or given by an API token), else the
    first one, as seei.accounts.middleware.ActiveMembershipMiddleware picks it. ``u`` is the user. Every
    path (pages, API, room) decides bids and watching through this one membership, never another role
    of the same person."""
    return f"""
    SELECT m.id, m.role, m.organisation_id FROM accounts_membership m
    WHERE m.user_id = u.id
    ORDER BY COALESCE(m.id = {membership}, false) DESC, m.id
    LIMIT 1
"""


ACTING_MEMBERSHIP = _acting("%(membership_id)s")

LOCK_SQL = f"""
SELECT r.id, r.ref, r.genesis_hash, r.last_hash, r.seq,
       CASE WHEN r.genesis_hash = %(genesis_hash)s THEN NULL ELSE r.params END,
       {STATE_COLUMN}
FROM auctions_room r
WHERE r.lot_id = %(lot_id)s
FOR UPDATE
"""

# Each bid of the batch, in order: its user and login (re-validated here rather than in a round trip of
# its own), the admitted bidder the user acts for, and the first answer to a replayed request. Run once
# the room is locked, so an answer committed just before is seen. Each lookup is a LATERAL ... LIMIT 1
# so that it stays an index lookup per bid: the planner cannot tell how many bids the JSON holds and
# would otherwise scan the sessions, users and bidders whole.
BIDS_SQL = f"""
SELECT q.n, u.id, u.language, b.id, b.pseudonym,
       a.outcome, a.reason, a.detail, e.seq, e.type, e.at, e.data, e.prev_hash, e.hash,
       s.session_data, u.password, u.is_active, a.amount_text, {{owes}}
FROM jsonb_to_recordset(%(bids)s) AS q(n integer, user_id bigint, membership_id bigint, session_key text,
                                         request_id text)
LEFT JOIN LATERAL (SELECT * FROM accounts_user u WHERE u.id = q.user_id LIMIT 1) u ON true
LEFT JOIN LATERAL (
    SELECT s.session_data FROM django_session s
    WHERE s.session_key = q.session_key AND s.expire_date > now() LIMIT 1
) s ON true
LEFT JOIN LATERAL ({_acting("q.membership_id")}) m ON u.is_active
LEFT JOIN LATERAL (
    SELECT b.id, b.pseudonym FROM auctions_bidder b
    WHERE b.room_id = (SELECT r.id FROM auctions_room r WHERE r.lot_id = %(lot_id)s)
      AND b.company_id = m.organisation_id AND m.role = 'company_member'
    LIMIT 1
) b ON true
LEFT JOIN LATERAL (
    SELECT a.* FROM auctions_bidattempt a WHERE a.bidder_id = b.id AND a.request_id = q.request_id LIMIT 1
) a ON true
LEFT JOIN LATERAL (SELECT * FROM auctions_ledgerentry e WHERE e.id = a.entry_id LIMIT 1) e ON true
ORDER BY q.n
"""


@lru_cache(maxsize=1)
def _bids_sql() -> str:
    """BIDS_SQL with the room's second-factor rule (its models are read once the apps are ready)."""
    from seei.room.auth import owes_sql

    return BIDS_SQL.replace("{owes}", owes_sql("u"))


# What a batch decided, in one statement: the signed ledger entries of its accepted bids, the room's
# head (and every CHECKPOINT_EVERY entries its checkpoint), and one audit row per attempt.
WRITE_SQL = """
WITH entry AS (
    INSERT INTO auctions_ledgerentry (room_id, seq, type, at, data, prev_hash, hash, signature)
    SELECT %(room_id)s, x.seq, 'bid', %(at)s, x.data, x.prev_hash, x.hash, x.signature
    FROM jsonb_to_recordset(%(entries)s) AS x(seq integer, data jsonb, prev_hash text, hash text, signature text)
    RETURNING id, seq
), moved AS (
    UPDATE auctions_room
    SET state = COALESCE(%(state)s, state), seq = %(seq)s, closes_at = %(closes_at)s, last_hash = %(hash)s,
        updated_at = %(at)s
    WHERE id = %(room_id)s AND seq < %(seq)s
)
INSERT INTO auctions_bidattempt
    (room_id, bidder_id, user_id, amount_text, amount, at, outcome, reason, detail, request_id, entry_id)
SELECT %(room_id)s, a.bidder_id, a.user_id, a.amount_text, a.amount, %(at)s, a.outcome, a.reason, a.detail,
       a.request_id, entry.id
FROM jsonb_to_recordset(%(attempts)s) AS a(n integer, bidder_id bigint, user_id bigint, amount_text text,
                                           amount numeric, outcome text, reason text, detail jsonb,
                                           request_id text, entry_seq integer)
LEFT JOIN entry ON entry.seq = a.entry_seq
ORDER BY a.n
"""

MAX_BATCH = 64


class SessionRefused(Exception):
    """The session check given to place_bid refused the login: nothing was written."""


class RequestReused(Exception):
    """The bidder sent this request id before with another amount: a request id names one bid, so
    this is neither a replay nor a new bid. Nothing was written; the room and the API answer 409."""

    reason = "request_id_reused"

    def message(self) -> str:
        """What to tell the person, in the active language."""
        return _(
            "This request id was already used for a bid of another amount. "
            "Send the new amount with a new request id."
        )


def same_amount(first: str, again: Any, minor_digits: int) -> bool:
    """Whether ``again`` (as typed) is the amount first sent as ``first`` (as the audit log keeps it):
    the same text, or the same value written another way ("590000" and "590 000,00")."""
    if not isinstance(again, str):
        return False
    if _storable(again[:AMOUNT_TEXT_MAX]) == first:
        return True
    try:
        return rules.parse_amount(again, minor_digits) == rules.parse_amount(first, minor_digits)
    except rules.AmountError:
        return False


@dataclass(eq=False)
class _Request:
    """One bid waiting for its lot's next transaction."""

    user_id: int
    membership_id: int | None
    amount: Any  # as the person typed it
    request_id: str
    audit_outsiders: bool
    session_check: Callable[[str | None, str | None, bool | None, str | None, bool], bool] | None


@dataclass(eq=False)
class _Batch:
    """One transaction of a lot, shared by its bids' answers."""

    params: rules.LotParams
    state: rules.State  # after the last decision
    now: datetime
    ref: str
    best_before: tuple | None = None  # the best bid before the batch, as history.history takes it
    entries: list[dict[str, Any]] = field(default_factory=list)  # the ledger entries it appended
    snapshot: dict[str, Any] | None = None
    frame: bytes | None = None
    publication: asyncio.Future | None = None  # done once the snapshot is published


@dataclass(eq=False)
class _Outcome:
    """What the transaction decided for one bid."""

    batch: _Batch
    pseudonym: str | None
    language: str | None
    decision: rules.Accepted | rules.Refused | None = None  # None: a replayed request
    entry: dict[str, Any] | None = None  # the ledger entry of an accepted bid
    replay: tuple = ()  # the stored outcome, reason, detail and entry of a request seen before
    replayed: bool = False  # the same request twice in one batch: the second gets the first's answer
    amount_text: str = ""  # the amount as the audit log keeps it (a request id sent again must match)


async def place_bid(
    conn: psycopg.AsyncConnection | AsyncConnectionPool,
    *,
    lot_id: int,
    user_id: int,
    amount: str,
    request_id: str,
    lang: str | None = None,
    membership_id: int | None = None,
    audit_outsiders: bool = True,
    session_check: Callable[[str | None, str | None, bool | None, str | None, bool], bool] | None = None,
) -> BidResult:
    """Place ``amount`` (as the person typed it) for the user's company on the lot.

    ``conn`` is a connection, or a pool: then a connection is taken only for the lot's transaction,
    which also decides the bids that arrived on the same lot and pool meanwhile (``batches``), so a
    waiting bid holds no connection. ``request_id`` is the client's idempotency key: a request seen
    before returns its original answer and changes nothing. ``lang`` defaults to the user's language.
    The user bids as the company of the membership it acts through (``membership_id``, else its first
    one: see ``_acting``), which must be an admitted bidder. With ``audit_outsiders=False`` (the room,
    which has no separate permission query) an attempt by someone who is not an admitted bidder writes
    nothing; the API logs the few that reach the transaction (an account the flood guard's cached set
    admits, acting through another company's membership). ``session_check`` (the room's known login,
    see seei.room.auth.KnownLogin) is called inside the transaction with the login's session row and
    the user's password hash, active flag, language and whether a second factor is owed: if it says
    no, nothing is written for this bid and SessionRefused is raised. Raises RoomNotFound when the lot
    has no room, ValueError for a missing or overlong request_id, RequestReused for a request id sent before with another amount, and flood.Throttled
    when the attempt is refused before the lock (too many, or too soon); an account that is not an
    admitted bidder is refused before the lock too (``flood``), and nothing is written for it.
    """
    if watchdog.recovering():  # an outage this process has not recorded yet: no bid before it is
        raise Unavailable("recovering")
    _check_request_id(request_id)
    if await flood.before_lock(conn, lot_id, user_id, request_id):  # may raise flood.Throttled
        return outsider_refusal(lang)
    request = _Request(user_id, membership_id, amount, request_id, audit_outsiders, session_check)
    outcome = await _bids.submit((lot_id, conn), request)
    result = await _answer(outcome, lang)
    flood.decided(lot_id, user_id, request_id, result.accepted)
    return result


def outsider_refusal(lang: str | None) -> BidResult:
    """The answer to an account that is not an admitted bidder, given before the lock (``flood``)."""
    return BidResult(
        accepted=False,
        reason=str(rules.Reason.NOT_ADMITTED),
        message=_refusal_message(rules.Reason.NOT_ADMITTED, {}, lang),
    )


async def _run_batch(key: tuple, requests: list[_Request]) -> list[_Outcome | Exception]:
    lot_id, source = key
    try:
        if isinstance(source, AsyncConnectionPool):
            async with source.connection() as conn:
                try:
                    batch, outcomes = await _decide_and_store(conn, lot_id, requests)
                except psycopg.Error:
                    # After an error inside a pipeline, psycopg's record of the statements it prepared may
                    # no longer match the server's: the pool replaces this connection.
                    await conn.close()
                    raise
        else:
            batch, outcomes = await _decide_and_store(source, lot_id, requests)
    except psycopg.Error as error:
        failure = unavailable(error)
        if failure is None:
            raise  # perhaps one bid's fault: the batch is run again bid by bid
        # The database or the lot's lock, not a bid, failed: every bid of the batch gets the same
        # retryable answer at once (run again one by one, each would only wait as long again).
        return [failure] * len(requests)
    # After the commit, with the connection back in the pool.
    batch.snapshot = build_snapshot(lot_id, batch.params, batch.state, batch.now)
    if not batch.entries:
        batch.frame = events.encode(batch.snapshot)
        return outcomes
    # The history lines of the batch's bids, as every viewer may see them: a viewer that got the
    # previous frame appends them, with no history request for a jump of several seqs.
    batch.snapshot["events"] = room_history.history(
        batch.entries, batch.params.visibility, best=batch.best_before
    )
    batch.frame = events.encode(batch.snapshot)
    # Handed over in the order of the chain (batches of a lot run one after the other); the Redis
    # round trip itself is awaited by the answers, outside the lot's queue.
    batch.publication = events.hand_over(lot_id, batch.entries[-1]["seq"], batch.frame)
    return outcomes


_bids: GroupQueue[_Request, _Outcome] = GroupQueue(_run_batch, MAX_BATCH)


async def _decide_and_store(conn, lot_id: int, requests: list[_Request]) -> tuple[_Batch, list]:
    known_params = _params_cache.get(lot_id)
    known = _state_cache.get(lot_id)
    reading = {"lot_id": lot_id, **_state_sql(known)}
    async with _transaction(conn) as pipeline:
        # One round trip: the lock first, then the bids' rows, the time and what happened since the
        # state we know, all read once the lock is held. The lock stays held until the commit.
        locked = await conn.execute(
            LOCK_SQL, {**reading, "genesis_hash": known_params[0] if known_params else None}
        )
        asked = await conn.execute(
            _bids_sql(),
            {
                "lot_id": lot_id,
                "bids": Jsonb(
                    [
                        {
                            "n": n,
                            "user_id": r.user_id,
                            "membership_id": r.membership_id,
                            "session_key": getattr(r.session_check, "session_key", None),
                            "request_id": r.request_id,
                        }
                        for n, r in enumerate(requests)
                    ]
                ),
            },
        )
        later = await conn.execute(TIME_AND_DELTA_SQL.replace("{now}", now_sql()), reading)
        await pipeline.sync()
        room = await locked.fetchone()
        rows = await asked.fetchall()
        times = await later.fetchall()
        if room is None:
            raise RoomNotFound(lot_id)
        room_id, ref, genesis_hash, last_hash, seq, raw_params, raw_state = room
        now = rules.utc(times[0][0])
        params = _params(lot_id, known_params, genesis_hash, raw_params)
        delta = [t[1:] for t in times if t[1] is not None]
        state = _state(lot_id, params, known, (seq, last_hash), raw_state, delta)
        if state is None:  # our copy did not fit the chain after all: read the checkpoint and what follows
            state = await _read_whole(conn, lot_id, params, (seq, last_hash))
        best = state.best()
        batch = _Batch(params, state, now, ref, None if best is None else (best.amount, best.at, best.seq))
        writing = _Writing(room_id, {"seq": seq, "hash": last_hash})
        outcomes = [
            _decide(batch, writing, request, row) for request, row in zip(requests, rows, strict=True)
        ]
        if writing.attempts:
            await conn.execute(WRITE_SQL, writing.parameters(batch))
    if batch.entries:
        _remember(lot_id, writing.head["seq"], writing.head["hash"], batch.state)
    return batch, outcomes


@dataclass(eq=False)
class _Writing:
    """The rows a batch will write, gathered while its bids are decided."""

    room_id: int
    head: dict[str, Any]  # the last entry of the chain: {"seq", "hash", ...}
    attempts: list[dict[str, Any]] = field(default_factory=list)
    decided: dict[tuple[int, str], _Outcome] = field(default_factory=dict)  # (bidder, request id) -> first

    def parameters(self, batch: _Batch) -> dict[str, Any]:
        checkpoint = any(entry["seq"] % CHECKPOINT_EVERY == 0 for entry in batch.entries)
        return {
            "room_id": self.room_id,
            "at": batch.now,
            "entries": Jsonb(
                [
                    {
                        "seq": entry["seq"],
                        "data": entry["data"],
                        "prev_hash": entry["prev_hash"],
                        "hash": entry["hash"],
                        "signature": signing.sign_entry(entry),
                    }
                    for entry in batch.entries
                ]
            ),
            "attempts": Jsonb(self.attempts),
            "state": Jsonb(checkpoint_dict(batch.state)) if checkpoint else None,
            "seq": self.head["seq"],
            "hash": self.head["hash"],
            "closes_at": batch.state.closes_at,
        }


def _decide(batch: _Batch, writing: _Writing, request: _Request, row: tuple) -> _Outcome | Exception:
    """One bid of the batch, decided by the rules on the state the bids before it left."""
    found_user, language, bidder_id, pseudonym = row[1:5]
    if request.session_check is not None and (
        found_user is None or not request.session_check(row[14], row[15], row[16], language, row[18])
    ):
        return SessionRefused()  # nothing is written for it
    if found_user is None:
        return LookupError(f"no user {request.user_id}")
    outcome = _Outcome(batch, pseudonym, language)
    if row[5] is not None:
        if not same_amount(row[17], request.amount, batch.params.minor_digits):
            return RequestReused()
        outcome.replay = (row[5], row[6], row[7], row[8:14])
        return outcome  # answered from the audit log; nothing is written
    first = writing.decided.get((bidder_id, request.request_id))
    if first is not None:
        if not same_amount(first.amount_text, request.amount, batch.params.minor_digits):
            return RequestReused()
        outcome.decision, outcome.entry, outcome.replayed = first.decision, first.entry, True
        return outcome
    if pseudonym is None:
        outcome.decision = rules.Refused(rules.Reason.NOT_ADMITTED)
        if not request.audit_outsiders:
            return outcome  # nothing is written
    else:
        writing.decided[(bidder_id, request.request_id)] = outcome
        try:
            value = rules.parse_amount(request.amount, batch.params.minor_digits)
        except rules.AmountError as error:
            outcome.decision = rules.Refused(error.code, error.detail)
        else:
            outcome.decision = rules.apply_bid(batch.params, batch.state, pseudonym, value, batch.now)
    amount = request.amount if isinstance(request.amount, str) else repr(request.amount)
    outcome.amount_text = _storable(amount[:AMOUNT_TEXT_MAX])
    attempt = {
        "n": len(writing.attempts),
        "bidder_id": bidder_id,
        "user_id": request.user_id,
        "amount_text": outcome.amount_text,
        "request_id": request.request_id,
    }
    decision = outcome.decision
    if isinstance(decision, rules.Accepted):
        outcome.entry = writing.head = ledger.Chain.bid(writing.head, decision.bid)
        batch.entries.append(outcome.entry)
        batch.state = decision.state
        attempt |= {
            "amount": rules.format_decimal(decision.bid.amount),
            "outcome": "accepted",
            "reason": "",
            "detail": {},
            "entry_seq": outcome.entry["seq"],
        }
    else:
        attempt |= {
            "outcome": "refused",
            "reason": str(decision.code),
            "detail": _encode_detail(decision.detail),
        }
    writing.attempts.append(attempt)
    return outcome


async def _answer(outcome: _Outcome, lang: str | None) -> BidResult:
    """The bidder's answer, composed after the commit, outside the lot's queue."""
    batch = outcome.batch
    if batch.publication is not None:
        # Ends after events.PUBLISH_WAIT at most: a hanging Redis must not hold the answer (the bid is
        # committed; a viewer that misses the frame resyncs when the feed is back). Shielded: the
        # round is shared by every answer, and this one may be cancelled (its client gone).
        await asyncio.shield(batch.publication)
    lang = lang or outcome.language
    mine = None
    if outcome.pseudonym is not None:
        mine = viewer_view(batch.params, batch.state, batch.snapshot, outcome.pseudonym)
    context = {"snapshot": batch.snapshot, "me": mine, "allowed": _allowed(mine), "frame": batch.frame}
    decision = outcome.decision
    if isinstance(decision, rules.Accepted):
        return BidResult(
            accepted=True,
            reason=None,
            message=accepted_message(
                batch.params, batch.state, decision.bid, lang, decision.extended, mine["rank"]
            ),
            receipt=signing.sign_receipt(outcome.entry, batch.ref),
            extended=decision.extended,
            replayed=outcome.replayed,
            **context,
        )
    if isinstance(decision, rules.Refused):
        return BidResult(
            accepted=False,
            reason=str(decision.code),
            message=_refusal_message(decision.code, dict(decision.detail), lang),
            replayed=outcome.replayed,
            **context,
        )
    original = _original_answer(batch.params, batch.state, *outcome.replay, batch.ref, lang)
    return replace(original, replayed=True, **context)


def _original_answer(params, state, outcome, reason, detail, stored_entry, ref, lang) -> BidResult:
    """The answer given the first time to a request now replayed, rebuilt from the audit log."""
    if outcome == "accepted":
        seq, kind, at, data, prev_hash, entry_hash = stored_entry
        at = rules.utc(at)
        entry = {
            "seq": seq,
            "type": kind,
            "at": rules.format_time(at),
            "data": data,
            "prev_hash": prev_hash,
            "hash": entry_hash,
        }
        bid = rules.Bid(seq, data["bidder"], rules.parse_decimal(data["amount"]), at)
        return BidResult(
            accepted=True,
            reason=None,
            message=accepted_message(params, state, bid, lang, extended=False),
            receipt=signing.sign_receipt(entry, ref),
        )
    return BidResult(
        accepted=False, reason=reason, message=_refusal_message(reason, _decode_detail(detail), lang)
    )


# --- reads for the room ---------------------------------------------------------------------------

SNAPSHOT_SQL = (
    """
SELECT r.genesis_hash, r.last_hash, r.seq,
       CASE WHEN r.genesis_hash = %(genesis_hash)s THEN NULL ELSE r.params END,
       {state_column},
       (SELECT b.pseudonym
        FROM accounts_user u CROSS JOIN LATERAL ("""
    + ACTING_MEMBERSHIP
    + """) m
        JOIN auctions_bidder b ON b.room_id = r.id AND b.company_id = m.organisation_id
        WHERE u.id = %(user_id)s AND u.is_active AND m.role = 'company_member'),
       {now},
       e.seq, e.type, e.at, e.data, e.hash
FROM auctions_room r
LEFT JOIN LATERAL ("""
    + _DELTA
    + """) e ON true
WHERE r.lot_id = %(lot_id)s
ORDER BY e.seq
"""
)


async def room_snapshot(
    conn: psycopg.AsyncConnection,
    lot_id: int,
    *,
    user_id: int | None = None,
    membership_id: int | None = None,
) -> dict:
    """The current snapshot in one statement (so one consistent read); with ``user_id`` of an
    admitted bidder (acting as ``membership_id``), plus ``me``. The caller decides who may see it
    (``access``)."""
    known_params = _params_cache.get(lot_id)
    known = _state_cache.get(lot_id)
    cursor = await conn.execute(
        SNAPSHOT_SQL.format(now=now_sql(), state_column=STATE_COLUMN),
        {
            "lot_id": lot_id,
            **_state_sql(known),
            "user_id": user_id,
            "membership_id": membership_id,
            "genesis_hash": known_params[0] if known_params else None,
        },
    )
    rows = await cursor.fetchall()
    if not rows:
        raise RoomNotFound(lot_id)
    genesis_hash, last_hash, seq, raw_params, raw_state, pseudonym, now = rows[0][:7]
    entries = [row[7:] for row in rows if row[7] is not None]
    params = _params(lot_id, known_params, genesis_hash, raw_params)
    state = _state(lot_id, params, known, (seq, last_hash), raw_state, entries)
    if state is None:
        state = await _read_whole(conn, lot_id, params, (seq, last_hash))
    return build_snapshot(lot_id, params, state, rules.utc(now), viewer=pseudonym)


ACCESS_SQL = (
    """
SELECT l.public_watch, r.id, r.status,
       (SELECT b.pseudonym FROM auctions_bidder b
        WHERE b.room_id = r.id AND b.company_id = m.organisation_id AND m.role = 'company_member'),
       m.role = 'buyer_agent' AND m.organisation_id = t.buyer_id,
       m.role = 'commission_member' AND EXISTS (
           SELECT 1 FROM applications_commissionmember c WHERE c.tender_id = t.id AND c.membership_id = m.id)
FROM tenders_lot l
JOIN tenders_tender t ON t.id = l.tender_id
LEFT JOIN auctions_room r ON r.lot_id = l.id AND l.status <> 'cancelled'
LEFT JOIN accounts_user u ON u.id = %(user_id)s AND u.is_active
LEFT JOIN LATERAL ("""
    + ACTING_MEMBERSHIP
    + """) m ON true
WHERE l.id = %(lot_id)s
"""
)


@dataclass(frozen=True)
class Access:
    """Who is looking at a room: the one rule of the pages (``selectors.watcher_role``), the API and
    the room app."""

    exists: bool  # the lot has a room
    role: str | None  # "bidder" | "buyer" | "commission" | "public" | None (may not watch)
    pseudonym: str | None = None  # the viewer's own, when it is a bidder

    @property
    def allowed(self) -> bool:
        return self.exists and self.role is not None


async def access(
    conn: psycopg.AsyncConnection, *, lot_id: int, user_id: int | None, membership_id: int | None = None
) -> Access:
    """Whether this user (None for an anonymous visitor), acting as ``membership_id`` (None: the
    user's first membership), may watch the lot's room, in one query.

    Bidders of the room, buyer agents of the notice's buyer and members of its commission may;
    anyone may when the lot is watchable by the public or once the auction is closed."""
    cursor = await conn.execute(
        ACCESS_SQL, {"lot_id": lot_id, "user_id": user_id, "membership_id": membership_id}
    )
    return _access_of(await cursor.fetchone())


def access_sync(*, lot_id: int, user_id: int | None, membership_id: int | None = None) -> Access:
    """``access`` through Django's connection (pages, API)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(ACCESS_SQL, {"lot_id": lot_id, "user_id": user_id, "membership_id": membership_id})
        return _access_of(cursor.fetchone())


def _access_of(row) -> Access:
    if row is None or row[1] is None:
        return Access(exists=False, role=None)
    public_watch, _room, status, pseudonym, is_buyer, is_commission = row
    if pseudonym is not None:
        return Access(True, "bidder", pseudonym)
    if is_buyer:
        return Access(True, "buyer")
    if is_commission:
        return Access(True, "commission")
    if public_watch or status == "closed":
        return Access(True, "public")
    return Access(True, None)


def snapshot_sync(lot_id: int, *, user_id: int | None = None, membership_id: int | None = None) -> dict:
    """The same snapshot through Django's connection (pages, API, closing task)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            SNAPSHOT_SQL.format(now=now_sql(), state_column="r.state"),
            {
                "lot_id": lot_id,
                "user_id": user_id,
                "membership_id": membership_id,
                "genesis_hash": None,
                "known_seq": None,
            },
        )
        rows = cursor.fetchall()
    if not rows:
        raise RoomNotFound(lot_id)
    row = rows[0]
    _genesis, _last, _seq, raw_params, raw_state, pseudonym, now = row[:7]
    params = rules.LotParams.from_dict(_json(raw_params))
    state = advance(
        params, rules.State.from_dict(_json(raw_state)), [r[7:] for r in rows if r[7] is not None]
    )
    return build_snapshot(lot_id, params, state, rules.utc(now), viewer=pseudonym)


def _json(value: Any) -> Any:
    # Django's cursor may hand jsonb back as text.
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value
