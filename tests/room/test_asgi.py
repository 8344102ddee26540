"""The ASGI entry point: the room app beside Django, with the lifespan, and the server options."""

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

pytestmark = pytest.mark.django_db(transaction=True)


def test_room_paths_go_to_the_room_app_and_the_rest_to_django(settings, monkeypatch):
    from django.db import connections

    settings.REDIS_URL = ""
    # Under ASGI each request runs in a thread of its own: a persistent connection would outlive it.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    from seei.asgi import application

    with TestClient(application, base_url="http://testserver") as client:
        assert client.get("/room/time").json()["type"] == "time"  # the room app (its pool is open)
        page = client.get("/en/")
        assert page.status_code == 200 and b"<html" in page.content  # Django
        assert client.get("/room/nothing").status_code == 404
        with pytest.raises(WebSocketDisconnect):  # Django serves no socket
            with client.websocket_connect("/en/", headers={"origin": "http://testserver"}) as ws:
                ws.receive_bytes()


def test_the_server_never_compresses_frames_and_keeps_client_messages_small():
    from seei.room.server import ROOM_SERVER_OPTIONS

    assert ROOM_SERVER_OPTIONS["ws_per_message_deflate"] is False
    assert ROOM_SERVER_OPTIONS["ws_max_size"] <= 4096


def test_a_bidders_connection_outlives_its_pause_and_the_proxys_keep_alive():
    """uvicorn's 5 s would close most kept-alive connections between a bidder's bids (a pause of
    2-10 s), and nginx's upstream keeps an idle connection 60 s: one closed here first fails a bid."""
    from seei.room.server import ROOM_SERVER_OPTIONS

    assert ROOM_SERVER_OPTIONS["timeout_keep_alive"] > 60


def test_several_workers_need_redis(monkeypatch, capsys):
    from seei.room import server

    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(SystemExit):
        server.main(["--workers", "2"])
    assert "several workers need REDIS_URL" in capsys.readouterr().err
