"""An open room socket does not outlive the right to it: every SEEI_ROOM_RECHECK_SECONDS the room
reads the socket's login and access again, and closes it after a logout, a password change, a
removal from the commission or from the company that bids (issue 13)."""

import time

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.room.conftest import session_cookie
from tests.room.servers import wait_until
from tests.room.test_app import ORIGIN, bid_headers, client, next_snapshot  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick_recheck(settings):
    settings.SEEI_ROOM_RECHECK_SECONDS = 0.1


def socket_of(client, lot, cookie):  # noqa: F811
    headers = {"origin": ORIGIN, "x-seei-language": "en", "cookie": f"sessionid={cookie}"}
    return client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers)


def close_of(ws, timeout: float = 10) -> tuple[int, str]:
    """The code and reason the server closes the socket with (clock frames may come before)."""
    deadline = time.monotonic() + timeout
    with pytest.raises(WebSocketDisconnect) as closed:
        while time.monotonic() < deadline:
            ws.receive_bytes()
    return closed.value.code, closed.value.reason


def test_a_logout_closes_the_open_socket(client, open_room, lot, company):  # noqa: F811
    from django.contrib.sessions.models import Session

    cookie = session_cookie(company)
    with socket_of(client, lot, cookie) as ws:
        next_snapshot(ws)
        Session.objects.filter(session_key=cookie).delete()  # what logout does
        assert close_of(ws) == (4401, "session ended")


def test_a_password_change_closes_the_open_socket(client, open_room, lot, company):  # noqa: F811
    with socket_of(client, lot, session_cookie(company)) as ws:
        next_snapshot(ws)
        company.user.set_password("another-long-passphrase-42")
        company.user.save()
        assert close_of(ws) == (4401, "session ended")


def test_a_removal_from_the_commission_closes_the_open_socket(client, open_room, lot, commission_member):  # noqa: F811
    from seei.applications.models import CommissionMember

    with socket_of(client, lot, session_cookie(commission_member)) as ws:
        next_snapshot(ws)
        CommissionMember.objects.filter(membership=commission_member).delete()
        assert close_of(ws) == (4403, "no longer allowed")


def test_a_person_no_longer_with_the_bidding_company_is_closed_out(
    client,  # noqa: F811
    open_room,
    lot,
    company,
    other_company,
    clock,
):
    from seei.accounts.models import Membership

    with socket_of(client, lot, session_cookie(other_company)) as ws:
        next_snapshot(ws)
        Membership.objects.filter(pk=other_company.pk).delete()  # left the company
        assert close_of(ws) == (4403, "no longer allowed")


def test_a_socket_still_allowed_stays_open_across_rechecks(client, open_room, lot, company, other_company):  # noqa: F811
    with socket_of(client, lot, session_cookie(other_company)) as ws:
        first = next_snapshot(ws)
        time.sleep(0.5)  # several rechecks
        response = client.post(
            f"/room/lots/{lot.pk}/bids",
            json={"amount": "590000", "request_id": "r"},
            headers=bid_headers(company),
        )
        assert response.status_code == 201
        assert next_snapshot(ws)["seq"] == first["seq"] + 1


def test_a_recheck_that_fails_closes_the_socket_rather_than_leave_it_unchecked(
    client,  # noqa: F811
    open_room,
    lot,
    company,
    monkeypatch,
):
    from seei.room import app

    real_viewer, calls = app.viewer, []

    async def failing_after_the_handshake(*args):
        calls.append(args)
        if len(calls) > 1:
            raise RuntimeError("a bug in the access check")
        return await real_viewer(*args)

    monkeypatch.setattr(app, "viewer", failing_after_the_handshake)
    with socket_of(client, lot, session_cookie(company)) as ws:
        next_snapshot(ws)
        assert close_of(ws) == (1011, "server error")


def test_sockets_with_the_same_credentials_share_one_read_a_round(
    client,  # noqa: F811
    open_room,
    lot,
    company,
    monkeypatch,
):
    """Thousands of anonymous viewers of a lot: one read of their right a round, not one each."""
    from seei.room import app

    real_viewer, reads = app.viewer, []

    async def counted(conn, websocket, lot_id):
        reads.append(dict(websocket.scope["headers"]).get(b"cookie"))
        return await real_viewer(conn, websocket, lot_id)

    monkeypatch.setattr(app, "viewer", counted)
    lot.public_watch = True
    lot.save(update_fields=["public_watch"])
    anonymous = {"origin": ORIGIN, "x-seei-language": "en"}
    url = f"/room/lots/{lot.pk}/ws"
    with (
        client.websocket_connect(url, headers=anonymous) as first,
        client.websocket_connect(url, headers=anonymous) as second,
        socket_of(client, lot, session_cookie(company)) as third,
    ):
        for ws in (first, second, third):
            next_snapshot(ws)
        handshakes = len(reads)
        wait_until(lambda: len([r for r in reads[handshakes:] if r is not None]) >= 3, 10, "three rounds")
    rounds = reads[handshakes:]
    anonymous_reads, logged_in_reads = rounds.count(None), len(rounds) - rounds.count(None)
    assert anonymous_reads >= 2 and abs(anonymous_reads - logged_in_reads) <= 1  # one each a round
