"""Production's transport: secure cookies, HSTS, the proxy's TLS header, sessions that end, reset links
built from SITE_URL, and tokens kept out of the access logs."""

import re
import sys
import urllib.request

import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver

from seei.core import redaction
from seei.core.children import Child
from tests.conftest import PASSWORD
from tests.room import servers
from tests.security import settings_probe

PRODUCTION = {
    "ALLOWED_HOSTS": "seei.example",
    "SITE_URL": "https://seei.example",
    "SECRET_KEY": "s" * 50,
    "SEEI_DOCUMENT_KEY": "d" * 44,
    "SEEI_SIGNING_KEY": "PEM",
}
TRANSPORT = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "SESSION_COOKIE_AGE",
]


def test_production_sends_cookies_over_https_only_with_hsts_behind_the_tls_proxy(tmp_path):
    values, errors = settings_probe.load(tmp_path, TRANSPORT, **PRODUCTION)
    assert values is not None, errors
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 180 * 24 * 3600
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert values["SESSION_COOKIE_AGE"] <= 12 * 3600


def test_the_proxy_header_is_configurable_and_the_demo_on_http_keeps_plain_cookies(tmp_path):
    values, errors = settings_probe.load(
        tmp_path, TRANSPORT, **PRODUCTION, SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme: https"
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"], errors
    values, errors = settings_probe.load(tmp_path, TRANSPORT, **PRODUCTION, SECURE_PROXY_SSL_HEADER="")
    assert values["SECURE_PROXY_SSL_HEADER"] is None, errors
    values, errors = settings_probe.load(tmp_path, TRANSPORT, **PRODUCTION, SECURE_PROXY_SSL_HEADER="https")
    assert values is None and "Header-Name: value" in errors
    demo, errors = settings_probe.load(tmp_path, TRANSPORT)  # http://127.0.0.1: a secure cookie would be lost
    assert demo["SESSION_COOKIE_SECURE"] is False and demo["SECURE_HSTS_SECONDS"] == 0, errors
    assert demo["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.django_db
def test_a_login_lasts_until_the_browser_closes_and_a_working_day_at_most(client, company):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    response = client.post("/en/accounts/login/", {"username": company.user.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    row = Session.objects.get(session_key=cookie.value)
    assert row.expire_date <= timezone.now() + timezone.timedelta(hours=12, seconds=5)


@pytest.mark.django_db
def test_a_reset_link_is_built_from_site_url_whatever_host_the_request_named(client, company, settings):
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    settings.SITE_URL = "https://seei.example"
    client.post("/en/accounts/password/reset/", {"email": company.user.email}, HTTP_HOST="evil.example")
    assert len(mail.outbox) == 1
    links = re.findall(r"https?://\S+", mail.outbox[0].body)
    assert links and all(
        link.startswith("https://seei.example/en/accounts/password/reset/") for link in links
    )
    assert "evil.example" not in mail.outbox[0].body


def _token_routes():
    """Every route of the site whose path carries a token, as (pattern, path with a sample token)."""
    found = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and "token" in entry.pattern.converters:
                route = prefix + str(entry.pattern)
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: f"SECRET{m[1].upper()}", route)
                found.append((route, path.replace("^", "").replace("$", "")))

    walk(get_resolver().url_patterns)
    return found


def test_every_route_carrying_a_token_is_redacted_in_logged_lines():
    routes = _token_routes()
    assert len(routes) >= 3, routes  # verification, password reset, unsubscribe
    for route, path in routes:
        line = f'127.0.0.1:5000 - "GET {path}?next=/x HTTP/1.1" 200'
        assert "SECRETTOKEN" not in redaction.redact(line), route
        assert redaction.REDACTED in redaction.redact(line)
    assert redaction.redact("/en/accounts/password/reset/MQ/set-password/") == (
        "/en/accounts/password/reset/MQ/set-password/"
    )
    assert redaction.redact("GET /room/time?lang=fr&token=abc.def&x=1") == (
        "GET /room/time?lang=fr&token=[redacted]&x=1"
    )


def test_the_room_servers_access_log_shows_no_token(transactional_db, tmp_path):
    port = servers.free_port()
    args = [sys.executable, "-m", "seei.room.server", "--port", str(port), "--log-level", "info"]
    with Child("web", args, servers.environment(), tmp_path / "web.log") as web:
        web.wait_http(f"http://127.0.0.1:{port}/room/time", timeout=40)
        for path in ("/en/accounts/verify/MQ/SECRET-VERIFY/", "/room/time?access_token=SECRET-QUERY"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read()
            except urllib.error.HTTPError:
                pass
        servers.wait_until(lambda: "access_token=" in web.output(), 10, "the access log line")
        log = web.output()
    assert "GET /en/accounts/verify/MQ/[redacted]/" in log and "access_token=[redacted]" in log
    assert "SECRET-" not in log
