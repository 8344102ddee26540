"""Phase 1 end to end, in a real Chromium against the live server.

The buyer names the commission through its page; three companies apply through the apply page
with real PDFs and each gets a receipt with the documents' SHA-256; until the deadline the buyer
sees only a count and the commission nothing, on the pages and in the API; after the deadline
(the test clock moves, nobody sleeps) the commission opens the applications, admits two
companies, excludes the third with a reason and closes the session; the excluded company reads
the reason, the admitted ones their invitation, and the minutes PDF holds the decisions.
"""

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from seei.applications import services as applications_services
from seei.applications import session
from tests.conftest import make_company, make_member
from tests.e2e.conftest import label, pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EXCLUSION_REASON = "Attestation fiscale expirée : la pièce administrative n'est pas en cours de validité."


@dataclass
class Applicant:
    membership: object
    slug: str

    @property
    def name(self) -> str:
        return self.membership.organisation.name

    @property
    def files(self) -> dict[str, tuple[str, bytes]]:
        """(file name, content) per kind: real PDFs, different for each company and kind."""
        return {
            kind: (f"{self.slug}-{kind}.pdf", pdf_bytes(f"{self.name} — {kind}"))
            for kind in ("administrative", "technical")
        }

    def traces(self) -> list[str]:
        """Everything that would tell who applied."""
        organisation, user = self.membership.organisation, self.membership.user
        return [organisation.name, organisation.ice, user.email, *(name for name, _ in self.files.values())]


def text_of_pdf(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))
    return " ".join(text.split())  # table cells wrap lines: compare words, not layout


def href(page: Page, link) -> str:
    """A link's absolute URL, for ``page.request`` (which shares the page's session)."""
    return urljoin(page.url, link.get_attribute("href"))


def assert_no_trace(text: str, applicants: list[Applicant], where: str):
    for applicant in applicants:
        for trace in applicant.traces():
            assert trace not in text, f"{trace!r} leaks into {where} before the deadline"


def apply_through_the_page(page: Page, base_url: str, tender, applicant: Applicant) -> str:
    """Apply from the notice's public page, as the company would; returns the receipt's SHA-256."""
    page.goto(f"{base_url}/en/notices/{tender.pk}/")
    page.get_by_test_id("apply-link").click()
    form = page.get_by_test_id("application-form")
    form.get_by_label(re.compile(r"^\s*Lot 1 — ")).check()
    for kind, field in (("administrative", "Administrative documents"), ("technical", "Technical documents")):
        name, content = applicant.files[kind]
        form.get_by_label(label(field)).set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": content}
        )
    form.get_by_label("I declare on my honour").check()
    form.get_by_test_id("submit-application").click()

    expect(page.get_by_role("status")).to_contain_text("Your application was recorded. Keep this receipt.")
    expect(page.get_by_test_id("receipt")).to_contain_text(applicant.name)
    expect(page.get_by_test_id("receipt-document")).to_have_count(2)
    expect(page.get_by_test_id("document-sha256")).to_have_text(
        [hashlib.sha256(content).hexdigest() for _, content in applicant.files.values()]
    )
    sha256 = page.get_by_test_id("receipt-sha256").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256)

    # The receipt's PDF, downloaded from its link, carries the same fingerprint.
    response = page.request.get(href(page, page.get_by_test_id("receipt-pdf")))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert sha256 in "".join(text_of_pdf(response.body()).split())
    return sha256


def decide(page: Page, applicant: Applicant, outcome: str, reason: str = ""):
    """Record the commission's decision on lot 1 of one application, through its form."""
    article = page.locator(f'[data-testid="examined-application"][data-company="{applicant.name}"]')
    lot = article.get_by_test_id("decision-lot")
    lot.get_by_label(outcome, exact=True).check()
    if reason:
        lot.get_by_label(label("Reason for the exclusion (lot 1)")).fill(reason)
    article.get_by_test_id("save-decision").click()
    expect(page.get_by_role("status")).to_contain_text(f"Decision recorded for {applicant.name}.")
    article = page.locator(f'[data-testid="examined-application"][data-company="{applicant.name}"]')
    expect(article.get_by_test_id("decision")).to_have_attribute("data-outcome", outcome.lower())


def test_three_companies_apply_under_seal_and_the_commission_admits_two_and_excludes_one(
    live_server, person, buyer, buyer_org, published_tender, company, other_company, clock
):
    from seei.applications.models import (
        Application,
        ApplicationDocument,
        CommissionMember,
        Decision,
        Invitation,
        Minutes,
        Receipt,
    )
    from seei.core.models import AuditEvent

    base, tender = live_server.url, published_tender
    third_company = make_company("Maghreb Santé SARL", "003456789000034", "contact@maghreb-sante.ma")
    atlas, sahara, maghreb = applicants = [
        Applicant(company, "atlas"),
        Applicant(other_company, "sahara"),
        Applicant(third_company, "maghreb"),
    ]
    president = make_member(
        "president@sante.gov.ma", buyer_org, "commission_member", first_name="Karim", last_name="President"
    )
    member = make_member(
        "membre@sante.gov.ma", buyer_org, "commission_member", first_name="Salma", last_name="Membre"
    )

    # 1. The buyer names the commission from its notice's page.
    buyer_page = person(buyer)
    buyer_page.goto(f"{base}/en/buyer/notices/{tender.pk}/")
    buyer_page.get_by_role("link", name="Commission and applications").click()
    form = buyer_page.get_by_test_id("commission-form")
    form.get_by_label("Karim President <president@sante.gov.ma>").check()
    form.get_by_label("Salma Membre <membre@sante.gov.ma>").check()
    form.get_by_label(label("President")).select_option(str(president.pk))
    form.get_by_role("button", name="Name the commission").click()
    expect(buyer_page.get_by_role("status")).to_contain_text("The commission was named.")
    expect(buyer_page.get_by_test_id("commission-members")).to_contain_text("Karim President")
    expect(buyer_page.get_by_test_id("application-count")).to_have_attribute("data-count", "0")
    assert {(m.membership_id, m.is_president) for m in CommissionMember.objects.filter(tender=tender)} == {
        (president.pk, True),
        (member.pk, False),
    }

    # 2. Three companies apply through the page; each gets its receipt.
    company_pages = {}
    for applicant in applicants:
        company_pages[applicant.slug] = page = person(applicant.membership)
        shown = apply_through_the_page(page, base, tender, applicant)
        assert shown == Receipt.objects.get(application__company=applicant.membership.organisation).sha256
    assert Application.objects.filter(tender=tender, status="submitted").count() == 3

    # 3. Before the deadline: the buyer sees a count and nothing else, on every page of its notice...
    buyer_page.goto(f"{base}/en/buyer/notices/")
    assert_no_trace(buyer_page.content(), applicants, "the buyer's list of notices")
    buyer_page.goto(f"{base}/en/buyer/notices/{tender.pk}/")
    assert_no_trace(buyer_page.content(), applicants, "the buyer's notice page")
    buyer_page.get_by_role("link", name="Commission and applications").click()
    expect(buyer_page.get_by_test_id("application-count")).to_have_attribute("data-count", "3")
    expect(buyer_page.get_by_test_id("application-count")).to_have_text("3 applications")
    expect(buyer_page.get_by_test_id("minutes-link")).to_have_count(0)
    assert_no_trace(buyer_page.content(), applicants, "the buyer's commission page")

    # ... and in the API, with the same session.
    response = buyer_page.request.get(f"{base}/api/v1/buyer/notices/{tender.pk}/applications")
    assert response.status == 200 and response.json() == {"notice_id": tender.pk, "applications": 3}
    for url in (
        f"{base}/api/v1/buyer/notices/{tender.pk}/commission",
        f"{base}/api/v1/commission/notices/{tender.pk}/examination",  # not the buyer's role
    ):
        response = buyer_page.request.get(url)
        assert response.status in (200, 403), url
        assert_no_trace(response.text(), applicants, f"the buyer's GET {url}")

    # The commission member finds the notice sealed: no button to open, no application, no document.
    president_page = person(president)
    president_page.goto(f"{base}/en/applications/commission/")
    row = president_page.locator(f'[data-testid="commission-notice"][data-reference="{tender.reference}"]')
    expect(row).to_contain_text("Sealed until the deadline")
    row.get_by_role("link").click()
    expect(president_page.get_by_test_id("sealed")).to_contain_text("The applications are sealed until")
    expect(president_page.get_by_test_id("open-examination")).to_have_count(0)
    expect(president_page.get_by_test_id("examined-application")).to_have_count(0)
    assert_no_trace(president_page.content(), applicants, "the commission's examination page")
    document = ApplicationDocument.objects.filter(
        application__company=maghreb.membership.organisation
    ).first()
    response = president_page.request.get(
        f"{base}/en/applications/commission/notices/{tender.pk}/documents/{document.pk}/"
    )
    assert response.status == 403 and "sealed" in response.text()
    assert_no_trace(response.text(), applicants, "a sealed document's page")
    response = president_page.request.get(f"{base}/api/v1/commission/notices/{tender.pk}/examination")
    assert response.status == 403 and "sealed" in response.json()["detail"]
    response = president_page.request.get(f"{base}/api/v1/commission/notices")
    assert response.status == 200
    assert [(n["id"], n["examination"]) for n in response.json()] == [(tender.pk, "sealed")]
    response = president_page.request.get(
        f"{base}/api/v1/commission/notices/{tender.pk}/documents/{document.pk}"
    )
    assert response.status == 403
    assert not AuditEvent.objects.filter(action="application.document_opened").exists()

    # 4. The deadline passes (the test clock moves for the live server too).
    clock.advance(tender.application_deadline - clock.now() + timedelta(minutes=1))

    # Each member declares no conflict of interest (the president on the page), then the president opens.
    session.declare_interests(member, tender, conflict=False)
    president_page.reload()
    president_page.get_by_label("I declare that I have no conflict of interest", exact=False).check()
    president_page.get_by_test_id("declare").click()
    president_page.get_by_test_id("open-examination").click()
    expect(president_page.get_by_role("status")).to_contain_text("The applications are open.")
    expect(president_page.get_by_test_id("examined-application")).to_have_count(3)
    for applicant in applicants:
        article = president_page.locator(
            f'[data-testid="examined-application"][data-company="{applicant.name}"]'
        )
        expect(article).to_contain_text(applicant.membership.organisation.ice)
        expect(article.get_by_test_id("sealed-document")).to_have_count(2)

    # A sealed document opens decrypted, byte for byte, and the opening is audited.
    maghreb_article = president_page.locator(
        f'[data-testid="examined-application"][data-company="{maghreb.name}"]'
    )
    link = maghreb_article.get_by_role("link", name="maghreb-administrative.pdf")
    response = president_page.request.get(href(president_page, link))
    assert response.ok and response.body() == maghreb.files["administrative"][1]
    assert AuditEvent.objects.filter(action="application.document_opened", actor=president.user).count() == 1

    # The other member votes first (services); the president's vote on the page makes the majority.
    lot = tender.lots.get()
    for applicant, outcome, reason in (
        (atlas, "admitted", ""),
        (sahara, "admitted", ""),
        (maghreb, "excluded", EXCLUSION_REASON),
    ):
        application = Application.objects.get(tender=tender, company=applicant.membership.organisation)
        applications_services.decide(member, application, [(lot, outcome, reason)])
    decide(president_page, atlas, "Admitted")
    decide(president_page, sahara, "Admitted")
    decide(president_page, maghreb, "Excluded", EXCLUSION_REASON)
    president_page.get_by_test_id("close-session").click()
    expect(president_page.get_by_role("status")).to_contain_text("The session is closed")
    expect(president_page.get_by_test_id("session-closed")).to_be_visible()
    expect(president_page.get_by_test_id("save-decision")).to_have_count(0)
    expect(president_page.locator('[data-testid="lot-status"][data-lot="1"]')).to_have_attribute(
        "data-status", "scheduled"
    )
    assert sorted(Decision.objects.filter(lot__tender=tender).values_list("outcome", flat=True)) == [
        "admitted",
        "admitted",
        "excluded",
    ]

    # 5. The minutes, downloaded through the page, hold the members, the decisions and the reason.
    with president_page.expect_download() as download:
        president_page.get_by_test_id("minutes-link").click()
    assert download.value.suggested_filename == f"admission-minutes-{tender.reference}.pdf"
    with open(download.value.path(), "rb") as downloaded:
        minutes_pdf = downloaded.read()
    assert hashlib.sha256(minutes_pdf).hexdigest() == Minutes.objects.get(tender=tender).sha256
    text = text_of_pdf(minutes_pdf)
    assert "Procès-verbal d'admission des candidatures" in text and tender.reference in text
    assert "Karim President" in text and "Salma Membre" in text
    for applicant in applicants:
        assert applicant.name in text and applicant.membership.organisation.ice in text
    assert text.count("Admise") >= 2 and "Exclue" in text
    assert " ".join(EXCLUSION_REASON.split()) in text

    # The buyer gets the same minutes from its page.
    buyer_page.reload()
    response = buyer_page.request.get(href(buyer_page, buyer_page.get_by_test_id("minutes-link")))
    assert response.ok and response.body() == minutes_pdf

    # 6. The excluded company reads the reason; it is not invited.
    excluded_page = company_pages[maghreb.slug]
    excluded_page.goto(f"{base}/en/applications/")
    application = excluded_page.locator(f'[data-testid="application"][data-reference="{tender.reference}"]')
    expect(application.get_by_test_id("lot-state")).to_have_attribute("data-state", "excluded")
    expect(application.get_by_test_id("exclusion-reason")).to_have_text(EXCLUSION_REASON)
    expect(excluded_page.get_by_test_id("invitation")).to_have_count(0)

    # The admitted companies see their invitation with the room's opening time.
    lot = tender.lots.get()
    lot.refresh_from_db()
    assert lot.opens_at >= clock.now() + timedelta(days=2)  # the legal delay holds
    for applicant in (atlas, sahara):
        page = company_pages[applicant.slug]
        page.goto(f"{base}/en/applications/")
        application = page.locator(f'[data-testid="application"][data-reference="{tender.reference}"]')
        expect(application.get_by_test_id("lot-state")).to_have_attribute("data-state", "admitted")
        expect(application.get_by_test_id("lot-state")).to_contain_text("Auction room opens on")
        expect(application.get_by_test_id("exclusion-reason")).to_have_count(0)
        invitation = page.get_by_test_id("invitation")
        expect(invitation).to_have_count(1)
        expect(invitation).to_have_attribute("data-reference", tender.reference)
        opening = invitation.get_by_test_id("room-opening").get_attribute("datetime")
        assert datetime.fromisoformat(opening) == lot.opens_at
    assert set(Invitation.objects.filter(lot=lot).values_list("company__name", flat=True)) == {
        atlas.name,
        sahara.name,
    }

    # And each was told by email: the reason to the excluded one, the invitation to the others.
    def mails_to(applicant):
        return [m for m in mail.outbox if applicant.membership.user.email in m.to]

    assert any(EXCLUSION_REASON in m.body for m in mails_to(maghreb))
    for applicant in (atlas, sahara):
        assert any("Invitation to the auction room of lot 1" in m.subject for m in mails_to(applicant))
