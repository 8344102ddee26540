"""Pieces shared by the end-to-end tests: people logging in through the real page, a small
real PDF, and a published notice whose consultation file holds it."""

import io
import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, authenticator, authenticator_code


def pdf_bytes(title: str = "Cahier des prescriptions spéciales") -> bytes:
    """A real (one blank A4 page) PDF, so the upload passes the content check like a buyer's file would."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def label(text: str) -> re.Pattern:
    """A form label exactly (Django may add its ':' suffix): "Minimum decrement" but not "... type"."""
    return re.compile(rf"^\s*{re.escape(text)}\s*:?\s*$")


def log_in(page: Page, base_url: str, membership) -> None:
    """Log in through the login page, as a person would: the password, then the code of their
    authenticator app when their role asks for a second factor."""
    from seei.accounts.twofactor import services

    owed = services.owed(membership.user)
    if owed:
        authenticator(membership.user)
    page.goto(f"{base_url}/en/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if owed:
        # the second-factor page speaks the person's own language, whatever the login page's
        page.locator("input[name=code]").fill(authenticator_code(membership.user))
        page.locator("form.card button[type=submit]").click()
    expect(page.get_by_test_id("profile-link")).to_contain_text(membership.organisation.name)


@pytest.fixture
def server(transactional_db, tmp_path, settings):
    """The site as one process (the embedded default: in-process fan-out and task worker)."""
    from tests.room.servers import WebServer

    settings.REDIS_URL = ""
    with WebServer(tmp_path) as web:
        yield web
    print(web.output())  # shown with a failing test


@pytest.fixture
def person(new_context, live_server):
    """``person(membership_or_None)``: a page in its own browser context, logged in unless anonymous."""

    def open_page(membership=None) -> Page:
        page = new_context(accept_downloads=True).new_page()
        if membership is not None:
            log_in(page, live_server.url, membership)
        return page

    return open_page


@pytest.fixture
def notice_with_file(draft_tender, buyer):
    """The published wheelchairs notice, with one PDF in its consultation file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from seei.tenders import services

    upload = SimpleUploadedFile("cps.pdf", pdf_bytes(), content_type="application/pdf")
    services.add_document(buyer, draft_tender, upload, "Cahier des prescriptions spéciales")
    return services.publish(buyer, draft_tender)
