"""Tokens through the API: created after a login (the session with its CSRF token, or the email and
password with the second factor), listed without their keys, revoked; limited as the login page is,
and audited."""

import pytest

from seei.core.models import AuditEvent
from tests.api.conftest import ApiClient, token_for
from tests.conftest import PASSWORD, Client, authenticator_code

pytestmark = pytest.mark.django_db

URL = "/api/v1/tokens"


def post(body, client=None, **headers):
    headers = {"Accept-Language": "en", **headers}
    return (client or Client()).post(URL, body, content_type="application/json", headers=headers)


def logged_in(membership, csrf=True):
    """The site's session (second factor given), with Django's CSRF checks on, and its CSRF token."""
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(membership.user)
    client.get("/en/accounts/tokens/")  # any page: sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


def test_the_session_creates_a_token_with_its_csrf_token_and_the_key_works_once_shown(company):
    client, csrf = logged_in(company)

    without = post({"name": "ERP"}, client)
    created = post({"name": "ERP"}, client, **{"X-CSRFToken": csrf})

    assert without.status_code == 403 and "CSRF" in without.json()["detail"]
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["name"] == "ERP" and body["membership"] == company.pk and body["key"].startswith(body["prefix"])
    )
    assert body["role"] == "company_member" and body["organisation"] == company.organisation.name
    assert company.api_tokens.get().key_hash != body["key"]  # only the hash is stored
    mine = ApiClient(body["key"]).get("/tokens")
    assert mine.status_code == 200
    assert [token["id"] for token in mine.json()] == [body["id"]]
    assert "key" not in mine.json()[0] and body["key"] not in mine.content.decode()
    assert mine.json()[0]["last_used_at"] is not None
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor == company.user and event.data["via"] == "api" and event.data["login"] == "session"


def test_a_program_logs_in_with_email_and_password(company):
    created = post({"name": "ERP", "email": company.user.email.upper(), "password": PASSWORD})

    assert created.status_code == 201
    assert ApiClient(created.json()["key"]).get("/tokens").status_code == 200
    assert AuditEvent.objects.get(action="api_token.created").data["login"] == "password"


def test_an_account_with_a_second_factor_must_give_its_code(buyer):
    credentials = {"name": "GMAO", "email": buyer.user.email, "password": PASSWORD}

    missing = post(credentials)
    wrong = post({**credentials, "code": "000000"})
    right = post({**credentials, "code": authenticator_code(buyer.user)})

    assert missing.status_code == 401 and missing.json()["reason"] == "second_factor_required"
    assert wrong.status_code == 401 and wrong.json()["reason"] == "bad_second_factor"
    assert right.status_code == 201, right.content
    assert right.json()["role"] == "buyer_agent"
    assert AuditEvent.objects.filter(action="account.second_factor_failed", data__via="api").exists()
    assert AuditEvent.objects.filter(action="account.second_factor_verified", data__via="api").exists()


def test_wrong_passwords_are_limited_as_on_the_login_page(company):
    from seei.accounts import throttle

    for _attempt in range(throttle.LOGIN_ACCOUNT_ADDRESS.hits):
        refused = post({"name": "x", "email": company.user.email, "password": "wrong"})
        assert refused.status_code == 401 and refused.json()["reason"] == "bad_credentials"
    locked = post({"name": "x", "email": company.user.email, "password": PASSWORD})

    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert locked.json()["detail"].startswith("Too many attempts.")
    assert not company.api_tokens.exists()


def test_a_token_cannot_make_another_and_nobody_gets_one_without_a_login(company):
    key = token_for(company)

    by_token = ApiClient(key).post("/tokens", {"name": "successor"})
    anonymous = post({"name": "x"})

    assert by_token.status_code == anonymous.status_code == 401
    assert anonymous.json()["reason"] == "not_authenticated"
    assert company.api_tokens.count() == 1


def test_a_token_acts_for_the_chosen_membership_only_if_it_is_ones_own(company, other_company):
    from seei.accounts.models import Membership
    from tests.conftest import make_company

    outsider = make_company("Rif Fournitures SARL", "003456789000034", "contact@rif-fournitures.ma")

    second = Membership.objects.create(
        user=company.user, organisation=outsider.organisation, role="company_member"
    )
    credentials = {"name": "ERP", "email": company.user.email, "password": PASSWORD}

    chosen = post({**credentials, "membership": second.pk})
    others = post({**credentials, "membership": outsider.pk})

    assert chosen.status_code == 201 and chosen.json()["membership"] == second.pk
    assert others.status_code == 400 and others.json()["errors"] == {
        "membership": ["This membership is not one of yours."]
    }


def test_revoking_stops_the_token_and_another_persons_token_is_not_found(company, other_company):
    mine, spare, theirs = token_for(company), token_for(company), token_for(other_company)
    as_me = ApiClient(mine)
    ids = {token["prefix"]: token["id"] for token in as_me.get("/tokens").json()}
    their_id = ApiClient(theirs).get("/tokens").json()[0]["id"]

    foreign = as_me.delete(f"/tokens/{their_id}")
    revoked = as_me.delete(f"/tokens/{ids[spare[:8]]}")

    assert foreign.status_code == 404
    assert revoked.status_code == 204
    assert ApiClient(spare).get("/tokens").status_code == 401
    assert ApiClient(theirs).get("/tokens").status_code == 200
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.actor == company.user and event.data["via"] == "api"
    itself = as_me.delete(f"/tokens/{ids[mine[:8]]}")  # a token may revoke itself
    assert itself.status_code == 204 and as_me.get("/tokens").status_code == 401


def test_token_creation_is_limited_per_person(company):
    from seei.accounts import throttle

    client, csrf = logged_in(company)
    for number in range(throttle.TOKEN_ACCOUNT.hits):
        assert post({"name": f"t{number}"}, client, **{"X-CSRFToken": csrf}).status_code == 201
    refused = post({"name": "one too many"}, client, **{"X-CSRFToken": csrf})

    assert refused.status_code == 429 and refused["Retry-After"]


def test_the_messages_follow_the_language(company):
    refused = post(
        {"name": "x", "email": company.user.email, "password": "wrong"}, **{"Accept-Language": "fr"}
    )
    assert refused.status_code == 401
    assert refused.json()["detail"] == "L’adresse électronique ou le mot de passe est incorrect."
