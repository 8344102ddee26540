"""A removed person's session is refused by the room at once, as by the site's pages."""

import pytest

from seei.accounts import people
from tests.conftest import PASSWORD, Client, make_member
from tests.room.test_auth import person_for

pytestmark = pytest.mark.django_db(transaction=True)  # the room reads the sessions on its own connection


def test_the_room_refuses_a_removed_persons_session(company):
    colleague = make_member("sara@atlas-medical.ma", company.organisation, "company_member")
    theirs = Client()
    assert theirs.login(email=colleague.user.email, password=PASSWORD)
    assert person_for(theirs.cookies["sessionid"].value) is not None

    people.remove(company, colleague)

    assert person_for(theirs.cookies["sessionid"].value) is None
