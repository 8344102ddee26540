"""People of the help centre's tests: the platform's administrators receive the help requests."""

import pytest

from tests.conftest import make_member


@pytest.fixture
def administrators(db):
    """Two platform administrators, one reading Arabic; and a person of the platform who is no administrator."""
    from seei.accounts.models import Organisation

    platform = Organisation.objects.create(kind="platform", name="Plateforme SEEI")
    buyer = Organisation.objects.create(kind="buyer", name="Commune de Fès", buyer_type="local_authority")
    make_member("agent@fes.gov.ma", buyer, "buyer_agent")
    return [
        make_member("admin@seei.example", platform, "administrator").user,
        make_member("admin-ar@seei.example", platform, "administrator", language="ar").user,
    ]
