"""Several processes, as in production: two uvicorn web processes on different ports sharing
PostgreSQL and Redis, a task worker process, and a fail-over proxy in front of the first.

A bidder on one web process sees within a second a bid made through the other (one Redis
message per process, fanned out locally); killing a web process loses no accepted bid, and its
clients reconnect through the proxy to the other process and resync; the worker process closes
the auction and every screen hears of it.
"""

import re
import secrets
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_room import Screen, pseudonym
from tests.room.servers import FailoverProxy, WebServer, Worker, usable_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lot(transactional_db, published_tender):
    return published_tender.lots.get()


@pytest.fixture
def unique_lot_ids(transactional_db):
    """Redis channels are named after lot ids and Redis is shared on this machine: start the ids
    far from any other test database's, so no other suite's frames reach these processes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tenders_lot', 'id'), %s)",
            [secrets.randbelow(10**9) + 10**6],
        )


@pytest.fixture
def open_room(unique_lot_ids, lot, company, other_company, clock, settings, machine_redis):
    from seei.auctions import services

    settings.REDIS_URL = machine_redis  # what this test process publishes goes through Redis too
    services.prepare_room(lot, companies=[company.organisation, other_company.organisation])
    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    services.open_room(lot.pk)
    for membership in (company, other_company):
        usable_password(membership)
    return lot.room


@pytest.fixture
def cluster(open_room, tmp_path, machine_redis):
    with (
        WebServer(tmp_path, machine_redis, "web-1") as first,
        WebServer(tmp_path, machine_redis, "web-2") as second,
        Worker(tmp_path, machine_redis) as worker,
        FailoverProxy([first.port, second.port]) as proxy,  # to web-1 while it lives, then to web-2
    ):
        worker.ready()
        yield first, second, worker, proxy
    for process in (first, second, worker):
        print(f"--- {process.name}\n{process.output()}")  # shown with a failing test


def screen_on(new_context, base_url, membership, lot) -> Screen:
    page = new_context().new_page()
    screen = Screen(page, membership)
    log_in(page, base_url, membership)
    page.goto(f"{base_url}/en/auctions/lots/{lot.pk}/room/")
    screen.connected()
    return screen


def accepted_bids(lot) -> list[str]:
    from seei.auctions.models import LedgerEntry

    return [
        entry.data["amount"]
        for entry in LedgerEntry.objects.filter(room__lot=lot, type="bid").order_by("seq")
    ]


def post_bid(server, session: str, lot, amount: str, request_id: str) -> httpx.Response:
    """A bid as the room page sends it, to one given web process."""
    return httpx.post(
        f"{server.url}/room/lots/{lot.pk}/bids",
        json={"amount": amount, "request_id": request_id},
        headers={"origin": server.url, "x-seei-room": "bid", "x-seei-language": "en"},
        cookies={"sessionid": session},
        timeout=10,
    )


def test_two_web_processes_a_worker_and_a_crash(cluster, new_context, lot, company, other_company, clock):
    from seei.auctions import tasks

    web_1, web_2, worker, proxy = cluster
    first = screen_on(new_context, proxy.url, company, lot)  # served by web-1, through the proxy
    second = screen_on(new_context, web_2.url, other_company, lot)  # served by web-2

    # A bid through web-2 reaches the bidder on web-1 within a second, and the other way round.
    second.bid("590000")
    expect(second.field("bid-result")).to_contain_text("Your rank: 1.")
    expect(first.field("bid-count")).to_have_text("1", timeout=1000)
    expect(first.page.get_by_test_id("best-price")).to_have_text(
        re.compile(r"590,000\.00\s+MAD"), timeout=1000
    )
    first.bid("585000")
    expect(first.field("bid-result")).to_contain_text("Your rank: 1.")
    expect(second.field("bid-count")).to_have_text("2", timeout=1000)
    expect(second.page.get_by_test_id("own-rank")).to_have_text("2 of 2", timeout=1000)
    assert accepted_bids(lot) == ["590000.00", "585000.00"]

    # A bid accepted by web-1 just before it dies...
    clock.advance(timedelta(seconds=10))  # past the flood guard
    session = {cookie["name"]: cookie["value"] for cookie in second.page.context.cookies()}["sessionid"]
    before_crash = post_bid(web_1, session, lot, "580000", "before-crash")
    assert before_crash.status_code == 201
    web_1.kill()
    assert accepted_bids(lot) == ["590000.00", "585000.00", "580000.00"]  # ...is in the ledger
    # A client that did not get the answer sends the same request again, to the other process:
    # it gets the same answer, and the bid is not doubled.
    retry = post_bid(web_2, session, lot, "580000", "before-crash")
    assert retry.status_code == 201 and retry.json()["replayed"] is True
    assert retry.json()["receipt"]["hash"] == before_crash.json()["receipt"]["hash"]

    # web-1's bidder reconnects (through the proxy, to web-2) and resyncs.
    expect(first.page.locator("#room")).to_have_attribute("data-connected", "false", timeout=5000)
    expect(first.page.locator("#room")).to_have_attribute("data-connected", "true", timeout=10000)
    expect(first.field("bid-count")).to_have_text("3")
    expect(first.page.get_by_test_id("own-rank")).to_have_text("2 of 2")
    expect(first.field("history").locator("li")).to_have_count(3)

    first.bid("579000")  # through the proxy, now to web-2
    expect(first.field("bid-result")).to_contain_text("Your rank: 1.")
    expect(second.field("bid-count")).to_have_text("4", timeout=1000)
    expect(second.page.get_by_test_id("own-rank")).to_have_text("2 of 2", timeout=1000)
    assert accepted_bids(lot) == ["590000.00", "585000.00", "580000.00", "579000.00"]

    # The worker process closes the auction; both screens hear of it through Redis.
    clock.advance(timedelta(hours=1))
    tasks.close_room.defer(lot_id=lot.pk)
    winner = pseudonym(lot, company)
    for screen in (first, second):
        expect(screen.field("status")).to_have_text("Closed", timeout=15000)
        expect(screen.field("winner-name")).to_contain_text(winner)
    assert "Traceback" not in web_2.output() + worker.output()
