"""Who is at the other end of a Django request: one rule for the limits and the audit log.

Behind a proxy of ``SEEI_TRUSTED_PROXIES`` the client is the last address of ``X-Forwarded-For``
that is not one of those proxies; without it, every visitor would share the proxy's address, and
without the setting a visitor could choose their own.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | str:
    """The client's address; a string when what was sent is not an address ("" without a request)."""
    trusted = [ipaddress.ip_network(entry, strict=False) for entry in settings.SEEI_TRUSTED_PROXIES]
    meta = getattr(request, "META", {})  # a form used without a request: one unknown address
    chain = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    chain.append(meta.get("REMOTE_ADDR") or "")
    for candidate in reversed(chain):
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            return candidate
        # A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d: they are IPv4 clients.
        address = getattr(address, "ipv4_mapped", None) or address
        if not any(address in network for network in trusted):
            break
    return address
