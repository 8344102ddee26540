"""Offline OCDS validation: the official package schemas, whose references to the release schema
resolve to the release schema patched with the lots, bids and techniques extensions and SEEI's own
(``seei.ocds.schema``); and procedures in every state, built through the services."""

from datetime import timedelta

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.awards.conftest import close_auction, finalise, grant_visa, ministry_accountant


def _registry() -> Registry:
    from seei.ocds import schema

    resources = {
        f"{schema.BASE_URI}release-schema.json": schema.release_schema(),
        f"{schema.BASE_URI}versioned-release-validation-schema.json": schema.versioned_release_schema(),
    }
    return Registry().with_resources(
        (uri, Resource.from_contents(contents, default_specification=DRAFT4))
        for uri, contents in resources.items()
    )


def validator(kind: str) -> Draft4Validator:
    """``release-package`` or ``record-package``."""
    from seei.ocds import schema

    return Draft4Validator(
        schema.package_schema(kind), registry=_registry(), format_checker=Draft4Validator.FORMAT_CHECKER
    )


def assert_valid(kind: str, package: dict) -> None:
    errors = sorted(validator(kind).iter_errors(package), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def publish(tender) -> list[dict]:
    """Store the releases of whatever happened, and return all the notice's releases, oldest first.
    On the way, checks the sweep's count of the steps (``steps.behind``) against ``steps.due``."""
    from seei.ocds import build, steps
    from seei.ocds.models import Release
    from seei.ocds.publish import sync
    from seei.tenders.models import Tender

    this = Tender.objects.filter(pk=tender.pk)
    happened = len(steps.due(build.Notice(this.get())))
    behind = happened > Release.objects.filter(tender=tender).count()
    assert list(steps.behind(this).values_list("happened", flat=True)) == ([happened] if behind else [])
    sync(tender.pk)
    assert not steps.behind(this).exists()
    return [row.data for row in Release.objects.filter(tender=tender).order_by("date", "id")]


def packages_of(tender) -> tuple[dict, dict]:
    """The notice's release package and record package, both checked against the schemas."""
    from seei.ocds import packages
    from seei.ocds.build import ocid
    from seei.ocds.models import Release

    releases = packages.release_package(
        Release.objects.filter(tender=tender).order_by("date", "id"), "https://x.test/r"
    )
    records = packages.record_package([ocid(tender)], "https://x.test/p")
    assert_valid("release-package", releases)
    assert_valid("record-package", records)
    return releases, records


@pytest.fixture
def awarded(buyer, category, region, clock):
    """A lot whose auction closed on three bids and whose award is final (rank 1 confirmed)."""
    closed = close_auction(buyer, category, region, clock, reference="AO-OCDS-AWARD")
    clock.advance(timedelta(hours=1))
    finalise(closed)
    return closed


@pytest.fixture
def paid(awarded, buyer_org, clock):
    """The same lot, with the visa and two payments that settle the awarded amount."""
    from seei.awards import services

    accountant = ministry_accountant(buyer_org)
    clock.advance(timedelta(days=1))
    grant_visa(awarded, accountant)
    award = awarded.award
    half = (award.amount / 2).quantize(award.amount)
    for amount in (half, award.amount - half):
        clock.advance(timedelta(days=1))
        services.record_payment(accountant, award, clock.today(), amount, f"OP-{amount}")
    return awarded
