import pytest

from tests.conftest import make_member


@pytest.fixture
def platform(db):
    from seei.accounts.models import Organisation

    return Organisation.objects.create(kind="platform", name="Trésorerie Générale du Royaume")


@pytest.fixture
def administrator(platform):
    """A platform administrator who is NOT staff: the role alone opens the administration."""
    membership = make_member("admin@tgr.gov.ma", platform, "administrator")
    assert not membership.user.is_staff
    return membership


@pytest.fixture
def admin_client(administrator):
    """The administrator's own browser: the ``client`` fixture stays an anonymous visitor's."""
    from tests.conftest import Client

    client = Client()
    client.force_login(administrator.user)
    return client


def pending_company(
    name="Rif Fournitures SARL", ice="003456789000045", email="youssef@rif.ma", language="ar"
):
    from seei.accounts.models import Organisation

    organisation = Organisation.objects.create(
        kind="company", name=name, ice=ice, city="Tanger", pending=True
    )
    make_member(email, organisation, "company_member", language=language, first_name="Youssef")
    return organisation
