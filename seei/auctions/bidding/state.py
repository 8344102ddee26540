"""The state of a room: its checkpoint, the states this process knows, and the ledger entries since.

``Room.state`` is a checkpoint: rules.State.to_dict() at the seq it names, rewritten now and then
(``checkpoint_due``; and by every transition of services.py), so that a bid writes one small row and
not the whole history. The state at the head of the chain is the checkpoint moved forward by the
ledger entries after it, through rules.apply_event (as the verifier replays them).

Each process also keeps the latest state it has seen, at some (seq, hash) of the chain: a read then
needs only the few entries since, so a busy room costs O(new entries) per bid, not O(all bids),
even when several processes share it. Those caches (``_params_cache``, ``_state_cache``) exist here
only, shared by the bid transaction and the snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from seei.auctions import rules


class RoomNotFound(LookupError):
    """The lot has no auction room (yet)."""


CHECKPOINT_EVERY = 32
MAX_DELTA = 64  # a known state further behind than this is dropped for the checkpoint


def checkpoint_due(seq: int) -> bool:
    """Whether the bid transaction that appends entry ``seq`` rewrites the checkpoint: every
    CHECKPOINT_EVERY entries, and from 8 x CHECKPOINT_EVERY entries on, every quarter of the room's
    length, rounded down to a power of two (four times between 2^k and 2^(k+1) entries). A checkpoint
    holds every bid: at a fixed interval, a busy room's checkpoints cost O(bids) per bid, written under
    the room's lock (a hot lot of 8 bidders placed 29 % fewer bids a second for them, at 6,000 bids);
    this way they cost O(1) per bid, and a read from the checkpoint folds at most a quarter of the
    room's entries after it."""
    return seq > 0 and seq % max(CHECKPOINT_EVERY, 1 << max(seq.bit_length() - 3, 0)) == 0


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


# The JSON text of the bids of each room in memory, keyed by the id of its first bid (kept alive by
# the entry, so no other object takes its id): (first bid, how many, the last of them, their text). A
# state's bids only ever grow by appending (rules.apply_bid), so a checkpoint extends the text of the
# previous one by the bids since, by identity (two bids may be equal as values yet differ in how their
# amount is written).
_bids_text: dict[int, tuple[rules.Bid, int, rules.Bid, str]] = {}


def checkpoint_json(state: rules.State) -> str:
    """``json.dumps(state.to_dict())``, in meaning (jsonb keeps no spacing): a checkpoint is written
    under the room's lock and holds every bid so far, so it must not format and encode them all each
    time, only those since the last checkpoint this process wrote."""
    head = replace(state, bids=(), last_bids=None).to_dict()
    del head["bids"]
    return f'{json.dumps(head)[:-1]}, "bids": [{_bids_json(state.bids)}]}}'


def _bids_json(bids: tuple[rules.Bid, ...]) -> str:
    if not bids:
        return ""
    _first, count, last, text = _bids_text.get(id(bids[0]), (None, 0, None, ""))
    if count > len(bids) or (count and bids[count - 1] is not last):
        count, text = 0, ""  # another history of the room than the one encoded: afresh
    text = ", ".join(part for part in (text, *(json.dumps(bid.to_dict()) for bid in bids[count:])) if part)
    if len(_bids_text) > 10_000:
        _bids_text.clear()
    _bids_text[id(bids[0])] = (bids[0], len(bids), bids[-1], text)
    return text


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


def _json(value: Any) -> Any:
    # Django's cursor may hand jsonb back as text.
    if isinstance(value, str):
        return json.loads(value)
    return value
