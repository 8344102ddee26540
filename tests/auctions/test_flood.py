"""The flood guard (seei.auctions.flood): outsiders refused before the lot's lock, limits per user and
per lot, and refused attempts counted in the pace between two attempts of a bidder."""

from datetime import timedelta

import psycopg
import pytest

from seei.auctions import bidding, flood
from seei.auctions.models import BidAttempt
from tests.conftest import make_member, run_async

from .conftest import bid, ledger_length, open_room
from .test_api_auctions import as_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(auction, clock):
    open_room(auction, clock)
    return auction


class HeldLock:
    """The lot's room row locked by another transaction, as a long batch of bids would hold it."""

    def __init__(self, lot):
        self.conn = psycopg.connect(bidding.conninfo(), autocommit=True)
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT id FROM auctions_room WHERE lot_id = %s FOR UPDATE", (lot.pk,))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        self.conn.close()


# --- outsiders ------------------------------------------------------------------------------------------


def test_an_outsider_is_refused_without_waiting_for_the_lots_lock(live):
    """Its attempt never reaches the lock: refused while another transaction holds it, the first time
    as every time after. (It used to wait LOCK_TIMEOUT for the lock and get "busy": a wait at the
    lock can only end in Unavailable, so the refusal itself shows the lock was never asked for.)"""
    outsider = live.outsiders[0]
    with HeldLock(live.lot):
        answers = [bid(live, outsider, "590000") for _ in range(3)]

    for answer in answers:
        assert (answer.accepted, answer.reason) == (False, "not_admitted")
        assert answer.message == "Your company is not admitted to bid on this lot."
    assert not BidAttempt.objects.exists() and ledger_length(live.lot) == 1


def test_an_admitted_bidder_still_waits_its_turn_at_the_lock(live):
    """The check lets the bidders through: the one that meets a held lock is answered "busy"."""
    with HeldLock(live.lot), pytest.raises(bidding.Unavailable) as refused:
        bid(live, live.bidders[0], "590000", request_id="sent")
    assert refused.value.reason == "busy"
    assert bid(live, live.bidders[0], "590000", request_id="sent").accepted  # sent again, as told


def test_the_api_refuses_an_outsider_before_the_lock(live):
    """A wait at the held lock would end in a 503 "busy"; the 403 shows the lock was never asked for."""
    with HeldLock(live.lot):
        response = as_member(live.outsiders[0]).post(
            f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "x"}
        )
    assert response.status_code == 403 and response.json()["reason"] == "not_admitted"


def test_a_new_member_of_an_admitted_company_bids_at_once(live):
    """The cached set is read again when a membership changes: a refusal is never stale."""
    newcomer = make_member("newcomer@bidder.ma", live.outsiders[0].organisation, "company_member")
    assert bid(live, newcomer, "590000").reason == "not_admitted"  # the set is now cached

    joined = make_member("joined@bidder.ma", live.bidders[0].organisation, "company_member")
    newcomer.organisation = live.bidders[1].organisation
    newcomer.save()

    assert bid(live, joined, "590000").accepted
    assert bid(live, newcomer, "580000").accepted


def test_a_seat_taken_in_the_public_practice_auction_bids_at_once(live, company):
    """Joining takes a seat (a Bidder row): the outsider refused a moment ago bids at once."""
    from seei.auctions.models import Bidder

    stranger = make_member("stranger@bidder.ma", live.outsiders[0].organisation, "company_member")
    assert bid(live, stranger, "590000").reason == "not_admitted"
    seat = Bidder.objects.get(room__lot=live.lot, company=live.bidders[2].organisation)
    seat.company = stranger.organisation
    seat.save()

    assert bid(live, stranger, "590000").accepted


# --- limits ---------------------------------------------------------------------------------------------


def test_one_user_gets_a_429_past_its_limit(live, settings):
    settings.SEEI_BID_LIMIT_PER_USER = (3, 30.0)
    outsider = live.outsiders[0]
    assert all(bid(live, outsider, "590000").reason == "not_admitted" for _ in range(3))

    with pytest.raises(flood.Throttled) as refused:
        bid(live, outsider, "590000")
    assert refused.value.reason == "rate_limited" and refused.value.retry_after == 10
    assert refused.value.message() == "Too many bid attempts. Please wait 10 s before trying again."
    # Another user is not held back by this one's attempts.
    assert bid(live, live.bidders[0], "590000").accepted


def test_the_api_answers_429_with_the_wait(live, settings):
    settings.SEEI_BID_LIMIT_PER_USER = (1, 5.0)
    client = as_member(live.bidders[0])
    assert (
        client.post(f"/lots/{live.lot.pk}/bids", {"amount": "590000", "request_id": "a"}).status_code == 201
    )

    response = client.post(f"/lots/{live.lot.pk}/bids", {"amount": "589000", "request_id": "b"})

    assert response.status_code == 429 and response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Too many bid attempts. Please wait 5 s before trying again.",
        "reason": "rate_limited",
    }


def test_one_lot_gets_a_429_past_its_limit(live, settings, clock):
    settings.SEEI_BID_LIMIT_PER_LOT = (2, 10.0)
    first, second, third = live.bidders
    assert bid(live, first, "590000").accepted
    assert bid(live, second, "589000").accepted

    with pytest.raises(flood.Throttled) as refused:
        bid(live, third, "588000")
    assert refused.value.reason == "lot_busy" and refused.value.retry_after == 5
    assert ledger_length(live.lot) == 3
    clock.advance(timedelta(seconds=5))
    assert bid(live, third, "588000").accepted


# --- the pace counts refused attempts -----------------------------------------------------------------


def test_a_refused_attempt_counts_in_the_pace_between_two_attempts(live, clock):
    """Three refused attempts per lot interval (5 s here), then a wait: a bidder cannot keep the lot's
    lock busy with refused attempts (the rules count accepted bids only)."""
    member = live.bidders[0]
    for _ in range(3):  # a typo, its correction...: reach the lock and are refused
        assert bid(live, member, "600000").reason == "not_below_start"

    with pytest.raises(flood.Throttled) as refused:
        bid(live, member, "590000")
    assert refused.value.reason == "too_soon" and refused.value.retry_after == 2
    assert refused.value.message() == "You bid a moment ago. Please wait 2 s before your next bid."
    assert BidAttempt.objects.count() == 3 and ledger_length(live.lot) == 1

    clock.advance(timedelta(seconds=2))
    assert bid(live, member, "590000").accepted


def test_the_same_request_sent_again_is_not_a_new_attempt(live):
    member = live.bidders[0]
    first = bid(live, member, "590000", request_id="once")
    again = bid(live, member, "590000", request_id="once")  # a retry after a lost answer
    assert first.accepted and again.replayed and again.receipt == first.receipt


def test_the_room_answers_429_in_the_bidders_language(live):
    from starlette.testclient import TestClient

    from seei.room.app import create_app
    from tests.room.conftest import session_cookie
    from tests.room.test_app import ORIGIN

    member = live.bidders[0]
    headers = {
        "origin": ORIGIN,
        "x-seei-room": "bid",
        "x-seei-language": "fr",
        "cookie": f"sessionid={session_cookie(member)}",
    }
    url = f"/room/lots/{live.lot.pk}/bids"
    with TestClient(create_app(in_process_worker=False), base_url=ORIGIN) as client:
        refused = [
            client.post(url, json={"amount": "600000", "request_id": f"r{n}"}, headers=headers)
            for n in range(3)
        ]
        soon = client.post(url, json={"amount": "590000", "request_id": "b"}, headers=headers)

    assert [(r.status_code, r.json()["reason"]) for r in refused] == [(422, "not_below_start")] * 3
    assert soon.status_code == 429 and soon.headers["retry-after"] == "2"
    assert soon.json() == {
        "accepted": False,
        "reason": "too_soon",
        "message": "Vous venez d'enchérir. Veuillez patienter 2 s avant votre prochaine offre.",
    }


# --- the hot path ----------------------------------------------------------------------------------------


def test_the_check_needs_no_io_for_an_admitted_bidder(live, settings):
    """What the guard adds to an admitted bidder's bid, once the lot's set is cached: no I/O (its
    connection is None here, so any query would fail). Its cost is the bench's, not a test's."""

    settings.SEEI_BID_LIMIT_PER_USER = settings.SEEI_BID_LIMIT_PER_LOT = (10**9, 1.0)
    member = live.bidders[0]
    assert bid(live, member, "590000", request_id="r").accepted  # the set is cached

    async def many(count):
        for _n in range(count):  # the same request again: the pace lets it through
            assert not await flood.before_lock(None, live.lot.pk, member.user_id, "r")

    run_async(many(100))


def test_a_change_made_by_another_process_is_seen_through_the_shared_generation(
    live, settings, machine_redis, clock
):
    """Another process admits someone (here: its rows written and its generation bumped in Redis,
    none of this process's signals fired): this process refuses no longer, within SHARED_EVERY."""
    import redis
    from django.db import connection

    settings.REDIS_URL = machine_redis
    newcomer = make_member("late@bidder.ma", live.outsiders[0].organisation, "company_member")
    assert bid(live, newcomer, "590000").reason == "not_admitted"  # cached with the shared generation
    with connection.cursor() as cursor:  # as another process would: no signal here
        cursor.execute(
            "UPDATE accounts_membership SET organisation_id = %s WHERE id = %s",
            [live.bidders[0].organisation_id, newcomer.pk],
        )
    assert bid(live, newcomer, "590000", request_id="stale").reason == "not_admitted"  # not told yet

    redis.Redis.from_url(machine_redis).set(flood.GENERATION_KEY, "another process's change")
    clock.advance(timedelta(seconds=flood.SHARED_EVERY))

    assert bid(live, newcomer, "590000", request_id="fresh").accepted
