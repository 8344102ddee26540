"""The hash chain, the signatures, the receipts and the export format."""

import base64
import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from seei.auctions import ledger
from seei.auctions.rules import Accepted, State, apply_bid, close, resume, suspend

from .test_rules import make_params, minutes

LOT = "AO-7/2024-L1"


def build_chain(key=None):
    """A small finished auction, as the server would record it: entries and final state."""
    params = make_params()
    entries = [ledger.Chain.genesis(LOT, params, minutes(-60))]
    state = State.initial(params)
    moves = [("bid", "B-1", "990", 1), ("bid", "B-2", "970", 5), ("suspend", None, None, 10)]
    moves += [("resume", None, None, 20), ("bid", "B-1", "960", 39), ("bid", "B-3", "950", 40)]
    for kind, bidder, amount, minute in moves:
        at = minutes(minute)
        if kind == "bid":
            result = apply_bid(params, state, bidder, Decimal(amount), at)
            assert isinstance(result, Accepted), result
            state = result.state
            entries.append(ledger.Chain.bid(entries[-1], result.bid))
        else:
            state = (suspend if kind == "suspend" else resume)(params, state, at)
            entries.append(getattr(ledger.Chain, kind)(entries[-1], at))
    closed_at = state.closes_at + timedelta(seconds=2)
    entries.append(ledger.Chain.close(entries[-1], state, closed_at))
    state = close(params, state, closed_at)
    return params, entries, state


def test_chain_links_each_entry_to_the_previous_one():
    params, entries, state = build_chain()
    assert [e["seq"] for e in entries] == list(range(len(entries)))
    assert entries[0]["prev_hash"] == "0" * 64
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry["prev_hash"] == previous["hash"]
    for entry in entries:
        assert entry["hash"] == ledger.entry_hash(entry)
        assert set(entry) == {"seq", "type", "at", "data", "prev_hash", "hash"}
    assert state.seq == entries[-1]["seq"]  # the state and the chain count alike


def test_entry_hash_is_sha256_of_the_canonical_json_without_the_hash():
    _, entries, _ = build_chain()
    bid = entries[1]
    body = {k: v for k, v in bid.items() if k != "hash"}
    expected = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert ledger.canonical_json(body) == expected
    assert bid["hash"] == hashlib.sha256(expected).hexdigest()
    assert bid["data"] == {"bidder": "B-1", "amount": "990.00"}
    assert bid["at"] == "2024-05-10T10:01:00.000000Z"


def test_genesis_freezes_the_params_with_pseudonyms_only():
    params, entries, _ = build_chain()
    genesis = entries[0]
    assert genesis["type"] == "genesis" and genesis["seq"] == 0
    assert genesis["data"] == {"lot": LOT, "params": params.to_dict()}
    assert genesis["data"]["params"]["bidders"] == ["B-1", "B-2", "B-3"]


def test_close_entry_records_ranking_winner_and_closing_time():
    _, entries, state = build_chain()
    data = entries[-1]["data"]
    assert data["winner"] == "B-3"
    assert [(r["rank"], r["bidder"], r["amount"]) for r in data["ranking"]] == [
        (1, "B-3", "950.00"),
        (2, "B-1", "960.00"),
        (3, "B-2", "970.00"),
    ]
    # 20 minutes remained at the suspension (10 → 20): close at 40, then the bids at 39 and
    # 40 extended it to 42 and 43.
    assert data["closes_at"] == "2024-05-10T10:43:00.000000Z" and data["extensions"] == 2


def test_canonical_json_refuses_floats_and_unknown_types():
    with pytest.raises(TypeError):
        ledger.canonical_json({"amount": 1.5})
    with pytest.raises(TypeError):
        ledger.canonical_json({"x": object()})
    assert ledger.canonical_json({"b": Decimal("1.50"), "a": "é"}) == '{"a":"é","b":"1.50"}'.encode()


def test_chain_refuses_a_bid_out_of_step_and_unknown_types():
    params, entries, state = build_chain()
    with pytest.raises(ValueError):
        ledger.Chain.bid(entries[2], state.bids[0])
    with pytest.raises(ValueError):
        ledger.Chain.append(entries[-1], "genesis", minutes(50), {})


def test_keys_round_trip_through_pem_and_base64():
    key = ledger.generate_private_key()
    for data in (ledger.private_key_pem(key), ledger.private_key_b64(key)):
        assert ledger.public_key_b64(ledger.load_private_key(data)) == ledger.public_key_b64(key)
    for data in (ledger.public_key_pem(key), ledger.public_key_b64(key), ledger.public_key_pem(key).encode()):
        assert ledger.public_key_b64(ledger.load_public_key(data)) == ledger.public_key_b64(key)
    assert ledger.public_key_pem(key).startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(ValueError):
        ledger.load_public_key(base64.b64encode(b"short"))
    with pytest.raises(ValueError):
        ledger.load_public_key("not base64 !")


def test_receipt_is_signed_and_tamper_evident():
    key = ledger.generate_private_key()
    _, entries, _ = build_chain()
    receipt = ledger.sign_receipt(key, entries[2], LOT)
    assert {k: receipt[k] for k in ("lot", "seq", "bidder", "amount", "at", "hash")} == {
        "lot": LOT,
        "seq": 2,
        "bidder": "B-2",
        "amount": "970.00",
        "at": "2024-05-10T10:05:00.000000Z",
        "hash": entries[2]["hash"],
    }
    public = key.public_key()
    assert ledger.verify_receipt(public, receipt)
    assert ledger.verify_receipt(public, json.loads(json.dumps(receipt)))  # survives a JSON trip
    assert not ledger.verify_receipt(public, receipt | {"amount": "960.00"})
    assert not ledger.verify_receipt(public, receipt | {"signature": "!!"})
    assert not ledger.verify_receipt(ledger.generate_private_key().public_key(), receipt)
    assert not ledger.verify_receipt(public, {"seq": 2})
    with pytest.raises(ValueError):
        ledger.sign_receipt(key, entries[0], LOT)


def test_export_publishes_the_stored_signatures():
    key = ledger.generate_private_key()
    _, entries, _ = build_chain()
    stored = ledger.sign_entries(key, entries)
    doc = ledger.export_ledger(entries, stored, key.public_key())
    assert doc["signatures"] == stored
    assert doc["format"] == "seei-ledger/1"
    assert doc["lot"] == {"ref": LOT}
    assert ledger.load_public_key(doc["public_key"]).public_bytes_raw() == key.public_key().public_bytes_raw()
    assert set(doc["signatures"]) == {str(e["seq"]) for e in entries}
    for entry in doc["entries"]:
        assert ledger.verify_entry_signature(
            key.public_key(), entry["hash"], doc["signatures"][str(entry["seq"])]
        )
    assert not ledger.verify_entry_signature(key.public_key(), entries[1]["hash"], doc["signatures"]["2"])
    json.dumps(doc)  # plain JSON throughout
    with pytest.raises(ValueError):
        ledger.export_ledger(entries[1:], stored, key)
