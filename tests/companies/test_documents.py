"""The company's receipts and documents: listed, downloaded again, and never another company's."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from seei.auctions import ledger, signing
from seei.auctions.models import LedgerEntry
from seei.tenders.models import Tender
from tests.applications.conftest import apply
from tests.awards.conftest import close_auction, submit
from tests.conftest import Client

pytestmark = pytest.mark.django_db


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def page(client) -> str:
    response = client.get(reverse("companies:documents"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_application_receipts_are_listed_and_downloaded_by_their_company_only(
    published_tender, company, other_company
):
    receipt = apply(company, published_tender)
    client, other = logged_in(company), logged_in(other_company)

    html = page(client)
    pdf = reverse("applications:receipt_pdf", args=[receipt.pk])
    assert pdf in html and receipt.sha256[:16] in html
    response = client.get(pdf)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"

    assert pdf not in page(other)
    assert other.get(pdf).status_code == 404


def test_a_practice_application_is_not_a_document(published_tender, company):
    apply(company, published_tender)
    Tender.objects.filter(pk=published_tender.pk).update(practice=True)

    assert 'data-testid="application-receipt"' not in page(logged_in(company))


@pytest.fixture
def closed(buyer, category, region, clock):
    return close_auction(buyer, category, region, clock)


def test_the_bid_receipts_are_the_signed_receipts_of_the_ledger(closed):
    winner, loser = closed.ranked[0], closed.ranked[1]
    client = logged_in(winner)
    entry = LedgerEntry.objects.get(room__lot=closed.lot, type="bid", data__amount="585000.00")

    html = page(client)
    url = reverse("companies:bid_receipt", args=[entry.pk])
    assert html.count('data-testid="bid-receipt"') == 1 and url in html
    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store"
    receipt = json.loads(response.content)
    assert receipt == signing.sign_receipt(entry.as_entry(), entry.room.ref)
    assert ledger.verify_receipt(signing.private_key().public_key(), receipt)
    assert (receipt["seq"], receipt["hash"], receipt["amount"]) == (entry.seq, entry.hash, "585000.00")

    # Another bidder of the same room, guessing the id: not found, and not on its page.
    assert logged_in(loser).get(url).status_code == 404
    assert url not in page(logged_in(loser))


def test_the_award_documents_notifications_and_minutes_of_the_candidate(closed, other_company):
    winner = closed.ranked[0]
    step = submit(closed)
    document = step.documents.first()
    client = logged_in(winner)

    html = page(client)
    download = reverse("awards:document", args=[closed.award.pk, document.pk])
    assert download in html
    assert 'data-testid="award-notifications"' in html and "Provisional award" in html
    assert 'data-testid="auction-minutes"' not in html  # not final: the minutes are not the company's yet
    assert client.get(download).status_code == 200

    for outsider in (closed.ranked[1], other_company):
        assert download not in page(logged_in(outsider))
        assert logged_in(outsider).get(download).status_code in (403, 404)

    finalise_rest(closed)
    html = page(client)
    minutes = reverse("awards:minutes", args=[closed.award.pk])
    assert minutes in html
    assert client.get(minutes).status_code == 200


def finalise_rest(closed):
    from seei.awards import services

    services.confirm(closed.commission, closed.award, 1)


def test_only_company_members_see_the_documents_page(buyer, closed):
    assert logged_in(buyer).get(reverse("companies:documents")).status_code == 403
    anonymous = Client().get(reverse("companies:documents"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    entry = LedgerEntry.objects.filter(room__lot=closed.lot, type="bid").first()
    assert logged_in(buyer).get(reverse("companies:bid_receipt", args=[entry.pk])).status_code == 403


def test_the_documents_page_in_arabic(closed):
    client = logged_in(closed.ranked[0])
    with translation.override("ar"):
        url = reverse("companies:documents")
    html = client.get(url).content.decode()

    assert 'lang="ar" dir="rtl"' in html
    assert "إيصالات" in html  # "receipts"
    assert '<bdi dir="ltr">' in html  # references stay left-to-right inside the Arabic text
