"""The statistics' definitions, conversions, filters and breakdowns, on small data written directly."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from seei.opendata import selectors, statistics
from tests.opendata.conftest import apply, make_lot, make_notice, moment, seat

pytestmark = pytest.mark.django_db


def _filters(**values):
    values.setdefault("currency", "MAD")
    return statistics.make_filters(
        values.pop("start", None), values.pop("end", None), values.pop("currency"), **values
    )


@pytest.fixture
def outcomes(buyer_org, other_buyer_org, category, region):
    """Lots of every kind: only those with an outcome, of published notices, count."""
    notice = make_notice(buyer_org, category, region, "AO-1")
    make_lot(notice, 1, "1000.00", when=moment(2016, 3, 1), awarded="800.00")
    make_lot(notice, 2, "500.00", when=moment(2016, 3, 1), status="unsuccessful")
    make_lot(
        notice,
        3,
        "400.00",
        when=moment(2016, 3, 2),
        status="closed",
        awarded="300.00",
        award_status="provisional",
    )
    make_lot(notice, 4, "9999.00", when=moment(2016, 3, 3), status="scheduled")  # no outcome yet
    other = make_notice(other_buyer_org, category, region, "AO-2")
    make_lot(other, 1, "2000.00", when=moment(2016, 5, 1), awarded="1000.00")
    draft = make_notice(buyer_org, category, region, "AO-3", status="draft")
    make_lot(draft, 1, "7777.00", when=moment(2016, 5, 1), awarded="1.00")
    cancelled = make_notice(buyer_org, category, region, "AO-4", status="cancelled")
    make_lot(cancelled, 1, "6666.00", when=moment(2016, 5, 1), status="unsuccessful")
    return notice, other


def test_estimated_counts_every_lot_with_an_outcome_and_awarded_only_final_awards(outcomes):
    totals = statistics.totals(_filters())

    assert (totals.auctions, totals.lots) == (2, 4)
    assert (totals.awarded_lots, totals.unsuccessful_lots, totals.pending_lots) == (2, 1, 1)
    assert totals.estimated == Decimal("3900.00")  # 1000 + 500 + 400 + 2000
    assert totals.awarded == Decimal("1800.00")  # the provisional award is not counted
    assert totals.saving == Decimal("1200.00")  # (1000 - 800) + (2000 - 1000)
    assert totals.saving_percent == Decimal("30.77")  # 1200 / 3900
    assert totals.record_percent == Decimal("50.00")


def test_the_record_names_its_lot(outcomes):
    record = statistics.record(_filters())
    assert (record.reference, record.number, record.percent) == ("AO-2", 1, Decimal("50.00"))
    assert (record.estimated, record.awarded) == (Decimal("2000.00"), Decimal("1000.00"))


def test_an_inverted_period_is_refused_with_a_clear_message_and_changes_nothing(outcomes):
    from seei.awards.models import Award
    from seei.tenders.models import Lot, Tender

    before = (Tender.objects.count(), Lot.objects.count(), Award.objects.count())
    with pytest.raises(ValidationError) as refused:
        _filters(start=date(2016, 12, 31), end=date(2016, 1, 1))

    assert refused.value.message_dict == {
        "end": [
            "The period ends (2016-01-01) before it starts (2016-12-31): give an end on or after the start."
        ]
    }
    assert (Tender.objects.count(), Lot.objects.count(), Award.objects.count()) == before


def test_an_unknown_currency_is_refused():
    with pytest.raises(ValidationError) as refused:
        statistics.make_filters(currency="XAF")
    assert "“XAF” is not a currency of the platform" in refused.value.message_dict["currency"][0]


def test_the_period_takes_whole_days_of_auctions_both_ends_included(outcomes):
    march = _filters(start=date(2016, 3, 1), end=date(2016, 3, 2))
    assert statistics.totals(march).lots == 3  # lots of 1 and 2 March; the scheduled one is not counted
    late_evening = make_lot(outcomes[1], 2, "100.00", when=moment(2016, 3, 2, hour=23), status="unsuccessful")
    assert statistics.totals(march).lots == 4
    assert statistics.totals(_filters(start=date(2016, 3, 3), end=date(2016, 3, 3))).lots == 0
    assert late_evening.pk


def test_amounts_in_another_currency_are_converted_lot_by_lot_with_the_notices_rate(
    buyer_org, category, region
):
    dirhams = make_notice(buyer_org, category, region, "AO-MAD", currency="MAD", rates={"USD": "0.1012"})
    make_lot(dirhams, 1, "100000.00", when=moment(2016, 2, 1), awarded="83333.33")
    dollars = make_notice(buyer_org, category, region, "AO-USD", currency="USD", rates={"MAD": "9.8814"})
    make_lot(dollars, 1, "5000.00", when=moment(2016, 2, 1), awarded="4000.00")

    in_usd = statistics.totals(_filters(currency="USD"))
    # 100,000.00 MAD x 0.1012 = 10,120.00; 83,333.33 x 0.1012 = 8,433.332996 -> 8,433.33
    assert in_usd.estimated == Decimal("15120.00")
    assert in_usd.awarded == Decimal("12433.33")
    assert in_usd.saving == Decimal("2686.67")  # (10,120.00 - 8,433.33) + (5,000 - 4,000)

    in_mad = statistics.totals(_filters(currency="MAD"))
    assert in_mad.estimated == Decimal("149407.00")  # 100,000 + 5,000 x 9.8814
    assert in_mad.awarded == Decimal("122858.93")  # 83,333.33 + 39,525.60

    rates = statistics.rates_used(_filters(currency="USD"))
    assert [(r.currency, r.rate, r.notices, r.lots) for r in rates] == [("MAD", Decimal("0.1012"), 1, 1)]


def test_each_lot_is_rounded_to_the_cent_before_the_sum(buyer_org, category, region):
    notice = make_notice(buyer_org, category, region, "AO-CENT", currency="MAD", rates={"USD": "0.1"})
    make_lot(notice, 1, "0.05", when=moment(2016, 2, 1), status="unsuccessful")
    make_lot(notice, 2, "0.05", when=moment(2016, 2, 1), status="unsuccessful")
    # 0.005 -> 0.01 per lot, as each lot's own figure shows; not round(0.010) of the sum.
    assert statistics.totals(_filters(currency="USD")).estimated == Decimal("0.02")


def test_a_notice_without_a_rate_is_left_out_and_reported_never_guessed(buyer_org, category, region):
    euros = make_notice(buyer_org, category, region, "AO-EUR", currency="EUR")
    make_lot(euros, 1, "1000.00", when=moment(2016, 2, 1), awarded="900.00")
    make_lot(euros, 2, "1000.00", when=moment(2016, 2, 1), status="unsuccessful")
    dirhams = make_notice(buyer_org, category, region, "AO-MAD", currency="MAD")
    make_lot(dirhams, 1, "300.00", when=moment(2016, 2, 1), awarded="200.00")

    totals = statistics.totals(_filters(currency="MAD"))
    assert (totals.lots, totals.estimated) == (1, Decimal("300.00"))
    left = statistics.left_out(_filters(currency="MAD"))
    assert (left.notices, left.lots, left.currencies) == (1, 2, ("EUR",))


def test_a_buyer_includes_its_sub_organisations(outcomes, buyer_org):
    ministry = buyer_org.parent
    tree = selectors.organisation_tree(ministry.pk)
    assert set(tree) == {ministry.pk, buyer_org.pk}

    totals = statistics.totals(_filters(buyers=tree))
    assert (totals.auctions, totals.lots, totals.estimated) == (1, 3, Decimal("1900.00"))
    assert statistics.totals(_filters(buyers=[outcomes[1].buyer_id])).estimated == Decimal("2000.00")


def test_category_and_region_filters(outcomes, category, region):
    from seei.core.translated import make
    from seei.tenders.models import Category, Region

    furniture = Category.objects.create(code="T-MOB", name=make("fr", fr="Mobilier"))
    chairs = Category.objects.create(code="T-MOB-1", name=make("fr", fr="Chaises"), parent=furniture)
    south = Region.objects.create(code="T-09", name=make("fr", fr="Souss-Massa"))
    notice = make_notice(outcomes[0].buyer, chairs, south, "AO-CHAIRS")
    make_lot(notice, 1, "100.00", when=moment(2016, 4, 1), status="unsuccessful")

    assert statistics.totals(_filters(category=furniture.pk)).lots == 1  # its sub-category included
    assert statistics.totals(_filters(category=category.pk)).lots == 4
    assert statistics.totals(_filters(region=south.pk)).estimated == Decimal("100.00")


def test_figures_per_year_and_per_month(buyer_org, category, region):
    notice = make_notice(buyer_org, category, region, "AO-Y")
    make_lot(notice, 1, "100.00", when=moment(2016, 3, 4), awarded="90.00")
    make_lot(notice, 2, "200.00", when=moment(2016, 3, 20), awarded="150.00")
    make_lot(notice, 3, "300.00", when=moment(2017, 1, 9), status="unsuccessful")

    years = statistics.breakdown(_filters(), "year")
    assert [(row.code, row.lots, row.estimated, row.saving) for row in years] == [
        ("2016", 2, Decimal("300.00"), Decimal("60.00")),
        ("2017", 1, Decimal("300.00"), Decimal("0.00")),
    ]
    months = statistics.breakdown(_filters(), "month")
    assert [(row.code, row.label, row.auctions) for row in months] == [
        ("2016-03", "March 2016", 1),
        ("2017-01", "January 2017", 1),
    ]
    assert months[0].saving_percent == Decimal("20.00")


def test_figures_per_category_region_and_buyer(outcomes, buyer_org, other_buyer_org, category, region):
    by_category = statistics.breakdown(_filters(), "category")
    assert [(row.code, row.label, row.lots) for row in by_category] == [("T-SANTE", "Health", 4)]
    by_region = statistics.breakdown(_filters(), "region")
    assert [(row.code, row.label) for row in by_region] == [("T-01", "Rabat-Salé-Kénitra")]
    by_buyer = statistics.breakdown(_filters(), "buyer")
    assert [(row.label, row.estimated) for row in by_buyer] == [
        ("Commune de Fès", Decimal("2000.00")),
        ("Direction des Hôpitaux", Decimal("1900.00")),
    ]


def test_averages_of_applicants_and_bidders(outcomes, companies):
    from seei.tenders.models import Lot

    first, second = Lot.objects.filter(tender=outcomes[0], number__in=[1, 2]).order_by("number")
    apply(first, companies[:4])
    apply(first, companies[4:], status="withdrawn")  # a withdrawn application is not counted
    apply(second, companies[:2])
    seat(first, companies[:3])

    totals = statistics.totals(_filters())
    assert totals.applicants == Decimal("1.50")  # (4 + 2 + 0 + 0) over the 4 counted lots
    assert totals.bidders == Decimal("3.00")  # the only lot that had a room had 3 bidders


def test_each_table_is_one_query_whatever_the_number_of_lots(outcomes, django_assert_num_queries):
    filters = _filters()
    with django_assert_num_queries(1):
        statistics.totals(filters)
    with django_assert_num_queries(1):
        statistics.breakdown(filters, "month")
    with django_assert_num_queries(1):
        statistics.rates_used(filters)
    with django_assert_num_queries(1):
        statistics.left_out(filters)
    with django_assert_num_queries(1):
        statistics.record(filters)


def test_an_unknown_breakdown_is_refused():
    with pytest.raises(ValidationError) as refused:
        statistics.report(statistics.make_filters(), by="week")
    assert "Choose a breakdown among: year, month, category, region, buyer." in refused.value.messages


class TestExchangeRatesOfANotice:
    """The rates recorded on a notice must be readable numbers, by currency of the platform."""

    def _clean(self, value):
        from seei.tenders.models import validate_exchange_rates

        validate_exchange_rates(value)

    def test_valid_rates(self):
        self._clean({})
        self._clean({"USD": "0.1012", "EUR": "0.0921"})

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ({"XAF": "1"}, "“XAF” is not a currency of the platform."),
            ({"USD": "abc"}, "The rate for USD must be a positive number such as 0.1012."),
            ({"USD": "0"}, "The rate for USD must be a positive number such as 0.1012."),
            ({"USD": 0.1}, "The rate for USD must be a positive number such as 0.1012."),
            (["USD"], "The exchange rates must map a currency code to a rate."),
        ],
    )
    def test_invalid_rates(self, value, message):
        with pytest.raises(ValidationError) as refused:
            self._clean(value)
        assert refused.value.messages == [message]
