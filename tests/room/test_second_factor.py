"""The room asks the same second factor as the site: a session that gave only the password is
nobody there, and the buyer's people watch only with a verified session."""

import pytest
from django.test import Client as DjangoClient

from seei.accounts.models import Membership
from seei.accounts.twofactor import PENDING_SESSION_KEY
from tests.conftest import PASSWORD, authenticator
from tests.room.conftest import session_cookie
from tests.room.test_app import client, headers  # noqa: F401  (the room app's client fixture)
from tests.room.test_auth import person_for

pytestmark = pytest.mark.django_db(transaction=True)


def password_only_cookie(membership) -> str:
    authenticator(membership.user)
    web = DjangoClient()
    assert (
        web.post("/en/accounts/login/", {"username": membership.user.email, "password": PASSWORD}).status_code
        == 302
    )
    assert web.session[PENDING_SESSION_KEY] is True
    return web.cookies["sessionid"].value


def test_a_session_owing_the_second_factor_is_nobody_in_the_room(buyer, company):
    assert person_for(password_only_cookie(buyer)) is None
    assert person_for(session_cookie(buyer)).verified  # after the second factor
    assert person_for(session_cookie(company)) is not None  # a company without one: the password is enough


def test_a_watcher_needs_a_verified_session(client, open_room, lot, buyer, company):  # noqa: F811
    url = f"/room/lots/{lot.pk}/snapshot"
    pending = {**headers(), "cookie": f"sessionid={password_only_cookie(buyer)}"}
    assert client.get(url, headers=pending).status_code == 403
    assert client.get(url, headers=headers(buyer)).status_code == 200

    # A person who became the buyer's agent after logging in without a second factor watches nothing.
    cookie = session_cookie(company)
    Membership.objects.filter(pk=company.pk).update(organisation=buyer.organisation, role="buyer_agent")
    assert client.get(url, headers={**headers(), "cookie": f"sessionid={cookie}"}).status_code == 403


def test_an_older_session_of_a_person_who_enrolled_a_second_factor_bids_no_more(
    client,  # noqa: F811
    open_room,
    lot,
    company,
):
    """The site sends such a session to the second factor (it is owed now): the room refuses it too,
    whether this process has read the session before (the bid's own transaction checks it) or not."""
    older, known = session_cookie(company), session_cookie(company)  # the password alone: none owed yet
    assert (
        client.get(
            f"/room/lots/{lot.pk}/snapshot", headers={**headers(), "cookie": f"sessionid={known}"}
        ).status_code
        == 200
    )
    authenticator(company.user)  # then the person enrols one, in another session
    web = DjangoClient()
    web.cookies["sessionid"] = older
    assert "/two-factor/" in web.get(f"/en/lots/{lot.pk}/")["Location"]  # the site: the second factor first
    for cookie in (older, known):
        bid = {**headers(), "x-seei-room": "bid", "cookie": f"sessionid={cookie}"}
        response = client.post(
            f"/room/lots/{lot.pk}/bids", json={"amount": "590000", "request_id": "r"}, headers=bid
        )
        assert response.status_code == 401
