"""A password change keeps the session it was made in and ends every other one."""

import pytest
from django.core import mail

from tests.accounts.helpers import STRONG_PASSWORD, link_path
from tests.conftest import PASSWORD, Client
from tests.room.test_auth import person_for

pytestmark = pytest.mark.django_db(transaction=True)  # the room reads the sessions on its own connection


def logged_in(client) -> bool:
    return client.get("/en/accounts/profile/").status_code == 200


def room_person(client):
    """Who the room (its own session check, outside Django's request cycle) sees behind the cookies."""
    return person_for(client.cookies["sessionid"].value)


def test_a_password_change_keeps_this_session_and_ends_the_others(company):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        assert client.login(email=company.user.email, password=PASSWORD)
    assert logged_in(elsewhere) and room_person(elsewhere) is not None

    response = here.post(
        "/en/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    assert response.status_code == 302 and response.url == "/en/accounts/profile/"
    page = here.get(response.url)
    assert page.status_code == 200
    assert "Your other sessions, on any device, are closed." in page.content.decode()
    assert room_person(here) is not None

    assert not logged_in(elsewhere)
    assert room_person(elsewhere) is None
    assert Client().login(email=company.user.email, password=STRONG_PASSWORD)


def test_a_wrong_current_password_changes_nothing(company):
    client = Client()
    client.force_login(company.user)
    response = client.post(
        "/en/accounts/password/change/",
        {"old_password": "not-it", "new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    company.user.refresh_from_db()
    assert company.user.check_password(PASSWORD)


def test_a_password_reset_ends_every_session(company, django_capture_on_commit_callbacks):
    elsewhere = Client()
    assert elsewhere.login(email=company.user.email, password=PASSWORD)
    client = Client()
    client.post("/en/accounts/password/reset/", {"email": company.user.email})
    confirm = client.get(link_path(mail.outbox[-1].body), follow=True)
    response = client.post(
        confirm.redirect_chain[-1][0], {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD}
    )
    assert response.status_code == 302
    assert not logged_in(elsewhere) and room_person(elsewhere) is None
    assert not logged_in(client)  # the reset link does not log in either


def test_the_password_change_page_needs_a_login(client):
    response = client.get("/en/accounts/password/change/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
