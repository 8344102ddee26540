"""Who may open a room's socket or post a bid: a page of this very site, reached on a host it serves.

Django's rules, applied outside its request cycle: the ``Host`` must be one of ``ALLOWED_HOSTS``
(a request naming another host, as DNS rebinding makes a browser do, is refused), and the ``Origin``
must be one of the site's configured origins (``SITE_URL``, ``CSRF_TRUSTED_ORIGINS``, wildcards
included) or the request's own, validated, host. Without an ``Origin`` (browsers always send one on
a socket and on a fetch POST) only the Fetch metadata of a same-origin request is trusted.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

LOCAL_HOSTS = [".localhost", "127.0.0.1", "[::1]"]  # Django's own, with DEBUG on and no ALLOWED_HOSTS


def host_allowed(headers) -> bool:
    """The ``Host`` header names a host of ALLOWED_HOSTS (Django's ``HttpRequest.get_host`` check)."""
    domain, _port = split_domain_port(headers.get("host", ""))
    hosts = settings.ALLOWED_HOSTS or (LOCAL_HOSTS if settings.DEBUG else [])
    return bool(domain) and validate_host(domain, hosts)


@lru_cache(maxsize=8)
def _configured(
    site_url: str, trusted: tuple[str, ...]
) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """(exact origins, (scheme, domain pattern) of the wildcard ones)."""
    exact, wildcards = set(), []
    for origin in (site_url, *trusted):
        parts = urlsplit(origin)
        if "*" in parts.netloc:
            wildcards.append((parts.scheme, parts.netloc.partition("*")[2]))
        elif parts.scheme and parts.netloc:
            exact.add(f"{parts.scheme}://{parts.netloc}".lower())
    return frozenset(exact), tuple(wildcards)


def origin_allowed(headers) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site") == "same-origin"
    parts = urlsplit(origin.lower())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    exact, wildcards = _configured(settings.SITE_URL, tuple(settings.CSRF_TRUSTED_ORIGINS))
    if f"{parts.scheme}://{parts.netloc}" in exact:
        return True
    if any(
        parts.scheme == scheme and is_same_domain(parts.netloc, "." + domain.lstrip("."))
        for scheme, domain in wildcards
    ):
        return True
    # The page's own address, its host checked above. The scheme is not compared: behind a TLS proxy
    # this process may see http while the page is https.
    return parts.netloc == headers.get("host", "").lower()


def same_site(headers) -> bool:
    """A socket or a bid may come from this request: a served host, and a page of this site."""
    return host_allowed(headers) and origin_allowed(headers)
