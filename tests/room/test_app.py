"""The room app over HTTP and WebSocket: who may see a room, the bids, the frames, the clock.

The app runs for real (its lifespan opens the pool and the in-process fan-out) in Starlette's
test client; people are told apart by their Django session cookie.
"""

import asyncio
import gc
import json
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import CoroutineType

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import seei
from seei.room.app import create_app
from tests.room.conftest import names_of, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://testserver"


@pytest.fixture
def client(settings):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), base_url=ORIGIN) as client:
        yield client


def headers(membership=None, **extra):
    values = {"origin": ORIGIN, "x-seei-language": "en", **extra}
    if membership is not None:
        values["cookie"] = f"sessionid={session_cookie(membership)}"
    return values


def bid_headers(membership, language="en"):
    return headers(membership, **{"x-seei-room": "bid", "x-seei-language": language})


def next_snapshot(ws) -> dict:
    """The next frame that is a snapshot (clock frames may come in between)."""
    while True:
        message = json.loads(ws.receive_bytes())
        if message.get("type") not in ("time", "pong"):
            return message


def refused_socket(client, lot, membership=None) -> int:
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers(membership)) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_bytes()
    return closed.value.code


# --- who may see the room -------------------------------------------------------------------


def test_a_bidder_gets_the_snapshot_on_connect_and_never_an_identity(
    client, open_room, lot, company, other_company
):
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers(company)) as ws:
        raw = ws.receive_bytes()
    snapshot = json.loads(raw)
    assert snapshot["lot"] == lot.pk and snapshot["status"] == "open" and snapshot["bidders"] == 2
    assert snapshot["seq"] == open_room.seq
    text = raw.decode()
    for name in names_of(company, other_company):
        assert name not in text
    assert '"company' not in text and '"user' not in text


def test_an_anonymous_visitor_a_company_not_admitted_and_a_bidder_of_another_lot_are_refused(
    client, open_room, lot, outsider, other_lot_bidder
):
    assert refused_socket(client, lot) == 4403
    assert refused_socket(client, lot, outsider) == 4403
    assert refused_socket(client, lot, other_lot_bidder) == 4403
    for membership in (None, outsider, other_lot_bidder):
        response = client.get(f"/room/lots/{lot.pk}/snapshot", headers=headers(membership))
        assert response.status_code == 403
        assert response.json()["message"] == "You may not see this room."
        assert "ranking" not in response.json()


def test_the_buyer_and_the_commission_watch_with_the_same_anonymity(
    client, open_room, lot, buyer, commission_member, other_buyer, company, other_company
):
    for watcher in (buyer, commission_member):
        response = client.get(f"/room/lots/{lot.pk}/snapshot", headers=headers(watcher))
        assert response.status_code == 200
        assert "me" not in response.json()
        for name in names_of(company, other_company):
            assert name not in response.text
        with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers(watcher)) as ws:
            assert next_snapshot(ws)["lot"] == lot.pk
    assert refused_socket(client, lot, other_buyer) == 4403  # another buyer is nobody here


def test_anyone_watches_a_public_lot_live_and_any_lot_once_closed(client, open_room, lot, clock):
    from seei.auctions import services

    assert refused_socket(client, lot) == 4403
    lot.public_watch = True
    lot.save()
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers()) as ws:
        assert next_snapshot(ws)["status"] == "open"
    lot.public_watch = False
    lot.save()
    clock.advance(timedelta(hours=1))
    services.close_room(lot.pk)
    response = client.get(f"/room/lots/{lot.pk}/snapshot", headers=headers())
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_a_socket_from_another_site_is_refused_at_the_handshake(client, open_room, lot, company):
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(
            f"/room/lots/{lot.pk}/ws", headers=headers(company, origin="https://evil.example")
        ):
            pass


def test_a_lot_without_a_room_is_not_found(client, lot, buyer):
    response = client.get(f"/room/lots/{lot.pk}/snapshot", headers=headers(buyer))
    assert response.status_code == 404 and response.json()["reason"] == "no_room"


# --- bids -----------------------------------------------------------------------------------------


def test_a_bid_reaches_every_socket_of_the_lot_in_one_frame(
    client, open_room, lot, company, other_company, buyer
):
    url = f"/room/lots/{lot.pk}/ws"
    with (
        client.websocket_connect(url, headers=headers(company)) as mine,
        client.websocket_connect(url, headers=headers(other_company)) as theirs,
        client.websocket_connect(url, headers=headers(buyer)) as buyers,
    ):
        start = [next_snapshot(ws)["seq"] for ws in (mine, theirs, buyers)]
        response = client.post(
            f"/room/lots/{lot.pk}/bids",
            json={"amount": "590000", "request_id": "r-1"},
            headers=bid_headers(company),
        )
        assert response.status_code == 201, response.text
        result = response.json()
        assert result["accepted"] is True and result["receipt"]["amount"] == "590000.00"
        assert result["me"]["rank"] == 1
        frames = [next_snapshot(ws) for ws in (mine, theirs, buyers)]
    assert frames[0] == frames[1] == frames[2]  # the same snapshot for everyone
    assert frames[0]["seq"] == start[0] + 1 and frames[0]["bids"] == 1
    assert frames[0]["best"] == "590000.00"  # visibility "best"
    assert [entry["rank"] for entry in frames[0]["ranking"]] == [1]
    assert "amount" not in frames[0]["ranking"][0]  # prices of others stay hidden


def test_a_refusal_is_explained_in_the_language_of_the_page_and_changes_nothing(
    client, open_room, lot, company
):
    from seei.auctions.models import BidAttempt, Room

    response = client.post(
        f"/room/lots/{lot.pk}/bids",
        json={"amount": "600000", "request_id": "r-fr"},
        headers=bid_headers(company, "fr"),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] is False and body["reason"] == "not_below_start"
    assert body["message"].startswith("Votre offre doit être inférieure au prix de départ")
    assert Room.objects.get(pk=open_room.pk).seq == open_room.seq
    assert BidAttempt.objects.get(request_id="r-fr").outcome == "refused"


def test_a_nul_character_gets_a_clear_refusal_and_fails_no_one_else(
    client, open_room, lot, company, other_company
):
    from seei.auctions.models import Room

    url = f"/room/lots/{lot.pk}/bids"
    amount = client.post(
        url, json={"amount": "99\u000099", "request_id": "nul"}, headers=bid_headers(company)
    )
    key = client.post(url, json={"amount": "590000", "request_id": "n\u0000"}, headers=bid_headers(company))
    valid = client.post(
        url, json={"amount": "590000", "request_id": "ok"}, headers=bid_headers(other_company)
    )

    assert (amount.status_code, amount.json()["reason"]) == (422, "malformed_amount")
    assert (key.status_code, key.json()["reason"]) == (400, "bad_request")
    assert valid.status_code == 201 and Room.objects.get(pk=open_room.pk).seq == open_room.seq + 1


def test_a_bid_needs_the_room_header_and_the_same_origin(client, open_room, lot, company):
    from seei.auctions.models import BidAttempt

    url = f"/room/lots/{lot.pk}/bids"
    body = {"amount": "590000", "request_id": "csrf"}
    no_header = client.post(url, json=body, headers=headers(company))
    cross_site = client.post(
        url, json=body, headers={**bid_headers(company), "origin": "https://evil.example"}
    )
    no_origin = client.post(
        url, json=body, headers={k: v for k, v in bid_headers(company).items() if k != "origin"}
    )
    for response in (no_header, cross_site, no_origin):
        assert response.status_code == 403
        assert response.json()["message"] == "This request did not come from the room's page."
    assert not BidAttempt.objects.exists()


def test_the_bids_address_takes_only_a_post(client, open_room, lot, company):
    from seei.auctions.models import BidAttempt

    response = client.get(f"/room/lots/{lot.pk}/bids", headers=bid_headers(company))

    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert not BidAttempt.objects.exists()


def test_only_an_admitted_bidder_can_bid(client, open_room, lot, buyer, outsider):
    from seei.auctions.models import BidAttempt

    url = f"/room/lots/{lot.pk}/bids"
    body = {"amount": "590000", "request_id": "x"}
    anonymous = client.post(url, json=body, headers=bid_headers(None))
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Please log in to bid."
    for membership in (buyer, outsider):
        response = client.post(url, json=body, headers=bid_headers(membership))
        assert response.status_code == 403
        assert response.json()["message"] == "Only the admitted bidders of this lot can bid."
    assert not BidAttempt.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"amount": 590000.5, "request_id": "f"}).encode(),  # a float: never for prices
        json.dumps({"amount": "590000"}).encode(),
        json.dumps({"amount": "590000", "request_id": "x" * 65}).encode(),
    ],
)
def test_a_malformed_request_is_refused_clearly(client, open_room, lot, company, body):
    from seei.auctions.models import BidAttempt

    response = client.post(
        f"/room/lots/{lot.pk}/bids",
        content=body,
        headers={**bid_headers(company), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "The bid must be sent as JSON with an amount and a request id."
    assert not BidAttempt.objects.exists()


def test_a_huge_amount_gets_the_rules_message(client, open_room, lot, company):
    response = client.post(
        f"/room/lots/{lot.pk}/bids",
        json={"amount": "9" * 300, "request_id": "huge"},
        headers=bid_headers(company),
    )
    assert response.status_code == 422
    assert response.json()["message"] == "The amount is too large. Check the number of digits."


def test_a_body_over_the_limit_is_refused(client, open_room, lot, company):
    from seei.auctions.models import BidAttempt
    from seei.room.app import MAX_BODY

    response = client.post(
        f"/room/lots/{lot.pk}/bids",
        json={"amount": "590000", "request_id": "big", "padding": "x" * MAX_BODY},
        headers=bid_headers(company),
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "bad_request"
    assert not BidAttempt.objects.exists()


def test_a_replayed_request_is_answered_again_and_applied_once(client, open_room, lot, company):
    from seei.auctions.models import Room

    url = f"/room/lots/{lot.pk}/bids"
    body = {"amount": "590000", "request_id": "same"}
    first = client.post(url, json=body, headers=bid_headers(company))
    again = client.post(url, json=body, headers=bid_headers(company))
    assert first.status_code == again.status_code == 201
    assert again.json()["replayed"] is True
    assert Room.objects.get(pk=open_room.pk).seq == open_room.seq + 1


def test_the_snapshot_tells_a_bidder_its_rank_and_range_and_the_history_follows_visibility(
    client, open_room, lot, company, other_company, clock
):
    url = f"/room/lots/{lot.pk}/bids"
    assert (
        client.post(
            url, json={"amount": "590000", "request_id": "a"}, headers=bid_headers(company)
        ).status_code
        == 201
    )
    clock.advance(timedelta(seconds=6))
    assert (
        client.post(
            url, json={"amount": "585000", "request_id": "b"}, headers=bid_headers(other_company)
        ).status_code
        == 201
    )
    mine = client.get(f"/room/lots/{lot.pk}/snapshot", headers=headers(company)).json()
    assert mine["me"]["rank"] == 2 and mine["me"]["last_amount"] == "590000.00"
    assert mine["me"]["highest_allowed"] == "589000.00" and mine["me"]["lowest_allowed"] == "530000.00"
    history = client.get(f"/room/lots/{lot.pk}/history", headers=headers(company)).json()["history"]
    bids = [item for item in history if item["type"] == "bid"]
    assert bids[0]["amount"] == "590000.00"  # its own amount
    assert "amount" not in bids[1] and bids[1]["best"] == "585000.00"  # another's: the best price only


# --- the socket is for listening ------------------------------------------------------------------


def test_nobody_can_talk_in_the_room(client, open_room, lot, company, other_company):
    url = f"/room/lots/{lot.pk}/ws"
    with (
        client.websocket_connect(url, headers=headers(company)) as talker,
        client.websocket_connect(url, headers=headers(other_company)) as listener,
    ):
        next_snapshot(talker), next_snapshot(listener)
        talker.send_text("Let us agree on 599000")
        talker.send_bytes(b"\x00\x01")
        talker.send_text("ping")
        assert json.loads(talker.receive_bytes()) == {"type": "pong"}
        client.post(
            f"/room/lots/{lot.pk}/bids",
            json={"amount": "590000", "request_id": "t"},
            headers=bid_headers(company),
        )
        # The next thing the other bidder hears is the bid's snapshot, nothing the talker said.
        assert next_snapshot(listener)["bids"] == 1


def test_an_open_socket_keeps_no_frame_of_the_layers_before_its_handler(settings, open_room, lot):
    """Thousands of sockets stay open for hours: every layer between the server and the socket's
    handler is a dispatcher that returns its inner app's awaitable, so none of them keeps a frame
    alive per socket (seei.room.headers.secured)."""
    from seei.asgi import application, django_application

    assert asyncio.iscoroutinefunction(application)  # uvicorn serves it as ASGI 3 on its own
    settings.REDIS_URL = ""
    lot.public_watch = True
    lot.save()
    app = create_app(in_process_worker=False, django=django_application)  # with the API's bids layer
    with TestClient(app, base_url=ORIGIN) as client:
        with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers()) as ws:
            next_snapshot(ws)
            alive = Counter(
                each.cr_code.co_name
                for each in gc.get_objects()
                if type(each) is CoroutineType  # not isinstance: a lazy object's __class__ may raise
                and each.cr_frame is not None
                and Path(each.cr_code.co_filename).is_relative_to(Path(seei.__file__).parent)
            )
    assert alive["lot_socket"] == 1  # the handler, waiting for the viewer's messages
    assert not alive.keys() & {"application", "app", "with_headers"}


# --- the clock ----------------------------------------------------------------------------------


def test_the_server_time_is_the_clock_of_record(client, clock):
    from seei.auctions.rules import parse_time

    clock.advance(timedelta(days=3))
    before = clock.now()
    served = parse_time(client.get("/room/time").json()["server_time"])
    assert before - timedelta(seconds=1) < served < clock.now() + timedelta(seconds=1)


def test_the_in_process_worker_closes_the_room_and_the_close_is_pushed(
    settings, open_room, lot, company, clock
):
    """On the embedded default the web process runs the task worker: the close needs nothing else."""
    from seei.auctions import tasks
    from seei.auctions.models import Room

    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=True), base_url=ORIGIN) as client:
        url = f"/room/lots/{lot.pk}/bids"
        assert (
            client.post(
                url, json={"amount": "590000", "request_id": "w"}, headers=bid_headers(company)
            ).status_code
            == 201
        )
        with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers(company)) as ws:
            next_snapshot(ws)
            clock.advance(timedelta(hours=1))
            tasks.close_room.defer(lot_id=lot.pk)
            closed = next_snapshot(ws)
    assert closed["status"] == "closed"
    assert closed["winner"] == closed["ranking"][0]["pseudonym"]
    deadline = time.monotonic() + 5
    while Room.objects.get(pk=open_room.pk).status != "closed" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Room.objects.get(pk=open_room.pk).status == "closed"


def test_a_known_login_is_checked_again_inside_every_bid(
    client, open_room, lot, company, other_company, buyer
):
    """The second bid of a session skips the separate session read: the bid's own transaction checks
    the session row, its expiry, the user and the password, and writes nothing when they fail."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from seei.auctions.models import BidAttempt, Room

    url = f"/room/lots/{lot.pk}/bids"

    def post(cookie, amount, request_id):
        return client.post(
            url,
            json={"amount": amount, "request_id": request_id},
            headers={
                "origin": ORIGIN,
                "x-seei-room": "bid",
                "x-seei-language": "en",
                "cookie": f"sessionid={cookie}",
            },
        )

    mine, theirs, buyers = session_cookie(company), session_cookie(other_company), session_cookie(buyer)
    assert post(mine, "590000", "m1").status_code == 201  # the long way, then known
    assert post(theirs, "589000", "t1").status_code == 201
    for _ in range(2):  # the buyer, the long way then the known way: never a bidder
        refused = post(buyers, "588000", "b1")
        assert refused.status_code == 403
        assert refused.json()["message"] == "Only the admitted bidders of this lot can bid."
    seq, attempts = Room.objects.get(pk=open_room.pk).seq, BidAttempt.objects.count()
    assert seq == open_room.seq + 2 and attempts == 2

    company.user.set_password("another-long-passphrase-42")
    company.user.save()
    Session.objects.filter(session_key=theirs).update(expire_date=timezone.now() - timedelta(seconds=1))
    for cookie in (mine, theirs):
        response = post(cookie, "500000", f"late-{cookie[:6]}")
        assert response.status_code == 401 and response.json()["message"] == "Please log in to bid."
    assert Room.objects.get(pk=open_room.pk).seq == seq
    assert BidAttempt.objects.count() == attempts
