"""The room takes sockets and bids only from a page of the site, on a host the site serves, and answers
with Django's security headers."""

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from seei.room.app import create_app
from tests.room.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app(settings):
    settings.REDIS_URL = ""
    settings.SITE_URL = "https://seei.example"
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.seei.example"]
    return create_app(in_process_worker=False)


def connect(app, base_url, lot, company, origin):
    """The close code of a socket opened at ``base_url`` from a page of ``origin`` (None: accepted)."""
    headers = {"origin": origin, "cookie": f"sessionid={session_cookie(company)}"}
    with TestClient(app, base_url=base_url) as client:
        try:
            with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers) as ws:
                ws.receive_bytes()
        except WebSocketDisconnect as closed:
            return closed.code
    return None


def bid(app, base_url, lot, company, origin):
    headers = {"origin": origin, "x-seei-room": "bid", "cookie": f"sessionid={session_cookie(company)}"}
    with TestClient(app, base_url=base_url) as client:
        return client.post(
            f"/room/lots/{lot.pk}/bids", json={"amount": "1", "request_id": "r-1"}, headers=headers
        )


def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_page(app, open_room, lot, company):
    # DNS rebinding: a page of evil.example, its name pointed at the server, opens its "own" socket.
    assert connect(app, "http://evil.example", lot, company, "http://evil.example") is not None
    refused = bid(app, "http://evil.example", lot, company, "http://evil.example")
    assert refused.status_code == 403 and refused.json()["reason"] == "cross_site"
    with TestClient(app, base_url="http://evil.example") as client:
        answer = client.get(f"/room/lots/{lot.pk}/snapshot", headers={"x-seei-language": "en"})
        assert answer.status_code == 400 and answer.json()["reason"] == "bad_host"
        assert answer.json()["message"] == "This site is not served at this address."


def test_the_sites_configured_origins_are_accepted_and_no_other(app, open_room, lot, company):
    assert connect(app, "http://testserver", lot, company, "https://seei.example") is None  # SITE_URL
    assert connect(app, "http://testserver", lot, company, "https://room.seei.example") is None  # trusted
    assert connect(app, "http://testserver", lot, company, "http://testserver") is None  # its own host
    for origin in ("https://evil.example", "https://seei.example.evil.example", "http://seei.example"):
        assert connect(app, "http://testserver", lot, company, origin) is not None, origin
        assert bid(app, "http://testserver", lot, company, origin).json()["reason"] == "cross_site", origin


def test_the_rooms_answers_carry_djangos_security_headers(app, settings):
    with TestClient(app, base_url="http://testserver") as client:
        answer = client.get("/room/time")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert "strict-transport-security" not in answer.headers  # not HTTPS, HSTS off
        bids = client.post("/room/lots/1/bids", json={})  # the hot path, outside the router
        assert bids.headers["x-content-type-options"] == "nosniff"
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    with TestClient(create_app(in_process_worker=False), base_url="http://testserver") as client:
        answer = client.get("/room/time", headers={"x-forwarded-proto": "https"})
        assert answer.headers["strict-transport-security"] == "max-age=3600"


def test_the_demos_own_pages_are_accepted_at_127_0_0_1_and_at_localhost(settings):
    """The demo's defaults: whichever loopback name and port the browser uses, its pages may bid."""
    from seei.room import origins

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.SITE_URL, settings.CSRF_TRUSTED_ORIGINS = "http://127.0.0.1:8000", []
    for host in ("127.0.0.1:8000", "localhost:8000", "127.0.0.1:8123", "localhost"):
        assert origins.same_site({"host": host, "origin": f"http://{host}"}), host
    assert origins.same_site({"host": "localhost:8000", "origin": "http://127.0.0.1:8000"})  # SITE_URL
    assert not origins.same_site({"host": "127.0.0.1:8000", "origin": "http://localhost:9999"})
    assert not origins.same_site({"host": "127.0.0.1:8000", "origin": "null"})
