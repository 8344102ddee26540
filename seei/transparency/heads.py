"""The transparency log's formats, pure (no Django): its leaves, its signed tree heads, the proof a
ledger carries. ``seei verify`` reads them with the platform's trusted key.

A leaf names one closed lot's final ledger entry: ``{"format", "lot", "seq", "hash"}`` in canonical
JSON. A tree head ``{"format", "size", "root", "at", "prev"}`` is signed (Ed25519, the ledger key)
over its canonical JSON; ``prev`` is the SHA-256 of the previous head's canonical JSON (64 zeros for
the first), so the heads form a chain as the ledger entries do, and a head once published in the
minutes pins every lot closed before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seei.auctions import ledger
from seei.auctions.rules import format_time
from seei.transparency import merkle

LEAF_FORMAT = "seei-log-leaf/1"
HEAD_FORMAT = "seei-tree-head/1"
FIRST_PREV = "0" * 64
HEAD_KEYS = frozenset({"format", "size", "root", "at", "prev", "signature"})


def leaf_data(lot_ref: str, seq: int, final_hash: str) -> bytes:
    return ledger.canonical_json({"format": LEAF_FORMAT, "lot": lot_ref, "seq": seq, "hash": final_hash})


def ledger_leaf(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """The leaf hash a published ledger must have in the log: its lot, its last entry."""
    lot = entries[0]["data"]["lot"]
    last = entries[-1]
    return merkle.leaf_hash(leaf_data(lot, last["seq"], last["hash"]))


def head_body(size: int, root: bytes, at: datetime, prev: str) -> dict[str, Any]:
    return {"format": HEAD_FORMAT, "size": size, "root": root.hex(), "at": format_time(at), "prev": prev}


def head_hash(head: Mapping[str, Any]) -> str:
    """What the next head names as ``prev``: SHA-256 of the signed body."""
    return ledger.json_hash({key: value for key, value in head.items() if key != "signature"})


def head_is_signed(public_key: Ed25519PublicKey, head: Any) -> bool:
    """A well-formed head signed by ``public_key`` (``ledger.sign_document`` over its body)."""
    if not isinstance(head, Mapping) or set(head) != HEAD_KEYS or head.get("format") != HEAD_FORMAT:
        return False
    if not isinstance(head["size"], int) or not isinstance(head["root"], str):
        return False
    return ledger.verify_document(public_key, head)


def hashes(values: Any) -> list[bytes] | None:
    """A proof's hex hashes as bytes, or None when it is not a list of 32-byte hex strings."""
    if not isinstance(values, list):
        return None
    try:
        out = [bytes.fromhex(value) for value in values]
    except (TypeError, ValueError):
        return None
    return out if all(len(value) == 32 for value in out) else None
