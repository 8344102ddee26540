"""Not a test: per-step time of a close (run explicitly: pytest tests/auctions/measure_close_steps.py -s)."""

import time
from collections import defaultdict
from datetime import timedelta

import pytest

from seei.auctions import services
from seei.transparency import merkle
from seei.transparency.models import LogLeaf, TreeHead

from .conftest import bid, make_auction, open_room

pytestmark = pytest.mark.django_db(transaction=True)
LOTS, PREFILLED = 8, 20_000


def _timed(monkeypatch, module, name, times):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[name].append((time.perf_counter() - start) * 1000)

    monkeypatch.setattr(module, name, wrapper)


def _prefill(lot):
    from seei.tenders.models import Lot

    copies = []
    for i in range(PREFILLED):
        copy = Lot.objects.get(pk=lot.pk)
        copy.pk = None
        copy.number = 1000 + i
        copies.append(copy)
    made = Lot.objects.bulk_create(copies)
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(PREFILLED)]
    LogLeaf.objects.bulk_create(
        LogLeaf(
            index=i,
            lot=made[i],
            lot_ref=f"x{i}",
            seq=1,
            ledger_hash="0" * 64,
            leaf_hash=leaf.hex(),
            appended_at=lot.opens_at,
        )
        for i, leaf in enumerate(leaves)
    )
    TreeHead.objects.create(
        size=PREFILLED, root=merkle.root(leaves).hex(), at=lot.opens_at, prev="0" * 64, signature="x"
    )


def test_close_steps(buyer, category, region, clock, monkeypatch):
    from seei.ocds import hooks
    from seei.transparency import services as transparency

    auctions = [make_auction(buyer, category, region, clock, reference=f"AO-M-{i}") for i in range(LOTS)]
    _prefill(auctions[0].lot)
    for auction in auctions:
        open_room(auction, clock)
    for auction in auctions:
        for i, member in enumerate(auction.bidders):
            bid(auction, member, str(590000 - 1000 * i))
    clock.advance(max(a.room.closes_at for a in auctions) - clock.now() + timedelta(seconds=1))
    times = defaultdict(list)
    for name in (
        "record_close",
        "_tell_closed",
        "log_close",
        "start_award_after_close",
        "notify",
        "after_close",
    ):
        if hasattr(services, name):
            _timed(monkeypatch, services, name, times)
    _timed(monkeypatch, hooks, "publish_now", times)
    _timed(monkeypatch, services.events, "publish_sync", times)
    _timed(monkeypatch, transparency, "append", times)
    for auction in auctions:
        start = time.perf_counter()
        assert services.close_room(auction.lot.pk).status == "closed"
        times["close_room (total, with on-commit)"].append((time.perf_counter() - start) * 1000)
    if hasattr(services, "after_close"):  # after the change: the follow-ups, as the worker runs them
        from tests.conftest import run_after_close_jobs

        run_after_close_jobs()
    print()
    for name, values in times.items():
        values = sorted(values)
        print(
            f"{name:40s} n={len(values):3d} median {values[len(values) // 2]:8.1f} ms  max {values[-1]:8.1f} ms"
        )
