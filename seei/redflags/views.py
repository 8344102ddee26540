"""The public red-flags page: the flags of a year, by buyer, flag and region."""

from django.core.paginator import Paginator
from django.shortcuts import render

from seei.redflags import selectors
from seei.redflags.forms import RedFlagsForm

PAGE_SIZE = 50


def red_flags(request):
    form = RedFlagsForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "redflags/list.html", {"form": form, "page": None}, status=400)
    selection = form.selection()
    year = selection.pop("year")
    if year is None:  # no real auction yet: no year to show
        return render(request, "redflags/list.html", {"form": form, "page": None, "empty": True})
    flags = selectors.select(selectors.year_flags(year), **selection)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "redflags/list.html", {"form": form, "page": page, "year": year, "count": len(flags)}
    )
