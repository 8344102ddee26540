"""The administration in a real Chromium, in English and in Arabic: an administrator without the staff
flag logs in, sees what waits on the administration's home, approves a company's registration, and
publishes an announcement that a visitor then sees at the top of the portal."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils.timezone import localtime
from playwright.sync_api import expect

from tests.administration.conftest import pending_company
from tests.conftest import make_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_administrator_vets_a_registration_and_announces(person, live_server, clock, language):
    from seei.accounts.models import Organisation

    platform = Organisation.objects.create(kind="platform", name="Trésorerie Générale du Royaume")
    administrator = make_member("admin@tgr.gov.ma", platform, "administrator")
    waiting = pending_company(language="ar")
    base = f"{live_server.url}/{language}"

    page = person(administrator)
    page.goto(f"{base}/administration/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    page.get_by_test_id("pending-count").get_by_role("link").click()
    registration = page.get_by_test_id("registration")
    expect(registration).to_contain_text(waiting.ice)
    registration.locator("form[action*='/approve/'] button").click()
    expect(page.get_by_test_id("registrations-empty")).to_be_visible()
    waiting.refresh_from_db()
    assert waiting.pending is False
    assert mail.outbox[-1].to == ["youssef@rif.ma"]

    page.goto(f"{base}/administration/announcements/new/")
    page.locator("input[name=title_fr]").fill("Maintenance samedi")
    page.locator("input[name=title_ar]").fill("صيانة يوم السبت")
    page.locator("input[name=title_en]").fill("Maintenance on Saturday")
    ends = localtime(clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.locator("input[name=ends_at]").fill(ends)
    page.locator("main form.card button[type=submit]").click()
    expect(page.get_by_test_id("announcement-list")).to_be_visible()

    visitor = person(None)
    visitor.goto(f"{base}/")
    expected = "صيانة يوم السبت" if language == "ar" else "Maintenance on Saturday"
    expect(visitor.get_by_test_id("announcement")).to_contain_text(expected)
