"""The public statistics page, the buyer's own statistics, and both as CSV."""

from django.shortcuts import render
from django.utils.translation import get_language_bidi

from seei.accounts.decorators import role_required
from seei.opendata import charts, exports, selectors, statistics
from seei.opendata.forms import StatisticsForm


def _statistics(request, *, scope=None, as_csv=False, extra=None):
    form = StatisticsForm(request.GET or None, scope=scope)
    context = {"form": form, "report": None, **(extra or {})}
    if form.is_bound and not form.is_valid():
        # Nothing is computed from a selection that does not make sense: the form says why.
        return render(request, "opendata/statistics.html", context, status=400)
    filters, by = form.selection()
    report = statistics.report(filters, by)
    if as_csv:
        return exports.csv_response(report)
    rtl = get_language_bidi()
    context.update(
        report=report,
        breakdowns=list(statistics.BREAKDOWNS.items()),
        by_label=statistics.BREAKDOWNS[report.by],
        amounts_chart=charts.amounts_chart(report, rtl) if report.rows else "",
        saving_chart=charts.saving_chart(report, rtl) if report.rows else "",
    )
    return render(request, "opendata/statistics.html", context)


def public_statistics(request):
    return _statistics(request, extra={"csv_url_name": "opendata:csv"})


def public_csv(request):
    return _statistics(request, as_csv=True)


@role_required(*selectors.BUYER_ROLES)
def buyer_statistics(request):
    scope = selectors.buyer_scope(request.membership)
    extra = {"organisation": request.membership.organisation, "csv_url_name": "opendata:mine_csv"}
    return _statistics(request, scope=scope, extra=extra)


@role_required(*selectors.BUYER_ROLES)
def buyer_csv(request):
    return _statistics(request, scope=selectors.buyer_scope(request.membership), as_csv=True)
