"""The auction in the JSON API: snapshot, bid, the public ledger and key, the incident suspension."""

import json
from datetime import timedelta

import pytest

from seei.auctions import ledger, services, signing
from seei.auctions.models import BidAttempt, LedgerEntry, Suspension
from seei.auctions.verify import verify_ledger
from tests.api.conftest import ApiClient, token_for
from tests.conftest import Client

from .conftest import ledger_length, move_before_close, open_room, room_row

pytestmark = pytest.mark.django_db(transaction=True)


def as_member(membership, language="en"):
    return ApiClient(token_for(membership), language)


@pytest.fixture
def live(auction, clock):
    open_room(auction, clock)
    return auction


# Snapshot ------------------------------------------------------------------------------------------------


def test_a_bidder_gets_the_snapshot_with_its_own_view(live):
    as_member(live.bidders[0]).post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "a"})

    response = as_member(live.bidders[0]).get(f"/lots/{live.lot.pk}/snapshot")

    assert response.status_code == 200
    body = response.json()
    assert body["lot"] == live.lot.pk and body["seq"] == 1 and body["status"] == "open"
    assert body["me"] == {
        "pseudonym": live.pseudonym(live.bidders[0]),
        "rank": 1,
        "last_amount": "590000.00",
        "lowest_allowed": "530000.00",
        "highest_allowed": "589000.00",
    }


def test_the_buyer_and_the_commission_watch_without_identities(live):
    as_member(live.bidders[0]).post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "a"})

    for watcher in (live.buyer, live.commission):
        response = as_member(watcher).get(f"/lots/{live.lot.pk}/snapshot")
        assert response.status_code == 200
        assert "me" not in response.json()
        text = response.content.decode()
        assert live.bidders[0].organisation.name not in text and live.bidders[0].user.email not in text


def test_others_may_not_watch_a_private_room(live):
    forbidden = "Only the bidders, the buyer and the commission of this lot can watch its room."

    for client in (ApiClient(), as_member(live.outsiders[0])):
        response = client.get(f"/lots/{live.lot.pk}/snapshot")
        assert response.status_code == 403
        assert response.json() == {"detail": forbidden}


def test_a_wrong_token_is_not_taken_for_a_visitor(live):
    response = ApiClient(key="not-a-token").get(f"/lots/{live.lot.pk}/snapshot")
    assert response.status_code == 401


def test_anyone_watches_a_public_room(live):
    live.lot.public_watch = True
    live.lot.save()

    response = ApiClient().get(f"/lots/{live.lot.pk}/snapshot")

    assert response.status_code == 200 and response.json()["bidders"] == 3


def test_a_lot_without_room_is_not_found(published_tender):
    response = ApiClient().get(f"/lots/{published_tender.lots.get().pk}/snapshot")
    assert response.status_code == 404
    assert response.json() == {"detail": "This lot has no auction room."}


# Bids ---------------------------------------------------------------------------------------------------------


def test_an_accepted_bid_answers_201_with_a_signed_receipt(live):
    response = as_member(live.bidders[0]).post(
        f"/lots/{live.lot.pk}/bids", {"amount": "590 000,00", "request_id": "first"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["accepted"] and body["reason"] is None and not body["replayed"]
    assert body["message"] == "Your bid of 590,000.00\xa0MAD is recorded. Your rank: 1."
    assert ledger.verify_receipt(signing.private_key().public_key(), body["receipt"])
    assert body["receipt"]["hash"] == LedgerEntry.objects.get(room__lot=live.lot, seq=1).hash
    assert body["snapshot"]["seq"] == 1 and body["allowed"] == {"lowest": "530000.00", "highest": "589000.00"}


def test_a_refused_bid_answers_400_in_the_clients_language_and_changes_nothing(live):
    before = (ledger_length(live.lot), room_row(live.lot))

    response = as_member(live.bidders[0], "fr").post(
        f"/lots/{live.lot.pk}/bids", {"amount": "600000", "request_id": "too-high"}
    )

    assert response.status_code == 400
    body = response.json()
    message = "Votre offre doit être inférieure au prix de départ de 600\xa0000,00\xa0MAD."
    assert body["detail"] == message and body["errors"] == {"amount": [message]}
    assert (body["accepted"], body["reason"]) == (False, "not_below_start")
    assert (ledger_length(live.lot), room_row(live.lot)) == before


def test_a_nul_character_is_refused_clearly_in_the_amount_and_in_the_request_id(live):
    """Neither can reach PostgreSQL's text, which refuses NUL (it once made the API answer 500)."""
    bidder, outsider = as_member(live.bidders[0]), as_member(live.outsiders[0])
    before = (ledger_length(live.lot), room_row(live.lot))

    amount = bidder.post(f"/lots/{live.lot.pk}/bids", {"amount": "99\u000099", "request_id": "nul"})
    outsiders = outsider.post(f"/lots/{live.lot.pk}/bids", {"amount": "99\u000099", "request_id": "nul"})
    key = bidder.post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "n\u0000ul"})

    assert (amount.status_code, amount.json()["reason"]) == (400, "malformed_amount")
    assert outsiders.status_code == 403
    assert key.status_code == 422 and "printable" in json.dumps(key.json())
    assert (ledger_length(live.lot), room_row(live.lot)) == before
    assert set(BidAttempt.objects.values_list("amount_text", flat=True)) == {"99\\u000099"}
    valid = as_member(live.bidders[1]).post(
        f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "ok"}
    )
    assert valid.status_code == 201 and ledger_length(live.lot) == before[0] + 1


def test_a_refusal_about_the_room_is_not_about_the_amount(live, clock):
    move_before_close(live, clock, -1)

    response = as_member(live.bidders[0]).post(
        f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "late"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"__all__": ["The auction is closed; no more bids are accepted."]}


def test_a_company_that_is_not_admitted_gets_403(live):
    before = (ledger_length(live.lot), room_row(live.lot))

    response = as_member(live.outsiders[0]).post(
        f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "x"}
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your company is not admitted to bid on this lot.",
        "reason": "not_admitted",
    }
    assert (ledger_length(live.lot), room_row(live.lot)) == before
    assert not BidAttempt.objects.exists()  # refused before the lot's lock (seei.auctions.flood)


def test_only_company_members_bid(live):
    response = as_member(live.buyer).post(
        f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "x"}
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "This is reserved to the role “Company member”."}
    assert (
        ApiClient().post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "x"}).status_code
        == 401
    )
    assert not BidAttempt.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 590000, "request_id": "n"},
        {"amount": "590000"},
        {"amount": "590000", "request_id": "x" * 65},
    ],
)
def test_a_bid_of_the_wrong_shape_answers_422(live, body):
    response = as_member(live.bidders[0]).post(f"/lots/{live.lot.pk}/bids", body)

    assert response.status_code == 422
    assert response.json()["detail"] == "The request does not have the expected shape."
    assert ledger_length(live.lot) == 1 and not BidAttempt.objects.exists()


def test_a_replayed_request_returns_the_same_answer(live, clock):
    client = as_member(live.bidders[0])
    first = client.post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "once"})
    clock.advance(timedelta(seconds=10))

    again = client.post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "once"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["replayed"] and again.json()["receipt"] == first.json()["receipt"]
    assert ledger_length(live.lot) == 2 and BidAttempt.objects.count() == 1


def test_bidding_on_a_lot_without_room_is_not_found(published_tender, company):
    response = as_member(company).post(
        f"/lots/{published_tender.lots.get().pk}/bids", {"amount": "1", "request_id": "x"}
    )
    assert response.status_code == 404


def test_a_session_bids_with_its_csrf_token(live):
    from tests.conftest import PASSWORD

    client = Client(enforce_csrf_checks=True)
    assert client.login(email=live.bidders[0].user.email, password=PASSWORD)
    body = json.dumps({"amount": "590000", "request_id": "session"})

    assert (
        client.post(f"/api/v1/lots/{live.lot.pk}/bids", body, content_type="application/json").status_code
        == 403
    )
    client.get("/en/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/v1/lots/{live.lot.pk}/bids",
        body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201


# Ledger --------------------------------------------------------------------------------------------------------


def test_the_ledger_is_published_once_closed_and_verifies(live, clock):
    client = ApiClient()
    as_member(live.bidders[0]).post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "a"})
    as_member(live.bidders[1]).post(f"/lots/{live.lot.pk}/bids", {"amount": "580000", "request_id": "b"})

    early = client.get(f"/lots/{live.lot.pk}/ledger")
    assert early.status_code == 403
    assert early.json() == {"detail": "The ledger of a lot is published once its auction is closed."}

    move_before_close(live, clock, -1)
    services.close_room(live.lot.pk)
    response = client.get(f"/lots/{live.lot.pk}/ledger")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ledger-AO-ROOM-001-1.json"'
    document = response.json()
    assert document["format"] == "seei-ledger/1"
    assert document["lot"] == {
        "ref": "AO-ROOM-001/1",
        "id": live.lot.pk,
        "notice": "AO-ROOM-001",
        "number": 1,
    }
    key = ledger.load_public_key(client.get("/ledger/public-key").json()["public_key"])
    report = verify_ledger(document, public_key=key)
    assert report.ok, report.errors
    assert report.winner == live.pseudonym(live.bidders[1])
    text = response.content.decode()
    for member in live.bidders:
        assert member.organisation.name not in text and member.user.email not in text


def test_the_public_key_is_published(db):
    response = ApiClient().get("/ledger/public-key")

    assert response.status_code == 200
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    assert body["public_key"] == signing.public_key_pem()
    assert ledger.public_key_b64(ledger.load_public_key(body["public_key"])) == body["public_key_b64"]


def test_the_operations_are_in_the_openapi_document(db):
    paths = ApiClient().get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/lots/{lot_id}/snapshot",
        "/api/v1/lots/{lot_id}/bids",
        "/api/v1/lots/{lot_id}/ledger",
        "/api/v1/ledger/public-key",
    } <= set(paths)


# Suspension ----------------------------------------------------------------------------------------------------


def test_an_administrator_suspends_and_resumes_through_the_api(live, admin_member):
    client = as_member(admin_member)

    started = client.post("/auctions/suspension", {"reason": "Incident réseau"})
    assert started.status_code == 201
    assert started.json()["lots"] == [live.lot.pk] and started.json()["ended_at"] is None
    assert live.room.status == "suspended"

    ended = client.post("/auctions/suspension/end")
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    assert live.room.status == "open"


def test_only_an_administrator_suspends_through_the_api(live):
    response = as_member(live.buyer).post("/auctions/suspension", {"reason": "No"})

    assert response.status_code == 403
    assert not Suspension.objects.exists() and live.room.status == "open"


def test_a_rank_only_lot_keeps_the_best_price_out_of_the_answers(buyer, category, region, clock):
    from .conftest import make_auction, open_room

    auction = make_auction(buyer, category, region, clock, reference="AO-RANK-001", visibility="rank")
    open_room(auction, clock)
    url = f"/lots/{auction.lot.pk}/bids"
    assert as_member(auction.bidders[0]).post(url, {"amount": "599000", "request_id": "a"}).status_code == 201

    # A company that has not bid: its first step allows up to 599,000.00, the best price; the range
    # must not step around it (598,999.99 would tell it the best).
    body = as_member(auction.bidders[1]).get(f"/lots/{auction.lot.pk}/snapshot").json()
    assert body["me"]["highest_allowed"] == "599000.00" and "best" not in body
    assert all("amount" not in line for line in body["ranking"])

    refused = as_member(auction.bidders[1], "fr").post(url, {"amount": "599000", "request_id": "b"})
    assert refused.status_code == 400 and refused.json()["reason"] == "equal_to_best"
    assert "599" not in refused.json()["detail"]
