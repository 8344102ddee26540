"""A request id names one bid in the room too: sent again with another amount, it is a conflict."""

import pytest
from starlette.testclient import TestClient

from seei.room.app import create_app
from tests.room.test_app import ORIGIN, bid_headers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(settings):
    settings.REDIS_URL = ""
    with TestClient(create_app(in_process_worker=False), base_url=ORIGIN) as client:
        yield client


def test_a_request_id_reused_for_another_amount_is_a_conflict(client, open_room, lot, company):
    from seei.auctions.models import BidAttempt, Room

    url = f"/room/lots/{lot.pk}/bids"
    first = client.post(url, json={"amount": "590000", "request_id": "same"}, headers=bid_headers(company))
    other = client.post(url, json={"amount": "580000", "request_id": "same"}, headers=bid_headers(company))

    assert first.status_code == 201
    assert other.status_code == 409
    assert other.json() == {
        "accepted": False,
        "reason": "request_id_reused",
        "message": "This request id was already used for a bid of another amount. "
        "Send the new amount with a new request id.",
    }
    assert Room.objects.get(pk=open_room.pk).seq == open_room.seq + 1 and BidAttempt.objects.count() == 1
