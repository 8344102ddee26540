"""A room that shows ranks only never tells a bidder the best price: not in the frames, not in its
own view ("me"), not in a refusal (issue 13)."""

import json
from datetime import timedelta

import pytest

from tests.room.test_app import bid_headers, client, headers, next_snapshot  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rank_room(lot, company, other_company, clock):
    """The lot's room, open, showing each bidder its own rank only (the decrement from its own bid)."""
    from seei.auctions import services

    lot.visibility = "rank"
    lot.save(update_fields=["visibility"])
    room = services.prepare_room(lot, companies=[company.organisation, other_company.organisation])
    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    services.open_room(lot.pk)
    return room


def test_a_bidder_of_a_rank_only_room_never_learns_the_best_price(
    client,  # noqa: F811
    rank_room,
    lot,
    company,
    other_company,
    clock,
):
    url = f"/room/lots/{lot.pk}/bids"
    with client.websocket_connect(f"/room/lots/{lot.pk}/ws", headers=headers(other_company)) as ws:
        next_snapshot(ws)
        first = client.post(url, json={"amount": "599000", "request_id": "a"}, headers=bid_headers(company))
        assert first.status_code == 201, first.text
        frame = next_snapshot(ws)
    assert frame["bids"] == 1 and "best" not in frame and "599000" not in json.dumps(frame)

    # Its own step allows 599,000.00, the best price: the range must not step around it.
    mine = client.get(f"/room/lots/{lot.pk}/snapshot", headers=headers(other_company)).json()
    assert mine["me"]["highest_allowed"] == "599000.00" and "best" not in mine

    clock.advance(timedelta(seconds=6))
    for language in ("en", "fr", "ar"):
        refused = client.post(
            url,
            json={"amount": "599000", "request_id": f"b-{language}"},
            headers=bid_headers(other_company, language),
        )
        assert refused.status_code == 422
        body = refused.json()
        assert body["reason"] == "equal_to_best"
        assert "599" not in body["message"]
