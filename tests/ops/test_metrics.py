"""``/metrics`` after bids through the real room endpoint: accepted and refused ones, by reason, with
their latency; the frames written and the viewers connected; the figures read from the database."""

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from seei.room.app import create_app
from tests.ops.conftest import beat
from tests.room.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://testserver"
LOOPBACK = ("127.0.0.1", 50000)  # /metrics is served to trusted addresses only (SEEI_OPS_TRUSTED)


@pytest.fixture
def client(settings):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), base_url=ORIGIN, client=LOOPBACK) as client:
        yield client


def samples(client) -> dict[tuple, float]:
    """Every sample of the scrape: (name, sorted labels) -> value."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(scrape, name, **labels) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def bids(scrape, outcome, reason) -> float:
    return value(scrape, "seei_bids_total", outcome=outcome, reason=reason)


def send_bid(client, lot, membership, amount, request_id):
    headers = {"origin": ORIGIN, "x-seei-room": "bid", "x-seei-language": "en"}
    if membership is not None:
        headers["cookie"] = f"sessionid={session_cookie(membership)}"
    return client.post(
        f"/room/lots/{lot.pk}/bids", json={"amount": amount, "request_id": request_id}, headers=headers
    )


def test_the_bids_are_counted_by_outcome_and_reason_with_their_latency(
    client, open_room, lot, company, other_company, monkeypatch
):
    from seei.auctions import bidding

    before = samples(client)
    answers = [
        send_bid(client, lot, company, "590000", "m-1"),  # accepted
        send_bid(client, lot, other_company, "585000", "m-2"),  # accepted
        send_bid(
            client, lot, other_company, "600000", "m-3"
        ),  # refused by the rules: 5 s between two bids of a bidder
        send_bid(client, lot, None, "580000", "m-4"),  # not logged in
        send_bid(client, lot, company, "not a price", "m-5"),  # refused: malformed
    ]
    with monkeypatch.context() as patch:
        patch.setattr(bidding, "place_bid", _fails(psycopg.OperationalError("the server went away")))
        answers.append(send_bid(client, lot, company, "580000", "m-6"))
        patch.setattr(bidding, "place_bid", _fails(RuntimeError("a bug")))
        answers.append(send_bid(client, lot, company, "580000", "m-7"))
    after = samples(client)

    assert [answer.status_code for answer in answers] == [201, 201, 422, 401, 422, 503, 500]
    delta = {
        (outcome, reason): bids(after, outcome, reason) - bids(before, outcome, reason)
        for outcome, reason in [
            ("accepted", "none"),
            ("refused", "too_soon"),
            ("refused", "not_authenticated"),
            ("refused", "malformed_amount"),
            ("failed", "unavailable"),
            ("failed", "server_error"),
        ]
    }
    assert answers[2].json()["reason"] == "too_soon"
    assert delta == {
        ("accepted", "none"): 2,
        ("refused", "too_soon"): 1,
        ("refused", "not_authenticated"): 1,
        ("refused", "malformed_amount"): 1,
        ("failed", "unavailable"): 1,
        ("failed", "server_error"): 1,
    }
    timed = value(after, "seei_bid_seconds_count") - value(before, "seei_bid_seconds_count")
    assert timed == len(answers)
    assert value(after, "seei_bid_seconds_sum") > value(before, "seei_bid_seconds_sum")
    slowest = value(after, "seei_bid_seconds_bucket", le="+Inf") - value(
        before, "seei_bid_seconds_bucket", le="+Inf"
    )
    assert slowest == len(answers)


def _fails(error):
    async def place_bid(*args, **kwargs):
        raise error

    return place_bid


def test_the_viewers_and_the_frames_sent_are_counted(client, open_room, lot, company, buyer):
    before = samples(client)
    headers = {"origin": ORIGIN, "cookie": f"sessionid={session_cookie(buyer)}"}
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers) as viewer:
        viewer.receive_bytes()  # the snapshot on connect
        assert send_bid(client, lot, company, "590000", "f-1").status_code == 201
        while b'"bids":1' not in viewer.receive_bytes():  # the bid's frame (clock frames may come first)
            pass
        watching = samples(client)
    after = samples(client)

    assert value(watching, "seei_room_viewers") == 1 and value(watching, "seei_room_lots_watched") == 1
    assert value(after, "seei_room_viewers") == 0
    sent = value(watching, "seei_room_frames_sent_total") - value(before, "seei_room_frames_sent_total")
    assert sent >= 2  # the snapshot on connect and the bid's frame
    assert value(watching, "seei_room_frames_received_total") > value(
        before, "seei_room_frames_received_total"
    )


def test_the_database_figures_are_read_at_each_scrape(client, open_room, no_tasks):
    beat()
    scrape = samples(client)

    assert value(scrape, "seei_database_up") == 1
    assert value(scrape, "seei_task_workers_alive") == 1 and value(scrape, "seei_task_lag_seconds") == 0
    assert (
        value(scrape, "seei_rooms", status="open") == 1
        and value(scrape, "seei_rooms", status="suspended") == 0
    )
    assert value(scrape, "seei_suspensions_total") == 0
    assert value(scrape, "process_open_fds") > 0 and value(scrape, "process_max_fds") > 0


def test_without_a_database_the_process_figures_are_still_served(settings, database_down):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), client=LOOPBACK) as client:
        scrape = samples(client)
    assert value(scrape, "seei_database_up") == 0
    assert ("seei_task_lag_seconds", ()) not in scrape
    assert ("seei_room_viewers", ()) in scrape
