from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def money(amount, currency=""):
    """An amount with two decimals and the language's separators, then its currency."""
    if amount is None or amount == "":
        return ""
    text = number_format(Decimal(amount).quantize(Decimal("0.01")), 2, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{currency}".strip()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.simple_tag
def site_url():
    """The site's configured address (SITE_URL): absolute links in emails never follow the request's
    Host header, which a client chooses (a reset link pointing at an attacker's host)."""
    from django.conf import settings

    return settings.SITE_URL
