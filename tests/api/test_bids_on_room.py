"""``POST /api/v1/lots/{id}/bids`` served by the room app (``seei.room.api_bids``): the API's answers,
every one of them the same as Django's view gives, and the bids on the room's pool.

Each scenario runs twice: through Django (the ninja view, as before) and through the room app as
``seei.asgi`` builds it (the room app, Django behind it for what it does not serve)."""

from datetime import timedelta
from functools import partial

import psycopg
import pytest
from starlette.testclient import TestClient

from seei.core.uploads import SealedBodyASGIHandler
from seei.room.app import create_app
from tests.api.conftest import ApiClient, token_for
from tests.auctions.conftest import ledger_length, make_auction, open_room
from tests.conftest import off_loop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_token_cache")]


@pytest.fixture
def live(buyer, category, region, clock):
    auction = make_auction(buyer, category, region, clock)
    open_room(auction, clock)
    return auction


class CountingDjango:
    """Django's ASGI app, counting the requests the room app hands it."""

    def __init__(self):
        self.django, self.calls = SealedBodyASGIHandler(), 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await self.django(scope, receive, send)


@pytest.fixture
def handed():
    return CountingDjango()


@pytest.fixture
def room_app(settings, handed):
    settings.REDIS_URL = ""
    with TestClient(
        create_app(in_process_worker=False, django=handed), base_url="http://testserver"
    ) as client:
        yield client


class Way:
    """Posts a bid through Django's view or through the room app; answers (status, json, headers)."""

    def __init__(self, room=None):
        self.room = room

    def post(self, lot_id, body, key=None, language="en", raw=None):
        headers = {"Accept-Language": language}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        path = f"/api/v1/lots/{lot_id}/bids"
        if self.room is None:
            client = ApiClient(key, language)
            data = raw if raw is not None else body
            post = partial(client.client.post, content_type="application/json", headers=client.headers)
            response = off_loop(post, path, data)
            kept = response.headers
        else:
            headers["Content-Type"] = "application/json"
            content = raw.encode() if raw is not None else None
            response = self.room.post(
                path, json=None if raw is not None else body, content=content, headers=headers
            )
            kept = response.headers
        return (
            response.status_code,
            response.json(),
            {name: kept.get(name) for name in ("Retry-After", "WWW-Authenticate") if kept.get(name)},
        )


@pytest.fixture(params=["django", "room"])
def way(request):
    if request.param == "django":
        return Way()
    return Way(request.getfixturevalue("room_app"))


def test_every_answer_is_the_apis(live, way, handed, settings):
    lot = live.lot.pk
    key, other, outsider, buyer = (token_for(m) for m in (*live.bidders[:2], live.outsiders[0], live.buyer))

    status, body, _headers = way.post(lot, {"amount": "590000", "request_id": "a"}, key)
    assert status == 201, body
    assert body["accepted"] and body["receipt"]["amount"] == "590000.00"
    assert body["me"]["rank"] == 1 and body["snapshot"]["seq"] == 1 and ledger_length(live.lot) == 2

    assert way.post(lot, {"amount": "580000", "request_id": "a"}, key) == (
        409,
        {
            "detail": "This request id was already used for a bid of another amount. "
            "Send the new amount with a new request id.",
            "reason": "request_id_reused",
        },
        {},
    )
    status, body, _headers = way.post(lot, {"amount": "580000", "request_id": "b"}, key)  # within 5 s
    assert (status, body["reason"], body["errors"]) == (400, "too_soon", {"__all__": [body["detail"]]})

    status, body, _headers = way.post(lot, {"amount": "600000", "request_id": "high"}, other)
    assert (status, body["reason"], body["accepted"]) == (400, "not_below_start", False)
    assert body["errors"] == {"amount": [body["detail"]]} and body["snapshot"]["seq"] == 1
    status, body, _headers = way.post(lot, {"amount": "600000", "request_id": "haut"}, other, language="fr")
    assert status == 400 and body["detail"].startswith("Votre offre doit être inférieure au prix de départ")

    assert way.post(lot, {"amount": "590000", "request_id": "x"}, outsider) == (
        403,
        {"detail": "Your company is not admitted to bid on this lot.", "reason": "not_admitted"},
        {},
    )
    assert way.post(lot, {"amount": "590000", "request_id": "x"}, buyer) == (
        403,
        {"detail": "This is reserved to the role “Company member”."},
        {},
    )
    unauthenticated = {"detail": "Authentication required: send a valid API token or log in."}
    assert way.post(lot, {"amount": "590000", "request_id": "x"}, "wrong") == (
        401,
        unauthenticated,
        {"WWW-Authenticate": "Bearer"},
    )
    assert way.post(lot, {"amount": "590000", "request_id": "x"}) == (
        401,
        unauthenticated,
        {"WWW-Authenticate": "Bearer"},
    )

    assert way.post(lot, {"amount": "590000", "request_id": "   "}, other) == (
        400,
        {
            "detail": "The request id must not be blank: send a key of your own for this bid.",
            "errors": {
                "request_id": ["The request id must not be blank: send a key of your own for this bid."]
            },
        },
        {},
    )
    status, body, _headers = way.post(lot, {"amount": 590000, "request_id": "n"}, other)
    assert (status, body["detail"], list(body["errors"])) == (
        422,
        "The request does not have the expected shape.",
        ["amount"],
    )
    status, body, _headers = way.post(lot, None, other, raw="{not json")
    assert (status, body["detail"]) == (400, "The request body cannot be read.")
    assert ledger_length(live.lot) == 2  # none of these wrote a bid

    settings.SEEI_BID_LIMIT_PER_USER = (1, 5.0)
    third = token_for(live.bidders[2])
    assert way.post(lot, {"amount": "580000", "request_id": "t1"}, third)[0] == 201
    assert way.post(lot, {"amount": "570000", "request_id": "t2"}, third) == (
        429,
        {"detail": "Too many bid attempts. Please wait 5 s before trying again.", "reason": "rate_limited"},
        {"Retry-After": "5"},
    )

    if way.room is not None:  # the bids were the room app's; Django answered only what is not a bid
        assert handed.calls == 6  # role, two 401s, blank request id, shape, unreadable body


def test_a_lot_without_a_room_is_not_found(published_tender, company, way):
    lot = published_tender.lots.get().pk

    assert way.post(lot, {"amount": "1", "request_id": "x"}, token_for(company)) == (
        404,
        {"detail": "This lot has no auction room."},
        {},
    )


def test_a_company_takes_a_seat_of_the_public_practice_auction_with_its_first_bid(company, clock, way):
    from seei.practice import services
    from tests.practice.test_practice import open_now

    lot = services.ensure_public()
    open_now(lot, clock)
    start = ApiClient().get(f"/lots/{lot.pk}/snapshot").json()["starting_price"]

    amount = str(int(float(start)) - 1000)
    status, body, _headers = way.post(lot.pk, {"amount": amount, "request_id": "first"}, token_for(company))

    assert status == 201, body
    assert services.join(lot.pk, company.organisation) == body["receipt"]["bidder"]


def test_the_api_bids_take_the_rooms_pool_not_a_connection_each(live, room_app, handed, clock, monkeypatch):
    """N bids through the room app open no connection (the pool's are reused); Django never sees them."""
    opened = []
    connect = psycopg.AsyncConnection.connect.__func__

    async def counting(cls, *args, **kwargs):
        opened.append(1)
        return await connect(cls, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", classmethod(counting))
    keys = [token_for(member) for member in live.bidders]
    way = Way(room_app)
    assert way.post(live.lot.pk, {"amount": "599000", "request_id": "warm"}, keys[0])[0] == 201
    warm = len(opened)

    rounds = 4
    for turn in range(rounds):
        clock.advance(timedelta(seconds=6))  # past the lot's 5 s between two bids of one bidder
        for index, key in enumerate(keys):
            cents = 598_000_00 - (turn * len(keys) + index) * 1_000_00
            answer = way.post(
                live.lot.pk, {"amount": f"{cents // 100}", "request_id": f"{turn}-{index}"}, key
            )
            assert answer[0] == 201, answer

    assert len(opened) == warm  # 12 bids, not one new connection
    assert handed.calls == 0
    assert ledger_length(live.lot) == 2 + rounds * len(keys)
