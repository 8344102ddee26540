"""Abuse limits (issue 13): wrong passwords, reset and verification emails, registrations, tokens."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from seei.accounts import services, throttle
from seei.accounts.models import ApiToken, User
from tests.accounts.helpers import registration_data
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"


def log_in(client, email, password, address="192.0.2.10", language="en"):
    return client.post(
        f"/{language}/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# Logins --------------------------------------------------------------------------------------


def test_twenty_wrong_passwords_lock_the_account_from_that_address_until_the_period_ends(
    client, company, clock, django_capture_on_commit_callbacks
):
    email = company.user.email
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            assert log_in(client, email, "wrong-password").status_code in (200, 429)
    response = log_in(client, email, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts. Try again in 15 min." in response.content.decode()
    assert not logged_in(client)

    # One email to the owner, in their language, when the account got locked; none per refusal.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [email]
    assert "192.0.2.10" in mail.outbox[0].body and "paused" in mail.outbox[0].subject

    clock.advance(timedelta(minutes=14))
    assert log_in(client, email, PASSWORD).status_code == 429
    clock.advance(timedelta(minutes=1, seconds=1))
    response = log_in(client, email, PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    assert len(mail.outbox) == 1


def test_refused_attempts_do_not_make_the_lock_longer(client, company, clock):
    for _ in range(10):
        log_in(client, company.user.email, "wrong-password")
    clock.advance(timedelta(minutes=10))
    for _ in range(30):  # the attacker keeps trying during the lock
        assert log_in(client, company.user.email, "wrong-password").status_code == 429
    clock.advance(timedelta(minutes=5, seconds=1))
    assert log_in(client, company.user.email, PASSWORD).status_code == 302


def test_an_attacker_at_one_address_does_not_lock_the_owner_out_elsewhere(client, company):
    for _ in range(20):
        log_in(client, company.user.email, "wrong-password", address="198.51.100.7")
    assert log_in(client, company.user.email, PASSWORD, address="198.51.100.7").status_code == 429
    assert log_in(client, company.user.email, PASSWORD, address="203.0.113.5").status_code == 302


def test_visitors_behind_the_proxy_on_this_machine_are_not_locked_together(client, company):
    """The README's layout: a TLS proxy on this machine relays every visitor (REMOTE_ADDR 127.0.0.1,
    the visitor in X-Forwarded-For). By default one visitor's guesses do not lock out the others."""

    def through_proxy(email, password, visitor):
        return client.post(
            LOGIN,
            {"username": email, "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=visitor,
        )

    for number in range(throttle.LOGIN_ADDRESS.hits):
        through_proxy(f"someone{number}@example.ma", "wrong-password", "198.51.100.7")
    assert through_proxy(company.user.email, PASSWORD, "198.51.100.7").status_code == 429
    assert through_proxy(company.user.email, PASSWORD, "203.0.113.5").status_code == 302


def test_an_address_guessing_across_accounts_is_locked(client, company, clock):
    for number in range(throttle.LOGIN_ADDRESS.hits):
        log_in(client, f"someone{number}@example.ma", "wrong-password")
    response = log_in(client, company.user.email, PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    assert mail.outbox == []  # no account of these was locked: nobody to tell
    assert log_in(client, company.user.email, PASSWORD, address="203.0.113.5").status_code == 302


def test_a_guess_from_many_addresses_locks_the_account_everywhere_and_tells_the_owner(
    client, company, django_capture_on_commit_callbacks
):
    per_address = throttle.LOGIN_ACCOUNT_ADDRESS.hits - 1  # below the lock of each address
    addresses = [f"10.0.{n}.1" for n in range(throttle.LOGIN_ACCOUNT.hits // per_address + 1)]
    with django_capture_on_commit_callbacks(execute=True):
        for address in addresses:
            for _ in range(per_address):
                log_in(client, company.user.email, "wrong-password", address=address)
    assert log_in(client, company.user.email, PASSWORD, address="203.0.113.5").status_code == 429
    assert len(mail.outbox) == 1 and "several addresses" in mail.outbox[0].body


def test_the_lock_message_is_in_the_visitor_language(client, company):
    for _ in range(10):
        log_in(client, company.user.email, "wrong-password", language="fr")
    response = log_in(client, company.user.email, PASSWORD, language="fr")
    assert response.status_code == 429
    with translation.override("fr"):
        expected = gettext("Too many attempts. Try again in %(minutes)s min.") % {"minutes": 15}
    assert expected in response.content.decode()
    assert '<html lang="fr"' in response.content.decode()


def test_the_owner_is_told_in_their_language(client, company, django_capture_on_commit_callbacks):
    User.objects.filter(pk=company.user_id).update(language="ar")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            log_in(client, company.user.email, "wrong-password")
    with translation.override("ar"):
        assert mail.outbox[0].subject == gettext("SEEI: logins to your account are paused")


def test_an_unknown_account_is_locked_the_same_way_without_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(11):
            response = log_in(client, "nobody@example.ma", "wrong-password")
    assert response.status_code == 429
    assert mail.outbox == []


# Emails, registrations, tokens ----------------------------------------------------------------


def test_five_resets_send_at_most_the_allowed_emails(client, company):
    answers = [
        client.post("/fr/accounts/password/reset/", {"email": company.user.email}).status_code
        for _ in range(5)
    ]
    assert answers == [302] * throttle.RESET_ACCOUNT.hits + [429] * (5 - throttle.RESET_ACCOUNT.hits)
    assert len(mail.outbox) == throttle.RESET_ACCOUNT.hits


def test_resets_from_one_address_are_limited_across_emails(client, company):
    for number in range(throttle.RESET_ADDRESS.hits):
        client.post("/en/accounts/password/reset/", {"email": f"someone{number}@example.ma"})
    response = client.post("/en/accounts/password/reset/", {"email": company.user.email})
    assert response.status_code == 429
    assert "Too many attempts." in response.content.decode()
    assert mail.outbox == []


def test_verification_emails_are_limited(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.register_company(
            company={"name": "Rif", "country": "MA", "ice": "003456789000045", "city": "Tanger"},
            person={"first_name": "Y", "last_name": "A", "email": "y@rif.ma", "language": "en"},
            password=PASSWORD,
        )
        for _ in range(4):
            response = log_in(client, "y@rif.ma", PASSWORD)
    assert len(mail.outbox) == throttle.VERIFICATION_ACCOUNT.hits
    assert "you may ask for a new one in 60 min" in response.content.decode()
    assert not logged_in(client)


def test_registrations_from_one_address_are_limited(client, django_capture_on_commit_callbacks):
    limit = throttle.REGISTRATION_ADDRESS.hits
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(limit + 1):
            response = client.post(
                "/en/accounts/register/",
                registration_data(ice=f"0034567890{number:05d}", email=f"y{number}@rif.ma"),
            )
    assert response.status_code == 429
    assert "Too many attempts." in response.content.decode()
    assert User.objects.count() == limit
    assert len(mail.outbox) == limit


def test_token_creation_is_limited(client, company):
    client.force_login(company.user)
    for number in range(throttle.TOKEN_ACCOUNT.hits):
        assert client.post("/en/accounts/tokens/", {"name": f"T{number}"}).status_code == 200
    response = client.post("/en/accounts/tokens/", {"name": "One too many"})
    assert response.status_code == 429
    assert "Too many attempts." in response.content.decode()
    assert response.context["new_key"] is None
    assert ApiToken.objects.count() == throttle.TOKEN_ACCOUNT.hits


def test_normal_use_is_not_limited(client, company):
    """Logins that succeed are not counted: a test run's (or an office's) logins never lock."""
    for _ in range(60):
        assert log_in(client, company.user.email, PASSWORD).status_code == 302
        client.logout()


# The client's address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "192.0.2.1", "203.0.113.9", "192.0.2.1"),  # no proxy trusted: the header is ignored
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged first entry
        (["10.0.0.0/8"], "192.0.2.1", "203.0.113.9", "192.0.2.1"),  # not from the proxy
        ([], "2001:db8:1:2:3:4:5:6", "", "2001:db8:1:2::/64"),
        ([], "::ffff:192.0.2.1", "", "192.0.2.1"),  # IPv4 on a dual-stack socket: not one shared /64
        (["127.0.0.1"], "::ffff:127.0.0.1", "203.0.113.9", "203.0.113.9"),  # the local proxy, so seen
    ],
)
def test_client_address(settings, trusted, remote, forwarded, expected):
    settings.SEEI_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_address(request) == expected


def test_the_admin_login_is_limited_like_the_sites(client, db):
    """/admin/login/ is Django's own form: without the limits, the staff's accounts (the most worth
    guessing) could be guessed there without end."""
    staff = User.objects.create_superuser(email="root@tresor.gov.ma", password=PASSWORD)

    def admin_login(password):
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": staff.email, "password": password},
            REMOTE_ADDR="192.0.2.10",
            HTTP_ACCEPT_LANGUAGE="en",  # /admin/ has no language prefix
        )

    for _ in range(20):
        admin_login("wrong-password")
    response = admin_login(PASSWORD)
    assert "Too many attempts. Try again in 15 min." in response.content.decode()
    assert not logged_in(client)
