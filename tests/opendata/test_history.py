"""The demo year 2016 gives back the programme's published figures, to the cent."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from seei.demo import year_2016
from seei.demo.year_2016 import PUBLISHED_2016
from seei.opendata import statistics
from tests.api.conftest import ApiClient


def _usd(notice, cents: int) -> int:
    if notice.currency == "USD":
        return cents
    return int((cents * notice.rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_the_plan_lands_on_the_published_totals_without_a_database():
    notices = year_2016.plan()
    lots = [(notice, lot) for notice in notices for lot in notice.lots]
    awarded = [(notice, lot) for notice, lot in lots if lot.awarded is not None]

    assert len(notices) == PUBLISHED_2016.auctions
    assert sum(_usd(n, lot.estimate) for n, lot in lots) == 477321667
    assert sum(_usd(n, lot.awarded) for n, lot in awarded) == 334380229
    assert sum(_usd(n, lot.estimate) - _usd(n, lot.awarded) for n, lot in awarded) == 103817463
    assert {notice.currency for notice in notices} == {"MAD", "USD"}
    assert len({notice.reference for notice in notices}) == len(notices)
    # Every lot's auction is in 2016, after its notice's deadline, itself after the publication.
    for notice, lot in lots:
        assert lot.opens_at.year == 2016
        assert notice.published_at < notice.deadline < lot.opens_at


def test_the_plan_is_the_same_every_time():
    first, second = year_2016.plan(), year_2016.plan()
    assert [(n.reference, [lot.paths for lot in n.lots]) for n in first] == [
        (n.reference, [lot.paths for lot in n.lots]) for n in second
    ]


def test_a_dirham_amount_converts_back_to_the_planned_dollars():
    for cents in (1, 99, 27400320, 60384600, 123456789):
        for rate in ("0.0991", "0.1003", "0.1032"):
            dirhams = year_2016.in_dirhams(cents, Decimal(rate))
            assert int((dirhams * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) == cents


def test_every_planned_bid_is_accepted_by_the_auction_rules():
    from datetime import timedelta

    from seei.auctions import rules

    for notice in year_2016.plan():
        for lot in notice.lots:
            if not lot.paths:
                continue
            names = [f"Bidder {index}" for index in range(len(lot.bidders))]
            params = rules.LotParams(
                currency=notice.currency,
                minor_digits=2,
                starting_price=Decimal(lot.estimate) / 100,
                min_decrement=rules.Decrement("percent", year_2016.MIN_DECREMENT_PERCENT),
                max_decrement=rules.Decrement("percent", year_2016.MAX_DECREMENT_PERCENT),
                opens_at=lot.opens_at,
                closes_at=lot.opens_at + year_2016.DURATION,
                extension_window=timedelta(seconds=180),
                extension=timedelta(seconds=180),
                min_bid_interval=timedelta(seconds=5),
                bidders=tuple(names),
            )
            paths = {
                name: [Decimal(price) / 100 for price in path]
                for name, path in zip(names, lot.paths, strict=False)
            }
            bids, state = year_2016.bid_events(params, paths, seed=1)
            assert len(bids) == sum(map(len, lot.paths))
            ranking = state.ranking()
            awardee = ranking[1] if lot.failed_first else ranking[0]
            assert awardee.amount * 100 == lot.awarded


# On the database -------------------------------------------------------------------------------------


@pytest.fixture
def year(year_2016, db):
    return year_2016


def _2016(currency="USD"):
    return statistics.make_filters(date(2016, 1, 1), date(2016, 12, 31), currency)


def test_the_statistics_of_2016_give_back_the_published_totals_to_the_cent(year):
    totals = statistics.totals(_2016())

    assert totals.auctions == 93
    assert totals.estimated == Decimal("4773216.67")
    assert totals.awarded == Decimal("3343802.29")
    assert totals.saving == Decimal("1038174.63")
    assert totals.saving_percent == Decimal("21.75")
    assert totals.record_percent == Decimal("60.16")
    assert statistics.left_out(_2016()).lots == 0


def test_the_wheelchair_auction_of_2016(year):
    from seei.tenders.models import Lot

    lot = Lot.objects.select_related("tender", "award").get(tender__reference=year_2016.WHEELCHAIRS_REFERENCE)
    assert lot.tender.currency == "USD"
    assert lot.estimated_amount == Decimal("603846.00")
    assert lot.award.amount == Decimal("274003.20")
    assert lot.award.status == "final"
    # The programme published 54.63 %; its own amounts give 54.6237 %, i.e. 54.62 % to two places.
    share = (lot.estimated_amount - lot.award.amount) / lot.estimated_amount * 100
    assert share.quantize(Decimal("0.01")) == Decimal("54.62")


def test_the_record_saving_is_the_planned_lot(year):
    record = statistics.record(_2016())
    assert record.reference == year_2016.RECORD_REFERENCE
    assert record.percent == Decimal("60.16")
    assert (record.estimated, record.awarded) == (Decimal("48250.00"), Decimal("19222.80"))


def test_the_dirham_notices_record_their_rate_and_the_rates_are_shown(year):
    from seei.tenders.models import Tender

    notices = Tender.objects.filter(reference__in=[n.reference for n in year_2016.plan()])
    for notice in notices:
        assert ("USD" if notice.currency == "MAD" else "MAD") in notice.exchange_rates
    rates = statistics.rates_used(_2016())
    assert {rate.currency for rate in rates} == {"MAD"}
    assert {str(rate.rate) for rate in rates} <= set(year_2016.MAD_TO_USD.values())
    assert sum(rate.notices for rate in rates) == notices.filter(currency="MAD").count()


def test_the_year_reads_in_dirhams_too(year):
    totals = statistics.totals(_2016("MAD"))
    assert totals.auctions == 93
    assert statistics.left_out(_2016("MAD")).lots == 0
    # About ten dirhams to the dollar in 2016.
    assert Decimal(9) < totals.estimated / Decimal("4773216.67") < Decimal(11)


def test_awards_are_final_and_went_through_the_commission(year):
    from seei.awards.models import Award, AwardStep

    awards = Award.objects.filter(lot__tender__reference__in=[n.reference for n in year_2016.plan()])
    assert awards.count() == awards.filter(status=Award.Status.FINAL, final_at__isnull=False).count() > 90
    for award in awards.prefetch_related("steps"):
        steps = list(award.steps.all())
        assert steps[-1].status == AwardStep.Status.CONFIRMED
        assert steps[-1].company_id == award.company_id and steps[-1].amount == award.amount
        assert [step.status for step in steps[:-1]] == [AwardStep.Status.FAILED] * (len(steps) - 1)
    failed = AwardStep.objects.filter(award__in=awards, status=AwardStep.Status.FAILED)
    assert failed.count() == year_2016.FAILED_FIRST
    assert all(step.reason and step.rank == 1 for step in failed)


def test_a_historical_ledger_passes_the_stand_alone_verifier(year):
    from seei.auctions import selectors, signing, verify
    from seei.auctions.models import Bidder, Room

    room = Room.objects.select_related("lot__tender", "lot__award").get(
        lot__tender__reference=year_2016.WHEELCHAIRS_REFERENCE
    )
    report = verify.verify_ledger(
        selectors.ledger_document(room), public_key=signing.private_key().public_key()
    )

    assert report.ok, report.errors
    assert report.closed and report.winning_amount == Decimal("274003.20")
    assert Bidder.objects.get(room=room, pseudonym=report.winner).company == room.lot.award.company


def test_every_historical_room_is_closed_with_its_ledger_head(year):
    from seei.auctions.models import LedgerEntry, Room

    rooms = Room.objects.filter(lot__opens_at__year=2016)
    assert rooms.count() == rooms.filter(status="closed", closed_at__isnull=False).count() > 90
    for room in rooms[:20]:
        last = LedgerEntry.objects.filter(room=room).order_by("-seq").first()
        assert (last.type, last.seq, last.hash) == ("close", room.seq, room.last_hash)


def test_loading_again_changes_nothing(year):
    from seei.auctions.models import LedgerEntry
    from seei.awards.models import Award
    from seei.tenders.models import Lot, Tender

    before = (Tender.objects.count(), Lot.objects.count(), Award.objects.count(), LedgerEntry.objects.count())
    assert year_2016.load() == {"created": 0, "notices": 93}
    assert (
        Tender.objects.count(),
        Lot.objects.count(),
        Award.objects.count(),
        LedgerEntry.objects.count(),
    ) == before
    assert statistics.totals(_2016()).saving == Decimal("1038174.63")


@pytest.mark.urls("tests.opendata.urls")
def test_the_api_answers_the_2016_totals_to_the_cent(year):
    response = ApiClient().get("/statistics", start="2016-01-01", end="2016-12-31", currency="USD")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["currency"] == "USD" and body["start"] == "2016-01-01" and body["end"] == "2016-12-31"
    totals = body["totals"]
    assert totals["auctions"] == 93
    assert Decimal(totals["estimated_amount"]) == Decimal("4773216.67")
    assert Decimal(totals["awarded_amount"]) == Decimal("3343802.29")
    assert Decimal(totals["saving_amount"]) == Decimal("1038174.63")
    assert Decimal(totals["saving_percent"]) == Decimal("21.75")
    assert Decimal(totals["record_saving_percent"]) == Decimal("60.16")
    assert body["record"]["reference"] == "AO-MEF-2016-002"
    assert body["left_out"] == {"notices": 0, "lots": 0, "currencies": []}
    assert {rate["currency"] for rate in body["rates"]} == {"MAD"}
    assert body["groups"] == []


def test_the_public_page_shows_the_2016_totals(year, client):
    from django.urls import reverse

    response = client.get(
        reverse("opendata:statistics"),
        {"start": "2016-01-01", "end": "2016-12-31", "currency": "USD", "by": "month"},
    )

    assert response.status_code == 200
    text = response.content.decode()
    for figure in (
        "4,773,216.67",
        "3,343,802.29",
        "1,038,174.63",
        "21.75 % of the estimated amount",
        "60.16",
    ):
        assert figure in text
    assert response.context["report"].totals.auctions == 93
    assert [row.code for row in response.context["report"].rows] == [
        f"2016-{month:02d}" for month in range(1, 13)
    ]
