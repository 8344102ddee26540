"""The bid path of the live room, in plain async psycopg (no ORM): one package, one module per part.

- ``transaction``: ``place_bid``, the hot path: bids on one lot decided in batches, one transaction
  of two pipelined round trips each (the lot's lock, the rules, the signed ledger entries);
- ``state``: a room's checkpoint, the states this process knows, the ledger entries since;
- ``snapshots``: the snapshot every viewer gets (``room_snapshot``, ``snapshot_sync``);
- ``answers``: what a bidder is told (``BidResult``, messages, request-id checks);
- ``watchers``: who may watch a room (``access``, ``access_sync``);
- ``acting``: the one membership a person acts through, as SQL;
- ``connections``: ``pool``/``connection`` (Django's database), timeouts, ``Unavailable``, the clock.

Callers use the names below (``bidding.place_bid``, ``bidding.pool()``…). A test that patches a
name replaces it in the module that looks it up (``bidding.connections.conninfo``): patching the
name here changes nothing for the modules that use it.
"""

from seei.auctions.bidding.answers import (
    AMOUNT_TEXT_MAX,
    REQUEST_ID_MAX,
    BidResult,
    RequestReused,
    accepted_message,
    outsider_refusal,
    same_amount,
    valid_request_id,
)
from seei.auctions.bidding.connections import (
    CONNECT_TIMEOUT,
    IDLE_IN_TRANSACTION_TIMEOUT_MS,
    LOCK_TIMEOUT_MS,
    STATEMENT_TIMEOUT_MS,
    Unavailable,
    connection,
    conninfo,
    now_sql,
    pool,
    unavailable,
)
from seei.auctions.bidding.snapshots import build_snapshot, room_snapshot, snapshot_sync, viewer_view
from seei.auctions.bidding.state import (
    CHECKPOINT_EVERY,
    MAX_DELTA,
    RoomNotFound,
    advance,
    checkpoint_due,
    checkpoint_json,
    state_of_room_sync,
)
from seei.auctions.bidding.transaction import MAX_BATCH, SessionRefused, place_bid
from seei.auctions.bidding.watchers import Access, access, access_sync

__all__ = [
    "AMOUNT_TEXT_MAX",
    "CHECKPOINT_EVERY",
    "CONNECT_TIMEOUT",
    "IDLE_IN_TRANSACTION_TIMEOUT_MS",
    "LOCK_TIMEOUT_MS",
    "MAX_BATCH",
    "MAX_DELTA",
    "REQUEST_ID_MAX",
    "STATEMENT_TIMEOUT_MS",
    "Access",
    "BidResult",
    "RequestReused",
    "RoomNotFound",
    "SessionRefused",
    "Unavailable",
    "access",
    "access_sync",
    "accepted_message",
    "advance",
    "build_snapshot",
    "checkpoint_due",
    "checkpoint_json",
    "connection",
    "conninfo",
    "now_sql",
    "outsider_refusal",
    "place_bid",
    "pool",
    "room_snapshot",
    "same_amount",
    "snapshot_sync",
    "state_of_room_sync",
    "unavailable",
    "valid_request_id",
    "viewer_view",
]
