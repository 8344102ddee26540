"""What ``seei verify`` remembers of the log between runs: the largest signed head it has seen.

A log rebuilt by its operator (every head signed again) still verifies on its own; it no longer
extends the heads published before. So the verifier keeps the largest head it saw (beside the trust
file) and, next time, asks the platform for the consistency proof between that head and the new one
(RFC 9162): a rewritten log cannot give one. Pure (no Django); the fetching is the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seei.transparency import heads, merkle


def seen_file(trust_file: Path) -> Path:
    return trust_file.with_name("log-head.json")


def load(path: Path, key: Ed25519PublicKey) -> dict[str, Any] | None:
    """The head seen before, if there is one signed by ``key``."""
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return head if heads.head_is_signed(key, head) else None


def remember(path: Path, head: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(head)), encoding="utf-8")


def ordered(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    return (a, b) if a["size"] <= b["size"] else (b, a)


def inconsistency(seen: Mapping[str, Any], current: Mapping[str, Any], proof: Any) -> str | None:
    """Why the two signed heads cannot be of one append-only log, or None when the proof shows they are."""
    old, new = ordered(seen, current)
    path = heads.hashes(proof)
    if path is None or not merkle.verify_consistency(
        old["size"], new["size"], bytes.fromhex(old["root"]), bytes.fromhex(new["root"]), path
    ):
        return (
            f"the log of {new['size']} leaves does not extend the log of {old['size']} leaves seen before "
            f"(head signed at {seen['at']}): the log was rewritten"
        )
    return None
