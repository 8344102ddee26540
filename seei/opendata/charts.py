"""Charts drawn by the site itself: inline SVG, no script, no external service.

Horizontal bars, one group per line of the table (a year, a month, a category...), so long labels
and many lines fit; the table under each chart carries the same figures for screen readers.
Right-to-left pages get a mirrored chart (labels on the right, bars growing to the left).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 720
LABEL_WIDTH = 190
VALUE_WIDTH = 120
BAR = 13
ROW_GAP = 12
LEGEND = 30
LABEL_CHARS = 28


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[Decimal | None]
    texts: list[str]  # each value as written beside its bar


class _Geometry:
    """x positions for left-to-right, mirrored for right-to-left."""

    def __init__(self, rtl: bool):
        self.rtl = rtl
        self.plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def bar(self, length: float) -> tuple[float, float]:
        """(x, width) of a bar of ``length`` pixels starting at the axis."""
        return (WIDTH - LABEL_WIDTH - length, length) if self.rtl else (LABEL_WIDTH, length)

    def after_bar(self, length: float) -> tuple[float, str]:
        """(x, text-anchor) of the value written at the end of a bar."""
        if self.rtl:
            return WIDTH - LABEL_WIDTH - length - 5, "end"
        return LABEL_WIDTH + length + 5, "start"

    def label(self) -> tuple[float, str]:
        return (WIDTH - LABEL_WIDTH + 8, "start") if self.rtl else (LABEL_WIDTH - 8, "end")

    def legend(self, position: int) -> tuple[float, float]:
        """(x of the swatch, x of its text) of the legend's ``position``th entry."""
        offset = 8 + position * 220
        if self.rtl:
            return WIDTH - offset - 12, WIDTH - offset - 18
        return offset, offset + 18


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(
    chart_id: str, title: str, description: str, labels: list[str], series: list[Series], rtl: bool
) -> SafeString:
    geometry = _Geometry(rtl)
    values = [value for one in series for value in one.values if value is not None]
    top = max(values, default=Decimal(0))
    scale = geometry.plot / float(top) if top > 0 else 0
    row_height = len(series) * (BAR + 2) + ROW_GAP
    height = LEGEND + len(labels) * row_height + 4
    parts = []
    for position, one in enumerate(series):
        swatch_x, text_x = geometry.legend(position)
        anchor = "end" if rtl else "start"
        parts.append(
            format_html(
                '<rect x="{}" y="8" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="18" font-size="13" text-anchor="{}">{}</text>',
                swatch_x,
                one.colour,
                text_x,
                anchor,
                one.name,
            )
        )
    label_x, label_anchor = geometry.label()
    for row, label in enumerate(labels):
        y = LEGEND + row * row_height
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="13" text-anchor="{}"><title>{}</title>{}</text>',
                label_x,
                y + len(series) * (BAR + 2) / 2 + 4,
                label_anchor,
                label,
                _short(label),
            )
        )
        for index, one in enumerate(series):
            value = one.values[row]
            length = round(float(value or 0) * scale, 1)
            bar_x, bar_width = geometry.bar(length)
            text_x, text_anchor = geometry.after_bar(length)
            bar_y = y + index * (BAR + 2)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} — {}: {}</title></rect>'
                    '<text x="{}" y="{}" font-size="12" text-anchor="{}" fill="#1b2430">{}</text>',
                    bar_x,
                    bar_y,
                    bar_width,
                    BAR,
                    one.colour,
                    label,
                    one.name,
                    one.texts[row],
                    text_x,
                    bar_y + BAR - 2,
                    text_anchor,
                    one.texts[row],
                )
            )
    axis_x = WIDTH - LABEL_WIDTH if rtl else LABEL_WIDTH
    return format_html(
        '<svg class="chart" id="{id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
        'role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif" direction="ltr">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<line x1="{axis}" y1="{top}" x2="{axis}" y2="{bottom}" stroke="#5b6675"/>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=description,
        axis=axis_x,
        top=LEGEND - 4,
        bottom=height,
        body=mark_safe("".join(parts)),  # each part was escaped by format_html
    )


def _amount(value: Decimal | None) -> str:
    return "" if value is None else number_format(value.quantize(Decimal(1)), 0, force_grouping=True)


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{number_format(value, 2)} %"


def amounts_chart(report, rtl: bool) -> SafeString:
    rows, currency = report.rows, report.filters.currency
    return bar_chart(
        "chart-amounts",
        _("Estimated and awarded amounts (%(currency)s)") % {"currency": currency},
        _(
            "For each line of the table below: the estimated amount of its lots and the amount of their final awards."
        ),
        [row.label for row in rows],
        [
            Series(
                _("Estimated amount"),
                "#9fb8ab",
                [row.estimated for row in rows],
                [_amount(r.estimated) for r in rows],
            ),
            Series(
                _("Awarded amount"),
                "#0b5d3b",
                [row.awarded for row in rows],
                [_amount(r.awarded) for r in rows],
            ),
        ],
        rtl,
    )


def saving_chart(report, rtl: bool) -> SafeString:
    rows = report.rows
    return bar_chart(
        "chart-saving",
        # xgettext:no-python-format
        _("Saving (% of the estimated amount)"),
        _("For each line of the table below: the saving as a share of the estimated amount."),
        [row.label for row in rows],
        [
            Series(
                _("Saving"),
                "#b45309",
                [row.saving_percent for row in rows],
                [_percent(r.saving_percent) for r in rows],
            )
        ],
        rtl,
    )
