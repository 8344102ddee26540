"""The flags of real procedures, from the database: only what is public, never practice, never stale."""

from datetime import timedelta
from decimal import Decimal

from seei.redflags import selectors
from tests.redflags.conftest import auction, examine, make_lot


def _codes(flags):
    return sorted((flag.code, flag.lot_number) for flag in flags)


def test_a_final_award_gives_its_flags_with_figures(notice, lot, companies):
    a, b, c, d, e = companies
    examine(lot, admitted=[a, b, c], excluded=[d, e])
    auction(lot, {a: "40000.00", b: "90000.00", c: "90000.00"})

    flags = {flag.code: flag for flag in selectors.notice_flags(notice.pk)}

    assert set(flags) == {"R058", "R028"}  # 2 of 5 applications excluded: under the share
    assert flags["R058"].figures["below_estimate_percent"] == Decimal("60.00")
    assert flags["R058"].figures["second_price"] == Decimal("90000.00")
    assert flags["R028"].figures == {"price": Decimal("90000.00"), "bidders": 2}
    assert flags["R058"].lot_id == lot.pk and flags["R058"].reference == "AO-RF-2016-001"
    assert "R058" in flags["R058"].rule and "Heavily discounted bid" in flags["R058"].rule


def test_a_clean_procedure_has_no_flag(notice, lot, companies):
    a, b, c, d, _e = companies
    examine(lot, admitted=[a, b, c], excluded=[d])
    auction(lot, {a: "82000.00", b: "85000.00", c: "91000.00"})

    assert selectors.notice_flags(notice.pk) == []


def test_applications_count_only_once_the_commission_closed_its_session(notice, lot, companies):
    a, b, c, d, e = companies
    examine(lot, admitted=[a, b], excluded=[c, d, e], closed=False)
    assert selectors.notice_flags(notice.pk) == []

    from seei.applications.models import Examination

    Examination.objects.filter(tender=notice).update(closed_at=notice.application_deadline, closed_by=a.user)

    [flag] = selectors.notice_flags(notice.pk)  # a new version of the data: recomputed at once
    assert flag.code == "R038" and flag.figures["excluded_percent"] == Decimal("60.00")


def test_prices_stay_sealed_until_the_room_is_closed(notice, lot, companies):
    a, b, c, *_ = companies
    auction(lot, {a: "40000.00", b: "90000.00", c: "90000.00"}, award="open")

    assert selectors.notice_flags(notice.pk) == []


def test_flags_about_the_awardee_wait_for_the_final_award(notice, lot, companies):
    a, b, c, *_ = companies
    auction(lot, {a: "80000.00", b: "95000.00", c: "97000.00"}, award="provisional")
    assert selectors.notice_flags(notice.pk) == []

    other = make_lot(notice, number=2)
    auction(other, {a: "80000.00", b: "81000.00"}, awarded_rank=2)
    flags = selectors.notice_flags(notice.pk)
    assert _codes(flags) == [("R036", 2)]
    assert flags[0].figures == {
        "awarded_rank": 2,
        "best_price": Decimal("80000.00"),
        "awarded_price": Decimal("81000.00"),
        "extra_percent": Decimal("1.25"),
    }


def test_a_single_bidder_and_a_short_publicity(notice, lot, companies):
    from seei.tenders.models import Tender

    Tender.objects.filter(pk=notice.pk).update(published_at=notice.application_deadline - timedelta(days=10))
    a, *_ = companies
    auction(lot, {a: "95000.00"})

    flags = {flag.code: flag for flag in selectors.notice_flags(notice.pk)}
    assert set(flags) == {"R003", "R018"}
    assert flags["R003"].lot_id is None and flags["R003"].figures["publicity_days"] == Decimal("10.0")
    assert flags["R018"].figures == {"bidders": 1, "admitted": 1, "price": Decimal("95000.00")}


def test_the_same_winner_again_and_again(buyer_org, category, region, companies):
    from tests.redflags.conftest import make_notice, moment

    a, b, *_ = companies
    for month in range(1, 6):
        notice = make_notice(buyer_org, category, region, f"AO-RW-2016-{month:03d}")
        auction(make_lot(notice, when=moment(2016, month, 10)), {a: "90000.00", b: "95000.00"})

    flags = selectors.year_flags(2016)
    assert [(flag.reference, flag.figures["wins"]) for flag in flags] == [
        ("AO-RW-2016-004", 4),
        ("AO-RW-2016-005", 5),
    ]
    assert flags[0].figures["buyer_awards"] == 4 and flags[0].figures["share_percent"] == Decimal("100.00")


def test_practice_is_never_flagged(notice, lot, companies):
    from seei.tenders.models import Tender

    a, b, c, d, e = companies
    examine(lot, admitted=[a, b, c], excluded=[d, e])
    auction(lot, {a: "40000.00", b: "90000.00", c: "90000.00"})
    assert selectors.notice_flags(notice.pk)

    Tender.objects.filter(pk=notice.pk).update(practice=True)

    assert selectors.notice_flags(notice.pk) == []
    assert selectors.year_flags(2016) == []
    assert 2016 not in selectors.years()


def test_the_cache_follows_the_data_not_a_timer(notice, lot, companies, django_assert_max_num_queries):
    a, b, c, *_ = companies
    auction(lot, {a: "80000.00", b: "95000.00", c: "97000.00"})
    assert selectors.year_flags(2016) == []
    with django_assert_max_num_queries(1):  # only the data's version
        assert selectors.year_flags(2016) == []

    from seei.awards.models import AwardStep

    # The commission's decision changes: the award went to the second after all (a new step).
    AwardStep.objects.filter(award__lot=lot).update(status="failed")
    step = AwardStep.objects.get(award__lot=lot)
    AwardStep.objects.create(
        award=step.award,
        rank=2,
        bidder=step.bidder.room.bidders.exclude(pk=step.bidder_id).order_by("pseudonym").first(),
        company=b.organisation,
        amount=Decimal("95000.00"),
        status="confirmed",
        requested_at=step.requested_at,
        documents_deadline=step.documents_deadline,
    )
    assert [flag.code for flag in selectors.year_flags(2016)] == ["R036"]
