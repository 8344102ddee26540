"""Fixtures of the room tests: a lot with its room and two admitted bidders, the people around
it (the buyer, a commission member, a company of another lot, a company not admitted), and a
session cookie for any of them."""

from datetime import timedelta

import pytest

from tests.conftest import Client, make_company, make_member


@pytest.fixture
def lot(published_tender):
    return published_tender.lots.get()


@pytest.fixture
def room(lot, company, other_company, clock):
    """The lot's room, frozen with two admitted bidders (company and other_company)."""
    from seei.auctions import services

    return services.prepare_room(lot, companies=[company.organisation, other_company.organisation])


@pytest.fixture
def open_room(room, lot, clock):
    """The room, open: the clock is a second past its opening."""
    from seei.auctions import services

    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    services.open_room(lot.pk)
    room.refresh_from_db()
    return room


@pytest.fixture
def outsider(db):
    """A registered company that was not admitted to the lot."""
    return make_company("Rif Fournitures SARL", "003456789000034", "contact@rif-fournitures.ma")


@pytest.fixture
def commission_member(published_tender, buyer_org):
    from seei.applications.models import CommissionMember

    member = make_member("commission@sante.gov.ma", buyer_org, "commission_member", first_name="Karim")
    CommissionMember.objects.create(tender=published_tender, membership=member)
    return member


@pytest.fixture
def administrator(db):
    from seei.accounts.models import Organisation

    platform = Organisation.objects.create(kind="platform", name="Trésorerie Générale")
    return make_member("admin@tresor.gov.ma", platform, "administrator")


@pytest.fixture
def other_lot_bidder(published_tender, buyer, clock, db):
    """A company admitted to another lot (of the same notice), not to ``lot``."""
    from seei.auctions import services
    from seei.tenders.models import Item, Lot
    from tests.conftest import item_values, lot_values

    other = Lot.objects.create(tender=published_tender, number=2, **lot_values(clock.now(), number=2))
    Item.objects.create(lot=other, **item_values())
    bidder = make_company("Souss Médical SA", "004567890000056", "contact@souss-medical.ma")
    services.prepare_room(other, companies=[bidder.organisation])
    return bidder


def session_cookie(membership) -> str:
    """A real Django session (as after a login) for this membership's person: the cookie's value."""
    client = Client()
    client.force_login(membership.user)
    return client.cookies["sessionid"].value


def names_of(*memberships) -> list[str]:
    """Everything that would identify these companies or people if it leaked."""
    found = []
    for membership in memberships:
        organisation, user = membership.organisation, membership.user
        found += [organisation.name, user.email, user.get_full_name()]
        found += [value for value in (organisation.ice, organisation.rc) if value]
    return [value for value in found if value]
