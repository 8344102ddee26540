"""What a viewer may see of a lot's past: the bid history and the replay's price curve.

Pure functions over ledger entries (``{"seq", "type", "at", "data"}``), so the Django pages,
the room app and the tests read them the same way. Pseudonyms only, never an identity.

While the auction runs, the lot's visibility decides what the history shows of a bid:
- ``all``: every amount;
- ``best``: the best price after each bid;
- ``rank``: that a bidder bid, and when.
A bidder always sees its own amounts. Once the room is closed, everyone sees every amount
(the anonymised ledger is public then).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from seei.auctions.rules import format_decimal, format_time, parse_decimal, parse_time


def _time(value: Any) -> datetime:
    return parse_time(value) if isinstance(value, str) else value


def history(
    entries: Iterable[Mapping[str, Any]],
    visibility: str,
    viewer: str | None = None,
    closed: bool = False,
    best: tuple[Decimal, datetime, int] | None = None,
) -> list[dict[str, Any]]:
    """The visibility-filtered events of a room, oldest first. ``entries`` may start later than the
    genesis: ``best`` is then the best bid before them, as (amount, at, seq)."""
    items: list[dict[str, Any]] = []
    for entry in entries:
        kind = entry["type"]
        if kind == "genesis":
            continue
        at = _time(entry["at"])
        item: dict[str, Any] = {"seq": entry["seq"], "type": kind, "at": format_time(at)}
        if kind == "bid":
            data = entry["data"]
            amount = parse_decimal(data["amount"])
            # A bidder's bids strictly decrease, so the lowest bid ever is the best current one.
            key = (amount, at, entry["seq"])
            best = key if best is None or key < best else best
            item["pseudonym"] = data["bidder"]
            if closed or visibility == "all" or data["bidder"] == viewer:
                item["amount"] = format_decimal(amount)
            elif visibility == "best":
                item["best"] = format_decimal(best[0])
        items.append(item)
    return items


# --- the replay's price curve -------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    width: int
    height: int
    best_line: str  # SVG polyline points: the best price over time (a step line)
    dots: list[dict[str, Any]]  # one per bid: x, y, pseudonym, amount, at
    y_ticks: list[dict[str, Any]]  # y, amount
    x_ticks: list[dict[str, Any]]  # x, at
    left: int
    bottom: int


def price_curve(
    bids: list[Mapping[str, Any]],
    starting_price: Decimal,
    start: datetime,
    end: datetime,
    width: int = 720,
    height: int = 320,
) -> Curve:
    """Coordinates for an inline SVG: time on x (start..end), price on y (starting price on top)."""
    left, right, top, bottom = 90, 16, 12, height - 28
    amounts = [parse_decimal(bid["amount"]) for bid in bids]
    low = min(amounts, default=starting_price)
    span_price = (starting_price - low) or (starting_price / 10) or Decimal(1)
    low = starting_price - span_price
    span_time = max((end - start).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return left + (width - left - right) * min(max((at - start).total_seconds() / span_time, 0), 1)

    def y(amount: Decimal) -> float:
        return top + float((starting_price - amount) / span_price) * (bottom - top)

    points = [(x(start), y(starting_price))]
    best = starting_price
    dots = []
    for bid, amount in zip(bids, amounts, strict=True):
        at = _time(bid["at"])
        dots.append(
            {
                "x": round(x(at), 1),
                "y": round(y(amount), 1),
                "pseudonym": bid["pseudonym"],
                "amount": amount,
                "at": at,
            }
        )
        if amount < best:
            points += [(x(at), y(best)), (x(at), y(amount))]
            best = amount
    points.append((x(end), y(best)))
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    y_ticks = [
        {"y": round(y(value), 1), "amount": value}
        for value in (starting_price, (starting_price + low) / 2, low)
    ]
    x_ticks = [{"x": round(x(moment), 1), "at": moment} for moment in (start, start + (end - start) / 2, end)]
    return Curve(width, height, line, dots, y_ticks, x_ticks, left, bottom)
