"""The verifiable ledger of a lot: a hash chain of its events, signed by the server key.

Pure functions over plain JSON-ready dicts (no Django, no I/O), so that the database
stores exactly what is hashed and the published file is exactly what is verified.

An entry is ``{"seq", "type", "at", "data", "prev_hash", "hash"}`` where ``hash`` is the
SHA-256 hex digest of the canonical JSON of the entry without ``hash``; the genesis
(seq 0) has ``prev_hash`` = 64 zeros. Every entry is signed (Ed25519) over its hash's
hex string; each bidder gets a signed receipt of its bid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seei.auctions.rules import Bid, LotParams, State, format_decimal, format_time, to_us

FORMAT = "seei-ledger/1"
RECEIPT_FORMAT = "seei-receipt/1"
GENESIS_PREV_HASH = "0" * 64
EVENT_TYPES = ("bid", "suspend", "resume", "close")


# --- canonical JSON -------------------------------------------------------------------------


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types, with Decimals, datetimes and timedeltas encoded as in rules.py."""
    if isinstance(obj, Enum):
        return obj.value
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in the ledger: encode amounts as Decimal strings")
    if isinstance(obj, Decimal):
        return format_decimal(obj)
    if isinstance(obj, datetime):
        return format_time(obj)
    if isinstance(obj, timedelta):
        return to_us(obj)
    if isinstance(obj, Mapping):
        return {str(key): to_jsonable(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(value) for value in obj]
    raise TypeError(f"cannot encode {type(obj).__name__} in the ledger")


def canonical_json(obj: Any) -> bytes:
    return json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def json_hash(obj: Any) -> str:
    """SHA-256 hex digest of the canonical JSON: an entry's hash, a tree head's hash."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()


def entry_hash(entry: Mapping[str, Any]) -> str:
    return json_hash({k: v for k, v in entry.items() if k != "hash"})


# --- building the chain ---------------------------------------------------------------------


def _entry(seq: int, kind: str, at: datetime, data: Mapping[str, Any], prev_hash: str) -> dict[str, Any]:
    entry = {
        "seq": seq,
        "type": kind,
        "at": format_time(at),
        "data": to_jsonable(data),
        "prev_hash": prev_hash,
    }
    entry["hash"] = entry_hash(entry)
    return entry


def close_data(state: State) -> dict[str, Any]:
    """What the close entry records, recomputable by anyone from the events."""
    ranking = [
        {"rank": rank, "bidder": bid.bidder, "amount": format_decimal(bid.amount), "at": format_time(bid.at)}
        for rank, bid in enumerate(state.ranking(), start=1)
    ]
    return {
        "ranking": ranking,
        "winner": ranking[0]["bidder"] if ranking else None,
        "closes_at": format_time(state.closes_at),
        "extensions": state.extensions,
    }


class Chain:
    """Entry builders; each takes the previous entry, so the caller may keep entries anywhere."""

    @staticmethod
    def genesis(lot_ref: str, params: LotParams, at: datetime) -> dict[str, Any]:
        """Freeze the lot's parameters (pseudonyms only, no identities) before the room opens."""
        return _entry(0, "genesis", at, {"lot": lot_ref, "params": params.to_dict()}, GENESIS_PREV_HASH)

    @staticmethod
    def append(
        prev_entry: Mapping[str, Any], kind: str, at: datetime, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        if kind not in EVENT_TYPES:
            raise ValueError(f"unknown entry type {kind!r}")
        return _entry(prev_entry["seq"] + 1, kind, at, data, prev_entry["hash"])

    @staticmethod
    def bid(prev_entry: Mapping[str, Any], bid: Bid) -> dict[str, Any]:
        # The state and the chain must agree on numbering, or replay would diverge.
        if bid.seq != prev_entry["seq"] + 1:
            raise ValueError(f"bid seq {bid.seq} does not follow entry {prev_entry['seq']}")
        return Chain.append(prev_entry, "bid", bid.at, {"bidder": bid.bidder, "amount": bid.amount})

    @staticmethod
    def suspend(prev_entry: Mapping[str, Any], at: datetime, cause: str | None = None) -> dict[str, Any]:
        """``cause`` names what stopped an automatic suspension (``"database"``, ``"no_room"``); an
        administrator's keeps no data (its reason is told to the bidders, not published)."""
        return Chain.append(prev_entry, "suspend", at, {"automatic": True, "cause": cause} if cause else {})

    @staticmethod
    def resume(prev_entry: Mapping[str, Any], at: datetime) -> dict[str, Any]:
        return Chain.append(prev_entry, "resume", at, {})

    @staticmethod
    def close(prev_entry: Mapping[str, Any], state: State, at: datetime) -> dict[str, Any]:
        return Chain.append(prev_entry, "close", at, close_data(state))


# --- keys -----------------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("ascii") if isinstance(data, str) else data


def _raw_key_bytes(data: bytes) -> bytes:
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except binascii.Error:
        raise ValueError("a key must be PEM or the base64 of its 32 raw bytes") from None
    if len(raw) != 32:
        raise ValueError("a raw Ed25519 key has 32 bytes")
    return raw


def load_private_key(data: bytes | str) -> Ed25519PrivateKey:
    """From PEM (PKCS#8, unencrypted) or the base64 of the 32-byte seed."""
    data = _as_bytes(data)
    if b"-----BEGIN" in data:
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw_key_bytes(data))


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """From PEM (SubjectPublicKeyInfo) or the base64 of the 32 raw bytes."""
    data = _as_bytes(data)
    if b"-----BEGIN" in data:
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw_key_bytes(data))


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pem = _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    raw = _public(key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


# --- signatures -----------------------------------------------------------------------------


def verify_signature(public_key: Ed25519PublicKey, signature_b64: Any, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, binascii.Error, TypeError, ValueError):
        return False
    return True


def sign_document(private_key: Ed25519PrivateKey, body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with a base64 ``signature`` over its canonical JSON (a bid receipt, a tree head)."""
    signature = private_key.sign(canonical_json(body))
    return dict(body) | {"signature": base64.b64encode(signature).decode("ascii")}


def verify_document(public_key: Ed25519PublicKey, document: Any) -> bool:
    """True if ``document`` was signed by this key (``sign_document``) and not altered since."""
    if not isinstance(document, Mapping) or "signature" not in document:
        return False
    body = {k: v for k, v in document.items() if k != "signature"}
    try:
        message = canonical_json(body)
    except TypeError:
        return False
    return verify_signature(public_key, document["signature"], message)


def sign_entry(private_key: Ed25519PrivateKey, entry: Mapping[str, Any]) -> str:
    """Base64 signature over the entry's hash (its hex string, as ASCII bytes)."""
    return base64.b64encode(private_key.sign(entry["hash"].encode("ascii"))).decode("ascii")


def verify_entry_signature(public_key: Ed25519PublicKey, entry_hash_hex: str, signature_b64: Any) -> bool:
    if not isinstance(entry_hash_hex, str) or not entry_hash_hex.isascii():
        return False
    return verify_signature(public_key, signature_b64, entry_hash_hex.encode("ascii"))


def sign_receipt(private_key: Ed25519PrivateKey, entry: Mapping[str, Any], lot_ref: str) -> dict[str, Any]:
    """The bidder's proof that its bid was accepted and recorded as this ledger entry."""
    if entry.get("type") != "bid":
        raise ValueError("receipts are only issued for bids")
    receipt = {
        "format": RECEIPT_FORMAT,
        "lot": lot_ref,
        "seq": entry["seq"],
        "hash": entry["hash"],
        "bidder": entry["data"]["bidder"],
        "amount": entry["data"]["amount"],
        "at": entry["at"],
    }
    return sign_document(private_key, receipt)


def verify_receipt(public_key: Ed25519PublicKey, receipt: Mapping[str, Any]) -> bool:
    """True if the receipt was signed by this key and not altered since."""
    return verify_document(public_key, receipt)


# --- export ---------------------------------------------------------------------------------


def sign_entries(private_key: Ed25519PrivateKey, entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each entry's signature by seq, as the server stores it beside the entry when it appends it
    (for tools and pure tests; a published ledger carries the stored signatures, never new ones)."""
    return {str(entry["seq"]): sign_entry(private_key, entry) for entry in entries}


def export_ledger(
    entries: Iterable[Mapping[str, Any]],
    signatures: Mapping[Any, str],
    public_key: Ed25519PrivateKey | Ed25519PublicKey,
    lot: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The published, anonymised ledger with the signatures stored when each entry was appended.

    Nothing is signed here: signing at export would vouch for whatever the database holds today (a
    bid deleted and the chain recomputed would come out signed). ``lot`` is public metadata (defaults
    to the genesis reference); it must never hold bidder identities."""
    entries = [dict(entry) for entry in entries]
    if not entries or entries[0].get("type") != "genesis":
        raise ValueError("a ledger starts with its genesis entry")
    return {
        "format": FORMAT,
        "lot": dict(lot) if lot is not None else {"ref": entries[0]["data"]["lot"]},
        "public_key": public_key_pem(public_key),
        "entries": entries,
        "signatures": {str(seq): signature for seq, signature in signatures.items()},
    }
