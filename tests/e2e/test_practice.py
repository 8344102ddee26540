"""The public practice auction in a real browser, against the site as one process whose task worker
runs the simulated rivals in real time: a visitor watches it move without an account; a company
joins it, is outbid by a rival, bids again, and keeps a receipt that checks against the platform key."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_room import Screen
from tests.room.servers import usable_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def public_practice(transactional_db, company, clock):
    """The public practice auction opening now, with two quick rivals that never go under 95,000."""
    from seei.practice import services
    from seei.practice.models import Rival

    lot = services.start(
        services.PracticeSettings(minutes=10, rivals=2), public=True, opens_in=timedelta(seconds=1)
    )
    Rival.objects.filter(bidder__room__lot=lot).update(style="aggressive", floor=Decimal("95000.00"))
    usable_password(company)
    return lot


@pytest.fixture
def server(public_practice, server):
    """The site started once that auction exists: its worker's loop, which keeps one public practice
    auction going, then finds this one instead of starting another beside it."""
    return server


def bids_shown(locator) -> int:
    return int(locator.inner_text().strip() or 0)


def test_a_visitor_watches_the_practice_auction_move_without_an_account(server, new_context, public_practice):
    page = new_context().new_page()
    page.goto(f"{server.url}/en/")
    card = page.locator(f'[data-live-lot="{public_practice.pk}"]')
    expect(card.get_by_test_id("practice-mark")).to_have_text("Practice")
    bids = card.get_by_test_id("live-bids")
    expect(bids).not_to_have_text("0", timeout=30_000)  # the rivals bid, the page hears it
    first = bids_shown(bids)
    expect(card.locator('[data-live="countdown"]')).to_have_text(re.compile(r"^\d+:\d\d$"))
    page.wait_for_function(
        "([selector, before]) => parseInt(document.querySelector(selector).textContent) > before",
        arg=[f'[data-live-lot="{public_practice.pk}"] [data-live="bids"]', first],
        timeout=30_000,
    )
    # Its room, watched by anyone: the same anonymous picture, marked practice.
    card.get_by_role("link", name="Watch").click()
    expect(page.get_by_test_id("practice-mark")).to_be_visible()
    expect(page.get_by_test_id("best-price")).to_contain_text("MAD")


def test_a_company_joins_is_outbid_by_a_rival_bids_again_and_keeps_its_receipt(
    server,
    new_context,
    public_practice,
    company,
    tmp_path,
):
    from seei.auctions import ledger, signing

    page = new_context(accept_downloads=True).new_page()
    screen = Screen(page, company)
    log_in(page, server.url, company)
    page.goto(f"{server.url}/en/practice/")
    page.get_by_test_id("join-practice").click()
    expect(page).to_have_url(re.compile(rf"/auctions/lots/{public_practice.pk}/room/$"))
    screen.connected()
    expect(screen.field("best")).not_to_have_text("No bid yet", timeout=30_000)

    # A company's bids are at least the lot's interval apart (2 s for practice lots); a margin for the
    # time between the server's clock and this test's.
    interval_ms = public_practice.min_bid_interval_seconds * 1000 + 300

    def bid_under_the_best(to_lead: bool):
        """Bid 100 under the best price shown until the server records it (ranked first, if
        ``to_lead``): the aggressive rivals may undercut the price read before the bid reaches the
        server. A refused bid is tried again at once; after a recorded one, or when told to wait, the
        next waits for the lot's interval between one company's bids."""
        result = screen.field("bid-result")
        for _ in range(8):
            best = Decimal(re.sub(r"[^\d.]", "", screen.field("best").inner_text().replace(",", "")))
            result.evaluate("node => { node.textContent = '' }")
            screen.bid(str(best - 100))
            expect(result).to_have_text(re.compile(r"^(?!Sending)\S"))  # the server's answer
            answer = result.inner_text()
            recorded = "is recorded" in answer
            if recorded and (not to_lead or "Your rank: 1." in answer):
                return
            if recorded or "Please wait" in answer:
                page.wait_for_timeout(interval_ms)
        pytest.fail(f"the bid was never recorded: {answer}")

    bid_under_the_best(to_lead=True)
    expect(screen.field("rank")).not_to_have_text(
        re.compile(r"^1 of "), timeout=30_000
    )  # a rival took the lead
    bid_under_the_best(to_lead=False)  # the rivals may answer at once: what matters is the receipt

    with page.expect_download() as download:
        page.get_by_test_id("receipt").click()
    path = tmp_path / "receipt.json"
    download.value.save_as(path)
    receipt = json.loads(path.read_text())
    assert receipt["lot"].startswith("PRACTICE-")
    assert ledger.verify_receipt(signing.private_key().public_key(), receipt)
