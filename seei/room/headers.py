"""Django's security headers on the room's HTTP answers too: they never pass through Django's
``SecurityMiddleware`` and ``XFrameOptionsMiddleware``. The same values, from the same settings
(``X-Content-Type-Options``, ``Referrer-Policy``, ``Cross-Origin-Opener-Policy``, ``X-Frame-Options``,
and ``Strict-Transport-Security`` on an HTTPS request, as the TLS proxy's header says), plus a
Content-Security-Policy that lets a JSON answer load and run nothing.

Computed once when the app is made; on the bid path it costs one list concatenation per answer.
"""

from __future__ import annotations

from asgiref.sync import markcoroutinefunction
from django.conf import settings

CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _common() -> list[tuple[bytes, bytes]]:
    headers = [(b"content-security-policy", CSP)]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        policy = policy if isinstance(policy, str) else ",".join(policy)
        headers.append((b"referrer-policy", policy.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode()))
    return headers


def _hsts() -> tuple[bytes, bytes] | None:
    if not settings.SECURE_HSTS_SECONDS:
        return None
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return b"strict-transport-security", value.encode()


def _proxy_header() -> tuple[bytes, bytes] | None:
    """SECURE_PROXY_SSL_HEADER as an ASGI header: ("HTTP_X_FORWARDED_PROTO", "https") ->
    (b"x-forwarded-proto", b"https")."""
    if not settings.SECURE_PROXY_SSL_HEADER:
        return None
    name, value = settings.SECURE_PROXY_SSL_HEADER
    return name.removeprefix("HTTP_").replace("_", "-").lower().encode(), value.encode()


def sender():
    """``secure(scope, send)``: ``send`` adding the security headers to an HTTP answer's start."""
    common, hsts, proxy = _common(), _hsts(), _proxy_header()
    secure_extra = [*common, hsts] if hsts else common

    def secure(scope, send):
        secure = scope.get("scheme") == "https" or (proxy is not None and proxy in scope["headers"])
        extra = secure_extra if secure else common

        async def send_secured(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        return send_secured

    return secure


def secured(app):
    """``app`` with the security headers added to each HTTP answer (sockets go through untouched)."""
    secure = sender()

    # A dispatcher, as every layer between the server and a socket's handler: a plain function
    # returning the inner app's awaitable, marked as a coroutine function for the servers that ask.
    # A coroutine here would keep a frame (~300 bytes) alive for each socket's whole life.
    @markcoroutinefunction
    def with_headers(scope, receive, send):
        if scope["type"] != "http":
            return app(scope, receive, send)
        return app(scope, receive, secure(scope, send))

    return with_headers
