"""The stand-alone verifier: an honest ledger passes, every kind of tampering is named."""

import copy
import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seei.auctions import ledger
from seei.auctions.rules import Accepted, Bid, State, apply_bid, apply_event, format_time, parse_time
from seei.auctions.trusted_key import fingerprint
from seei.auctions.verify import main, verify_ledger
from seei.transparency import heads, merkle

from .test_ledger import LOT, build_chain
from .test_rules import make_params, minutes
from .test_rules_properties import lot_params, run_auction

KEY = ledger.generate_private_key()


def export(entries, key=KEY):
    """A ledger as published, each entry signed by ``key`` as the server signs it when appending."""
    return ledger.export_ledger(entries, ledger.sign_entries(key, entries), key)


@pytest.fixture
def doc():
    _, entries, _ = build_chain()
    return export(entries)


def resign(doc, key=KEY, start=0):
    """Recompute hashes and signatures from ``start`` on, as a forger holding ``key`` would."""
    entries = doc["entries"]
    for i in range(start, len(entries)):
        if i > 0:
            entries[i]["prev_hash"] = entries[i - 1]["hash"]
        entries[i]["hash"] = ledger.entry_hash(entries[i])
    return export(entries, key)


def errors_of(doc, **kwargs):
    report = verify_ledger(doc, **{"public_key": KEY.public_key(), **kwargs})
    assert not report.ok
    return report.errors


def test_honest_ledger_verifies(doc):
    report = verify_ledger(doc, public_key=KEY.public_key())
    assert report.ok, report.errors
    assert report.winner == "B-3" and report.winning_amount == Decimal("950.00")
    assert [r["bidder"] for r in report.ranking] == ["B-3", "B-1", "B-2"]
    assert report.closes_at == minutes(43) and report.closed
    assert report.summary() == (
        "OK: 8 entries, chain intact, signatures valid, winner B-3 at 950.00 MAD, "
        "closed at 2024-05-10T10:43:00.000000Z"
    )


def test_altered_amount_is_named(doc):
    doc["entries"][5]["data"]["amount"] = "900.00"
    errors = errors_of(doc)
    assert "entry 5: hash mismatch (amount or another field was altered)" in errors


def test_altered_amount_with_recomputed_hash_breaks_the_chain_and_signature(doc):
    doc["entries"][5]["data"]["amount"] = "900.00"
    doc["entries"][5]["hash"] = ledger.entry_hash(doc["entries"][5])
    errors = errors_of(doc)
    assert "entry 5: signature invalid" in errors
    assert "entry 6: prev_hash does not match entry 5" in errors


def test_removed_entry_is_named(doc):
    del doc["entries"][2]
    errors = errors_of(doc)
    assert "entry 3: found where entry 2 was expected (an entry is missing or out of order)" in errors
    assert "entry 3: prev_hash does not match entry 1" in errors


def test_reordered_entries_are_named(doc):
    entries = doc["entries"]
    entries[1], entries[2] = entries[2], entries[1]
    errors = errors_of(doc)
    assert "entry 2: found where entry 1 was expected (an entry is missing or out of order)" in errors
    assert "entry 1: prev_hash does not match entry 2" in errors


def test_bad_or_missing_signature_is_named(doc):
    doc["signatures"]["5"] = doc["signatures"]["6"]
    del doc["signatures"]["7"]
    errors = errors_of(doc)
    assert errors == ["entry 5: signature invalid", "entry 7: signature missing"]


def test_ledger_signed_by_another_key(doc):
    forger = ledger.generate_private_key()
    forged = resign(copy.deepcopy(doc), key=forger)
    assert verify_ledger(forged, public_key=forger.public_key()).ok  # consistent in itself...
    errors = errors_of(forged)  # ...but not the platform's
    assert errors[0].startswith("the ledger names another signing key (fingerprint ")
    assert errors[0].endswith(
        "than the platform's trusted key ("
        + fingerprint(KEY.public_key())
        + "): it was not signed by the platform"
    )
    assert "entry 0: signature invalid" in errors


def test_public_key_swapped_in_the_document(doc):
    doc["public_key"] = ledger.public_key_pem(ledger.generate_private_key())
    assert errors_of(doc) == [errors_of(doc)[0]] and "another signing key" in errors_of(doc)[0]


def test_unreadable_public_key(doc):
    doc["public_key"] = "garbage"
    assert "the ledger's public key is missing or unreadable" in errors_of(doc)


def test_bid_against_the_rules_is_named_even_when_signed():
    # A server bug (or a key thief) records a bid the rules refuse: signatures cannot hide it.
    _, entries, state = build_chain()
    entries = entries[:-1]
    bad = Bid(seq=entries[-1]["seq"] + 1, bidder="B-2", amount=Decimal("965.00"), at=minutes(40.5))
    entries.append(ledger.Chain.bid(entries[-1], bad))
    doc = resign({"entries": entries})
    errors = errors_of(doc, require_close=False)
    assert errors == [
        "entry 7: bid refused by the rules: decrement_too_small "
        "(The decrease is too small: your bid must be at most 960.00\u00a0MAD.)"
    ]


def test_close_entry_with_another_winner_is_named(doc):
    data = doc["entries"][-1]["data"]
    data["winner"] = "B-1"
    data["closes_at"] = "2024-05-10T10:40:00.000000Z"
    errors = errors_of(resign(doc))
    assert errors == [
        "close entry: winner differs from the recomputed winner (recorded 'B-1', the rules give 'B-3')",
        "close entry: closing time differs from the recomputed one "
        "(recorded '2024-05-10T10:40:00.000000Z', the rules give '2024-05-10T10:43:00.000000Z')",
    ]


def test_close_entry_with_another_ranking_is_named(doc):
    ranking = doc["entries"][-1]["data"]["ranking"]
    ranking[1], ranking[2] = ranking[2], ranking[1]
    assert errors_of(resign(doc)) == ["close entry: ranking differs from the recomputed ranking"]


def test_close_before_the_closing_time_is_named(doc):
    doc["entries"][-1]["at"] = "2024-05-10T10:42:00.000000Z"
    errors = errors_of(resign(doc))
    assert errors[0].startswith("entry 7: close refused by the rules: not_due")


def test_entries_after_the_close_and_missing_close():
    _, entries, _ = build_chain()
    after = ledger.Chain.append(entries[-1], "suspend", minutes(50), {})
    assert "entry 8: recorded after the close" in errors_of(resign({"entries": [*entries, after]}))
    cut = resign({"entries": entries[:-1]})
    assert errors_of(cut) == [
        "the ledger has no close entry (the auction is not finished, or the ledger was cut)"
    ]
    report = verify_ledger(cut, public_key=KEY.public_key(), require_close=False)
    assert report.ok and "not closed yet" in report.summary()


def test_parameters_frozen_after_opening_are_named():
    _, entries, _ = build_chain()
    entries[0]["at"] = "2024-05-10T10:00:00.000001Z"
    assert "entry 0: the parameters were frozen after the room opened" in errors_of(
        resign({"entries": entries})
    )


def test_garbage_documents_do_not_crash():
    assert errors_of([]) == ["the document is not a JSON object"]
    assert "the ledger has no entries" in errors_of({"format": "seei-ledger/1", "entries": []})
    assert errors_of({"format": "other", "entries": [{"seq": 0}], "signatures": {}})
    _, entries, _ = build_chain()
    entries[0]["data"]["params"]["starting_price"] = 1000.0  # a float where a string is due
    errors = errors_of(export(entries))
    assert (
        "entry 0: not canonical (floats are not allowed in the ledger: encode amounts as Decimal strings)"
        in errors
    )
    assert any("entry 0: the lot parameters are unreadable" in e for e in errors)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(
    position=st.integers(0, 7),
    path=st.lists(
        st.sampled_from(
            [
                "seq",
                "type",
                "at",
                "data",
                "prev_hash",
                "hash",
                "params",
                "amount",
                "bidder",
                "ranking",
                "winner",
                "closes_at",
                "starting_price",
                "bidders",
            ]
        ),
        min_size=1,
        max_size=3,
    ),
    value=JSON_VALUES,
)
def test_any_tampering_is_reported_without_crashing(position, path, value):
    _, entries, _ = build_chain()
    doc = json.loads(json.dumps(export(entries)))
    target = doc["entries"][position]
    for key in path[:-1]:  # walk down as far as the path exists
        if not isinstance(target.get(key), dict):
            break
        target = target[key]
    if target.get(path[-1], object()) == value:
        return
    target[path[-1]] = value
    report = verify_ledger(doc, public_key=KEY.public_key())
    assert not report.ok and report.errors


@settings(max_examples=50, deadline=None)
@given(params=lot_params(), data=st.data())
def test_any_ledger_written_by_the_rules_verifies(params, data):
    run = run_auction(data, params, max_steps=25)
    entries = [ledger.Chain.genesis(LOT, params, params.opens_at - timedelta(days=1))]
    for event in run.events:
        if event["type"] == "close":
            state = run.state
            entries.append(ledger.Chain.close(entries[-1], state, event["at"]))
        else:
            entries.append(ledger.Chain.append(entries[-1], event["type"], event["at"], event["data"]))
    report = verify_ledger(export(entries), public_key=KEY.public_key())
    assert report.ok, report.errors
    assert report.winner == (run.state.winner().bidder if run.state.bids else None)
    assert report.closes_at == run.state.closes_at


# --- the command line -----------------------------------------------------------------------------


def write(tmp_path, name, obj):
    path = tmp_path / name
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def platform_key(tmp_path):
    path = tmp_path / "seei.pem"
    path.write_text(ledger.public_key_pem(KEY))
    return str(path)


def logged(doc, key=KEY, before=2, after=3):
    """``doc`` with the proof that its final entry is leaf ``before`` of a log of other lots, under a
    head signed by ``key``, as the platform's export carries it."""
    leaves = [merkle.leaf_hash(b"lot %d" % i) for i in range(before)]
    leaves += [heads.ledger_leaf(doc["entries"])]
    leaves += [merkle.leaf_hash(b"later lot %d" % i) for i in range(after)]
    body = heads.head_body(len(leaves), merkle.root(leaves), minutes(120), heads.FIRST_PREV)
    doc["transparency"] = {
        "leaf_index": before,
        "tree_size": len(leaves),
        "proof": [value.hex() for value in merkle.inclusion_proof(before, leaves)],
        "head": ledger.sign_document(key, body),
    }
    return doc


def test_a_closed_ledger_without_its_log_proof_is_refused_by_the_command(doc, tmp_path, platform_key, capsys):
    assert main([write(tmp_path, "ledger.json", doc), "--public-key", platform_key]) == 1
    assert "transparency log: the ledger carries no proof that its final entry is in the log" in (
        capsys.readouterr().out
    )


def test_the_log_proof_is_checked(doc):
    report = verify_ledger(logged(copy.deepcopy(doc)), public_key=KEY.public_key(), require_log=True)
    assert report.ok, report.errors
    assert report.log_index == 2 and report.log_head["size"] == 6
    assert report.summary().splitlines()[1].startswith("In the transparency log: leaf 2 of 6, under the head")

    def problem(change):
        changed = logged(copy.deepcopy(doc))
        change(changed["transparency"])
        return errors_of(changed)

    assert problem(lambda p: p["head"].update(size=7)) == [
        "transparency log: the tree head is not signed by the platform's key"
    ]
    other = ledger.generate_private_key()
    assert problem(lambda p: p.update(head=ledger.sign_document(other, p["head"] | {}))) == [
        "transparency log: the tree head is not signed by the platform's key"
    ]
    assert problem(lambda p: p.update(leaf_index=3)) == [
        "transparency log: this ledger's final entry is not leaf 3 of the log of 6 under the signed head: "
        "the ledger was rewritten after its close, or the proof is wrong"
    ]
    assert problem(lambda p: p.update(proof=["zz"])) == [
        "transparency log: the proof of inclusion is malformed"
    ]
    assert problem(lambda p: p.pop("tree_size")) == ["transparency log: the proof of inclusion is malformed"]


def test_a_closed_auction_rewritten_and_re_signed_by_the_operator_is_refused(doc):
    """Whoever holds the platform's key (the operator) swaps the winner and signs every entry again:
    chain and signatures hold, but the final hash is no longer the one the signed log holds."""
    published = logged(copy.deepcopy(doc))
    rewritten, new_winner = swap_two_best(copy.deepcopy(published), KEY)
    rewritten["transparency"] = published["transparency"]  # the log's proof, as the platform serves it
    report = verify_ledger(rewritten, public_key=KEY.public_key(), require_log=True)
    assert report.winner == new_winner
    assert report.errors == [
        "transparency log: this ledger's final entry is not leaf 2 of the log of 6 under the signed head: "
        "the ledger was rewritten after its close, or the proof is wrong"
    ]


def swap_two_best(doc, key):
    """Issue 13's forgery: the two best pseudonyms swapped in every bid and in the close entry,
    re-hashed and re-signed with a fresh key written into ``public_key``."""
    first, second = (line["bidder"] for line in doc["entries"][-1]["data"]["ranking"][:2])
    swap = {first: second, second: first}
    for entry in doc["entries"]:
        if entry["type"] == "bid":
            entry["data"]["bidder"] = swap.get(entry["data"]["bidder"], entry["data"]["bidder"])
        if entry["type"] == "close":
            entry["data"]["winner"] = swap[entry["data"]["winner"]]
            for line in entry["data"]["ranking"]:
                line["bidder"] = swap.get(line["bidder"], line["bidder"])
    return resign(doc, key=key), second


def test_cli_ok_prints_the_fingerprint_of_the_key_it_checked_with(doc, tmp_path, platform_key, capsys):
    assert main([write(tmp_path, "ledger.json", logged(doc)), "--public-key", platform_key]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0]
        == f"Platform key: SHA-256 fingerprint {fingerprint(KEY.public_key())} (from file {platform_key})"
    )
    assert fingerprint(KEY.public_key()) == hashlib.sha256(KEY.public_key().public_bytes_raw()).hexdigest()
    assert out[1].startswith("OK: 8 entries, chain intact, signatures valid, winner B-3")


def test_a_ledger_re_signed_with_the_forgers_key_is_refused(doc, tmp_path, platform_key, capsys):
    """Issue 13's finding: `seei verify ledger.json` printed OK with the forged winner and exited 0."""
    forger = ledger.generate_private_key()
    forged, new_winner = swap_two_best(copy.deepcopy(doc), forger)
    assert verify_ledger(forged, public_key=forger.public_key()).winner == new_winner  # a good forgery
    path = write(tmp_path, "ledger.json", forged)

    assert main([path]) == 2  # the key inside the file never suffices
    out = capsys.readouterr().out
    assert out.startswith("FAILED: no trusted key: the key written inside a ledger file proves nothing")
    assert "--site https://PLATFORM" in out and "--pin" in out and "OK" not in out

    assert main([path, "--public-key", platform_key]) == 1
    out = capsys.readouterr().out
    assert "the ledger names another signing key" in out and "entry 0: signature invalid" in out


def test_the_trust_file_pins_the_platform_key(doc, tmp_path, platform_key, capsys):
    path = write(tmp_path, "ledger.json", logged(doc))
    trust = tmp_path / "config" / "seei" / "ledger-key.pem"  # the default place
    assert main([path, "--public-key", platform_key, "--pin"]) == 0
    assert (
        ledger.load_public_key(trust.read_bytes()).public_bytes_raw() == KEY.public_key().public_bytes_raw()
    )
    assert trust.stat().st_mode & 0o777 == 0o600
    capsys.readouterr()
    assert main([path]) == 0  # no key given: the pinned one
    assert f"(from file {trust})" in capsys.readouterr().out

    other = tmp_path / "other.pem"
    other.write_text(ledger.public_key_pem(ledger.generate_private_key()))
    assert main([path, "--public-key", str(other)]) == 2  # another key than the pinned one
    assert f"is not the key pinned in {trust}" in capsys.readouterr().out
    forged, _ = swap_two_best(copy.deepcopy(doc), ledger.generate_private_key())
    assert main([write(tmp_path, "forged.json", forged)]) == 1

    elsewhere = tmp_path / "mine.pem"  # --trust names another trust file
    assert main([path, "--trust", str(elsewhere)]) == 2
    elsewhere.write_text(ledger.public_key_b64(KEY))
    assert main([path, "--trust", str(elsewhere)]) == 0


@pytest.fixture
def key_server():
    """A local HTTP server publishing the platform key as the site does (PEM) and as the API does (JSON)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from seei.auctions.trusted_key import WELL_KNOWN_PATH

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            bodies = {
                WELL_KNOWN_PATH: ledger.public_key_pem(KEY).encode(),
                "/api/v1/ledger/public-key": json.dumps({"public_key": ledger.public_key_pem(KEY)}).encode(),
            }
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_key_is_fetched_from_the_platforms_address(doc, tmp_path, key_server, capsys):
    path = write(tmp_path, "ledger.json", logged(doc))
    assert main([path, "--site", key_server + "/"]) == 0
    out = capsys.readouterr().out
    assert f"{fingerprint(KEY.public_key())} (from {key_server}/.well-known/seei/ledger-key.pem)" in out
    assert main([path, "--key-url", key_server + "/api/v1/ledger/public-key"]) == 0
    forged, _ = swap_two_best(copy.deepcopy(doc), ledger.generate_private_key())
    assert main([write(tmp_path, "forged.json", forged), "--site", key_server]) == 1
    capsys.readouterr()
    assert main([path, "--key-url", key_server + "/nothing"]) == 2
    assert main([path, "--key-url", "file:///etc/passwd"]) == 2
    out = capsys.readouterr().out
    assert (
        f"FAILED: cannot fetch the platform's key: cannot fetch {key_server}/nothing: HTTP Error 404" in out
    )
    assert "the key address must start with https://" in out


def test_cli_tampered(doc, tmp_path, platform_key, capsys):
    doc["entries"][5]["data"]["amount"] = "900.00"
    assert main([write(tmp_path, "ledger.json", doc), "--public-key", platform_key]) == 1
    out = capsys.readouterr().out
    assert "FAILED:" in out and "entry 5: hash mismatch" in out


def test_cli_unreadable_input(tmp_path, platform_key, capsys):
    assert main([str(tmp_path / "missing.json"), "--public-key", platform_key]) == 1
    (tmp_path / "bad.json").write_text("{not json")
    assert main([str(tmp_path / "bad.json"), "--public-key", platform_key]) == 1
    assert capsys.readouterr().out.count("FAILED: cannot read") == 2
    assert main([write(tmp_path, "ledger.json", {}), "--public-key", str(tmp_path / "none.pem")]) == 2
    assert "FAILED: cannot read the key file" in capsys.readouterr().out


def test_cli_receipts(doc, tmp_path, platform_key, capsys):
    path = write(tmp_path, "ledger.json", logged(copy.deepcopy(doc)))
    key = ["--public-key", platform_key]
    receipt = ledger.sign_receipt(KEY, doc["entries"][5], LOT)
    assert main([path, *key, "--receipt", write(tmp_path, "r.json", receipt)]) == 0
    assert "bid 5 is in the ledger" in capsys.readouterr().out
    forged = receipt | {"amount": "900.00"}
    assert main([path, *key, "--receipt", write(tmp_path, "forged.json", forged)]) == 1
    assert "receipt: signature invalid" in capsys.readouterr().out
    # A receipt the server signed but then left out of the published ledger.
    doc["entries"] = doc["entries"][:5]
    short = write(tmp_path, "short.json", resign(doc))
    assert main([short, *key, "--allow-open", "--receipt", write(tmp_path, "r.json", receipt)]) == 1
    assert "receipt: entry 5 is missing from the ledger" in capsys.readouterr().out


def test_entries_whose_time_goes_backwards_are_refused():
    """Issue 13's finding: seq 20 moved two seconds before seq 19, re-signed: the verifier said OK."""
    params = make_params(closes_at=minutes(60))
    entries = [ledger.Chain.genesis(LOT, params, minutes(-60))]
    state = State.initial(params)
    for n in range(24):
        result = apply_bid(params, state, f"B-{n % 3 + 1}", Decimal(990 - 10 * n), minutes(1 + n / 2))
        assert isinstance(result, Accepted), result
        state = result.state
        entries.append(ledger.Chain.bid(entries[-1], result.bid))
    entries.append(ledger.Chain.close(entries[-1], state, state.closes_at))
    assert verify_ledger(export(entries), public_key=KEY.public_key()).ok

    entries[20]["at"] = format_time(parse_time(entries[19]["at"]) - timedelta(seconds=2))
    replayed = State.initial(params)  # the forger recomputes the close from the moved bid too
    for entry in entries[1:-1]:
        replayed = apply_event(params, replayed, entry)
    entries[-1]["data"] = ledger.close_data(replayed)
    forged = resign({"entries": entries})
    errors = errors_of(forged)
    assert (
        f"entry 20: recorded at {entries[20]['at']}, before the entry before it ({entries[19]['at']})"
        in errors
    )


@pytest.fixture
def log_server():
    """A local platform serving its key, lot 7's proof of inclusion (``server.published``) and the
    consistency proofs of ``server.leaves`` (the log as the
    platform holds it now: a test may extend it honestly or rebuild it)."""
    import threading
    import types
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlparse

    from seei.auctions.trusted_key import WELL_KNOWN_PATH

    state = types.SimpleNamespace(leaves=[], url="", published=None)  # lot 7's proof, when published

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            if url.path == WELL_KNOWN_PATH:
                body = ledger.public_key_pem(KEY).encode()
            elif url.path == "/api/v1/transparency/lots/7/inclusion" and state.published is not None:
                body = json.dumps(state.published["transparency"]).encode()
            elif url.path == "/api/v1/transparency/consistency":
                query = {k: int(v[0]) for k, v in parse_qs(url.query).items()}
                proof = merkle.consistency_proof(query["first"], state.leaves[: query["second"]])
                body = json.dumps({"proof": [value.hex() for value in proof]}).encode()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def published_under(doc, leaves, key=KEY):
    """``doc`` (whose final entry is one of ``leaves``) with its proof under a head of ``leaves``."""
    index = leaves.index(heads.ledger_leaf(doc["entries"]))
    body = heads.head_body(len(leaves), merkle.root(leaves), minutes(100 + len(leaves)), heads.FIRST_PREV)
    doc["transparency"] = {
        "leaf_index": index,
        "tree_size": len(leaves),
        "proof": [value.hex() for value in merkle.inclusion_proof(index, leaves)],
        "head": ledger.sign_document(key, body),
    }
    return doc


def test_a_log_rebuilt_by_its_operator_disagrees_with_the_head_seen_before(doc, tmp_path, log_server, capsys):
    """The operator rebuilds the whole log and signs every head again: each ledger still verifies on its
    own, but the new heads do not extend the one this verifier saw before."""
    mine = heads.ledger_leaf(doc["entries"])
    others = [merkle.leaf_hash(b"lot %d" % i) for i in range(6)]
    log_server.leaves = [others[0], mine, others[1], others[2]]
    site = ["--site", log_server.url]
    assert (
        main([write(tmp_path, "a.json", published_under(copy.deepcopy(doc), log_server.leaves)), *site]) == 0
    )
    seen = tmp_path / "config" / "seei" / "log-head.json"
    assert json.loads(seen.read_text())["size"] == 4

    log_server.leaves = [*log_server.leaves, others[3]]  # honestly extended
    assert (
        main([write(tmp_path, "b.json", published_under(copy.deepcopy(doc), log_server.leaves)), *site]) == 0
    )
    assert "consistent with the head of 4 leaves seen before" in capsys.readouterr().out
    assert json.loads(seen.read_text())["size"] == 5

    log_server.leaves = [others[4], mine, others[1], others[2], others[3], others[5]]  # rebuilt, re-signed
    rebuilt = write(tmp_path, "c.json", published_under(copy.deepcopy(doc), log_server.leaves))
    assert verify_ledger(
        json.loads(Path(rebuilt).read_text()), public_key=KEY.public_key(), require_log=True
    ).ok
    assert main([rebuilt, *site]) == 1
    assert (
        "FAILED: transparency log: the log of 6 leaves does not extend the log of 5 leaves seen before"
        in capsys.readouterr().out
    )
    assert json.loads(seen.read_text())["size"] == 5  # the rewritten head is not remembered
    assert main([rebuilt, "--public-key", write_key(tmp_path)]) == 0  # offline: said, not compared
    assert "not compared with the head of 5 leaves seen before (give --site)" in capsys.readouterr().out


def test_a_ledger_downloaded_without_its_proof_gets_it_from_the_site(doc, tmp_path, log_server, capsys):
    log_server.leaves = [merkle.leaf_hash(b"lot 0"), heads.ledger_leaf(doc["entries"])]
    doc["lot"]["id"] = 7
    log_server.published = published_under(copy.deepcopy(doc), log_server.leaves)
    assert main([write(tmp_path, "bare.json", doc), "--site", log_server.url]) == 0
    assert "In the transparency log: leaf 1 of 2" in capsys.readouterr().out
    log_server.published = None  # the site has no proof: the closed auction is refused
    assert main([write(tmp_path, "bare.json", doc), "--site", log_server.url]) == 1
    out = capsys.readouterr().out
    assert "Transparency log: no proof fetched" in out and "carries no proof" in out


def write_key(tmp_path):
    path = tmp_path / "platform.pem"
    path.write_text(ledger.public_key_pem(KEY))
    return str(path)
