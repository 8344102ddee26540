"""The strict Content-Security-Policy breaks no page: the main pages of every role, in real Chromium,
report no violation (an inline script, style, style="" attribute or on*="" handler would be refused and
reported), answer without error, and what moved to static files still works (the language menu, the
room's live socket)."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.room.conftest import session_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Chromium reports a refusal on the console; the event catches what a console message could miss.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


class Visitor:
    """One person's browser, remembering every CSP violation and failed page it met."""

    def __init__(self, new_context, server, membership=None):
        self.server, self.problems = server, []
        context = new_context()
        context.add_init_script(REPORT_VIOLATIONS)
        if membership is not None:
            context.add_cookies(
                [{"name": "sessionid", "value": session_cookie(membership), "url": server.url}]
            )
        self.page: Page = context.new_page()
        self.page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            self.problems.append(f"{self.page.url}: {message.text}")

    def visit(self, *paths):
        for path in paths:
            response = self.page.goto(self.server.url + path)
            self.page.wait_for_load_state("load")
            if response is None or response.status >= 400:
                self.problems.append(f"{path}: HTTP {response.status if response else '?'}")


@pytest.fixture
def site(published_tender, company, other_company, buyer, clock):
    """The demo's data (closed auctions, statistics, every role), plus a live room with two bidders."""
    from django.apps import apps

    from seei import demo
    from seei.auctions import services
    from seei.practice.services import ensure_public
    from seei.tenders import nomenclature
    from tests.applications.conftest import apply

    nomenclature.seed(apps)  # the migration's categories and regions (an earlier test's flush took them)
    demo.load()
    ensure_public()
    apply(company, published_tender)  # a receipt to print
    lot = published_tender.lots.get()
    services.prepare_room(lot, companies=[company.organisation, other_company.organisation])
    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    services.open_room(lot.pk)
    return lot


def demo_member(role):
    from seei.accounts.models import Membership

    return Membership.objects.filter(role=role).order_by("pk").first()


def test_no_page_of_any_role_breaks_the_content_security_policy(server, new_context, site, company, buyer):
    from seei.applications.models import Receipt
    from seei.auctions.models import Room
    from seei.awards.models import Award
    from seei.help.guides import GUIDES
    from seei.tenders.models import Tender

    closed = (
        Room.objects.filter(status=Room.Status.CLOSED, lot__tender__practice=False).order_by("pk").first()
    )
    notice = Tender.objects.filter(practice=False, status="published").exclude(pk=site.tender_id).first()
    visitors = []

    public = Visitor(new_context, server)
    public.visit(
        "/en/",
        "/fr/notices/",
        f"/en/notices/{notice.pk}/",
        "/en/statistics/",
        "/ar/statistics/?breakdown=category",
        "/en/red-flags/",
        "/en/practice/",
        "/en/help/",
        f"/en/help/{GUIDES[0].slug}/",
        "/en/help/contact/",
        "/en/accounts/login/",
        "/en/accounts/register/",
        "/en/accounts/password/reset/",
        "/api/v1/docs",
        f"/en/auctions/lots/{closed.lot_id}/replay/",
        f"/en/awards/lots/{closed.lot_id}/",
    )
    visitors.append(public)

    bidder = Visitor(new_context, server, company)
    bidder.visit("/en/dashboard/", "/en/applications/", "/en/notifications/", "/en/accounts/profile/")
    bidder.visit(f"/en/auctions/lots/{site.pk}/room/")
    expect(bidder.page.locator("#room")).to_have_attribute("data-connected", "true")  # connect-src
    receipt = Receipt.objects.get(application__company=company.organisation)
    bidder.visit(f"/en/applications/receipts/{receipt.pk}/")
    visitors.append(bidder)

    agent = Visitor(new_context, server, buyer)
    agent.visit(
        "/en/buyer/notices/",
        f"/en/buyer/notices/{site.tender_id}/",
        f"/en/buyer/notices/{site.tender_id}/edit/",
        "/en/statistics/mine/",
        "/en/awards/",
        f"/en/auctions/lots/{site.pk}/watch/",
    )
    expect(agent.page.locator("#room")).to_have_attribute("data-connected", "true")
    visitors.append(agent)

    commission = Visitor(new_context, server, demo_member("commission_member"))
    commission.visit("/en/applications/commission/", "/en/awards/")
    visitors.append(commission)

    accountant = Visitor(new_context, server, demo_member("accountant"))
    accountant.visit("/en/awards/accountant/")
    award = Award.objects.filter(lot__tender__practice=False).order_by("pk").first()
    accountant.visit(f"/en/awards/accountant/{award.pk}/")
    visitors.append(accountant)

    administrator = Visitor(new_context, server, demo_member("administrator"))
    administrator.visit("/admin/", "/admin/accounts/organisation/", "/en/auctions/incident/")
    visitors.append(administrator)

    problems = [problem for visitor in visitors for problem in visitor.problems]
    assert problems == []

    # What moved out of the pages still works: the charts are drawn, the language menu switches.
    public.page.goto(server.url + "/en/statistics/")
    expect(public.page.locator("svg.chart").first).to_be_visible()
    public.page.select_option("#language", "fr")  # its handler is in site.js now
    expect(public.page).to_have_url(f"{server.url}/fr/statistics/")
