"""The live room end to end: the real ASGI application (pages, room app, in-process worker) in a
uvicorn process, two bidders in two browser contexts and the buyer watching, in real Chromium.

Bids appear on every screen with the right ranks; a bid in the extension window moves the
countdown on every screen; the close, run by the task worker, designates the winner; and no
company or person behind a bidder ever reaches the others' pages or sockets.
"""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in
from tests.room.conftest import names_of
from tests.room.servers import usable_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lot(published_tender):
    return published_tender.lots.get()


@pytest.fixture
def open_room(lot, company, other_company, buyer, clock):
    """The wheelchairs lot's room with two admitted bidders, open since a second."""
    from seei.auctions import services

    services.prepare_room(lot, companies=[company.organisation, other_company.organisation])
    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    services.open_room(lot.pk)
    for membership in (company, other_company, buyer):
        usable_password(membership)
    return lot.room


class Screen:
    """One person's browser page, and every WebSocket frame it received."""

    def __init__(self, page: Page, membership):
        self.page, self.membership, self.frames = page, membership, []
        page.on("websocket", lambda socket: socket.on("framereceived", self._keep))

    def _keep(self, payload):
        self.frames.append(payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))

    def field(self, name):
        return self.page.locator(f'[data-field="{name}"]')

    def connected(self):
        expect(self.page.locator("#room")).to_have_attribute("data-connected", "true")

    def bid(self, amount: str):
        self.page.get_by_label("Amount (MAD)").fill(amount)
        self.page.get_by_role("button", name="Place my bid").click()


def open_screen(new_context, server, membership, path) -> Screen:
    page = new_context().new_page()
    screen = Screen(page, membership)
    log_in(page, server.url, membership)
    page.goto(server.url + path)
    screen.connected()
    return screen


def pseudonym(lot, membership) -> str:
    from seei.auctions.models import Bidder

    return Bidder.objects.get(room__lot=lot, company=membership.organisation).pseudonym


def countdown_seconds(screen) -> int:
    text = screen.field("countdown").inner_text()
    minutes, seconds = text.split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def test_two_bidders_and_the_buyer_follow_the_auction_live(
    server, new_context, open_room, lot, company, other_company, buyer, clock, tmp_path
):
    from seei.auctions import bidding, rules, tasks
    from seei.auctions.models import Room

    room_path = f"/en/auctions/lots/{lot.pk}/room/"
    first = open_screen(new_context, server, company, room_path)
    second = open_screen(new_context, server, other_company, room_path)
    watching = open_screen(new_context, server, buyer, f"/en/auctions/lots/{lot.pk}/watch/")
    screens = [first, second, watching]
    a, b = pseudonym(lot, company), pseudonym(lot, other_company)
    expect(first.page.get_by_test_id("pseudonym")).to_have_text(a)
    expect(second.page.get_by_test_id("pseudonym")).to_have_text(b)
    expect(first.page.get_by_text("Folding manual wheelchair")).to_be_visible()
    expect(first.page.get_by_test_id("starting-price")).to_have_text(re.compile(r"600,000\.00\s+MAD"))
    expect(first.field("range")).to_have_text(re.compile(r"between 540,000\.00\s+MAD and 599,000\.00\s+MAD"))

    # The first bid reaches every screen.
    first.bid("590000")
    expect(first.field("bid-result")).to_have_text(
        re.compile(r"Your bid of 590,000\.00\s+MAD is recorded\. Your rank: 1\.")
    )
    for screen in screens:
        expect(screen.field("bid-count")).to_have_text("1")
        expect(screen.page.get_by_test_id("best-price")).to_have_text(re.compile(r"590,000\.00\s+MAD"))
        expect(screen.field("history").locator("li")).to_have_count(1)
    expect(first.page.get_by_test_id("own-rank")).to_have_text("1 of 2")
    expect(second.page.get_by_test_id("own-rank")).to_have_text("No bid yet")
    with first.page.expect_download() as receipt:
        first.page.get_by_test_id("receipt").click()
    receipt_path = tmp_path / "receipt.json"
    receipt.value.save_as(receipt_path)

    # A refusal is explained, and changes nothing anywhere.
    second.bid("590000")
    expect(second.field("bid-result")).to_have_text(
        re.compile(r"A bid equal to the best price \(590,000\.00\s+MAD\) is not accepted")
    )
    # The second bidder takes the lead: the ranks swap on the bidders' screens.
    second.bid("585000")
    expect(second.field("bid-result")).to_contain_text("Your rank: 1.")
    for screen in screens:
        expect(screen.field("bid-count")).to_have_text("2")
        expect(screen.page.get_by_test_id("ranking").locator("tbody tr").first).to_contain_text(b)
        expect(screen.page.get_by_test_id("ranking").locator("tbody tr").nth(1)).to_contain_text(a)
    expect(first.page.get_by_test_id("own-rank")).to_have_text("2 of 2")
    expect(second.page.get_by_test_id("own-rank")).to_have_text("1 of 2")

    # A minute before the close, a bid in the extension window moves the close on every screen.
    room = Room.objects.get(pk=open_room.pk)
    clock.advance(room.closes_at - clock.now() - timedelta(seconds=60))
    first.page.evaluate("window.seeiRoom.resync()")  # as on waking up from sleep
    for screen in screens:
        # The others follow the server's clock frames (every few seconds) on their own.
        expect(screen.field("countdown")).to_have_text(re.compile(r"^(0:5\d|1:00)$"), timeout=8000)
    first.bid("584000")
    expect(first.field("bid-result")).to_contain_text("The closing time moved to")
    room.refresh_from_db()
    state = bidding.state_of_room_sync(room)
    assert state.extensions == 1
    new_close = rules.format_time(state.closes_at)
    for screen in screens:
        expect(screen.field("closes-at")).to_have_attribute("datetime", new_close)
        expect(screen.field("extensions")).to_have_text("extended 1 time(s)")
        expect(screen.field("countdown")).to_have_text(re.compile(r"^(2:5\d|3:00)$"))
        assert 170 <= countdown_seconds(screen) <= 180
    expect(first.page.get_by_test_id("own-rank")).to_have_text("1 of 2")

    # The close, done by the task worker (in the web process here), designates the winner everywhere.
    clock.advance(timedelta(minutes=4))
    tasks.close_room.defer(lot_id=lot.pk)
    for screen in screens:
        expect(screen.field("status")).to_have_text("Closed", timeout=15000)
        expect(screen.page.get_by_test_id("winner")).to_be_visible()
        expect(screen.field("winner-name")).to_contain_text(a)
    expect(first.field("winner-name")).to_have_text(f"{a} (you)")
    expect(first.page.get_by_role("button", name="Place my bid")).to_be_disabled()
    room.refresh_from_db()
    assert room.status == "closed"

    # No bidder's identity reached anyone else: pages and socket frames alike.
    seen_by = {first: [other_company], second: [company], watching: [company, other_company]}
    for screen, others in seen_by.items():
        assert screen.frames, "the screen received frames"
        received = screen.page.content() + "\n".join(screen.frames)
        for name in names_of(*others):
            assert name not in received, (screen.membership, name)
    assert any('"type":"time"' in frame for frame in watching.frames)

    # Anyone replays it, and checks the public ledger (and the first bidder its receipt) offline.
    replay = new_context().new_page()
    replay.goto(f"{server.url}/en/auctions/lots/{lot.pk}/replay/")
    expect(replay.get_by_test_id("winner")).to_contain_text(a)
    expect(replay.get_by_test_id("price-curve").locator("circle")).to_have_count(3)
    with replay.expect_download() as ledger:
        replay.get_by_test_id("ledger-link").click()
    ledger_path = tmp_path / "ledger.json"
    ledger.value.save_as(ledger_path)
    # The command the page shows, against this server: the key fetched from the platform's address.
    expect(replay.get_by_test_id("verify-command")).to_contain_text(
        f"seei verify ledger-lot-{lot.pk}.json --site "
    )
    command = [sys.executable, "-m", "seei.cli", "verify", str(ledger_path), "--site", server.url]
    verified = subprocess.run(
        [*command, "--receipt", str(receipt_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")},  # no key pinned
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "In the transparency log: leaf" in verified.stdout


def test_the_room_opens_on_the_bidders_screen_at_its_time(
    server, new_context, lot, company, other_company, clock
):
    """Before the opening the form is closed; the opening (by the task worker) opens it, with the range."""
    from seei.auctions import services, tasks

    services.prepare_room(lot, companies=[company.organisation, other_company.organisation])
    usable_password(company)
    screen = open_screen(new_context, server, company, f"/en/auctions/lots/{lot.pk}/room/")
    expect(screen.field("status")).to_have_text("Not open yet")
    expect(screen.field("countdown-label")).to_have_text("Opens in")
    expect(screen.page.get_by_role("button", name="Place my bid")).to_be_disabled()
    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    tasks.open_room.defer(lot_id=lot.pk)
    expect(screen.field("status")).to_have_text("Open for bids", timeout=15000)
    expect(screen.field("countdown-label")).to_have_text("Time remaining")
    expect(screen.page.get_by_role("button", name="Place my bid")).to_be_enabled()
    expect(screen.field("range")).to_have_text(re.compile(r"between 540,000\.00\s+MAD and 599,000\.00\s+MAD"))


def test_a_refused_visitor_gets_no_room_and_no_socket(server, new_context, open_room, lot, outsider_company):
    """A company that was not admitted reaches neither the page nor the socket."""
    usable_password(outsider_company)
    page = new_context().new_page()
    log_in(page, server.url, outsider_company)
    response = page.goto(f"{server.url}/en/auctions/lots/{lot.pk}/room/")
    assert response.status == 403
    closed = page.evaluate(
        """url => new Promise(resolve => {
            const socket = new WebSocket(url);
            socket.onclose = event => resolve(event.code);
        })""",
        f"ws://127.0.0.1:{server.port}/room/lots/{lot.pk}/ws",
    )
    assert closed == 4403


@pytest.fixture
def outsider_company(db):
    from tests.conftest import make_company

    return make_company("Rif Fournitures SARL", "003456789000034", "contact@rif-fournitures.ma")
