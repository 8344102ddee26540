"""The transparency log: appended at each real close, never a practice one; append-only in the
database; its heads signed and chained; its proofs served; seei verify and the accountant check it."""

import json

import pytest
from django.db import DatabaseError, transaction

from seei.auctions import signing
from seei.auctions.selectors import ledger_document
from seei.auctions.verify import main, verify_ledger
from seei.transparency import heads, merkle
from seei.transparency.models import LogLeaf, TreeHead
from tests.awards.conftest import close_auction
from tests.conftest import Client


def platform_key():
    return signing.private_key().public_key()


@pytest.fixture
def two_closed(buyer, category, region, clock):
    first = close_auction(buyer, category, region, clock, reference="AO-LOG-001")
    second = close_auction(buyer, category, region, clock, reference="AO-LOG-002")
    return first, second


def test_each_close_appends_a_leaf_and_a_signed_head_naming_the_previous_one(two_closed):
    first, second = two_closed
    leaves = list(LogLeaf.objects.order_by("index"))
    assert [(leaf.index, leaf.lot_id) for leaf in leaves] == [(0, first.lot.pk), (1, second.lot.pk)]
    for leaf, closed in zip(leaves, two_closed, strict=True):
        room = closed.room
        assert (leaf.lot_ref, leaf.seq, leaf.ledger_hash) == (room.ref, room.seq, room.last_hash)
        assert leaf.leaf_hash == merkle.leaf_hash(heads.leaf_data(room.ref, room.seq, room.last_hash)).hex()
    one, two = (head.as_head() for head in TreeHead.objects.order_by("size"))
    assert (one["size"], one["prev"]) == (1, heads.FIRST_PREV)
    assert (two["size"], two["prev"]) == (2, heads.head_hash(one))
    assert two["root"] == merkle.root([bytes.fromhex(leaf.leaf_hash) for leaf in leaves]).hex()
    assert heads.head_is_signed(platform_key(), one) and heads.head_is_signed(platform_key(), two)


def test_a_practice_lot_is_never_in_the_log(buyer, category, region, clock, monkeypatch):
    from seei.auctions.models import Room
    from seei.transparency import services

    # Closed without the log, so that only the practice rule (not "already in the log") keeps it out.
    with monkeypatch.context() as without_the_log:
        without_the_log.setattr(services, "append", lambda room, at: None)
        closed = close_auction(buyer, category, region, clock, reference="AO-LOG-P")
    room = Room.objects.get(lot=closed.lot)
    room.params = {**room.params, "practice": True}  # as a practice lot's genesis says
    room.save(update_fields=["params"])
    with transaction.atomic():
        assert services.append(room, clock.now()) is None
    assert services.append_missing() == 0  # nor by the backfill of lots closed before the log
    assert not LogLeaf.objects.exists() and not TreeHead.objects.exists()


def test_the_log_is_append_only_in_the_database(two_closed):
    for change in (
        lambda: LogLeaf.objects.filter(index=0).update(ledger_hash="0" * 64),
        lambda: LogLeaf.objects.filter(index=1).delete(),
        lambda: TreeHead.objects.filter(size=2).update(root="0" * 64),
        lambda: TreeHead.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="the transparency log is append-only"):
            with transaction.atomic():
                change()
    assert LogLeaf.objects.count() == 2 and TreeHead.objects.count() == 2


def test_the_export_carries_the_proof_and_verify_checks_it(two_closed, tmp_path, capsys):
    first, _ = two_closed
    document = ledger_document(first.room)
    proof = document["transparency"]
    assert (proof["leaf_index"], proof["tree_size"], proof["head"]["size"]) == (0, 2, 2)
    report = verify_ledger(document, public_key=platform_key(), require_log=True)
    assert report.ok, report.errors
    path, key = tmp_path / "ledger.json", tmp_path / "seei.pem"
    path.write_text(json.dumps(document))
    key.write_text(signing.public_key_pem())
    assert main([str(path), "--public-key", str(key)]) == 0
    assert "In the transparency log: leaf 0 of 2, under the head signed at" in capsys.readouterr().out


def test_the_operator_cannot_rewrite_a_closed_auction_and_sign_it_again(
    buyer, category, region, clock, accountant, tmp_path, capsys
):
    """Issue 13: even holding the key, a rewritten closed auction no longer has its final hash in the log."""
    from seei.awards import services
    from tests.auctions.forge import delete_winning_bid
    from tests.awards.conftest import finalise

    first = close_auction(buyer, category, region, clock, reference="AO-LOG-001")
    award = finalise(first)
    close_auction(buyer, category, region, clock, reference="AO-LOG-002")  # the log goes on
    delete_winning_bid(first.room, key=signing.private_key())
    report = services.verify(accountant, award)
    assert not report.ok
    assert report.errors == [
        "transparency log: this ledger's final entry is not leaf 0 of the log of 2 under the signed head: "
        "the ledger was rewritten after its close, or the proof is wrong"
    ]
    path, key = tmp_path / "ledger.json", tmp_path / "seei.pem"
    path.write_text(json.dumps(ledger_document(first.room)))
    key.write_text(signing.public_key_pem())
    assert main([str(path), "--public-key", str(key)]) == 1
    assert "this ledger's final entry is not leaf 0" in capsys.readouterr().out


def test_the_json_endpoints(two_closed):
    first, second = two_closed
    api = Client(HTTP_ACCEPT_LANGUAGE="en")
    latest = api.get("/api/v1/transparency/heads/latest").json()
    assert latest == TreeHead.objects.get(size=2).as_head()
    assert api.get("/api/v1/transparency/heads/1").json() == TreeHead.objects.get(size=1).as_head()
    assert api.get("/api/v1/transparency/heads/3").status_code == 404

    proof = api.get(f"/api/v1/transparency/lots/{second.lot.pk}/inclusion").json()
    leaf = bytes.fromhex(LogLeaf.objects.get(lot=second.lot).leaf_hash)
    path = [bytes.fromhex(value) for value in proof["proof"]]
    assert merkle.verify_inclusion(1, 2, leaf, path, bytes.fromhex(latest["root"]))
    early = api.get(f"/api/v1/transparency/lots/{first.lot.pk}/inclusion?size=1").json()
    assert early["tree_size"] == 1 and early["proof"] == []
    assert api.get(f"/api/v1/transparency/lots/{second.lot.pk}/inclusion?size=1").status_code == 404
    assert api.get("/api/v1/transparency/lots/999999/inclusion").status_code == 404

    consistency = api.get("/api/v1/transparency/consistency?first=1&second=2").json()
    old, new = consistency["first"], consistency["second"]
    assert merkle.verify_consistency(
        1,
        2,
        bytes.fromhex(old["root"]),
        bytes.fromhex(new["root"]),
        [bytes.fromhex(p) for p in consistency["proof"]],
    )
    refused = api.get("/api/v1/transparency/consistency?first=2&second=1")
    assert refused.status_code == 400 and "must not exceed" in refused.json()["detail"]
    assert api.get("/api/v1/transparency/consistency?first=x&second=1").status_code in (400, 422)

    leaves = api.get("/api/v1/transparency/leaves?start=0&end=5").json()
    assert [leaf["lot"] for leaf in leaves] == [first.room.ref, second.room.ref]
    assert api.get("/api/v1/transparency/leaves?start=0&end=5000").status_code == 400


def test_the_open_data_page_links_the_log(two_closed):
    page = Client().get("/en/statistics/").content.decode()
    assert 'href="/api/v1/transparency/heads/latest"' in page


@pytest.mark.django_db(transaction=True)
def test_workers_closing_at_once_append_one_after_the_other(buyer, category, region, clock):
    """Four lots closed by four workers at the same moment: four leaves, four chained heads, no clash."""
    import threading

    from django.db import connection

    from seei.auctions import services
    from tests.auctions.conftest import make_auction, open_room

    auctions = [make_auction(buyer, category, region, clock, reference=f"AO-LOG-RACE-{i}") for i in range(4)]
    for auction in auctions:
        open_room(auction, clock)
    clock.advance(max(a.room.closes_at for a in auctions) - clock.now())
    barrier, outcomes = threading.Barrier(4), []

    def close(lot_id):
        try:
            barrier.wait(10)
            outcomes.append(services.close_room(lot_id).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(a.lot.pk,)) for a in auctions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == ["closed"] * 4
    assert sorted(LogLeaf.objects.values_list("index", flat=True)) == [0, 1, 2, 3]
    chain = [head.as_head() for head in TreeHead.objects.order_by("size")]
    assert [head["size"] for head in chain] == [1, 2, 3, 4]
    for previous, head in zip(chain, chain[1:], strict=False):
        assert head["prev"] == heads.head_hash(previous) and heads.head_is_signed(platform_key(), head)
    leaves = [bytes.fromhex(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]
    assert chain[-1]["root"] == merkle.root(leaves).hex()


def test_lots_closed_before_the_log_existed_are_appended_once(buyer, category, region, clock, monkeypatch):
    from django.core.management import call_command

    from seei.transparency import services

    with monkeypatch.context() as before_the_log:  # closes of a version without the log
        before_the_log.setattr(services, "append", lambda room, at: None)
        first = close_auction(buyer, category, region, clock, reference="AO-LOG-001")
        second = close_auction(buyer, category, region, clock, reference="AO-LOG-002")
    assert not LogLeaf.objects.exists()
    call_command("log_closed_lots")
    assert list(LogLeaf.objects.order_by("index").values_list("lot_id", flat=True)) == [
        first.lot.pk,
        second.lot.pk,
    ]
    assert services.append_missing() == 0 and TreeHead.objects.count() == 2
    assert verify_ledger(ledger_document(first.room), public_key=platform_key(), require_log=True).ok


def test_an_append_reads_no_leaf_but_after_a_head_without_frontier(
    buyer, category, region, clock, monkeypatch
):
    from types import SimpleNamespace

    from seei.transparency import services

    class HeadsWithoutFrontier:  # the heads of a version that kept no frontier
        def order_by(self, *fields):
            return TreeHead.objects.order_by(*fields)

        def create(self, frontier, **fields):
            return TreeHead.objects.create(**fields)

    with monkeypatch.context() as before:
        before.setattr(services, "TreeHead", SimpleNamespace(objects=HeadsWithoutFrontier()))
        for i in range(3):
            close_auction(buyer, category, region, clock, reference=f"AO-LOG-00{i}")
    assert list(TreeHead.objects.values_list("frontier", flat=True)) == [None, None, None]
    close_auction(buyer, category, region, clock, reference="AO-LOG-003")  # computes it from the leaves, once
    with monkeypatch.context() as no_leaves:
        no_leaves.setattr(merkle, "frontier", lambda leaves: pytest.fail("read every leaf"))
        close_auction(buyer, category, region, clock, reference="AO-LOG-004")
    leaves = [bytes.fromhex(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]
    assert [head.root for head in TreeHead.objects.order_by("size")] == [
        merkle.root(leaves[:size]).hex() for size in range(1, 6)
    ]
    assert TreeHead.objects.get(size=5).frontier == [subtree.hex() for subtree in merkle.frontier(leaves)]
