"""Fixtures of the statistics tests: lots with known outcomes, written directly, and the year 2016."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import database_for_module, make_company

CASABLANCA = ZoneInfo("Africa/Casablanca")


def moment(year, month, day, hour=10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CASABLANCA)


def make_notice(buyer_org, category, region, reference, *, currency="MAD", rates=None, status="published"):
    from seei.core.translated import make
    from seei.tenders.models import Tender

    return Tender.objects.create(
        buyer=buyer_org,
        reference=reference,
        title=make("fr", fr=f"Avis {reference}", en=f"Notice {reference}"),
        object=make("fr", fr="Fournitures"),
        category=category,
        region=region,
        delivery_place="Rabat",
        currency=currency,
        exchange_rates=rates or {},
        application_deadline=moment(2016, 1, 1),
        status=status,
        published_at=moment(2015, 12, 1) if status == "published" else None,
    )


def make_lot(
    tender, number, estimate, *, when, status="awarded", awarded=None, award_status="final", company=None
):
    """A lot with its outcome; ``awarded`` creates its award (final unless said otherwise)."""
    from seei.awards.models import Award
    from seei.core.translated import make
    from seei.tenders.models import Lot

    lot = Lot.objects.create(
        tender=tender,
        number=number,
        title=make("fr", fr=f"Lot {number}"),
        estimated_amount=Decimal(estimate),
        status=status,
        starting_price=Decimal(estimate),
        min_decrement=Decimal("1.00"),
        opens_at=when,
    )
    if awarded is not None:
        Award.objects.create(
            lot=lot,
            status=award_status,
            currency=tender.currency,
            company=company,
            amount=Decimal(awarded),
            created_at=when,
            final_at=when + timedelta(days=5) if award_status == "final" else None,
        )
    return lot


def apply(lot, companies, *, status="submitted"):
    """Applications of ``companies`` (company members' Memberships) naming ``lot``."""
    from seei.applications.models import Application

    for membership in companies:
        application, _ = Application.objects.get_or_create(
            tender=lot.tender,
            company=membership.organisation,
            defaults={
                "submitted_by": membership.user,
                "submitted_at": lot.opens_at - timedelta(days=5),
                "updated_at": lot.opens_at - timedelta(days=5),
                "status": status,
            },
        )
        application.lots.add(lot)


def seat(lot, companies):
    """The lot's auction room with these companies admitted as bidders."""
    from seei.auctions import services

    return services.create_room(
        lot, [membership.organisation for membership in companies], lot.opens_at - timedelta(days=2)
    )


@pytest.fixture
def companies(db):
    return [
        make_company(f"Fournisseur {index} SARL", f"00777000000{index:04d}", f"contact{index}@fournisseur.ma")
        for index in range(1, 6)
    ]


@pytest.fixture(scope="module")
def year_2016(django_db_setup, django_db_blocker):
    """The demo year 2016, loaded once for the module and rolled back after it."""
    from django.apps import apps
    from django.db import transaction

    from seei.demo import year_2016
    from seei.tenders.nomenclature import seed

    with database_for_module(django_db_blocker), transaction.atomic():
        seed(apps)  # the migration's nomenclature, gone if a transactional test flushed the tables
        result = year_2016.load()
        yield result
        transaction.set_rollback(True)
