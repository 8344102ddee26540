"""The room page when its socket cannot connect, in a real Chromium whose clock is 5 minutes wrong:
the countdown follows the server's clock from the first paint, and the viewer is told that the live
feed is interrupted."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.room.servers import PrivateRedis, WebServer, usable_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WRONG_BY = timedelta(minutes=5)


@pytest.fixture
def server(transactional_db, tmp_path, settings):
    settings.REDIS_URL = ""
    with WebServer(tmp_path) as web:
        yield web
    print(web.output())


@pytest.mark.parametrize("blocked", ["socket", "socket and clock"])
def test_the_countdown_follows_the_server_with_a_wrong_client_clock_and_no_socket(
    server, new_context, open_room, lot, company, clock, blocked
):
    usable_password(company)
    page = new_context().new_page()
    log_in(page, server.url, company)
    page.route_web_socket(re.compile(r".*/room/lots/\d+/ws$"), lambda socket: socket.close())
    if blocked == "socket and clock":  # the only server time left is the one the page came with
        page.route(re.compile(r".*/room/time$"), lambda route: route.abort())
    page.clock.install(time=datetime.now(UTC) + WRONG_BY)
    page.goto(f"{server.url}/en/auctions/lots/{lot.pk}/room/")
    expect(page.get_by_test_id("feed-stale")).to_be_visible()
    expect(page.get_by_test_id("feed-stale")).to_have_text(
        "The live feed is interrupted; the prices shown may be out of date. Reconnecting…"
    )
    page.wait_for_timeout(1500)  # a few ticks of the countdown, on the browser's (wrong) clock
    browser_ahead = page.evaluate("Date.now()") / 1000 - datetime.now(UTC).timestamp()
    assert abs(browser_ahead - WRONG_BY.total_seconds()) < 5  # the browser's clock is wrong indeed
    shown = page.locator('[data-field="countdown"]').inner_text()
    minutes, seconds = shown.split(":")[-2:]
    remaining = (open_room.closes_at - clock.now()).total_seconds()
    print(
        f"{blocked} blocked, browser clock {WRONG_BY} ahead: countdown {shown}, the server's {remaining:.0f} s"
    )
    assert abs(int(minutes) * 60 + int(seconds) - remaining) <= 3


def test_the_page_says_the_feed_is_interrupted_while_the_servers_redis_is_away(
    transactional_db, tmp_path, settings, new_context, open_room, lot, company
):
    redis = PrivateRedis(tmp_path)
    try:
        settings.REDIS_URL = redis.url
        usable_password(company)
        with WebServer(tmp_path, redis.url) as web:
            page = new_context().new_page()
            log_in(page, web.url, company)
            page.goto(f"{web.url}/en/auctions/lots/{lot.pk}/room/")
            room, notice = page.locator("#room"), page.get_by_test_id("feed-stale")
            expect(room).to_have_attribute("data-connected", "true")
            expect(notice).to_be_hidden()
            redis.stop()  # the socket stays up; the process's feed is down
            expect(notice).to_be_visible(timeout=5000)
            expect(room).to_have_attribute("data-connected", "true")
            redis.start()  # live again, and the snapshot read afresh: the notice goes
            expect(notice).to_be_hidden(timeout=15000)
    finally:
        redis.stop()
