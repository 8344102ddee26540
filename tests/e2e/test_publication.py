"""The publication phase end to end, in a real Chromium against the live server.

A buyer publishes a notice through the pages; an anonymous visitor finds it; a company asks
a question and its answer is published without any trace of the asker; an erratum moves the
deadline and notifies the company; the Arabic page is laid out right to left.
"""

import re
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.alerts.conftest import run_alert_jobs
from tests.e2e.conftest import label, pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def local_input(moment: datetime) -> str:
    """A moment as a datetime-local input takes it, in the site's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def translated(page: Page, field: str, language: str = "French"):
    """One language's box of a translated field (its group is named after the field)."""
    return page.get_by_role("group", name=label(field)).get_by_label(language)


def shown_deadline(page: Page) -> datetime:
    """The application deadline of the notice's summary, as the page states it."""
    summary = page.get_by_role("region", name="Summary")
    row = summary.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Application deadline"))
    return datetime.fromisoformat(row.locator("time").get_attribute("datetime"))


# 1 and 2. Publication through the pages, then the public finds it -------------------------


def fill_lot(page: Page, title: str, opens_at: datetime, amount: str, items: list[tuple[str, str, str, str]]):
    translated(page, "Title").fill(title)
    page.get_by_label(label("Estimated amount")).fill(amount)
    page.get_by_label(label("Starting price")).fill(amount)
    page.get_by_label(label("Minimum decrement type")).select_option("amount")
    page.get_by_label(label("Minimum decrement")).fill("1000")
    page.get_by_label(label("Maximum decrement type")).select_option("percent")
    page.get_by_label(label("Maximum decrement")).fill("10")
    page.get_by_label(label("Room opening")).fill(local_input(opens_at))
    for number, (designation, specification, quantity, unit) in enumerate(items, 1):
        item = page.get_by_role("group", name=f"Item {number}", exact=True)
        translated(item, "Designation").fill(designation)
        translated(item, "Technical specification").fill(specification)
        item.get_by_label(label("Quantity")).fill(quantity)
        item.get_by_label(label("Unit")).fill(unit)
    page.get_by_role("button", name="Save the lot").click()
    expect(page.get_by_role("status")).to_contain_text("The lot was saved.")


def test_a_buyer_publishes_two_lots_through_the_pages_and_a_visitor_finds_them(
    live_server, person, buyer, region, published_tender, clock
):
    from seei.core.translated import make
    from seei.tenders.models import Category, Tender

    fuels = Category.objects.create(code="T-COMB", name=make("fr", fr="Combustibles", en="Fuels"))
    now = clock.now()
    buyer_page = person(buyer)

    # The draft.
    buyer_page.goto(f"{live_server.url}/en/buyer/notices/")
    buyer_page.get_by_role("link", name="New notice").click()
    buyer_page.get_by_label(label("Reference")).fill("AO-ONEE-2026-031")
    buyer_page.get_by_label(label("Original language")).select_option("fr")
    translated(buyer_page, "Title").fill("Fourniture de charbon pour la centrale de Jorf Lasfar")
    translated(buyer_page, "Title", "English").fill("Supply of coal for the Jorf Lasfar power plant")
    translated(buyer_page, "Object").fill("Fourniture et livraison de charbon vapeur en deux lots")
    buyer_page.get_by_label(label("Category")).select_option(str(fuels.pk))
    buyer_page.get_by_label(label("Region")).select_option(str(region.pk))
    buyer_page.get_by_label(label("Delivery place")).fill("Port de Jorf Lasfar")
    translated(buyer_page, "Delivery terms").fill("Livraison CAF par navires de 50 000 tonnes, en six mois")
    buyer_page.get_by_label(label("Currency")).select_option("EUR")
    buyer_page.get_by_label(label("International notice")).check()
    buyer_page.get_by_label(label("Application deadline")).fill(local_input(now + timedelta(days=12)))
    buyer_page.get_by_role("button", name="Save the draft").click()
    expect(buyer_page.get_by_role("status")).to_contain_text("The draft notice was created.")
    expect(buyer_page.locator("h1 .status")).to_have_text("Draft")

    # Two lots, through the lot form and its item formset.
    opens_at = now + timedelta(days=15)
    buyer_page.get_by_role("link", name="Add a lot").click()
    fill_lot(
        buyer_page,
        "Lot 1 : charbon bitumineux",
        opens_at,
        "3200000",
        [
            (
                "Charbon vapeur bitumineux",
                "Pouvoir calorifique minimal 6000 kcal/kg, soufre inférieur à 1 %",
                "50000",
                "tonne",
            ),
            (
                "Échantillonnage contradictoire",
                "Analyse par un laboratoire agréé à chaque livraison",
                "10",
                "analyse",
            ),
        ],
    )
    buyer_page.get_by_role("link", name="Add a lot").click()
    fill_lot(
        buyer_page,
        "Lot 2 : charbon sous-bitumineux",
        opens_at,
        "3000000",
        [
            (
                "Charbon sous-bitumineux",
                "Humidité totale au plus 20 %, cendres au plus 12 %",
                "60000",
                "tonne",
            ),
        ],
    )
    expect(buyer_page.get_by_test_id("lot")).to_have_count(2)

    # A real PDF in the consultation file.
    buyer_page.get_by_role("link", name="Add a document").click()
    buyer_page.get_by_label(label("Title")).fill("Cahier des prescriptions spéciales")
    buyer_page.get_by_label(label("File")).set_input_files(
        {"name": "cps-charbon.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    buyer_page.get_by_role("button", name="Upload").click()
    expect(buyer_page.get_by_role("status")).to_contain_text("The document was added.")

    buyer_page.get_by_role("button", name="Publish the notice").click()
    expect(buyer_page.get_by_role("status")).to_contain_text("The notice is published on the portal.")
    expect(buyer_page.locator("h1 .status")).to_have_text("Published")
    tender = Tender.objects.get(reference="AO-ONEE-2026-031")
    assert tender.status == Tender.Status.PUBLISHED and tender.currency == "EUR" and tender.international
    assert [lot.items.count() for lot in tender.lots.order_by("number")] == [2, 1]
    assert tender.documents.get().content_type == "application/pdf"

    # An anonymous visitor: full-text search on a word of an item's specification...
    visitor = person()
    visitor.goto(f"{live_server.url}/en/notices/")
    expect(visitor.get_by_test_id("result-count")).to_have_text("2 notices found")
    visitor.get_by_role("searchbox", name="Search").fill("calorifique")
    visitor.get_by_role("button", name="Search").click()
    expect(visitor.get_by_test_id("result-count")).to_have_text("1 notice found")
    # The visitor reads English: the title's English translation, the original elsewhere.
    expect(visitor.get_by_role("link", name="Supply of coal for the Jorf Lasfar power plant")).to_be_visible()
    expect(visitor.get_by_role("link", name="Purchase of wheelchairs")).to_have_count(0)

    # ... and by filters, without words.
    visitor.get_by_role("link", name="Clear the filters").click()
    visitor.get_by_label(label("Category")).select_option(str(fuels.pk))
    visitor.get_by_label(label("Currency")).select_option("EUR")
    visitor.get_by_role("button", name="Search").click()
    expect(visitor.get_by_test_id("result-count")).to_have_text("1 notice found")
    visitor.get_by_role("link", name="Supply of coal for the Jorf Lasfar power plant").click()

    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Supply of coal for the Jorf Lasfar power plant"
    )
    expect(visitor.get_by_role("heading", name=re.compile(r"^Lot \d"), level=3)).to_have_count(2)
    expect(
        visitor.get_by_role("heading", name=re.compile(r"^Lot 1 — Lot 1 : charbon bitumineux"))
    ).to_be_visible()
    expect(
        visitor.get_by_role("heading", name=re.compile(r"^Lot 2 — Lot 2 : charbon sous-bitumineux"))
    ).to_be_visible()
    expect(
        visitor.get_by_role("cell", name="Humidité totale au plus 20 %, cendres au plus 12 %")
    ).to_be_visible()
    expect(visitor.get_by_role("link", name="Cahier des prescriptions spéciales")).to_be_visible()


# 3. A clarification, answered without the asker's identity -------------------------------


def test_an_answer_is_published_without_any_trace_of_the_asker(
    live_server, person, published_tender, company, buyer
):
    from seei.tenders.models import Clarification

    notice_url = f"{live_server.url}/en/notices/{published_tender.pk}/"
    asker, organisation = company.user, company.organisation
    original = (
        f"{organisation.name} (ICE {organisation.ice}) asks: could the wheelchairs have a "
        "50 cm seat instead of 45 cm? Reply to " + asker.email
    )
    rephrased = "Could the wheelchairs have a 50 cm seat?"
    answer = "No: the seat width stays 45 cm, as in the technical specification."

    visitor = person()
    visitor.goto(notice_url)
    expect(visitor.get_by_text("No clarification has been published yet.")).to_be_visible()

    company_page = person(company)
    company_page.goto(notice_url)
    company_page.get_by_label(label("Your question")).fill(original)
    company_page.get_by_role("button", name="Send the question").click()
    expect(company_page.get_by_role("status")).to_contain_text("Your question was sent to the buyer.")
    expect(company_page.get_by_role("heading", name="Your questions awaiting an answer")).to_be_visible()

    buyer_page = person(buyer)
    buyer_page.goto(f"{live_server.url}/en/buyer/notices/{published_tender.pk}/")
    buyer_page.get_by_role("link", name="Clarification requests (1)").click()
    request_card = buyer_page.get_by_test_id("clarification")
    expect(request_card).to_contain_text(original)
    request_card.get_by_label(label("Question as it will be published")).fill(rephrased)
    request_card.get_by_label(label("Answer")).fill(answer)
    request_card.get_by_role("button", name="Publish the answer").click()
    expect(buyer_page.get_by_role("status")).to_contain_text("The answer is published on the notice")

    visitor.reload()
    published = visitor.locator("#clarifications article")
    expect(published).to_have_count(1)
    expect(published).to_contain_text(rephrased)
    expect(published).to_contain_text(answer)
    html = visitor.content()
    for trace in (
        organisation.name,
        organisation.ice,
        asker.get_full_name(),
        asker.first_name,
        asker.email,
        original,
        "50 cm seat instead of 45 cm",
    ):
        assert trace not in html, f"{trace!r} leaks into the public page"
    clarification = Clarification.objects.get()
    assert clarification.published_question == rephrased and clarification.question == original


# 4. An erratum moves the deadline and notifies the interested company ---------------------


def test_an_erratum_moves_the_deadline_and_notifies_the_company_that_downloaded_the_file(
    live_server, person, notice_with_file, company, buyer, clock
):
    from seei.tenders.models import Erratum, Interest

    notice_url = f"{live_server.url}/en/notices/{notice_with_file.pk}/"
    company_page = person(company)
    company_page.goto(notice_url)
    with company_page.expect_download() as download:
        company_page.get_by_role("link", name="Cahier des prescriptions spéciales").click()
    assert download.value.suggested_filename == "cps.pdf"
    with open(download.value.path(), "rb") as downloaded:
        assert downloaded.read(5) == b"%PDF-"
    assert Interest.objects.filter(
        tender=notice_with_file, company=company.organisation, kind=Interest.Kind.DOWNLOAD
    ).exists()
    deadline_before = shown_deadline(company_page)

    erratum_at = clock.advance(timedelta(days=5))
    reason = "Les quantités ont été revues après l'inventaire des hôpitaux régionaux."
    buyer_page = person(buyer)
    buyer_page.goto(f"{live_server.url}/en/buyer/notices/{notice_with_file.pk}/")
    buyer_page.get_by_role("link", name="Publish an erratum").click()
    translated(buyer_page, "Object").fill("Fourniture de 650 fauteuils roulants pour les hôpitaux régionaux")
    translated(buyer_page, "Object", "English").fill("Supply of 650 wheelchairs for regional hospitals")
    buyer_page.get_by_label(label("Reason for the erratum")).fill(reason)
    buyer_page.get_by_role("button", name="Publish the erratum").click()
    expect(buyer_page.get_by_role("status")).to_contain_text("The erratum is published")

    visitor = person()
    visitor.goto(notice_url)
    expect(visitor.get_by_role("heading", name=re.compile(r"^Erratum 1"))).to_be_visible()
    expect(visitor.get_by_role("region", name="Summary")).to_contain_text("Supply of 650 wheelchairs")
    deadline_after = shown_deadline(visitor)
    assert deadline_after > deadline_before
    assert deadline_after >= erratum_at + timedelta(days=10)

    run_alert_jobs()  # the task worker's part
    company_page.goto(f"{live_server.url}/en/notifications/")
    notification = company_page.get_by_test_id("notification")
    expect(notification).to_have_count(1)
    expect(notification).to_contain_text(notice_with_file.reference)
    expect(notification).to_contain_text(reason)
    sent = [message for message in mail.outbox if company.user.email in message.to]
    assert len(sent) == 1 and notice_with_file.reference in sent[0].subject and reason in sent[0].body

    # The buyer left the deadline field as shown (to the minute): the erratum records the object and
    # the legal move of the deadline, not a change of a few seconds that nobody made.
    erratum = Erratum.objects.get(tender=notice_with_file)
    assert [change["field"] for change in erratum.changes] == ["object", "application_deadline"]


# 5. Arabic, right to left ----------------------------------------------------------------


def test_the_arabic_notice_page_is_laid_out_right_to_left(live_server, page, published_tender):
    page.goto(f"{live_server.url}/ar/notices/{published_tender.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    expect(page.get_by_role("heading", level=1)).to_have_text("اقتناء كراسي متحركة")
    # The stylesheet is served and mirrors the header: the brand on the right, the menu to its left.
    expect(page.locator("header.top")).to_have_css("display", "flex")
    brand, menu = (
        page.locator("header.top .brand").bounding_box(),
        page.locator("header.top nav").bounding_box(),
    )
    assert menu["x"] + menu["width"] <= brand["x"] + 1

    # The language switcher, from the French page (a visitor whose browser speaks English).
    page.goto(f"{live_server.url}/fr/notices/{published_tender.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.locator("select[name=language]").select_option("ar")
    expect(page).to_have_url(f"{live_server.url}/ar/notices/{published_tender.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
