"""The audit log: logins recorded, entries that nobody can change or delete, the administrators' page."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from seei.accounts.models import Organisation
from seei.core import audit
from seei.core.models import AuditEvent
from tests.accounts.helpers import STRONG_PASSWORD
from tests.conftest import PASSWORD, Client, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(db):
    platform = Organisation.objects.create(kind="platform", name="Plateforme SEEI")
    return make_member("admin@seei.example", platform, "administrator")


def actions_on(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# What is recorded ------------------------------------------------------------------------------


def test_logins_failed_logins_and_logouts_are_recorded(company):
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.post("/en/accounts/login/", {"username": company.user.email, "password": "wrong-one"})
    client.post("/en/accounts/login/", {"username": "nobody@nowhere.ma", "password": "wrong-one"})
    client.post("/en/accounts/login/", {"username": company.user.email, "password": PASSWORD})
    client.post("/en/accounts/logout/")

    assert actions_on(company.user) == ["account.login_failed", "account.login", "account.logout"]
    failed = AuditEvent.objects.filter(action="account.login_failed").order_by("id")
    assert [(e.object_id, e.data["email"], e.data["address"]) for e in failed] == [
        (str(company.user.pk), company.user.email, "192.0.2.7"),
        ("", "nobody@nowhere.ma", "192.0.2.7"),
    ]
    assert "password" not in str(list(failed.values_list("data", flat=True)))
    login = AuditEvent.objects.get(action="account.login")
    assert login.actor == company.user and login.data == {"address": "192.0.2.7"}


def test_behind_the_proxy_the_log_names_the_client_as_the_limits_do(settings, company):
    """The proxy's own address in every entry would tell nothing: the relayed client is recorded,
    by the same rule the login limits count by."""
    settings.SEEI_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    client.post("/en/accounts/login/", {"username": company.user.email, "password": "wrong-one"})
    assert AuditEvent.objects.get(action="account.login_failed").data["address"] == "203.0.113.9"


def test_a_password_change_is_recorded(client, company):
    client.force_login(company.user)
    client.post(
        "/en/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    assert AuditEvent.objects.filter(action="account.password_changed", actor=company.user).exists()


# Append-only -----------------------------------------------------------------------------------


@pytest.fixture
def event(company):
    return audit.record("tender.published", company.organisation, actor=company.user, note="original")


@pytest.mark.parametrize(
    "change",
    [
        lambda event: AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened"),
        lambda event: (setattr(event, "data", {"note": "rewritten"}), event.save()),
        lambda event: event.delete(),
        lambda event: AuditEvent.objects.all().delete(),
        lambda event: connection.cursor().execute(
            "UPDATE core_auditevent SET actor_id = NULL WHERE id = %s", [event.pk]
        ),
        lambda event: connection.cursor().execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk]),
    ],
    ids=["orm-update", "orm-save", "orm-delete", "orm-bulk-delete", "sql-update", "sql-delete"],
)
def test_the_database_refuses_to_change_or_delete_an_entry(event, change):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        change(event)
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.action, kept.data, kept.actor_id) == (
        "tender.published",
        {"note": "original"},
        event.actor_id,
    )


def test_the_admin_only_reads_the_log(client, event):
    from seei.accounts.models import User

    admin = User.objects.create_superuser("root@seei.example", PASSWORD)
    client.force_login(admin)
    url = f"/admin/core/auditevent/{event.pk}/change/"
    assert client.get(url).status_code == 200  # shown...
    assert client.post(url, {"action": "nothing.happened"}).status_code == 403  # ...never changed
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "tender.published"


# The administrators' page ----------------------------------------------------------------------


def test_the_page_is_for_administrators_only(client, company, buyer):
    assert "/accounts/login/" in client.get("/en/audit/")["Location"]
    for member in (company, buyer):
        client.force_login(member.user)
        assert client.get("/en/audit/").status_code == 403


def test_administrators_filter_by_person_action_and_date(client, administrator, company, buyer, clock):
    audit.record("tender.published", buyer.organisation, actor=buyer.user)
    clock.advance(timedelta(days=3))
    audit.record("tender.erratum", buyer.organisation, actor=buyer.user)
    audit.record("api_token.created", company.organisation, actor=company.user)
    client.force_login(administrator.user)

    def shown(**query):
        response = client.get("/en/audit/", query)
        assert response.status_code == 200
        return [event.action for event in response.context["page"].object_list]

    everything = shown()
    assert {"tender.published", "tender.erratum", "api_token.created", "account.login"} <= set(everything)
    assert shown(person=buyer.user.email) == ["tender.erratum", "tender.published"]
    assert shown(person=buyer.user.email.upper(), action="tender.published") == ["tender.published"]
    today = clock.today()
    assert "tender.published" not in shown(since=today.isoformat(), until=today.isoformat())
    assert shown(person=buyer.user.email, until=(today - timedelta(days=2)).isoformat()) == [
        "tender.published"
    ]

    refused = client.get("/en/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert refused.status_code == 400
    assert "The end date is before the start date." in refused.content.decode()
    assert client.get("/en/audit/", {"since": "not a date"}).status_code == 400


def test_the_page_is_paginated(client, administrator, buyer):
    for number in range(60):
        audit.record("tender.published", buyer.organisation, actor=buyer.user, number=number)
    client.force_login(administrator.user)
    first = client.get("/en/audit/", {"action": "tender.published"})
    second = client.get("/en/audit/", {"action": "tender.published", "page": 2})
    assert len(first.context["page"].object_list) == 50 and len(second.context["page"].object_list) == 10
    assert "page=2" in first.content.decode() and "action=tender.published" in first.content.decode()


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_page_speaks_each_language(client, administrator, language):
    client.force_login(administrator.user)
    response = client.get(f"/{language}/audit/")
    assert response.status_code == 200
    assert (
        f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in response.content.decode()
    )


def test_who_applied_stays_sealed_on_the_page(client, administrator, company):
    from seei.applications.models import Application

    application = Application.objects.model(pk=4242)
    audit.record("application.submitted", application, company.user, company.organisation, receipt="R-1")
    client.force_login(administrator.user)

    content = client.get("/en/audit/", {"action": "application.submitted"}).content.decode()
    assert "A company (sealed)" in content
    assert company.user.email not in content and company.organisation.name not in content
    assert "R-1" not in content and "4242" not in content
    # Nor can the person filter tell who applied.
    assert "application.submitted" not in [
        e.action for e in client.get("/en/audit/", {"person": company.user.email}).context["page"].object_list
    ]


def test_the_page_seals_by_the_admins_rule(client, administrator):
    """One rule for the admin and this page (``event_revealed``): a practice company's application is
    sealed here too, and an account's own events (its registration) are not."""
    from seei.applications.models import Application

    practice = Organisation.objects.create(kind="practice", name="Rival 7 SARL")
    rival = make_member("rival7@practice.example", practice, "company_member")
    audit.record(
        "application.submitted", Application.objects.model(pk=4343), rival.user, practice, receipt="R-7"
    )
    audit.record("company.registered", practice, actor=rival.user, organisation=practice)
    client.force_login(administrator.user)

    submitted = client.get("/en/audit/", {"action": "application.submitted"})
    assert [event.sealed for event in submitted.context["page"].object_list] == [True]
    assert rival.user.email not in submitted.content.decode() and "R-7" not in submitted.content.decode()
    registered = client.get("/en/audit/", {"action": "company.registered"})
    assert [event.sealed for event in registered.context["page"].object_list] == [False]
    assert rival.user.email in registered.content.decode()
