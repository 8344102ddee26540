"""The statistics as CSV: one line per year, month, category, region or buyer, then the total.

Amounts are plain numbers with a dot and two decimals, whatever the language, so that any
spreadsheet or script reads them; the column titles follow the visitor's language. A UTF-8 byte
order mark lets spreadsheets show Arabic and accented names correctly.
"""

import csv
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _

from seei.opendata.statistics import BREAKDOWNS, Figures, Report


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def header(report: Report) -> list[str]:
    currency = report.filters.currency
    return [
        str(BREAKDOWNS[report.by]),
        _("Label"),
        _("Auctions"),
        _("Lots"),
        _("Awarded lots"),
        _("Unsuccessful lots"),
        _("Lots awaiting a final award"),
        _("Estimated amount (%(currency)s)") % {"currency": currency},
        _("Awarded amount (%(currency)s)") % {"currency": currency},
        _("Saving (%(currency)s)") % {"currency": currency},
        _("Saving (%)"),
        _("Record saving (%)"),
        _("Average applicants per lot"),
        _("Average bidders per lot"),
    ]


def line(code: str, label: str, figures: Figures) -> list[str]:
    values = [
        figures.auctions,
        figures.lots,
        figures.awarded_lots,
        figures.unsuccessful_lots,
        figures.pending_lots,
        figures.estimated,
        figures.awarded,
        figures.saving,
        figures.saving_percent,
        figures.record_percent,
        figures.applicants,
        figures.bidders,
    ]
    return [code, label, *map(_plain, values)]


def rows(report: Report) -> list[list[str]]:
    lines = [header(report)]
    lines += [line(row.code, row.label, row) for row in report.rows]
    lines.append(line("", _("Total"), report.totals))
    return lines


def filename(report: Report) -> str:
    filters = report.filters
    period = "-".join(day.isoformat() for day in (filters.start, filters.end) if day) or "all"
    return f"seei-statistics-{period}-{filters.currency}-by-{report.by}.csv"


def csv_response(report: Report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(report)}"'
    response.write("\ufeff")
    csv.writer(response).writerows(rows(report))
    return response
