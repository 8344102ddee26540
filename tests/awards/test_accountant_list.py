"""The accountant's list: filters (status, buyer, period, reference), pages, and the CSV export of the
filtered list (streamed, UTF-8 with a BOM, amounts with their currency). Practice and the awards of
other perimeters never appear."""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from seei.awards import accountant_views, services
from seei.tenders.models import Tender
from tests.awards.conftest import close_auction, finalise, grant_visa
from tests.awards.test_accountant_file import client_for, text
from tests.conftest import make_member


@dataclass
class Books:
    to_check: object  # Award
    partly_paid: object
    refused: object
    paid: object  # of the other directorate of the ministry
    practice: object
    elsewhere: object  # of the commune of Fès
    sibling: object  # the other directorate (an Organisation)


def _award(buyer, category, region, clock, reference):
    closed_lot = close_auction(buyer, category, region, clock, reference=reference)
    award = finalise(closed_lot)
    clock.advance(timedelta(days=1))
    return closed_lot, award


@pytest.fixture
def books(buyer, buyer_org, other_buyer, category, region, clock, accountant, other_accountant):
    from seei.accounts.models import Organisation

    sibling = Organisation.objects.create(
        kind="buyer", name="Direction du Médicament", buyer_type="public_body", parent=buyer_org.parent
    )
    sibling_agent = make_member("agent@medicament.gov.ma", sibling, "buyer_agent")
    _, to_check = _award(buyer, category, region, clock, "AO-BOOK-001")
    lot, partly_paid = _award(buyer, category, region, clock, "AO-BOOK-002")
    grant_visa(lot, accountant)
    services.record_payment(accountant, partly_paid, clock.today(), "100000", "OP-PART-1")
    _, refused = _award(buyer, category, region, clock, "AO-BOOK-003")
    services.give_visa(accountant, refused, "refused", "Crédits non disponibles")
    lot, paid = _award(sibling_agent, category, region, clock, "AO-BOOK-004")
    grant_visa(lot, accountant)
    services.record_payment(accountant, paid, clock.today(), paid.amount, "OP-FULL-1")
    _, practice = _award(buyer, category, region, clock, "AO-BOOK-005")
    Tender.objects.filter(pk=practice.lot.tender_id).update(practice=True)
    _, elsewhere = _award(other_buyer, category, region, clock, "AO-BOOK-006")
    return Books(to_check, partly_paid, refused, paid, practice, elsewhere, sibling)


def listed(client, **query) -> list[str]:
    """The notice references the list shows, in order."""
    page = text(client.get(reverse("awards:accountant"), query))
    return [ref for ref in ("AO-BOOK-00" + str(i) for i in range(1, 7)) if ref in page]


def test_the_list_filters_by_status_buyer_period_and_reference(books, accountant, clock):
    client = client_for(accountant)
    assert listed(client) == [
        "AO-BOOK-001",
        "AO-BOOK-002",
        "AO-BOOK-003",
        "AO-BOOK-004",
    ]  # no practice, no Fès
    assert listed(client, state="to_check") == ["AO-BOOK-001"]
    assert listed(client, state="partly_paid") == ["AO-BOOK-002"]
    assert listed(client, state="refused") == ["AO-BOOK-003"]
    assert listed(client, state="paid") == ["AO-BOOK-004"]
    assert listed(client, state="granted") == []
    assert listed(client, buyer=books.sibling.pk) == ["AO-BOOK-004"]
    # The accountant's dates are local ones (late in a UTC evening, Casablanca's day is the next one).
    start = timezone.localdate(books.partly_paid.final_at).isoformat()
    end = timezone.localdate(books.refused.final_at).isoformat()
    assert listed(client, start=start, end=end) == ["AO-BOOK-002", "AO-BOOK-003"]
    assert listed(client, q="book-003") == ["AO-BOOK-003"]
    assert listed(client, q="OP-FULL") == ["AO-BOOK-004"]  # a payment's reference finds its award
    page = text(client.get(reverse("awards:accountant"), {"q": "nothing-like-it"}))
    assert "No award matches these filters." in page
    bad_filters_are_said_and_not_applied(books, client)
    the_list_is_paginated_and_keeps_its_filters(books, client)


def bad_filters_are_said_and_not_applied(books, client):
    page = text(client.get(reverse("awards:accountant"), {"start": "2026-12-31", "end": "2026-01-01"}))
    assert "The start of the period is after its end." in page
    assert listed(client, state="nonsense") == ["AO-BOOK-001", "AO-BOOK-002", "AO-BOOK-003", "AO-BOOK-004"]
    page = text(client.get(reverse("awards:accountant"), {"buyer": "999999"}))
    assert "Select a valid choice." in page
    # A buyer of another perimeter cannot be chosen.
    page = text(client.get(reverse("awards:accountant"), {"buyer": books.elsewhere.lot.tender.buyer_id}))
    assert "Select a valid choice." in page and "AO-BOOK-006" not in page
    response = client.get(reverse("awards:accountant_csv"), {"start": "2026-12-31", "end": "2026-01-01"})
    assert response.status_code == 400 and "The start of the period is after its end." in text(response)


def the_list_is_paginated_and_keeps_its_filters(books, client):
    accountant_views.PER_PAGE = 2
    try:
        paginated(books, client)
    finally:
        accountant_views.PER_PAGE = 25


def paginated(books, client):
    # newest final award first
    first = text(client.get(reverse("awards:accountant")))
    assert "Page 1 of 2" in first and "AO-BOOK-004" in first and "AO-BOOK-003" in first
    assert "AO-BOOK-002" not in first and 'data-count="4"' in first
    second = text(client.get(reverse("awards:accountant"), {"page": 2}))
    assert "AO-BOOK-002" in second and "AO-BOOK-001" in second and "AO-BOOK-004" not in second
    filtered = text(client.get(reverse("awards:accountant"), {"buyer": books.sibling.pk, "page": 1}))
    assert "Page 1 of" not in filtered  # one award: one page
    paged = text(client.get(reverse("awards:accountant"), {"q": "AO-BOOK"}))
    assert "q=AO-BOOK&amp;page=2" in paged


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_exports_the_filtered_list(books, accountant):
    client = client_for(accountant)
    response = client.get(reverse("awards:accountant_csv"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="seei-accountant-awards-')
    rows = read_csv(response)
    header, lines = rows[0], rows[1:]
    assert header[:3] == ["Notice", "Lot", "Buyer"] and "Currency" in header and "Budget line" in header
    by_reference = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    assert sorted(by_reference) == ["AO-BOOK-001", "AO-BOOK-002", "AO-BOOK-003", "AO-BOOK-004"]
    partly = by_reference["AO-BOOK-002"]
    assert partly["Status"] == "Partly paid" and partly["Currency"] == "MAD"
    assert partly["Awarded amount"] == "585000.00" and partly["Paid"] == "100000.00"
    assert partly["Committed"] == "585000.00" and partly["Remaining"] == "485000.00"
    assert partly["Budget line"] == "1.2.3.40 — Matériel médical"
    assert by_reference["AO-BOOK-004"]["Buyer"] == "Direction du Médicament"
    assert by_reference["AO-BOOK-003"]["Status"] == "Visa refused"
    assert by_reference["AO-BOOK-001"]["Status"] == "To check"
    # The same filters as the list.
    rows = read_csv(client.get(reverse("awards:accountant_csv"), {"state": "refused"}))
    assert [line[0] for line in rows[1:]] == ["AO-BOOK-003"]
    assert reverse("awards:accountant_csv") + "?state=refused" in text(
        client.get(reverse("awards:accountant"), {"state": "refused"})
    )
    the_csv_speaks_the_language_of_the_request(client)
    other_perimeters_and_roles_get_nothing(books)


def the_csv_speaks_the_language_of_the_request(client):
    from django.utils import translation

    with translation.override("fr"):  # the request switches the thread to French: back to English after
        rows = read_csv(client.get(reverse("awards:accountant_csv"), {"state": "partly_paid"}))
    assert rows[0][0] == "Avis" and "Monnaie" in rows[0] and rows[1][rows[0].index("Monnaie")] == "MAD"


def other_perimeters_and_roles_get_nothing(books):
    from seei.accounts.models import Membership

    other_accountant = Membership.objects.get(user__email="comptable@perception-fes.gov.ma")
    buyer = Membership.objects.get(user__email="agent@sante.gov.ma")
    client = client_for(other_accountant)
    assert listed(client) == ["AO-BOOK-006"]
    rows = read_csv(client.get(reverse("awards:accountant_csv")))
    assert [line[0] for line in rows[1:]] == ["AO-BOOK-006"]
    for name in ("awards:accountant", "awards:accountant_csv"):
        response = client_for(buyer).get(reverse(name))
        assert response.status_code == 403 and "This page is reserved for: Accountant" in text(response)
        response = client_for().get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
