"""A manager edits their organisation's details (not its ICE), each change audited before and after."""

import pytest

from seei.accounts.models import Membership, Organisation
from seei.core.models import AuditEvent
from tests.conftest import Client, make_member

pytestmark = pytest.mark.django_db

PAGE = "/en/accounts/organisation/"


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_a_company_manager_changes_the_details_audited(company):
    organisation = company.organisation
    before = {"name": organisation.name, "rc": organisation.rc, "city": organisation.city}
    response = logged_in(company).post(
        PAGE, {"name": "Atlas Médical SA", "rc": before["rc"], "city": "Rabat", "ice": "999999999999999"}
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "Atlas Médical SA" and organisation.city == "Rabat"
    assert organisation.ice == "001234567000089"  # the ICE is the administrator's to check
    entry = AuditEvent.objects.get(action="organisation.details_changed")
    assert entry.actor == company.user and entry.organisation == organisation
    assert entry.data["changes"] == {
        "name": [before["name"], "Atlas Médical SA"],
        "city": [before["city"], "Rabat"],
    }


def test_no_change_writes_nothing(company):
    organisation = company.organisation
    logged_in(company).post(
        PAGE, {"name": organisation.name, "rc": organisation.rc, "city": organisation.city}
    )
    assert not AuditEvent.objects.filter(action="organisation.details_changed").exists()


def test_an_empty_name_is_refused(company):
    response = logged_in(company).post(PAGE, {"name": "", "rc": "", "city": ""})
    assert response.status_code == 400
    company.organisation.refresh_from_db()
    assert company.organisation.name == "Atlas Médical SARL"


def test_a_non_manager_and_an_anonymous_visitor_are_refused(company, other_company):
    colleague = make_member("sara@atlas-medical.ma", company.organisation, "company_member")
    assert logged_in(colleague).get(PAGE).status_code == 403
    assert logged_in(colleague).post(PAGE, {"name": "Pirate SARL"}).status_code == 403
    response = Client().post(PAGE, {"name": "Pirate SARL"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    # Another company's manager only ever edits their own.
    logged_in(other_company).post(PAGE, {"name": "Sahara SA", "rc": "", "city": "Agadir"})
    company.organisation.refresh_from_db()
    assert company.organisation.name == "Atlas Médical SARL"
    assert Organisation.objects.get(pk=other_company.organisation.pk).name == "Sahara SA"


def test_a_buyer_manager_edits_name_and_city_only(buyer):
    Membership.objects.filter(pk=buyer.pk).update(is_manager=True)
    client = logged_in(buyer)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'name="rc"' not in page.content.decode()
    client.post(PAGE, {"name": "Direction des Hôpitaux", "city": "Salé"})
    buyer.organisation.refresh_from_db()
    assert buyer.organisation.city == "Salé"


def test_the_page_renders_in_arabic(company):
    page = logged_in(company).get("/ar/accounts/organisation/")
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
