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


def test_applications_count_only_once_the_lot_has_an_outcome(notice, lot, companies):
    """How many applied and how many were excluded tells how many were admitted: not before the room
    closed (as OCDS and the statistics), even once the commission closed its session."""
    from seei.applications.models import Examination
    from seei.auctions.models import Room
    from seei.portal import cache as portal_cache

    a, b, c, d, e = companies
    examine(lot, admitted=[a, b], excluded=[c, d, e], closed=False)
    assert selectors.notice_flags(notice.pk) == []

    Examination.objects.filter(tender=notice).update(closed_at=notice.application_deadline, closed_by=a.user)
    portal_cache.bump()
    assert selectors.notice_flags(notice.pk) == []  # the session is closed, the lot has no outcome yet

    room = auction(lot, {a: "80000.00", b: "85000.00"}, award="open")
    Room.objects.filter(pk=room.pk).update(status=Room.Status.SCHEDULED, opened_at=None)
    portal_cache.bump()
    assert selectors.notice_flags(notice.pk) == []  # the room is scheduled: still nothing

    Room.objects.filter(pk=room.pk).update(status=Room.Status.CLOSED, closed_at=lot.opens_at)
    portal_cache.bump()  # as the lot's save does when its room closes
    [flag] = selectors.notice_flags(notice.pk)
    assert flag.code == "R038" and flag.figures["excluded_percent"] == Decimal("60.00")
    assert (flag.figures["applications"], flag.figures["excluded"]) == (5, 3)


def test_an_unsuccessful_lot_shows_its_counts(notice, lot, companies):
    from seei.tenders.models import Lot

    a, b, c, d, e = companies
    examine(lot, admitted=[a], excluded=[b, c, d, e])
    assert selectors.notice_flags(notice.pk) == []  # under examination, then scheduled: no outcome

    lot.status = Lot.Status.UNSUCCESSFUL  # fewer than two admitted
    lot.save(update_fields=["status"])
    [flag] = selectors.notice_flags(notice.pk)
    assert flag.code == "R038" and (flag.figures["applications"], flag.figures["excluded"]) == (5, 4)


def test_prices_stay_sealed_until_the_room_is_closed(notice, lot, companies):
    a, b, c, *_ = companies
    auction(lot, {a: "40000.00", b: "90000.00", c: "90000.00"}, award="open")

    assert selectors.notice_flags(notice.pk) == []


def test_a_lot_passed_down_the_ranking_is_flagged_once_its_award_is_final(notice, lot, companies):
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


def test_flags_about_the_awardee_wait_for_the_final_award(buyer_org, category, region, companies):
    """Three final awards to the same company, then a fourth one: not counted while provisional."""
    from seei.awards.models import Award
    from tests.redflags.conftest import make_notice, moment

    a, b, *_ = companies
    lots = []
    for month in range(1, 5):
        notice = make_notice(buyer_org, category, region, f"AO-RP-2016-{month:03d}")
        lots.append(make_lot(notice, when=moment(2016, month, 10)))
    for earlier in lots[:3]:
        auction(earlier, {a: "90000.00", b: "95000.00"})
    room = auction(lots[3], {a: "90000.00", b: "95000.00"}, award="provisional")

    assert selectors.year_flags(2016) == []

    award = Award.objects.get(lot=lots[3])
    award.status, award.final_at = Award.Status.FINAL, room.closed_at + timedelta(days=4)
    award.save(update_fields=["status", "final_at"])  # its signal makes a new generation

    [flag] = selectors.year_flags(2016)
    assert (flag.code, flag.reference, flag.figures["wins"]) == ("SEEI-W1", "AO-RP-2016-004", 4)


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
    a, b, c, d, e = companies
    examine(lot, admitted=[a, b, c], excluded=[d, e])
    auction(lot, {a: "40000.00", b: "90000.00", c: "90000.00"})
    assert selectors.notice_flags(notice.pk)

    notice.practice = True
    notice.save(update_fields=["practice"])

    assert selectors.notice_flags(notice.pk) == []
    assert selectors.year_flags(2016) == []
    assert 2016 not in selectors.years()


def test_the_cache_follows_the_data_not_a_timer(notice, lot, companies, django_assert_num_queries):
    a, b, c, *_ = companies
    auction(lot, {a: "80000.00", b: "95000.00", c: "97000.00"})
    assert selectors.year_flags(2016) == []
    with django_assert_num_queries(0):  # the portal's generation is in the cache: no scan of the tables
        assert selectors.year_flags(2016) == []

    from seei.auctions.models import Room

    # A bid saves its room (a practice room's every second): the flags are not recomputed.
    room = Room.objects.get(lot=lot)
    room.updated_at = lot.opens_at
    room.save(update_fields=["updated_at"])
    with django_assert_num_queries(0):
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
    award = step.award
    award.company, award.amount = b.organisation, Decimal("95000.00")
    award.save(update_fields=["company", "amount"])  # as the award's service does: a new generation
    assert [flag.code for flag in selectors.year_flags(2016)] == ["R036"]
