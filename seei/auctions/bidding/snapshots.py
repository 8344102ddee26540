"""The snapshot every viewer of a lot receives: pseudonyms, ranking, time left, and for one bidder
its own rank and allowed range (``me``).

Built once per batch by the bid transaction, and read in one consistent statement by the room app
(``room_snapshot``, async) and by the pages, the API and the closing task (``snapshot_sync``,
through Django's connection). Who may see it is decided elsewhere (``watchers.access``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import psycopg

from seei.auctions import rules
from seei.auctions.bidding.acting import ACTING_MEMBERSHIP
from seei.auctions.bidding.connections import now_sql
from seei.auctions.bidding.state import (
    _DELTA,
    STATE_COLUMN,
    RoomNotFound,
    _json,
    _params,
    _params_cache,
    _read_whole,
    _state,
    _state_cache,
    _state_sql,
    advance,
)

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
    remaining = rules.time_left(state, status, now)
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
    (``watchers.access``)."""
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
