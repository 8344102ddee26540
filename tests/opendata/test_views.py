"""The public statistics page, its CSV, its charts, and the buyer's own statistics."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD, make_member
from tests.opendata.conftest import make_lot, make_notice, moment

pytestmark = pytest.mark.django_db


@pytest.fixture
def lots(buyer_org, other_buyer_org, category, region):
    """Two buyers, two years, a dirham notice with its dollar rate and a dollar one."""
    hospitals = make_notice(buyer_org, category, region, "AO-DH-1", currency="MAD", rates={"USD": "0.1000"})
    make_lot(hospitals, 1, "100000.00", when=moment(2016, 3, 4), awarded="60000.00")
    make_lot(hospitals, 2, "50000.00", when=moment(2016, 3, 4), status="unsuccessful")
    fes = make_notice(other_buyer_org, category, region, "AO-FES-1", currency="USD", rates={"MAD": "10.0000"})
    make_lot(fes, 1, "2000.00", when=moment(2017, 6, 1), awarded="1500.00")
    return hospitals, fes


def _log_in(client, membership):
    assert client.login(email=membership.user.email, password=PASSWORD)
    return client


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_public_page_shows_the_totals_the_rates_and_the_charts(client, lots):
    response = client.get(reverse("opendata:statistics"), {"currency": "USD"})

    assert response.status_code == 200
    totals = response.context["report"].totals
    assert (totals.auctions, totals.lots, totals.unsuccessful_lots) == (2, 3, 1)
    assert (totals.estimated, totals.awarded, totals.saving) == (
        Decimal("17000.00"),
        Decimal("7500.00"),
        Decimal("4500.00"),
    )
    text = response.content.decode()
    assert "17,000.00\u00a0USD" in text and "4,500.00\u00a0USD" in text
    assert "26.47 % of the estimated amount" in text  # 4,500 / 17,000
    assert "1 MAD = 0.1000 USD (1 notice)" in text
    assert text.count("<svg") == 2 and 'role="img"' in text and "Estimated and awarded amounts (USD)" in text
    assert [row.code for row in response.context["report"].rows] == ["2016", "2017"]


def test_the_page_can_be_read_in_another_currency_and_per_buyer(client, lots):
    response = client.get(reverse("opendata:statistics"), {"currency": "MAD", "by": "buyer"})
    report = response.context["report"]
    assert report.totals.estimated == Decimal("170000.00")  # 150,000 MAD + 2,000 USD x 10
    assert [(row.label, row.estimated) for row in report.rows] == [
        ("Commune de Fès", Decimal("20000.00")),
        ("Direction des Hôpitaux", Decimal("150000.00")),
    ]
    assert "1 USD = 10.0000 MAD (1 notice)" in response.content.decode()


def test_a_notice_without_a_rate_is_reported_as_left_out(client, lots, buyer_org, category, region):
    euros = make_notice(buyer_org, category, region, "AO-EUR", currency="EUR")
    make_lot(euros, 1, "1000.00", when=moment(2016, 5, 5), status="unsuccessful")
    response = client.get(reverse("opendata:statistics"), {"currency": "USD"})
    assert "1 lot in EUR is not counted: its notice records no rate into USD." in response.content.decode()
    assert response.context["report"].totals.lots == 3


def test_an_inverted_period_shows_a_clear_error_and_computes_nothing(client, lots):
    from seei.awards.models import Award
    from seei.tenders.models import Lot

    before = (Lot.objects.count(), Award.objects.count())
    response = client.get(reverse("opendata:statistics"), {"start": "2016-12-31", "end": "2016-01-01"})

    assert response.status_code == 400
    assert response.context["report"] is None
    text = response.content.decode()
    assert (
        "The period ends (2016-01-01) before it starts (2016-12-31): give an end on or after the start."
        in text
    )
    assert 'data-testid="totals"' not in text
    assert (Lot.objects.count(), Award.objects.count()) == before
    # The CSV of the same selection is refused the same way.
    assert (
        client.get(reverse("opendata:csv"), {"start": "2016-12-31", "end": "2016-01-01"}).status_code == 400
    )


def test_the_csv_has_one_line_per_year_then_the_total(client, lots):
    response = client.get(
        reverse("opendata:csv"), {"currency": "USD", "start": "2016-01-01", "end": "2017-12-31"}
    )

    assert response.status_code == 200
    assert (
        'filename="seei-statistics-2016-01-01-2017-12-31-USD-by-year.csv"' in response["Content-Disposition"]
    )
    rows = _csv(response)
    assert rows[0][:3] == ["Year", "Label", "Auctions"]
    assert rows[0][7:10] == ["Estimated amount (USD)", "Awarded amount (USD)", "Saving (USD)"]
    assert rows[1] == [
        "2016",
        "2016",
        "1",
        "2",
        "1",
        "1",
        "0",
        "15000.00",
        "6000.00",
        "4000.00",
        "26.67",
        "40.00",
        "0.00",
        "",
    ]
    assert rows[2][:10] == ["2017", "2017", "1", "1", "1", "0", "0", "2000.00", "1500.00", "500.00"]
    assert rows[3][:10] == ["", "Total", "2", "3", "2", "1", "0", "17000.00", "7500.00", "4500.00"]
    assert len(rows) == 4


def test_the_csv_per_month_follows_the_selection(client, lots, other_buyer_org):
    response = client.get(
        reverse("opendata:csv"), {"by": "month", "currency": "MAD", "buyer": other_buyer_org.pk}
    )
    rows = _csv(response)
    assert [row[0] for row in rows[1:]] == ["2017-06", ""]
    assert rows[-1][7] == "20000.00"


def test_the_arabic_page_mirrors_its_charts(client, lots):
    with translation.override("ar"):
        url = reverse("opendata:statistics")
    response = client.get(url, {"currency": "USD"})

    text = response.content.decode()
    assert response.status_code == 200 and 'dir="rtl"' in text
    # Labels sit on the right of the axis and start there.
    assert 'text-anchor="start"><title>2016</title>' in text


# The buyer's own statistics ------------------------------------------------------------------------


def test_a_buyer_sees_the_figures_of_its_own_organisation_only(client, lots, buyer):
    response = _log_in(client, buyer).get(reverse("opendata:mine"), {"currency": "MAD"})

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.totals.lots, report.totals.estimated) == (2, Decimal("150000.00"))
    assert "Statistics of Direction des Hôpitaux" in response.content.decode()
    # The buyer filter offers nothing outside the organisation.
    assert list(response.context["form"].fields["buyer"].queryset) == [buyer.organisation]


def test_a_ministry_sees_its_directorates(client, lots, buyer_org):
    ministry = make_member("agent@ministere.gov.ma", buyer_org.parent, "buyer_agent")
    response = _log_in(client, ministry).get(reverse("opendata:mine"), {"currency": "MAD"})
    assert response.context["report"].totals.lots == 2


def test_a_buyer_cannot_read_another_organisation_through_the_filter(client, lots, buyer, other_buyer_org):
    response = _log_in(client, buyer).get(reverse("opendata:mine"), {"buyer": other_buyer_org.pk})
    assert response.status_code == 400
    assert response.context["report"] is None
    assert "Select a valid choice." in response.content.decode()


def test_the_buyer_csv_is_limited_to_its_organisation(client, lots, buyer):
    response = _log_in(client, buyer).get(reverse("opendata:mine_csv"), {"currency": "MAD"})
    rows = _csv(response)
    assert [row[0] for row in rows[1:]] == ["2016", ""]
    assert rows[-1][7] == "150000.00"


def test_the_commission_sees_its_organisation_too(client, lots, buyer_org):
    member = make_member("commission@sante.gov.ma", buyer_org, "commission_member")
    assert _log_in(client, member).get(reverse("opendata:mine")).status_code == 200


def test_the_buyer_statistics_are_reserved_to_buyers(client, lots, company):
    anonymous = client.get(reverse("opendata:mine"))
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    refused = _log_in(client, company).get(reverse("opendata:mine"))
    assert refused.status_code == 403
    assert _log_in(client, company).get(reverse("opendata:mine_csv")).status_code == 403


def test_the_page_without_any_auction(client):
    response = client.get(reverse("opendata:statistics"))
    assert response.status_code == 200
    assert "No auction matches this selection." in response.content.decode()
    assert response.context["report"].totals.lots == 0


def test_without_a_currency_the_form_shows_the_one_the_figures_are_in(client, lots, settings):
    settings.SEEI_STATISTICS_CURRENCY = "MAD"
    response = client.get(reverse("opendata:statistics"), {"by": "month"})
    assert response.context["report"].filters.currency == "MAD"
    assert '<option value="MAD" selected>' in response.content.decode()
    assert response.context["report"].totals.estimated == Decimal("170000.00")
