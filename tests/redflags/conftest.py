"""A real procedure in a few lines: a published notice, its lot, applications and the commission's
decisions, an auction room whose ledger the auction rules produced, and its award."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.opendata.conftest import companies, make_notice, moment, year_2016  # noqa: F401

__all__ = ["companies", "year_2016"]


@pytest.fixture(autouse=True)
def _portal_cache(settings):
    """A real portal cache even where the suite runs without Redis (it is then a dummy), so that the
    flags are kept and must follow the data."""
    settings.CACHES = {
        **settings.CACHES,
        "portal": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "redflags-tests"},
    }
    from django.core.cache import caches

    caches["portal"].clear()


@pytest.fixture
def notice(buyer_org, category, region):
    """Published on 1 December 2015, deadline 1 January 2016: a month of publicity."""
    return make_notice(buyer_org, category, region, "AO-RF-2016-001")


def make_lot(tender, number=1, estimate="100000.00", when=None):
    from seei.core.translated import make
    from seei.tenders.models import Lot

    return Lot.objects.create(
        tender=tender,
        number=number,
        title=make("fr", fr=f"Lot {number}"),
        estimated_amount=Decimal(estimate),
        status=Lot.Status.EXAMINATION,
        starting_price=Decimal(estimate),
        min_decrement=Decimal("1.00"),
        opens_at=when or moment(2016, 1, 10),
    )


@pytest.fixture
def lot(notice):
    return make_lot(notice)


def examine(lot, admitted, excluded=(), *, closed=True):
    """Applications of these company memberships, admitted or excluded by a commission session."""
    from seei.applications.models import Application, Decision, Examination
    from seei.portal import cache as portal_cache

    deadline = lot.tender.application_deadline
    session, _created = Examination.objects.get_or_create(
        tender=lot.tender,
        defaults={"opened_at": deadline, "opened_by": admitted[0].user},
    )
    for membership in [*admitted, *excluded]:
        application, _created = Application.objects.get_or_create(
            tender=lot.tender,
            company=membership.organisation,
            defaults={
                "submitted_by": membership.user,
                "submitted_at": deadline - timedelta(days=1),
                "updated_at": deadline - timedelta(days=1),
            },
        )
        application.lots.add(lot)
        Decision.objects.create(
            application=application,
            lot=lot,
            outcome="excluded" if membership in excluded else "admitted",
            decided_by=admitted[0].user,
            decided_at=deadline + timedelta(hours=2),
        )
    if closed:
        session.closed_at, session.closed_by = deadline + timedelta(hours=3), admitted[0].user
        session.save()
    portal_cache.bump()  # as the service's saves of the lots do


def auction(lot, prices: dict, *, awarded_rank: int = 1, award: str | None = "final"):
    """The room of ``lot`` with these bidders (company membership -> final price), closed after the
    rules accepted each price, and its award: ``final`` (to ``awarded_rank``), ``provisional``, or
    ``None`` (no award yet); ``award="open"`` leaves the room open, not closed."""
    from seei.auctions.models import Room
    from seei.awards.models import Award
    from seei.demo import year_2016
    from seei.portal import cache as portal_cache
    from seei.tenders.models import Lot

    ranked = sorted(prices.items(), key=lambda pair: pair[1])
    names = [membership.organisation.name for membership, _price in ranked]
    cents = [int(Decimal(price) * 100) for _membership, price in ranked]
    plan = year_2016.LotPlan(
        number=lot.number,
        title=("Lot", "Lot"),
        spec=("", ""),
        unit="unité",
        unit_price=1,
        opens_at=lot.opens_at,
        outcome="awarded" if award == "final" else "no_bids",
        estimate_usd=int(lot.estimated_amount * 100),
        awarded_usd=cents[awarded_rank - 1],
        estimate=int(lot.estimated_amount * 100),
        awarded=cents[awarded_rank - 1],
        applicants=names,
        bidders=names,
        failed_first=awarded_rank == 2,
        paths=[[price] for price in cents],
    )
    orgs = {"companies": {membership.organisation.name: membership.organisation for membership in prices}}
    year_2016._write_auction(lot, plan, orgs)
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.AWARDED if award == "final" else Lot.Status.CLOSED)
    room = Room.objects.get(lot=lot)
    if award == "open":
        Room.objects.filter(pk=room.pk).update(status=Room.Status.OPEN, closed_at=None)
    elif award == "provisional":
        winner = [membership for membership, _price in ranked][0]
        Award.objects.create(
            lot=lot,
            status=Award.Status.PROVISIONAL,
            currency=lot.tender.currency,
            company=winner.organisation,
            amount=Decimal(ranked[0][1]),
            created_at=room.closed_at,
        )
    portal_cache.bump()  # the services save the lot as the room closes (an update() sends no signal)
    return room
