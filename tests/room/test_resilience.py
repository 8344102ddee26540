"""The room when the database fails or a lot's lock holder stops responding: a clear, retryable
answer in the bidder's language (a 503, never a bare 500), and no holder keeps the lot."""

import psycopg
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from seei.auctions.bidding import connections
from seei.core import database
from seei.room.app import CLOSE_TRY_AGAIN, create_app
from tests.room.conftest import session_cookie
from tests.room.servers import free_port, wait_until

ORIGIN = "http://testserver"


def bid_headers(cookie: str, language: str = "en") -> dict:
    return {
        "origin": ORIGIN,
        "x-seei-room": "bid",
        "x-seei-language": language,
        "cookie": f"sessionid={cookie}",
    }


@pytest.fixture
def database_down(settings, monkeypatch):
    """The room app, its database unreachable (nothing listens on its port)."""
    settings.REDIS_URL = ""
    settings.SEEI_DB_POOL_TIMEOUT = 0.5
    monkeypatch.setattr(connections, "conninfo", lambda: f"postgresql://seei@127.0.0.1:{free_port()}/seei")
    with TestClient(create_app(in_process_worker=False), base_url=ORIGIN) as client:
        yield client


def test_during_a_database_outage_a_bid_gets_a_503_with_a_reason_in_the_bidders_language(database_down):
    response = database_down.post(
        "/room/lots/1/bids", json={"amount": "590000", "request_id": "r-1"}, headers=bid_headers("x", "en")
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert response.json() == {
        "accepted": False,
        "reason": "unavailable",
        "message": "The auction service is briefly unavailable; your request was not handled. "
        "Please try again in a few seconds.",
    }


@pytest.mark.parametrize("path", ["/room/lots/1/snapshot", "/room/lots/1/history", "/room/time"])
def test_during_a_database_outage_the_reads_get_a_503_too(database_down, path):
    response = database_down.get(path, headers={"origin": ORIGIN, "x-seei-language": "en"})
    assert response.status_code == 503
    assert response.json() == {
        "accepted": False,
        "reason": "unavailable",
        "message": "The auction service is briefly unavailable; your request was not handled. "
        "Please try again in a few seconds.",
    }


def test_during_a_database_outage_a_socket_is_closed_with_try_again_later(database_down):
    with database_down.websocket_connect("/room/lots/1/ws", headers={"origin": ORIGIN}) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_bytes()
    assert closed.value.code == CLOSE_TRY_AGAIN


# --- a lot's lock holder that stops responding ----------------------------------------------------


@pytest.fixture
def client(settings, transactional_db):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), base_url=ORIGIN) as client:
        yield client


def hold_the_lot(lot_id: int, **connection_options) -> psycopg.Connection:
    """A transaction holding the lot's row lock, as a room process frozen in the middle of a bid."""
    holder = psycopg.connect(database.url(), autocommit=True, **connection_options)
    holder.execute("BEGIN")
    holder.execute("SELECT 1 FROM auctions_room WHERE lot_id = %s FOR UPDATE", [lot_id])
    return holder


def ledger_length(lot) -> int:
    from seei.auctions.models import LedgerEntry

    return LedgerEntry.objects.filter(room__lot=lot).count()


@pytest.mark.django_db(transaction=True)
def test_a_bid_on_a_lot_locked_by_a_silent_holder_is_answered_busy_then_accepted_once_it_is_gone(
    client, open_room, lot, company
):
    cookie, before = session_cookie(company), ledger_length(lot)
    holder = hold_the_lot(lot.pk)
    try:
        busy = client.post(
            f"/room/lots/{lot.pk}/bids",
            json={"amount": "590000", "request_id": "held"},
            headers=bid_headers(cookie, "en"),
        )
    finally:
        holder.close()  # the holder is gone: its transaction rolls back
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {
        "accepted": False,
        "reason": "busy",
        "message": "The lot is busy; your bid was not recorded. Please send it again.",
    }
    assert ledger_length(lot) == before  # nothing was decided
    again = client.post(
        f"/room/lots/{lot.pk}/bids",
        json={"amount": "590000", "request_id": "held"},
        headers=bid_headers(cookie, "en"),
    )
    assert again.status_code == 201, again.text
    assert again.json()["accepted"] is True and ledger_length(lot) == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_room_connection_frozen_inside_a_transaction_loses_its_session_and_the_lock(
    client, open_room, lot, company
):
    """The room's own connections end a transaction left idle (a frozen process): the lot is free
    again without anyone touching the holder."""
    holder = hold_the_lot(lot.pk, options=connections._connection_kwargs()["options"])
    cookie = session_cookie(company)

    def accepted():
        answer = client.post(
            f"/room/lots/{lot.pk}/bids",
            json={"amount": "590000", "request_id": "frozen"},
            headers=bid_headers(cookie, "en"),
        )
        assert answer.status_code in (201, 503), answer.text
        return answer.status_code == 201

    try:
        wait_until(accepted, 15, "the bid accepted", every=0.2)
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            holder.execute("SELECT 1")  # its session was ended by the server
    finally:
        holder.close()
