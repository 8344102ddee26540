"""The bid transaction: the hot path of the room (``place_bid``), in plain async psycopg.

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
connection. ``_bids`` is the one queue of lots of this process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from seei.auctions import events, flood, ledger, rules, signing, watchdog
from seei.auctions.batches import GroupQueue
from seei.auctions.bidding.acting import _acting
from seei.auctions.bidding.answers import (
    AMOUNT_TEXT_MAX,
    BidResult,
    RequestReused,
    _allowed,
    _check_request_id,
    _encode_detail,
    _original_answer,
    _refusal_message,
    _storable,
    accepted_message,
    outsider_refusal,
    same_amount,
)
from seei.auctions.bidding.connections import Unavailable, now_sql, unavailable
from seei.auctions.bidding.snapshots import build_snapshot, viewer_view
from seei.auctions.bidding.state import (
    STATE_COLUMN,
    TIME_AND_DELTA_SQL,
    RoomNotFound,
    _params,
    _params_cache,
    _read_whole,
    _remember,
    _state,
    _state_cache,
    _state_sql,
    checkpoint_due,
    checkpoint_json,
)
from seei.room import history as room_history


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
# head (and now and then its checkpoint: checkpoint_due), and one audit row per attempt.
WRITE_SQL = """
WITH entry AS (
    INSERT INTO auctions_ledgerentry (room_id, seq, type, at, data, prev_hash, hash, signature)
    SELECT %(room_id)s, x.seq, 'bid', %(at)s, x.data, x.prev_hash, x.hash, x.signature
    FROM jsonb_to_recordset(%(entries)s) AS x(seq integer, data jsonb, prev_hash text, hash text, signature text)
    RETURNING id, seq
), moved AS (
    UPDATE auctions_room
    SET state = COALESCE(%(state)s::jsonb, state), seq = %(seq)s, closes_at = %(closes_at)s, last_hash = %(hash)s,
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
    one: see ``acting``), which must be an admitted bidder. With ``audit_outsiders=False`` (the room,
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


async def _run_batch(key: tuple, take: Callable[[], list[_Request]]) -> list[_Outcome | Exception]:
    """The lot's waiting bids (``take()``), taken once the batch holds its pool connection: those
    arriving while it waits for one are decided in it, not in a batch after it (``batches``)."""
    lot_id, source = key
    try:
        if isinstance(source, AsyncConnectionPool):
            async with source.connection() as conn:
                try:
                    batch, outcomes = await _decide_and_store(conn, lot_id, take())
                except psycopg.Error:
                    # After an error inside a pipeline, psycopg's record of the statements it prepared may
                    # no longer match the server's: the pool replaces this connection.
                    await conn.close()
                    raise
        else:
            batch, outcomes = await _decide_and_store(source, lot_id, take())
    except psycopg.Error as error:
        failure = unavailable(error)
        if failure is None:
            raise  # perhaps one bid's fault: the batch is run again bid by bid
        # The database or the lot's lock, not a bid, failed: every bid of the batch gets the same
        # retryable answer at once (run again one by one, each would only wait as long again).
        return [failure] * len(take())
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


def _turns(key: tuple) -> int | None:
    """As many lots' batches at once as the pool has connections; more wait for their turn, oldest bid
    first. A batch on a connection of its own (the API's, held by its caller) takes no turn: one that
    did could wait for batches waiting for the very connection it holds."""
    _lot_id, source = key
    return source.max_size if isinstance(source, AsyncConnectionPool) else None


_bids: GroupQueue[_Request, _Outcome] = GroupQueue(_run_batch, MAX_BATCH, turns=_turns)


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
        checkpoint = any(checkpoint_due(entry["seq"]) for entry in batch.entries)
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
            "state": checkpoint_json(batch.state) if checkpoint else None,
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
