"""Every administration page is the administrators' alone: not a company's, a buyer's, an anonymous
visitor's, nor a staff account's without the role; an administrator needs no staff flag."""

import pytest
from django.urls import reverse

from seei.administration.models import Announcement
from seei.core import clock
from seei.core.translated import make


@pytest.fixture
def objects(administrator, company, buyer):
    announcement = Announcement.objects.create(
        title=make("fr", fr="Maintenance"), starts_at=clock.now(), created_by=administrator.user
    )
    return {"organisation": company.organisation_id, "announcement": announcement.pk}


PAGES = [
    ("administration:home", {}),
    ("administration:organisations", {}),
    ("administration:organisation_create", {"kind": "buyer"}),
    ("administration:organisation_edit", {"pk": "organisation"}),
    ("administration:registrations", {}),
    ("administration:announcements", {}),
    ("administration:announcement_create", {}),
    ("administration:announcement_edit", {"pk": "announcement"}),
]
CHANGES = [
    ("administration:approve", {"pk": "organisation"}),
    ("administration:reject", {"pk": "organisation"}),
    ("administration:announcement_end", {"pk": "announcement"}),
    ("administration:organisation_edit", {"pk": "organisation"}),
]


def _url(name, kwargs, objects):
    return reverse(name, kwargs={key: objects.get(value, value) for key, value in kwargs.items()})


@pytest.fixture
def staff_without_role(company):
    user = company.user
    user.is_staff = True
    user.save()
    return user


@pytest.fixture(params=["company", "buyer", "staff", "staff_no_membership"])
def outsider(request, company, buyer, staff_without_role, db):
    if request.param == "company":
        return company.user
    if request.param == "buyer":
        return buyer.user
    if request.param == "staff":
        return staff_without_role
    from seei.accounts.models import User

    return User.objects.create_user("staff@tgr.gov.ma", "x", is_staff=True, email_verified=True)


@pytest.mark.parametrize("name,kwargs", PAGES + CHANGES)
def test_anonymous_goes_to_login(client, objects, name, kwargs):
    url = _url(name, kwargs, objects)
    response = client.post(url) if (name, kwargs) in CHANGES else client.get(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name,kwargs", PAGES + CHANGES)
def test_others_are_refused(client, objects, outsider, name, kwargs):
    from seei.core.models import AuditEvent

    client.force_login(outsider)
    before = AuditEvent.objects.exclude(action__startswith="account.").count()
    url = _url(name, kwargs, objects)
    response = (
        client.post(url, {"reason": "x", "name": "X"}) if (name, kwargs) in CHANGES else client.get(url)
    )
    assert response.status_code == 403
    assert AuditEvent.objects.exclude(action__startswith="account.").count() == before


def test_the_raw_admin_stays_closed_to_an_administrator_without_staff(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("name,kwargs", PAGES)
def test_an_administrator_without_staff_gets_every_page(admin_client, objects, name, kwargs):
    response = admin_client.get(_url(name, kwargs, objects))
    assert response.status_code == 200


def test_home_says_what_waits_and_links_incident_and_audit(admin_client, administrator, platform):
    from seei.auctions.models import Suspension
    from tests.administration.conftest import pending_company

    pending_company()
    Suspension.objects.create(
        started_at=clock.now(), reason="Panne du centre de données", started_by=administrator.user
    )
    Announcement.objects.create(
        title=make("fr", fr="Maintenance"), starts_at=clock.now(), created_by=administrator.user
    )
    response = admin_client.get(reverse("administration:home"))
    html = response.content.decode()
    assert "1 company registration to check" in html
    assert "1 announcement shown now" in html
    assert "Panne du centre de données" in html
    assert reverse("auctions:incident") in html and reverse("audit_log") in html
    # the navigation leads there
    assert reverse("administration:home") in admin_client.get(reverse("portal:home")).content.decode()


def test_a_second_membership_does_not_open_it(client, platform, buyer):
    """A person who is an administrator too, but acts now as a buyer agent, is refused."""
    from seei.accounts.models import Membership

    Membership.objects.create(user=buyer.user, organisation=platform, role="administrator")
    client.force_login(buyer.user)  # acting first for its buyer (the lowest membership)
    assert client.get(reverse("administration:home")).status_code == 403
