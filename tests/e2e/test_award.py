"""The award end to end, in a real Chromium against the live server.

An auction closes (the room, the bids and the close through seei.auctions.services, as the room
and the worker do); the best-ranked company uploads its documents, fails the commission's check,
and the award passes to the second by itself; identities appear only once the award is final;
the accountant of the buyer's perimeter sees it, verifies the ledger, gives the visa and records
two partial payments; the accountant of another post sees nothing of it.
"""

import io
import re
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import label, pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DOCUMENTS = ("Tax compliance certificate", "Social security (CNSS) certificate", "Performance bond")


def upload_documents(page: Page, url: str) -> None:
    page.goto(url)
    form = page.get_by_test_id("documents-form")
    for number, name in enumerate(DOCUMENTS):
        form.get_by_label(label(name)).set_input_files(
            {"name": f"piece-{number}.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(name)}
        )
    form.get_by_role("button", name="Submit the documents").click()
    expect(page.get_by_role("status")).to_contain_text("Your documents were submitted")
    expect(page.get_by_test_id("documents-submitted")).to_be_visible()


def names_hidden(page: Page, companies) -> None:
    for company in companies:
        expect(page.get_by_text(company.name)).to_have_count(0)


def test_award_passes_to_the_second_and_the_accountant_pays_it(
    live_server, person, buyer, other_buyer_org, category, region, clock
):
    from tests.awards.conftest import close_auction, fes_accountant, ministry_accountant

    accountant = ministry_accountant(buyer.organisation)
    other_accountant = fes_accountant(other_buyer_org)
    closed = close_auction(buyer, category, region, clock, reference="AO-E2E-AWARD")
    award = closed.award
    first, second, third = closed.ranked
    companies = [m.organisation for m in closed.ranked]
    award_url = f"{live_server.url}/en/awards/{award.pk}/"
    result_url = f"{live_server.url}/en/awards/lots/{closed.lot.pk}/"

    # The buyer follows the award by pseudonyms; the public sees the ranking, nobody's name.
    buyer_page = person(buyer)
    buyer_page.goto(award_url)
    expect(buyer_page.get_by_test_id("award-status")).to_have_attribute("data-status", "provisional")
    expect(buyer_page.get_by_test_id("candidate")).to_contain_text(f"Rank 1 ({closed.pseudonym(first)})")
    expect(buyer_page.get_by_test_id("identities-hidden")).to_be_visible()
    names_hidden(buyer_page, companies)
    public = person()
    public.goto(result_url)
    expect(public.get_by_test_id("result")).to_contain_text("The award is in progress")
    expect(public.get_by_test_id("rank-line")).to_have_count(3)
    names_hidden(public, companies)

    # The best-ranked company was asked (in-app) and uploads its documents.
    first_page = person(first)
    first_page.goto(f"{live_server.url}/en/notifications/")
    first_page.get_by_role("link", name=re.compile("Provisional award")).first.click()
    expect(first_page).to_have_url(award_url)
    upload_documents(first_page, award_url)

    # The commission checks them, finds the tax certificate out of date: the award passes to rank 2.
    commission = person(closed.commission)
    commission.goto(award_url)
    check = commission.get_by_test_id("commission-check")
    expect(check.get_by_test_id("candidate-company")).to_have_text(first.organisation.name)
    expect(check.get_by_test_id("candidate-documents").get_by_role("listitem")).to_have_count(3)
    commission.get_by_label(label("Why the candidate fails")).fill("Attestation fiscale périmée")
    commission.get_by_role("button", name="Record the failure").click()
    expect(commission.get_by_role("status")).to_contain_text("The next bidder in the ranking is asked")
    expect(commission.locator('[data-testid="step"][data-rank="1"]')).to_have_attribute(
        "data-status", "failed"
    )
    expect(check.get_by_test_id("candidate-company")).to_have_text(second.organisation.name)

    # Still provisional: the buyer sees the failure and the next rank, and still no name.
    buyer_page.reload()
    expect(buyer_page.get_by_test_id("candidate")).to_contain_text(f"Rank 2 ({closed.pseudonym(second)})")
    expect(buyer_page.get_by_test_id("step-reason")).to_have_text("Attestation fiscale périmée")
    names_hidden(buyer_page, companies)

    # The second uploads; the commission confirms: the award is final.
    second_page = person(second)
    upload_documents(second_page, award_url)
    commission.reload()
    commission.get_by_role("button", name="Confirm the award").click()
    expect(commission.get_by_role("status")).to_contain_text("The award is final")

    # Identities appear only now, for the buyer and on the public page.
    buyer_page.reload()
    expect(buyer_page.get_by_test_id("award-status")).to_have_attribute("data-status", "final")
    expect(buyer_page.get_by_test_id("awardee")).to_have_text(second.organisation.name)
    for company in companies:
        expect(buyer_page.get_by_test_id("ranking")).to_contain_text(company.name)
    public.reload()
    expect(public.get_by_test_id("result")).to_contain_text(f"Awarded to {second.organisation.name}")
    expect(public.get_by_test_id("ranking")).to_contain_text(first.organisation.name)
    third_page = person(third)
    third_page.goto(f"{live_server.url}/en/notifications/")
    expect(third_page.get_by_text("Your company is not awarded; its final rank: 3 of 3.")).to_be_visible()

    # The accountant of the ministry's perimeter (the buyer is one of its directorates).
    books = person(accountant)
    books.goto(f"{live_server.url}/en/awards/accountant/")
    row = books.get_by_test_id("accountant-award")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(second.organisation.name)
    row.get_by_role("link").click()
    expect(books.get_by_test_id("awarded-amount")).to_contain_text("588,000.00")
    with books.expect_download() as download:
        books.get_by_test_id("minutes-link").click()
    minutes_text = unicodedata.normalize(
        "NFKC",
        "".join(
            p.extract_text() for p in PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages
        ),
    )
    assert closed.room.last_hash in minutes_text.replace("\n", "")
    books.get_by_role("button", name="Verify the ledger").click()
    expect(books.get_by_test_id("verdict")).to_have_attribute("data-ok", "true")
    expect(books.get_by_test_id("verdict")).to_contain_text("The ledger is intact.")
    expect(books.get_by_test_id("verdict")).to_contain_text(f"Recomputed winner: {closed.pseudonym(first)}")
    books.get_by_label("Visa granted").check()
    books.get_by_label(label("Budget line")).fill("1.2.3.40 — Matériel médical")  # amount and date prefilled
    books.get_by_role("button", name="Record the decision").click()
    expect(books.get_by_role("status")).to_contain_text("Your decision on the visa is recorded")
    for amount, reference in (("300000", "OP-2026-0101"), ("150000.50", "OP-2026-0102")):
        books.get_by_label(label("Amount")).fill(amount)
        books.get_by_label(label("Reference")).fill(reference)
        books.get_by_role("button", name="Record the payment").click()
        expect(books.get_by_role("status")).to_contain_text("The payment is recorded.")
    expect(books.get_by_test_id("payment")).to_have_count(2)
    expect(books.get_by_test_id("paid")).to_have_text("450,000.50\u00a0MAD")
    expect(books.get_by_test_id("remaining")).to_have_text("137,999.50\u00a0MAD")
    # One more than what remains: refused, said, nothing recorded.
    books.get_by_label(label("Amount")).fill("138000")
    books.get_by_label(label("Reference")).fill("OP-2026-0103")
    books.get_by_role("button", name="Record the payment").click()
    expect(books.get_by_text("is more than what remains to be paid")).to_be_visible()
    books.goto(f"{live_server.url}/en/awards/accountant/{award.pk}/")
    expect(books.get_by_test_id("payment")).to_have_count(2)

    # The buyer sees the accountant's decisions on its award.
    buyer_page.reload()
    execution = buyer_page.get_by_test_id("execution")
    expect(execution.get_by_test_id("visa")).to_have_attribute("data-decision", "granted")
    expect(execution.get_by_test_id("remaining")).to_have_text("137,999.50\u00a0MAD")

    # The accountant of another post sees nothing of it.
    elsewhere = person(other_accountant)
    elsewhere.goto(f"{live_server.url}/en/awards/accountant/")
    expect(elsewhere.get_by_test_id("no-awards")).to_be_visible()
    expect(elsewhere.get_by_text(closed.lot.tender.reference)).to_have_count(0)
    response = elsewhere.goto(f"{live_server.url}/en/awards/accountant/{award.pk}/")
    assert response.status == 403
    expect(elsewhere.get_by_role("alert")).to_have_text(
        "This award is not in the perimeter of your accountant post."
    )
    for company in companies:
        expect(elsewhere.get_by_text(company.name)).to_have_count(0)
