"""The company's workspace in a real Chromium: following a notice from its page (English), the list of
followed notices and the receipts page (Arabic, right to left), each company seeing its own state."""

import pytest
from playwright.sync_api import expect

from tests.applications.conftest import apply

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_company_follows_a_notice_and_finds_it_and_its_receipts_in_arabic(
    live_server, person, published_tender, company, other_company
):
    from seei.alerts.models import Follow

    notice_url = f"{live_server.url}/en/notices/{published_tender.pk}/"
    follower = person(company)
    follower.goto(notice_url)
    follower.get_by_role("button", name="Follow", exact=True).click()
    expect(follower.get_by_role("status")).to_contain_text("You follow this notice")
    expect(follower.get_by_role("button", name="Stop following")).to_be_visible()
    assert Follow.objects.get(company=company.organisation, tender=published_tender).following

    # The same notice page, for another company: its own button.
    other = person(other_company)
    other.goto(notice_url)
    expect(other.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    expect(other.get_by_role("button", name="Stop following")).to_have_count(0)

    # In Arabic: the followed notices, then stop following from the list.
    follower.goto(f"{live_server.url}/ar/company/followed/")
    expect(follower.locator("html")).to_have_attribute("dir", "rtl")
    expect(follower.get_by_role("heading", level=1)).to_have_text("الإعلانات المتابَعة")
    expect(follower.get_by_test_id("followed-notice")).to_contain_text(published_tender.reference)
    follower.get_by_role("button", name=f"إيقاف متابعة الإعلان {published_tender.reference}").click()
    expect(follower.get_by_test_id("no-followed")).to_be_visible()
    assert not Follow.objects.get(company=company.organisation, tender=published_tender).following

    # The receipts page in Arabic: the application's receipt downloads again.
    receipt = apply(company, published_tender)
    follower.goto(f"{live_server.url}/ar/company/documents/")
    expect(follower.get_by_role("heading", level=1)).to_have_text("الإيصالات والوثائق")
    with follower.expect_download() as download:
        follower.get_by_test_id("receipt-pdf").click()
    with open(download.value.path(), "rb") as downloaded:
        assert downloaded.read(5) == b"%PDF-"
    assert str(receipt.number) in download.value.suggested_filename
