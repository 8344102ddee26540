"""The room reads Django's session itself (async psycopg + Django's session decoding)."""

import pytest

from seei.room import auth
from tests.conftest import Client, run_async
from tests.room.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def person_for(cookie_value):
    from seei.auctions import bidding

    async def read():
        async with bidding.connection() as conn:
            return await auth.person_from_cookies(conn, {"sessionid": cookie_value} if cookie_value else {})

    return run_async(read())


def test_a_logged_in_session_gives_the_person_and_its_language(company):
    company.user.language = "ar"
    company.user.save()
    person = person_for(session_cookie(company))
    assert person == auth.Person(user_id=company.user.pk, language="ar")


def test_a_login_through_the_login_form_is_read_the_same_way(company):
    from tests.conftest import PASSWORD

    client = Client()
    assert client.login(email=company.user.email, password=PASSWORD)
    assert person_for(client.cookies["sessionid"].value).user_id == company.user.pk


@pytest.mark.parametrize("cookie", [None, "", "x" * 65, "nosuchsessionkey0123456789abcdef"])
def test_no_or_unknown_cookie_is_anonymous(db, cookie):
    assert person_for(cookie) is None


def test_a_tampered_session_is_anonymous(company):
    from django.contrib.sessions.models import Session

    key = session_cookie(company)
    session = Session.objects.get(session_key=key)
    payload, _, signature = session.session_data.rpartition(":")
    session.session_data = f"{payload}:{'A' * len(signature)}"
    session.save()
    assert person_for(key) is None


def test_a_session_ends_with_a_password_change(company):
    key = session_cookie(company)
    company.user.set_password("another-long-passphrase-42")
    company.user.save()
    assert person_for(key) is None


def test_an_inactive_user_is_refused(company):
    key = session_cookie(company)
    company.user.is_active = False
    company.user.save()
    assert person_for(key) is None


def test_a_logged_out_session_is_refused(company):
    client = Client()
    client.force_login(company.user)
    key = client.cookies["sessionid"].value
    client.post("/en/accounts/logout/")
    assert person_for(key) is None


def test_an_expired_session_is_refused(company):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    key = session_cookie(company)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert person_for(key) is None


# The process caches a session's decoded content: none of these may get through a warm cache.


def test_a_known_session_is_still_refused_after_a_logout(company):
    client = Client()
    client.force_login(company.user)
    key = client.cookies["sessionid"].value
    assert person_for(key).user_id == company.user.pk  # decoded and cached
    client.post("/en/accounts/logout/")
    assert person_for(key) is None


def test_a_known_session_is_still_refused_once_expired(company):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    key = session_cookie(company)
    assert person_for(key).user_id == company.user.pk
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert person_for(key) is None


def test_a_known_session_is_still_refused_after_a_password_change_or_deactivation(company, other_company):
    key, other_key = session_cookie(company), session_cookie(other_company)
    assert person_for(key).user_id == company.user.pk
    assert person_for(other_key).user_id == other_company.user.pk
    company.user.set_password("another-long-passphrase-42")
    company.user.save()
    other_company.user.is_active = False
    other_company.user.save()
    assert person_for(key) is None
    assert person_for(other_key) is None


def test_a_known_session_whose_data_is_tampered_with_is_decoded_again(company, other_company):
    from django.contrib.sessions.models import Session

    key = session_cookie(company)
    assert person_for(key).user_id == company.user.pk
    session = Session.objects.get(session_key=key)
    payload, _, signature = session.session_data.rpartition(":")
    session.session_data = f"{payload}:{'A' * len(signature)}"
    session.save()
    assert person_for(key) is None
    # The row now carries another person's (validly signed) data: that person it is, not the cached one.
    Session.objects.filter(session_key=key).update(
        session_data=Session.objects.get(session_key=session_cookie(other_company)).session_data
    )
    assert person_for(key) == auth.Person(user_id=other_company.user.pk, language=other_company.user.language)
