"""Whole public pages for visitors who bring nothing of their own, kept in the portal's cache.

A request with no cookie but the CSRF and language ones has no account, session, message or
dismissed announcement: every such visitor of one address, in one language, gets the same page but
for the CSRF token of its language form. The page is kept whole with a marker where that token goes
and each visitor gets its own token in its place, so such a visitor (a crawler, most of a peak's
visitors) costs a read from the cache instead of the page's queries and templates. The announcements
shown are part of the key: one starting or ending shows at once, as on every other page. Kept under
the same generations and clock window as the page's content (``seei.portal.cache``).
"""

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from seei.administration.announcements import live
from seei.core import clock
from seei.portal import cache

MARKER = "seei-shared-page-csrf-token"  # a CSRF token is letters and digits: never mistaken for it


def _brings_nothing(request) -> bool:
    cookies = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return request.method == "GET" and set(request.COOKIES) <= cookies


def csrf_marker(request) -> dict:
    """Context processor: on a page being kept for every visitor, the marker stands for the token."""
    return {"csrf_token": MARKER} if getattr(request, "shared_page", False) else {}


def page(request, name: str, view, *, parts: tuple = (), notice: int | None = None) -> HttpResponse:
    """``view()`` (a page that answers 200 or raises), or, for a visitor with nothing of its own,
    the page every such visitor gets; ``parts``, ``notice``: as for ``cache.remember``."""
    if not _brings_nothing(request):
        return view()
    now = clock.now()
    shown = tuple((a.pk, a.severity, repr(dict(a.title or {})), repr(dict(a.body or {}))) for a in live(now))

    def render() -> str:
        request.shared_page = True
        try:
            return view().content.decode()
        finally:
            request.shared_page = False

    key = (get_language(), request.get_full_path(), shown, *parts)
    html = cache.remember(name, key, now, render, notice=notice)
    return HttpResponse(html.replace(MARKER, get_token(request)))
