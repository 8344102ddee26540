"""GET /api/v1/statistics: the public totals of the statistics page, and a buyer's own figures."""

from decimal import Decimal

import pytest

from tests.api.conftest import ApiClient, token_for
from tests.conftest import make_member
from tests.opendata.conftest import make_lot, make_notice, moment

pytestmark = [pytest.mark.urls("tests.opendata.urls"), pytest.mark.django_db]


def api(membership=None, language="en"):
    return ApiClient(token_for(membership) if membership else None, language)


@pytest.fixture
def dirham_notice(buyer_org, category, region):
    notice = make_notice(buyer_org, category, region, "AO-MAD-1", currency="MAD", rates={"USD": "0.1012"})
    make_lot(notice, 1, "100000.00", when=moment(2016, 2, 1), awarded="83333.33")
    return notice


def test_an_inverted_period_is_a_400_with_a_clear_message(dirham_notice):
    from seei.tenders.models import Lot

    lots = Lot.objects.count()
    response = api().get("/statistics", start="2016-12-31", end="2016-01-01")

    assert response.status_code == 400
    message = "The period ends (2016-01-01) before it starts (2016-12-31): give an end on or after the start."
    assert response.json() == {"detail": message, "errors": {"end": [message]}}
    assert Lot.objects.count() == lots


def test_a_malformed_date_is_a_422():
    response = api().get("/statistics", start="31/12/2016")
    assert response.status_code == 422 and "start" in response.json()["errors"]


def test_the_currency_converts_with_the_rate_recorded_on_the_notice_and_shows_it(dirham_notice):
    body = api().get("/statistics", currency="USD").json()
    assert Decimal(body["totals"]["estimated_amount"]) == Decimal("10120.00")
    assert Decimal(body["totals"]["awarded_amount"]) == Decimal("8433.33")
    assert body["rates"] == [{"currency": "MAD", "rate": "0.1012", "notices": 1, "lots": 1}]

    in_dirhams = api().get("/statistics", currency="MAD").json()
    assert Decimal(in_dirhams["totals"]["estimated_amount"]) == Decimal("100000.00")
    assert in_dirhams["rates"] == []


def test_figures_per_month_and_the_filters(dirham_notice, other_buyer_org, category, region):
    other = make_notice(other_buyer_org, category, region, "AO-FES", currency="MAD")
    make_lot(other, 1, "500.00", when=moment(2016, 4, 1), status="unsuccessful")

    body = api().get("/statistics", currency="MAD", by="month").json()
    assert [(group["code"], group["lots"]) for group in body["groups"]] == [("2016-02", 1), ("2016-04", 1)]
    only_fes = api().get("/statistics", currency="MAD", buyer=other_buyer_org.pk).json()
    assert Decimal(only_fes["totals"]["estimated_amount"]) == Decimal("500.00")
    by_code = api().get("/statistics", currency="MAD", category=category.code, region=region.code).json()
    assert by_code["totals"]["lots"] == 2


def test_an_unknown_category_or_buyer_is_refused():
    response = api().get("/statistics", category="ZZ")
    assert response.status_code == 400 and response.json()["errors"] == {"category": ["Unknown code “ZZ”."]}
    response = api().get("/statistics", buyer=999999)
    assert response.status_code == 400
    assert response.json()["errors"] == {"buyer": ["There is no buyer organisation with this id."]}


def test_an_unknown_currency_is_a_422():
    assert api().get("/statistics", currency="XAF").status_code == 422


def test_a_buyer_reads_only_its_own_organisation(dirham_notice, buyer, other_buyer_org, category, region):
    other = make_notice(other_buyer_org, category, region, "AO-FES", currency="MAD")
    make_lot(other, 1, "500.00", when=moment(2016, 4, 1), status="unsuccessful")

    mine = api(buyer).get("/buyer/statistics", currency="MAD").json()
    assert Decimal(mine["totals"]["estimated_amount"]) == Decimal("100000.00")
    # Asking for another buyer within one's own scope gives nothing of it.
    escape = api(buyer).get("/buyer/statistics", currency="MAD", buyer=other_buyer_org.pk).json()
    assert escape["totals"]["lots"] == 0


def test_the_ministry_reads_its_directorates(dirham_notice, buyer_org):
    ministry_agent = make_member("agent@ministere.gov.ma", buyer_org.parent, "buyer_agent")
    body = api(ministry_agent).get("/buyer/statistics", currency="MAD").json()
    assert body["totals"]["lots"] == 1


def test_the_buyer_statistics_need_a_buyer(company):
    assert api().get("/buyer/statistics").status_code == 401
    response = api(company).get("/buyer/statistics")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "The statistics of an organisation are reserved to its buyer agents and commission."
    )


def test_the_operation_is_documented_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/statistics"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"start", "end", "currency", "by"}
    assert "StatisticsOut" in schema["components"]["schemas"]
