"""Figures: percentiles, the result records of results.json and the printed table."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of unsorted values; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Figure:
    """One line of results.json: a measured value beside its baseline (same run, same harness)."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None  # value / baseline
    note: str = ""

    def __post_init__(self) -> None:
        self.value = _round(self.value)
        if self.baseline is not None:
            self.baseline = _round(self.baseline)
            if self.baseline and self.ratio is None and _finite(self.value) and _finite(self.baseline):
                self.ratio = round(self.value / self.baseline, 3)

    def as_json(self) -> dict:
        data = asdict(self)
        if not data["note"]:
            del data["note"]
        for key in ("value", "baseline", "ratio"):
            if isinstance(data[key], float) and not math.isfinite(data[key]):
                data[key] = None  # JSON has no NaN
        return data


def _finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _round(value):
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 3 if abs(value) < 100 else 1)
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "unit", "baseline", "ratio")]
    for figure in figures:
        ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}"
        rows.append((figure.name, _cell(figure.value), figure.unit, _cell(figure.baseline), ratio))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 3, 4)]
        cells.insert(2, row[2].ljust(widths[2]))
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps([figure.as_json() for figure in figures], indent=2, ensure_ascii=False) + "\n")
