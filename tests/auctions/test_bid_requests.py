"""What a bid request may be through the API: a request id that is not blank and names one bid only,
and a body within the API's limit, each refused with the API's JSON error."""

import json

import pytest

from seei.auctions.models import BidAttempt

from .conftest import ledger_length, open_room, room_row
from .test_api_auctions import as_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(auction, clock):
    open_room(auction, clock)
    return auction


def test_a_request_id_of_spaces_only_is_refused_with_a_400(live):
    before = (ledger_length(live.lot), room_row(live.lot))

    response = as_member(live.bidders[0]).post(
        f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "   "}
    )

    message = "The request id must not be blank: send a key of your own for this bid."
    assert response.status_code == 400
    assert response.json()["detail"] == message and response.json()["errors"] == {"request_id": [message]}
    assert (ledger_length(live.lot), room_row(live.lot)) == before and not BidAttempt.objects.exists()


def test_a_request_id_reused_for_another_amount_is_a_conflict(live):
    client = as_member(live.bidders[0])
    first = client.post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "k"})
    before = (ledger_length(live.lot), room_row(live.lot), BidAttempt.objects.count())

    other = client.post(f"/lots/{live.lot.pk}/bids", {"amount": "580000", "request_id": "k"})
    same = client.post(f"/lots/{live.lot.pk}/bids", {"amount": "590 000,00", "request_id": "k"})

    assert first.status_code == 201
    assert other.status_code == 409
    assert other.json() == {
        "detail": "This request id was already used for a bid of another amount. "
        "Send the new amount with a new request id.",
        "reason": "request_id_reused",
    }
    assert same.status_code == 201 and same.json()["replayed"]  # the same amount, written another way
    assert (ledger_length(live.lot), room_row(live.lot), BidAttempt.objects.count()) == before


def test_a_refused_request_reused_for_another_amount_is_a_conflict_too(live):
    client = as_member(live.bidders[0])
    assert (
        client.post(f"/lots/{live.lot.pk}/bids", {"amount": "600000", "request_id": "r"}).status_code == 400
    )

    again = client.post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "r"})

    assert again.status_code == 409 and again.json()["reason"] == "request_id_reused"
    assert "another amount" in again.json()["detail"]
    assert ledger_length(live.lot) == 1 and BidAttempt.objects.count() == 1


def test_a_body_over_the_limit_gets_the_apis_json_error(live, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"amount": "590000", "request_id": "big", "padding": "x" * 2000}

    response = as_member(live.bidders[0]).post(f"/lots/{live.lot.pk}/bids", body)

    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    message = "The request body is too large: at most 1000 bytes."
    assert json.loads(response.content) == {"detail": message, "errors": {"__all__": [message]}}
    assert ledger_length(live.lot) == 1 and not BidAttempt.objects.exists()
