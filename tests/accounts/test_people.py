"""An organisation's people: who may manage them, managers granted and withdrawn, removals (last-manager
guard, access ended at once), audited; and the pages in English and Arabic."""

import pytest
from django.contrib.sessions.models import Session

from seei.accounts import people
from seei.accounts.api_auth import authenticate_token
from seei.accounts.models import ApiToken, Membership
from seei.accounts.services import create_api_token
from seei.core.models import AuditEvent
from tests.conftest import PASSWORD, Client, make_member

pytestmark = pytest.mark.django_db

PAGE = "/en/accounts/people/"


@pytest.fixture
def colleague(company):
    return make_member("sara@atlas-medical.ma", company.organisation, "company_member", first_name="Sara")


@pytest.fixture
def administrator(db):
    from seei.accounts.models import Organisation

    platform = Organisation.objects.create(kind="platform", name="Trésorerie Générale")
    return make_member("admin@tresor.gov.ma", platform, "administrator")  # no is_staff


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_a_company_manager_sees_their_colleagues_only(company, colleague, other_company):
    page = logged_in(company).get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "sara@atlas-medical.ma" in body and "contact@sahara-eq.ma" not in body


@pytest.mark.parametrize("who", ["colleague", "anonymous", "buyer", "commission"])
def test_the_page_is_refused_to_non_managers(who, colleague, buyer, buyer_org):
    if who == "anonymous":
        response = Client().get(PAGE)
        assert response.status_code == 302 and "/accounts/login/" in response.url
        return
    membership = {
        "colleague": colleague,
        "buyer": buyer,
        "commission": make_member("c@sante.gov.ma", buyer_org, "commission_member"),
    }[who]
    assert logged_in(membership).get(PAGE).status_code == 403


def test_a_buyer_manager_needs_the_administrators_switch(buyer, buyer_org):
    Membership.objects.filter(pk=buyer.pk).update(is_manager=True)
    client = logged_in(buyer)
    assert client.get(PAGE).status_code == 403  # buyers' people are managed centrally by default
    buyer_org.members_managed_locally = True
    buyer_org.save()
    assert client.get(PAGE).status_code == 200


def test_a_manager_grants_and_withdraws_management(company, colleague):
    client = logged_in(company)
    client.post(PAGE, {"action": "grant", "membership": colleague.pk})
    colleague.refresh_from_db()
    assert colleague.is_manager
    client.post(PAGE, {"action": "withdraw", "membership": colleague.pk})
    colleague.refresh_from_db()
    assert not colleague.is_manager
    actions = list(
        AuditEvent.objects.filter(object_id=str(colleague.pk), object_type="accounts.membership")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["people.manager_granted", "people.manager_withdrawn"]
    entry = AuditEvent.objects.filter(action="people.manager_granted").get()
    assert entry.actor == company.user and entry.organisation == company.organisation


def test_the_last_manager_stays(company, colleague):
    client = logged_in(company)
    response = client.post(PAGE, {"action": "withdraw", "membership": company.pk}, follow=True)
    assert "last manager" in response.content.decode()
    response = client.post(PAGE, {"action": "remove", "membership": company.pk}, follow=True)
    assert "last manager" in response.content.decode()
    company.refresh_from_db()
    assert company.is_manager and Membership.objects.filter(pk=company.pk).exists()
    assert not AuditEvent.objects.filter(action__startswith="people.").exists()
    # With a second manager, the first may step down.
    client.post(PAGE, {"action": "grant", "membership": colleague.pk})
    client.post(PAGE, {"action": "withdraw", "membership": company.pk})
    company.refresh_from_db()
    assert not company.is_manager


def test_another_organisations_manager_cannot_touch_them(company, colleague, other_company):
    client = logged_in(other_company)
    for action in ("grant", "remove"):
        response = client.post(PAGE, {"action": action, "membership": colleague.pk}, follow=True)
        assert "not among the people you manage" in response.content.decode()
    colleague.refresh_from_db()
    assert not colleague.is_manager
    with pytest.raises(Exception):  # noqa: B017 - the service refuses too
        people.set_manager(other_company, colleague, True)
    assert not AuditEvent.objects.filter(action__startswith="people.").exists()


def test_a_non_manager_cannot_act(company, colleague):
    response = logged_in(colleague).post(PAGE, {"action": "remove", "membership": company.pk})
    assert response.status_code == 403
    assert Membership.objects.filter(pk=company.pk).exists()


def test_removing_someone_ends_their_sessions_and_tokens_at_once(company, colleague):
    _token, key = create_api_token(colleague, "ERP")
    theirs = Client()
    assert theirs.login(email=colleague.user.email, password=PASSWORD)
    assert theirs.get("/en/accounts/profile/").status_code == 200
    mine_before = Session.objects.count()

    logged_in(company).post(PAGE, {"action": "remove", "membership": colleague.pk})

    assert not Membership.objects.filter(pk=colleague.pk).exists()
    assert not ApiToken.objects.filter(membership_id=colleague.pk).exists()
    assert Session.objects.count() == mine_before  # theirs ended, the manager's one was added
    assert theirs.get("/en/accounts/profile/").status_code == 302  # back to the login page
    assert authenticate_token(key) is None
    entry = AuditEvent.objects.get(action="people.removed")
    assert entry.data["person"] == colleague.user.email and entry.data["api_tokens_revoked"] == [key[:8]]


def test_a_session_acting_for_another_membership_stays(company, colleague, buyer_org):
    other_role = make_member("x@sante.gov.ma", buyer_org, "buyer_agent")
    Membership.objects.filter(pk=other_role.pk).update(user=colleague.user)
    theirs = Client()
    assert theirs.login(email=colleague.user.email, password=PASSWORD)
    session = theirs.session
    session["seei_membership"] = other_role.pk
    session.save()
    people.remove(company, colleague)
    assert theirs.get("/en/accounts/profile/").status_code == 200


def test_the_administrator_sees_everyone_and_filters_by_organisation(administrator, company, other_company):
    client = logged_in(administrator)
    body = client.get(PAGE).content.decode()
    assert "contact@atlas-medical.ma" in body and "contact@sahara-eq.ma" in body
    body = client.get(PAGE, {"organisation": other_company.organisation.pk}).content.decode()
    assert "contact@sahara-eq.ma" in body and "contact@atlas-medical.ma" not in body


def test_the_administrator_grants_management_in_a_buyer(administrator, buyer):
    logged_in(administrator).post(PAGE, {"action": "grant", "membership": buyer.pk})
    buyer.refresh_from_db()
    assert buyer.is_manager
    assert AuditEvent.objects.get(action="people.manager_granted").actor == administrator.user


def test_a_commission_seat_blocks_the_removal_with_a_message(administrator, buyer, buyer_org, draft_tender):
    from seei.applications.models import CommissionMember

    member = make_member("c@sante.gov.ma", buyer_org, "commission_member")
    CommissionMember.objects.create(tender=draft_tender, membership=member)
    response = logged_in(administrator).post(PAGE, {"action": "remove", "membership": member.pk}, follow=True)
    assert "commission of a notice" in response.content.decode()
    assert Membership.objects.filter(pk=member.pk).exists()
    assert not AuditEvent.objects.filter(action="people.removed").exists()


def test_the_pages_render_in_arabic(company, colleague):
    client = logged_in(company)
    page = client.get("/ar/accounts/people/")
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
    assert "دعوة شخص" in page.content.decode()  # "Invite a person"
    profile = client.get("/ar/accounts/profile/").content.decode()
    assert "/ar/accounts/people/" in profile and "/ar/accounts/password/change/" in profile
    assert client.get("/ar/accounts/organisation/").status_code == 200


def test_the_profile_links_only_managers_to_the_people_page(company, colleague):
    assert "/en/accounts/people/" in logged_in(company).get("/en/accounts/profile/").content.decode()
    body = logged_in(colleague).get("/en/accounts/profile/").content.decode()
    assert "/en/accounts/people/" not in body and "/en/accounts/password/change/" in body


def test_the_demos_companies_and_one_buyer_agent_manage_their_people():
    from seei.demo import people as demo

    demo.load()
    companies = Membership.objects.filter(organisation__kind="company")
    assert companies.exists() and all(membership.is_manager for membership in companies)
    hospitals_agent = Membership.objects.get(user__email="acheteur@sante.gov.ma")
    assert hospitals_agent.is_manager and people.may_manage_any(hospitals_agent)
    assert not Membership.objects.get(user__email="acheteur@onee.ma").is_manager


def test_registration_makes_the_first_person_the_manager(django_capture_on_commit_callbacks):
    from seei.accounts.services import register_company

    membership = register_company(
        company={"name": "Rif SARL", "ice": "003456789000045", "city": "Tanger"},
        person={"email": "y@rif.ma", "first_name": "Y", "last_name": "A", "language": "fr"},
        password="Zellige-Tanger-2026!",
    )
    assert membership.is_manager


def test_the_administrator_lets_a_buyers_managers_manage_its_people(administrator, buyer, buyer_org):
    Membership.objects.filter(pk=buyer.pk).update(is_manager=True)
    assert logged_in(buyer).get(PAGE).status_code == 403
    admin = logged_in(administrator)
    admin.post(f"{PAGE}?organisation={buyer_org.pk}", {"action": "allow_local", "organisation": buyer_org.pk})
    assert logged_in(buyer).get(PAGE).status_code == 200
    entry = AuditEvent.objects.get(action="people.local_management_changed")
    assert entry.data == {"before": False, "after": True} and entry.actor == administrator.user
    # A manager cannot change the switch.
    logged_in(buyer).post(PAGE, {"action": "forbid_local", "organisation": buyer_org.pk})
    buyer_org.refresh_from_db()
    assert buyer_org.members_managed_locally is True


def test_the_platform_keeps_its_last_administrator(administrator):
    response = logged_in(administrator).post(
        PAGE, {"action": "remove", "membership": administrator.pk}, follow=True
    )
    assert "last administrator" in response.content.decode()
    assert Membership.objects.filter(pk=administrator.pk).exists()
