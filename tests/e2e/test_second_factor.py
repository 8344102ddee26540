"""Two-factor authentication in a real Chromium, in English and in Arabic: a buyer agent enrols an
authenticator (QR code and secret), keeps the recovery codes shown once, then logs in with a code
from the app, and with a recovery code, which works only once."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, authenticator_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def password_step(page: Page, base: str, language: str, email: str) -> None:
    page.goto(f"{base}/{language}/accounts/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def code_step(page: Page, code: str) -> None:
    page.locator("input[name=code]").fill(code)
    page.locator("main form button[type=submit]").first.click()


def log_out(page: Page) -> None:
    page.locator("header form[action*='/accounts/logout/'] button").click()
    expect(page.get_by_test_id("profile-link")).to_have_count(0)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_enrolment_then_a_code_then_a_recovery_code_used_once(new_context, live_server, buyer, language):
    buyer.user.language = language
    buyer.user.save()
    page = new_context().new_page()
    base = live_server.url

    # The password alone leads to the enrolment, before anything else.
    password_step(page, base, language, buyer.user.email)
    page.wait_for_url(f"**/{language}/accounts/two-factor/setup/?next=*")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    code_step(page, f"{totp(b32decode(secret)):06d}")  # what the app shows, from the secret on the page

    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_test_id("recovery-codes").locator("xpath=..").get_by_role("link").click()
    page.wait_for_url(f"**/{language}/dashboard/")  # the buyer's workspace
    expect(page.get_by_test_id("profile-link")).to_contain_text(buyer.organisation.name)
    log_out(page)

    # Next time: the password, then the code of the app.
    password_step(page, base, language, buyer.user.email)
    page.wait_for_url(f"**/{language}/accounts/two-factor/?next=*")
    code_step(page, authenticator_code(buyer.user))
    page.wait_for_url(f"**/{language}/dashboard/")  # the buyer's workspace
    log_out(page)

    # Without the phone: a recovery code, once.
    password_step(page, base, language, buyer.user.email)
    code_step(page, codes[0])
    page.wait_for_url(f"**/{language}/dashboard/")  # the buyer's workspace
    expect(page.get_by_test_id("profile-link")).to_be_visible()
    log_out(page)

    password_step(page, base, language, buyer.user.email)
    code_step(page, codes[0])
    expect(page.locator("#id_code_error")).to_be_visible()
    page.goto(f"{base}/{language}/buyer/notices/")
    page.wait_for_url(f"**/{language}/accounts/two-factor/?next=*")  # still owes the second factor
