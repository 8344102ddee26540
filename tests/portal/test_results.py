"""The public results page: awarded and unsuccessful lots with their savings, for anyone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from seei.awards.models import Award
from seei.core.translated import make
from seei.tenders import services
from seei.tenders.models import Category, Lot, Tender
from tests.conftest import item_values, lot_values

URL = "/en/results/"


def notice(buyer, category, region, clock, reference, *, lots=1, estimate="600000.00"):
    now = clock.now()
    tender = services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": "fr",
            "title": make("fr", fr=f"Avis {reference}", ar=f"إعلان {reference}"),
            "object": make("fr", fr="Fournitures hospitalières"),
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    for number in range(1, lots + 1):
        services.save_lot(
            buyer,
            tender,
            lot_values(now, number, estimated_amount=Decimal(estimate), starting_price=Decimal(estimate)),
            [item_values()],
        )
    return services.publish(buyer, tender)


def award(lot, company, amount, clock, status=Award.Status.FINAL):
    Lot.objects.filter(pk=lot.pk).update(
        status=Lot.Status.AWARDED if status == Award.Status.FINAL else Lot.Status.CLOSED
    )
    return Award.objects.create(
        lot=lot,
        status=status,
        currency="MAD",
        company=company.organisation,
        amount=Decimal(amount),
        created_at=clock.now(),
        final_at=clock.now() if status == Award.Status.FINAL else None,
    )


def unsuccessful(lot):
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.UNSUCCESSFUL)


def refs(response) -> list[str]:
    return [row.lot.tender.reference for row in response.context["page_obj"].object_list]


@pytest.fixture
def outcomes(buyer, other_buyer, company, category, region, clock):
    """AO-R-1: awarded 540,000 on 600,000 (saving 60,000, 10 %); AO-R-2 (the other buyer, a week later):
    unsuccessful; AO-R-3: provisional (no outcome yet); AO-R-4: open."""
    first = notice(buyer, category, region, clock, "AO-R-1")
    award(first.lots.get(), company, "540000.00", clock)
    clock.advance(timedelta(days=7))
    unsuccessful(notice(other_buyer, category, region, clock, "AO-R-2").lots.get())
    award(
        notice(buyer, category, region, clock, "AO-R-3").lots.get(),
        company,
        "500000.00",
        clock,
        Award.Status.PROVISIONAL,
    )
    notice(buyer, category, region, clock, "AO-R-4")
    return first


def test_anyone_sees_awarded_and_unsuccessful_lots_with_their_savings_newest_first(client, outcomes, company):
    response = client.get(URL)
    assert response.status_code == 200
    assert refs(response) == ["AO-R-2", "AO-R-1"]  # the provisional and the open ones are not results
    awarded, failed = response.context["page_obj"].object_list[1], response.context["page_obj"].object_list[0]
    assert awarded.saving == Decimal("60000.00") and awarded.saving_percent == Decimal("10.00")
    assert awarded.company == company.organisation.name
    assert failed.saving is None and failed.amount is None
    html = response.content.decode()
    assert "10.00&nbsp;%" in html and reverse("awards:result", args=[outcomes.lots.get().pk]) in html


def test_the_saving_is_the_statistics_one(client, outcomes):
    from seei.opendata import statistics

    figures = statistics.totals(statistics.make_filters(currency="MAD"))
    (row,) = [r for r in client.get(URL).context["page_obj"].object_list if r.awarded]
    assert row.saving == figures.saving


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=awarded", ["AO-R-1"]),
        ("?status=unsuccessful", ["AO-R-2"]),
        ("?q=AO-R-2", ["AO-R-2"]),
        ("?region={region}", ["AO-R-2", "AO-R-1"]),
        ("?category={other_category}", []),
        ("?buyer={ministry}", ["AO-R-1"]),  # the ministry: its directorate's notices included
        ("?start={week}", ["AO-R-2"]),
        ("?end={first_day}", ["AO-R-1"]),
    ],
)
def test_the_results_filter(client, outcomes, buyer_org, region, clock, query, expected):
    other_category = Category.objects.create(code="T-ENERGIE", name={"fr": "Énergie"})
    first_day = timezone.localtime(outcomes.lots.get().opens_at).date()  # the filter's dates are local
    query = query.format(
        region=region.pk,
        other_category=other_category.pk,
        ministry=buyer_org.parent_id,
        week=(first_day + timedelta(days=3)).isoformat(),
        first_day=first_day.isoformat(),
    )
    assert refs(client.get(URL + query)) == expected


def test_an_inverted_period_is_refused_with_a_message(client, outcomes):
    response = client.get(URL + "?start=2027-01-10&end=2027-01-01")
    assert response.status_code == 200
    assert "must not be before" in response.content.decode()


def test_practice_lots_are_never_results(client, outcomes):
    Tender.objects.filter(reference="AO-R-1").update(practice=True)
    assert refs(client.get(URL)) == ["AO-R-2"]


def test_the_results_are_paginated_in_bounded_queries(
    client, buyer, company, category, region, clock, settings
):
    settings.PAGE_SIZE = 3
    tender = notice(buyer, category, region, clock, "AO-PAGE-1", lots=4)
    for lot in tender.lots.all():
        award(lot, company, "550000.00", clock)
    unsuccessful(notice(buyer, category, region, clock, "AO-PAGE-2").lots.get())

    first = client.get(URL)
    assert first.context["page_obj"].paginator.count == 5 and len(first.context["page_obj"].object_list) == 3
    assert 'rel="next"' in first.content.decode()
    second = client.get(URL + "?page=2")
    assert len(second.context["page_obj"].object_list) == 2
    with CaptureQueriesContext(connection) as queries:
        client.get(URL + "?page=2&status=awarded")
    read = [query for query in queries.captured_queries if "core_clockoffset" not in query["sql"]]
    assert len(read) <= 10  # count, page, filter options, cache: not one per lot (nor the test clock's)


def test_the_results_render_in_arabic_and_are_linked(client, outcomes):
    html = client.get("/ar/results/").content.decode()
    assert 'lang="ar" dir="rtl"' in html and "النتائج" in html
    assert 'href="/ar/results/"' in client.get("/ar/").content.decode()
    assert 'data-testid="results-link"' in client.get("/en/statistics/").content.decode()
