"""Stand-alone verifier of a published ledger: ``seei verify LEDGER.json``.

Needs no server, no database and no Django: it re-checks the hash chain and the
signatures, then re-runs the auction rules from the frozen parameters over the recorded
events, and compares the recomputed ranking, closing time and winner with the close entry.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seei.auctions import ledger, trusted_key
from seei.auctions.reasons import message
from seei.auctions.rules import (
    LotParams,
    ReplayError,
    State,
    apply_event,
    format_decimal,
    format_time,
    parse_time,
)
from seei.transparency import heads, merkle, witness

LOG_API = "/api/v1/transparency"  # the platform's transparency log (seei.transparency.api)
ENTRY_KEYS = frozenset({"seq", "type", "at", "data", "prev_hash", "hash"})


@dataclass
class Report:
    ok: bool
    errors: list[str] = field(default_factory=list)
    entries: int = 0
    lot: str | None = None
    currency: str | None = None
    ranking: list[dict[str, Any]] = field(default_factory=list)  # as in the close entry
    closes_at: datetime | None = None
    winner: str | None = None
    winning_amount: Decimal | None = None
    closed: bool = False
    practice: bool = False  # the genesis marks a practice auction: never a real procedure
    log_head: dict[str, Any] | None = None  # the signed head the lot's inclusion was proven under
    log_index: int | None = None

    def summary(self) -> str:
        if not self.ok:
            problems = "\n".join(f"  - {error}" for error in self.errors)
            return f"FAILED: {len(self.errors)} problem(s) found\n{problems}"
        if self.winner is None:
            outcome = "no bids, no winner"
        else:
            outcome = f"winner {self.winner} at {format_decimal(self.winning_amount)} {self.currency}"
        when = format_time(self.closes_at) if self.closes_at else "?"
        closing = f"closed at {when}" if self.closed else f"not closed yet, closing time {when}"
        practice = " (PRACTICE auction, not a real procedure)" if self.practice else ""
        logged = ""
        if self.log_head is not None:
            logged = (
                f"\nIn the transparency log: leaf {self.log_index} of {self.log_head['size']}, under the head "
                f"signed at {self.log_head['at']} (root {self.log_head['root']})"
            )
        return f"OK{practice}: {self.entries} entries, chain intact, signatures valid, {outcome}, {closing}{logged}"


def verify_ledger(
    doc: Any,
    *,
    public_key: Ed25519PublicKey,
    require_close: bool = True,
    require_log: bool = False,
) -> Report:
    """Check a published ledger against ``public_key``, the platform's key as had from outside the
    file (``trusted_key``): the key written inside the document is never trusted on its own.

    A proof of inclusion in the transparency log, when the document carries one, is checked;
    ``require_log`` also requires one of a closed real auction (``seei verify`` and the accountant
    do: without it, whoever holds the key could rewrite a closed auction and sign it again)."""
    report = Report(ok=False)
    errors = report.errors
    if not isinstance(doc, Mapping):
        errors.append("the document is not a JSON object")
        return report
    if doc.get("format") != ledger.FORMAT:
        errors.append(f"unknown format {doc.get('format')!r} (expected {ledger.FORMAT!r})")
    entries = doc.get("entries")
    if not isinstance(entries, list) or not entries:
        errors.append("the ledger has no entries")
        return report
    report.entries = len(entries)
    key = _signing_key(doc, public_key, errors)
    signatures = doc.get("signatures")
    if not isinstance(signatures, Mapping):
        errors.append("the ledger has no signatures")
        signatures = {}
    _check_chain(entries, key, signatures, errors)
    params = _check_genesis(entries[0], doc, report)
    if params is not None:
        _replay(params, entries, report, require_close)
    if "transparency" in doc or (require_log and report.closed and not report.practice):
        _check_log(doc, entries, key, report)
    report.ok = not errors
    return report


def _signing_key(doc: Mapping[str, Any], expected: Ed25519PublicKey, errors: list[str]) -> Ed25519PublicKey:
    """The trusted key, always; the file's own key is only compared with it."""
    try:
        key = ledger.load_public_key(doc.get("public_key") or "")
    except (ValueError, TypeError):
        errors.append("the ledger's public key is missing or unreadable")
        return expected
    if key.public_bytes_raw() != expected.public_bytes_raw():
        errors.append(
            f"the ledger names another signing key (fingerprint {trusted_key.fingerprint(key)}) than the "
            f"platform's trusted key ({trusted_key.fingerprint(expected)}): it was not signed by the platform"
        )
    return expected


def _label(entry: Any, position: int) -> str:
    seq = entry.get("seq") if isinstance(entry, Mapping) else None
    return f"entry {seq if isinstance(seq, int) else f'at position {position}'}"


def _well_formed(entry: Any) -> bool:
    return isinstance(entry, Mapping) and set(entry) == ENTRY_KEYS and isinstance(entry["seq"], int)


def _check_chain(entries: list[Any], key: Any, signatures: Mapping[str, Any], errors: list[str]) -> None:
    previous = None
    for position, entry in enumerate(entries):
        label = _label(entry, position)
        if not _well_formed(entry):
            errors.append(f"{label}: malformed (an entry has exactly the fields {sorted(ENTRY_KEYS)})")
            previous = None
            continue
        # Numbering follows the previous entry, so one gap is reported once, not to the end.
        expected = position if previous is None else previous["seq"] + 1
        if entry["seq"] != expected:
            errors.append(
                f"{label}: found where entry {expected} was expected (an entry is missing or out of order)"
            )
        try:
            intact = ledger.entry_hash(entry) == entry["hash"]
        except TypeError as error:
            intact = False
            errors.append(f"{label}: not canonical ({error})")
        if not intact:
            errors.append(f"{label}: hash mismatch (amount or another field was altered)")
        if position == 0:
            if entry["prev_hash"] != ledger.GENESIS_PREV_HASH:
                errors.append(f"{label}: the first entry must have prev_hash of 64 zeros")
        elif previous is not None and entry["prev_hash"] != previous["hash"]:
            errors.append(f"{label}: prev_hash does not match entry {previous['seq']}")
        if key is not None:
            signature = signatures.get(str(entry["seq"]))
            if signature is None:
                errors.append(f"{label}: signature missing")
            elif not ledger.verify_entry_signature(key, entry["hash"], signature):
                errors.append(f"{label}: signature invalid")
        previous = entry


def _check_genesis(genesis: Any, doc: Mapping[str, Any], report: Report) -> LotParams | None:
    errors = report.errors
    if not _well_formed(genesis) or genesis["type"] != "genesis":
        errors.append("entry 0: the ledger does not start with a genesis entry")
        return None
    data = genesis["data"]
    try:
        params = LotParams.from_dict(data["params"])
        frozen_at = parse_time(genesis["at"])
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        errors.append(f"entry 0: the lot parameters are unreadable ({error})")
        return None
    report.lot, report.currency, report.practice = data.get("lot"), params.currency, params.practice
    lot = doc.get("lot")
    if isinstance(lot, Mapping) and "ref" in lot and lot["ref"] != report.lot:
        errors.append(f"the ledger is for lot {lot['ref']!r} but its genesis is for lot {report.lot!r}")
    if frozen_at > params.opens_at:
        errors.append("entry 0: the parameters were frozen after the room opened")
    return params


def _replay(params: LotParams, entries: list[Any], report: Report, require_close: bool) -> None:
    errors = report.errors
    state = State.initial(params)
    close_entry = None
    last_at = _time_of(entries[0])
    for position, entry in enumerate(entries[1:], start=1):
        if not _well_formed(entry):
            continue  # already reported by the chain check
        label = _label(entry, position)
        # Time never goes back along the chain: an outage recorded after the fact is placed after the
        # last entry before it, never over entries already written.
        at = _time_of(entry)
        if at is not None and last_at is not None and at < last_at:
            errors.append(
                f"{label}: recorded at {entry['at']}, before the entry before it ({format_time(last_at)})"
            )
        last_at = at or last_at
        if entry["type"] == "genesis":
            errors.append(f"{label}: a second genesis entry")
            continue
        if close_entry is not None:
            errors.append(f"{label}: recorded after the close")
            continue
        if entry["type"] == "close":
            close_entry = entry
            _compare_close(entry, state, errors)
        # Numbering gaps are reported by the chain check; align so the replay goes on.
        state = replace(state, seq=entry["seq"] - 1)
        try:
            state = apply_event(params, state, entry)
        except ReplayError as error:
            errors.append(f"{label}: {error}{_explain(error)}")
    if close_entry is None and require_close:
        errors.append("the ledger has no close entry (the auction is not finished, or the ledger was cut)")
    report.closed = close_entry is not None
    recomputed = ledger.close_data(state)
    report.ranking = recomputed["ranking"]
    report.winner = recomputed["winner"]
    report.closes_at = state.closes_at
    winner = state.winner()
    report.winning_amount = winner.amount if winner else None


def _check_log(doc: Mapping[str, Any], entries: list[Any], key: Ed25519PublicKey, report: Report) -> None:
    """The ledger's final entry is a leaf of the platform's transparency log under a signed head."""
    problem = log_inclusion_problem(doc.get("transparency"), entries, key)
    if problem:
        report.errors.append(f"transparency log: {problem}")
    else:
        report.log_head, report.log_index = doc["transparency"]["head"], doc["transparency"]["leaf_index"]


def log_inclusion_problem(proof: Any, entries: list[Any], key: Ed25519PublicKey) -> str | None:
    """Why ``proof`` does not show the ledger's final entry in the log, or None when it does."""
    if not isinstance(proof, Mapping):
        return (
            "the ledger carries no proof that its final entry is in the log (download it again from the "
            "platform, or give --site to fetch the proof)"
        )
    head = proof.get("head")
    if not heads.head_is_signed(key, head):
        return "the tree head is not signed by the platform's key"
    path, index = heads.hashes(proof.get("proof")), proof.get("leaf_index")
    if path is None or not isinstance(index, int) or proof.get("tree_size") != head["size"]:
        return "the proof of inclusion is malformed"
    try:
        leaf = heads.ledger_leaf(entries)
        root = bytes.fromhex(head["root"])
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return "the proof of inclusion is malformed"
    if not merkle.verify_inclusion(index, head["size"], leaf, path, root):
        return (
            f"this ledger's final entry is not leaf {index} of the log of {head['size']} under the signed "
            "head: the ledger was rewritten after its close, or the proof is wrong"
        )
    return None


def _time_of(entry: Any) -> datetime | None:
    try:
        return parse_time(entry["at"])
    except (KeyError, TypeError, ValueError):
        return None  # reported by the replay


def _explain(error: ReplayError) -> str:
    if error.code is None:
        return ""
    try:
        return f" ({message(error.code, 'en', **error.detail)})"
    except (KeyError, IndexError):
        return ""


def _compare_close(entry: Mapping[str, Any], state: State, errors: list[str]) -> None:
    recorded = entry["data"] if isinstance(entry["data"], Mapping) else {}
    expected = ledger.close_data(state)
    label = "close entry"
    if recorded.get("winner") != expected["winner"]:
        errors.append(
            f"{label}: winner differs from the recomputed winner "
            f"(recorded {recorded.get('winner')!r}, the rules give {expected['winner']!r})"
        )
    if recorded.get("ranking") != expected["ranking"]:
        errors.append(f"{label}: ranking differs from the recomputed ranking")
    if recorded.get("closes_at") != expected["closes_at"]:
        errors.append(
            f"{label}: closing time differs from the recomputed one "
            f"(recorded {recorded.get('closes_at')!r}, the rules give {expected['closes_at']!r})"
        )
    if recorded.get("extensions") != expected["extensions"]:
        errors.append(f"{label}: number of extensions differs from the recomputed one")
    unknown = set(recorded) - set(expected)
    if unknown:
        errors.append(f"{label}: unexpected fields {sorted(unknown)}")


def check_receipt(receipt: Any, doc: Mapping[str, Any], public_key: Ed25519PublicKey) -> list[str]:
    """Problems with a bidder's receipt: bad signature, or its bid is not in the ledger."""
    if not ledger.verify_receipt(public_key, receipt):
        return ["receipt: signature invalid (not issued by this key, or altered)"]
    genesis_lot = None
    entries = doc.get("entries") or []
    if entries and isinstance(entries[0], Mapping) and isinstance(entries[0].get("data"), Mapping):
        genesis_lot = entries[0]["data"].get("lot")
    if receipt.get("lot") != genesis_lot:
        return [f"receipt: issued for lot {receipt.get('lot')!r}, not this ledger's lot {genesis_lot!r}"]
    seq = receipt.get("seq")
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("seq") == seq:
            data = entry.get("data") if isinstance(entry.get("data"), Mapping) else {}
            recorded = (entry.get("hash"), data.get("bidder"), data.get("amount"), entry.get("at"))
            if recorded != (
                receipt.get("hash"),
                receipt.get("bidder"),
                receipt.get("amount"),
                receipt.get("at"),
            ):
                return [f"receipt: entry {seq} in the ledger differs from the receipt"]
            return []
    return [f"receipt: entry {seq} is missing from the ledger"]


def _compare_with_the_head_seen_before(head: dict[str, Any], key: Ed25519PublicKey, args) -> bool:
    """The log's head must extend (or be extended by) the largest head this verifier saw before."""
    path = witness.seen_file(args.trust or trusted_key.default_trust_file())
    seen = witness.load(path, key)
    if seen is not None and (seen["size"], seen["root"]) != (head["size"], head["root"]):
        if not args.site:
            print(
                f"Transparency log: not compared with the head of {seen['size']} leaves seen before (give --site)"
            )
            return True
        old, new = witness.ordered(seen, head)
        url = trusted_key.site_url(
            args.site, f"{LOG_API}/consistency?first={old['size']}&second={new['size']}"
        )
        try:
            proof = trusted_key.fetch_json(url).get("proof")
        except (trusted_key.UntrustedKey, AttributeError) as error:
            print(f"FAILED: transparency log: no consistency proof with the head seen before ({error})")
            return False
        problem = witness.inconsistency(seen, head, proof)
        if problem:
            print(f"FAILED: transparency log: {problem}")
            return False
        print(f"Transparency log: consistent with the head of {seen['size']} leaves seen before")
    if seen is None or head["size"] > seen["size"]:
        witness.remember(path, head)
    return True


def _fetch_log_proof(site: str, doc: dict[str, Any]) -> None:
    """A ledger downloaded without its proof of inclusion: ask the platform for it (checked after)."""
    lot = doc.get("lot")
    if not isinstance(lot, Mapping) or not isinstance(lot.get("id"), int):
        return
    url = trusted_key.site_url(site, f"{LOG_API}/lots/{lot['id']}/inclusion")
    try:
        doc["transparency"] = trusted_key.fetch_json(url)
    except trusted_key.UntrustedKey as error:
        print(f"Transparency log: no proof fetched ({error})")


def _read_json(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="seei verify",
        description="Check a published SEEI auction ledger against the platform's key: hash chain, "
        "signatures, and the ranking, closing time and winner recomputed from the rules. The key "
        "written inside the file is never trusted on its own.",
    )
    parser.add_argument("ledger", help="the published ledger (JSON)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--site",
        metavar="URL",
        help=f"the platform's address (https://...): its key is fetched from {trusted_key.WELL_KNOWN_PATH}",
    )
    source.add_argument("--key-url", metavar="URL", help="fetch the platform's public key from this address")
    source.add_argument("--public-key", metavar="FILE", help="the platform's public key (PEM or base64)")
    parser.add_argument(
        "--trust",
        metavar="FILE",
        type=Path,
        help=f"the trust file holding the pinned platform key (default {trusted_key.default_trust_file()})",
    )
    parser.add_argument("--pin", action="store_true", help="keep the given key in the trust file")
    parser.add_argument(
        "--receipt", metavar="FILE", action="append", default=[], help="a bid receipt to check"
    )
    parser.add_argument("--allow-open", action="store_true", help="accept a ledger without a close entry yet")
    args = parser.parse_args(argv)

    try:
        doc = _read_json(args.ledger)
        receipts = [(path, _read_json(path)) for path in args.receipt]
    except (OSError, ValueError) as error:
        print(f"FAILED: cannot read the input: {error}")
        return 1
    try:
        trusted = trusted_key.resolve(
            public_key=args.public_key,
            key_url=args.key_url,
            site=args.site,
            trust_file=args.trust,
            pin_it=args.pin,
        )
    except trusted_key.UntrustedKey as error:
        print(f"FAILED: {error}")
        return 2
    print(f"Platform key: SHA-256 fingerprint {trusted.fingerprint} (from {trusted.source})")

    if args.site and isinstance(doc, dict) and "transparency" not in doc:
        _fetch_log_proof(args.site, doc)
    report = verify_ledger(doc, public_key=trusted.key, require_close=not args.allow_open, require_log=True)
    print(report.summary())
    ok = report.ok
    if ok and report.log_head is not None:
        ok = _compare_with_the_head_seen_before(report.log_head, trusted.key, args)
    for path, receipt in receipts:
        problems = check_receipt(receipt, doc, trusted.key)
        print(
            f"{path}: " + ("; ".join(problems) if problems else f"bid {receipt.get('seq')} is in the ledger")
        )
        ok = ok and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
