"""The history a viewer may see, and the replay's price curve (pure functions)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from seei.room.history import history, price_curve

T0 = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)


def bid(seq, bidder, amount, seconds):
    return {
        "seq": seq,
        "type": "bid",
        "at": T0 + timedelta(seconds=seconds),
        "data": {"bidder": bidder, "amount": amount},
    }


ENTRIES = [
    {"seq": 0, "type": "genesis", "at": T0, "data": {}},
    bid(1, "Bidder A1", "590000.00", 10),
    bid(2, "Bidder B2", "585000.00", 20),
    {"seq": 3, "type": "suspend", "at": T0 + timedelta(seconds=25), "data": {}},
    {"seq": 4, "type": "resume", "at": "2026-05-10T10:01:00.000000Z", "data": {}},
    bid(5, "Bidder A1", "584000.00", 70),
    {"seq": 6, "type": "close", "at": T0 + timedelta(minutes=30), "data": {"winner": "Bidder A1"}},
]


def test_with_visibility_all_every_amount_is_shown():
    items = history(ENTRIES, "all")
    assert [item["type"] for item in items] == ["bid", "bid", "suspend", "resume", "bid", "close"]
    assert [item.get("amount") for item in items if item["type"] == "bid"] == [
        "590000.00",
        "585000.00",
        "584000.00",
    ]
    assert items[0] == {
        "seq": 1,
        "type": "bid",
        "at": "2026-05-10T10:00:10.000000Z",
        "pseudonym": "Bidder A1",
        "amount": "590000.00",
    }


def test_with_visibility_best_others_bids_show_the_best_price_and_own_bids_their_amount():
    items = [item for item in history(ENTRIES, "best", viewer="Bidder A1") if item["type"] == "bid"]
    assert items[0]["amount"] == "590000.00"  # own
    assert "amount" not in items[1] and items[1]["best"] == "585000.00"
    assert items[2]["amount"] == "584000.00"
    watcher = [item for item in history(ENTRIES, "best") if item["type"] == "bid"]
    assert [item.get("best") for item in watcher] == ["590000.00", "585000.00", "584000.00"]
    assert not any("amount" in item for item in watcher)


def test_with_visibility_rank_only_who_bid_and_when():
    items = [item for item in history(ENTRIES, "rank", viewer="Bidder B2") if item["type"] == "bid"]
    assert "amount" not in items[0] and "best" not in items[0]
    assert items[1]["amount"] == "585000.00"  # its own
    assert [item["pseudonym"] for item in items] == ["Bidder A1", "Bidder B2", "Bidder A1"]


def test_once_closed_everyone_sees_every_amount():
    items = [item for item in history(ENTRIES, "rank", closed=True) if item["type"] == "bid"]
    assert [item["amount"] for item in items] == ["590000.00", "585000.00", "584000.00"]


def test_the_price_curve_starts_at_the_starting_price_and_steps_down_at_each_new_best():
    bids = [item for item in history(ENTRIES, "all", closed=True) if item["type"] == "bid"]
    curve = price_curve(bids, Decimal("600000.00"), T0, T0 + timedelta(minutes=30), width=700, height=300)
    points = [tuple(map(float, point.split(","))) for point in curve.best_line.split()]
    assert points[0] == (curve.left, 12.0)  # the starting price, at the opening, on top
    assert points[-1][0] == 700 - 16  # to the close
    ys = [y for _x, y in points]
    assert ys == sorted(ys)  # the best price never goes up (y grows downwards)
    assert ys[-1] == curve.bottom  # the lowest bid is at the bottom
    assert [dot["pseudonym"] for dot in curve.dots] == ["Bidder A1", "Bidder B2", "Bidder A1"]
    assert [dot["x"] for dot in curve.dots] == sorted(dot["x"] for dot in curve.dots)


def test_a_curve_without_a_bid_is_a_flat_line():
    curve = price_curve([], Decimal("1000.00"), T0, T0 + timedelta(minutes=5))
    ys = {float(point.split(",")[1]) for point in curve.best_line.split()}
    assert ys == {12.0} and curve.dots == []
