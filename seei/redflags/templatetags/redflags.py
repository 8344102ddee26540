"""``{% notice_red_flags tender_id %}`` and ``{% lot_red_flags lot %}``: the flags of a notice or of a
lot, as an include of the pages that show them (the buyer's, the commission's, the accountant's and
the public ones). Only public data reaches the flags, and none for a practice notice."""

from django import template

from seei.redflags import selectors

register = template.Library()


@register.inclusion_tag("redflags/_flags.html")
def notice_red_flags(tender_id):
    return {"flags": selectors.notice_flags(int(tender_id)), "show_lot": True}


@register.inclusion_tag("redflags/_flags.html")
def lot_red_flags(lot):
    return {"flags": selectors.lot_flags(lot), "show_lot": False}
