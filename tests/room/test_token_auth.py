"""A personal API token opens the room as its membership's person would: the socket (by the
``Authorization`` header or the ``seei.bearer.<key>`` subprotocol) and the HTTP endpoints, bids
included. Unknown and revoked tokens are refused (401, close 4401), never taken for a visitor; a
token of another membership, or of a company not admitted to the lot, gets nothing."""

import json
from datetime import timedelta

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from seei.room import tokens
from seei.room.app import create_app
from tests.api.conftest import token_for
from tests.room.conftest import names_of, session_cookie
from tests.room.servers import WebServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_token_cache")]


@pytest.fixture
def client(settings):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), base_url="http://testserver") as client:
        yield client


def bearer(key, **extra):
    # No Origin: an integrator's server is not a browser page.
    return {"authorization": f"Bearer {key}", "x-seei-language": "en", **extra}


def bid(client, lot, key, amount="590000", request_id="t-1", **extra):
    return client.post(
        f"/room/lots/{lot.pk}/bids",
        json={"amount": amount, "request_id": request_id},
        headers=bearer(key, **{"x-seei-room": "bid", **extra}),
    )


def first_snapshot(ws) -> dict:
    while True:
        frame = json.loads(ws.receive_bytes())
        if frame.get("type") not in ("time", "pong", "feed"):
            return frame


def close_code(client, lot, **kwargs) -> int:
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", **kwargs) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_bytes()
    return closed.value.code


def revoke(key):
    from seei.accounts.api_auth import hash_key
    from seei.accounts.models import ApiToken

    ApiToken.objects.filter(key_hash=hash_key(key)).delete()


# --- the socket -------------------------------------------------------------------------------------


def test_a_token_opens_the_socket_by_header_or_subprotocol_as_its_bidder(
    client, open_room, lot, company, other_company
):
    key = token_for(company)
    url = f"/room/lots/{lot.pk}/ws"
    with client.websocket_connect(url, headers=bearer(key)) as ws:
        snapshot = first_snapshot(ws)
    with client.websocket_connect(url, subprotocols=["seei.room.v1", f"seei.bearer.{key}"]) as ws:
        assert ws.accepted_subprotocol == "seei.room.v1"  # never the key echoed back
        assert first_snapshot(ws)["lot"] == lot.pk
    assert snapshot["lot"] == lot.pk and snapshot["status"] == "open"
    text = json.dumps(snapshot)
    for name in names_of(company, other_company):
        assert name not in text  # identities stay hidden from a token as from a page


def test_an_unknown_or_revoked_token_is_closed_4401_never_taken_for_a_visitor(
    client, open_room, lot, company
):
    lot.public_watch = True  # a visitor could watch: a bad token still may not
    lot.save()
    key = token_for(company)
    revoke(key)
    assert close_code(client, lot, headers=bearer("no-such-key")) == 4401
    assert close_code(client, lot, headers=bearer(key)) == 4401
    assert close_code(client, lot, subprotocols=["seei.room.v1", f"seei.bearer.{key}"]) == 4401
    cookie_too = {**bearer(key), "cookie": f"sessionid={session_cookie(company)}"}
    assert close_code(client, lot, headers=cookie_too) == 4401  # the cookie beside it is ignored


def test_a_token_of_another_membership_or_company_is_refused(
    client, open_room, lot, company, outsider, other_lot_bidder, buyer, other_buyer
):
    from seei.accounts.models import Membership

    # The admitted company's person also works for a company that was not admitted: a token of that
    # membership acts for that company only.
    second = Membership.objects.create(
        user=company.user, organisation=outsider.organisation, role="company_member"
    )
    for membership in (second, outsider, other_lot_bidder, other_buyer):
        key = token_for(membership)
        assert close_code(client, lot, headers=bearer(key)) == 4403
        snapshot = client.get(f"/room/lots/{lot.pk}/snapshot", headers=bearer(key))
        assert snapshot.status_code == 403 and "ranking" not in snapshot.json()
    buyer_key = token_for(buyer)  # the notice's buyer watches, as on its pages
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=bearer(buyer_key)) as ws:
        assert first_snapshot(ws)["lot"] == lot.pk


def test_a_revoked_token_closes_its_open_socket_at_the_next_check(
    client, open_room, lot, company, settings, monkeypatch
):
    settings.SEEI_ROOM_RECHECK_SECONDS = 0.2
    monkeypatch.setattr(tokens, "CACHE_SECONDS", 0.0)
    key = token_for(company)
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=bearer(key)) as ws:
        first_snapshot(ws)
        revoke(key)
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_bytes()
    assert closed.value.code == 4401


# --- HTTP ----------------------------------------------------------------------------------------------


def test_a_token_bids_and_reads_its_rank_without_origin_or_cookie(client, open_room, lot, company):
    from seei.accounts.models import ApiToken
    from seei.auctions.models import BidAttempt

    key = token_for(company)
    placed = bid(client, lot, key)
    snapshot = client.get(f"/room/lots/{lot.pk}/snapshot", headers=bearer(key))
    history = client.get(f"/room/lots/{lot.pk}/history", headers=bearer(key))

    assert placed.status_code == 201, placed.text
    assert placed.json()["accepted"] is True and placed.json()["me"]["rank"] == 1
    assert BidAttempt.objects.get().user_id == company.user_id
    assert snapshot.status_code == 200 and snapshot.json()["me"]["rank"] == 1
    assert history.status_code == 200 and history.json()["history"]
    assert ApiToken.objects.get(membership=company).last_used_at is not None


def test_a_token_still_needs_the_room_header(client, open_room, lot, company):
    from seei.auctions.models import BidAttempt

    key = token_for(company)
    response = client.post(
        f"/room/lots/{lot.pk}/bids", json={"amount": "590000", "request_id": "h"}, headers=bearer(key)
    )
    assert response.status_code == 403 and response.json()["reason"] == "cross_site"
    assert not BidAttempt.objects.exists()


def test_a_bad_token_bid_is_a_401_and_a_wrong_membership_a_403(client, open_room, lot, company, outsider):
    from seei.auctions.models import BidAttempt

    unknown = bid(client, lot, "no-such-key")
    cookie_too = bid(client, lot, "no-such-key", cookie=f"sessionid={session_cookie(company)}")
    outsiders = bid(client, lot, token_for(outsider))

    assert unknown.status_code == 401 and unknown.json()["reason"] == "bad_token"
    assert unknown.headers["www-authenticate"] == "Bearer"
    assert unknown.json()["message"] == "This API token is not valid: it is unknown or was revoked."
    assert cookie_too.status_code == 401  # the cookie does not rescue a bad token
    assert outsiders.status_code == 403 and outsiders.json()["reason"] == "not_admitted"
    assert not BidAttempt.objects.exists()
    snapshot = client.get(f"/room/lots/{lot.pk}/snapshot", headers=bearer("no-such-key"))
    assert snapshot.status_code == 401 and snapshot.json()["reason"] == "bad_token"


def test_a_revocation_is_honoured_within_the_cache_bound(client, open_room, lot, company, monkeypatch):
    key = token_for(company)
    assert bid(client, lot, key, request_id="a").status_code == 201
    revoke(key)
    seen = tokens.time.monotonic()
    monkeypatch.setattr(tokens.time, "monotonic", lambda: seen + tokens.CACHE_SECONDS + 0.1)
    assert bid(client, lot, key, amount="580000", request_id="b").status_code == 401


def test_another_scheme_is_not_a_token(client, open_room, lot, company):
    """A staging site's Basic authentication, sent by the browser everywhere, leaves the cookie in charge."""
    response = client.get(
        f"/room/lots/{lot.pk}/snapshot",
        headers={
            "authorization": "Basic dXNlcjpwYXNz",
            "cookie": f"sessionid={session_cookie(company)}",
            "x-seei-language": "en",
        },
    )
    assert response.status_code == 200 and response.json()["me"]


# --- a real server, a real socket -------------------------------------------------------------------


def test_a_real_socket_with_a_token(open_room, lot, company, outsider, tmp_path, settings, clock):
    settings.REDIS_URL = ""
    key, outsiders = token_for(company), token_for(outsider)
    clock.advance(timedelta(seconds=0))
    with WebServer(tmp_path) as web:
        url = f"ws://127.0.0.1:{web.port}/room/lots/{lot.pk}/ws"
        with connect(url, additional_headers={"Authorization": f"Bearer {key}"}) as ws:
            assert json.loads(ws.recv(timeout=10))["lot"] == lot.pk
        with connect(url, subprotocols=["seei.room.v1", f"seei.bearer.{key}"]) as ws:
            assert ws.subprotocol == "seei.room.v1"
            assert json.loads(ws.recv(timeout=10))["lot"] == lot.pk
        for refused, code in ((outsiders, 4403), ("no-such-key", 4401)):
            with connect(url, additional_headers={"Authorization": f"Bearer {refused}"}) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=10)
            assert closed.value.rcvd.code == code
