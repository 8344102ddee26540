"""A self-registered company waits for the administrator's check of its ICE before it may apply
(issue 13: an ICE cannot be squatted)."""

import pytest
from django.urls import reverse

from seei.accounts import services as accounts
from seei.applications.models import Application
from seei.tenders.errors import TenderError
from tests.applications.conftest import apply
from tests.applications.test_api import api, application_form
from tests.applications.test_views import application_post
from tests.conftest import Client

pytestmark = pytest.mark.urls("tests.applications.urls")

PENDING = "Your company is awaiting the check of its identifier (ICE) by the platform administration"


@pytest.fixture
def pending(company):
    type(company.organisation).objects.filter(pk=company.organisation_id).update(pending=True)
    company.organisation.refresh_from_db()
    return company


def test_a_pending_company_logs_in_and_sees_that_it_is_pending(pending):
    client = Client()
    client.force_login(pending.user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="company-pending"' in page and PENDING in page


def test_a_pending_company_cannot_apply_by_the_page_the_service_or_the_api(tender, pending):
    client = Client()
    client.force_login(pending.user)
    response = client.post(reverse("applications:apply", args=[tender.pk]), application_post(tender))
    assert response.status_code == 400 and PENDING in response.content.decode()

    with pytest.raises(TenderError) as refused:
        apply(pending, tender)
    assert PENDING in str(refused.value)

    response = api(pending).upload(f"/notices/{tender.pk}/application", **application_form(tender))
    assert response.status_code == 400 and PENDING in response.content.decode()
    assert not Application.objects.exists()


def test_once_approved_the_company_applies(tender, pending, buyer):
    accounts.approve_company(pending.organisation, buyer.user)
    pending.organisation.refresh_from_db()
    apply(pending, tender)
    assert Application.objects.filter(company=pending.organisation).exists()
