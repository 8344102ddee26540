"""The contact page: the help desk's coordinates and a form whose messages reach the administrators."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from seei.alerts.models import Notification
from seei.help import services
from seei.help.models import HelpRequest
from tests.conftest import Client

MESSAGE = {
    "name": "Omar Demo",
    "email": "Omar@Atlas-Medical.ma",
    "subject": "Receipt not received",
    "message": "I applied to AO-DHSA-2026-014 but I cannot find my receipt.",
}


def send(client, language="fr", callbacks=None, **changes):
    data = {**MESSAGE, **changes}
    if callbacks is None:
        return client.post(f"/{language}/help/contact/", data)
    with callbacks(execute=True):
        return client.post(f"/{language}/help/contact/", data)


def test_the_page_shows_the_help_desk_configured(client, db, settings):
    settings.SEEI_HELPDESK_PHONE = "+212 5 22 48 48 48"
    settings.SEEI_HELPDESK_ADDRESS = "Trésorerie Générale du Royaume\nRabat"
    settings.SEEI_HELPDESK_EMAIL = "assistance@tgr.gov.ma"
    html = client.get("/ar/help/contact/").content.decode()
    assert 'href="tel:+212522484848"' in html
    assert "Trésorerie Générale du Royaume<br>Rabat" in html
    assert 'href="mailto:assistance@tgr.gov.ma"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_form_is_prefilled_for_a_logged_in_person(client, company):
    client.force_login(company.user)
    form = client.get("/en/help/contact/").context["form"]
    assert form["name"].value() == "Atlas Owner"
    assert form["email"].value() == "contact@atlas-medical.ma"


def test_a_message_is_stored_and_reaches_every_administrator_in_app_and_by_email(
    client, administrators, settings, django_capture_on_commit_callbacks
):
    settings.SEEI_HELPDESK_EMAIL = "assistance@tgr.gov.ma"
    response = send(client, "fr", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == "/fr/help/contact/"

    request = HelpRequest.objects.get()
    assert (request.name, request.email, request.subject, request.language) == (
        "Omar Demo",
        "omar@atlas-medical.ma",
        "Receipt not received",
        "fr",
    )
    assert request.user is None and request.message == MESSAGE["message"]

    notifications = Notification.objects.order_by("user__email")
    assert [n.user for n in notifications] == sorted(administrators, key=lambda user: user.email)
    assert all(n.url == f"/admin/help/helprequest/{request.pk}/change/" for n in notifications)
    english, arabic = (next(n for n in notifications if n.user.language == code) for code in ("en", "ar"))
    assert english.subject == "Help request: Receipt not received"
    assert MESSAGE["message"] in english.body and "omar@atlas-medical.ma" in english.body
    with translation.override("ar"):
        assert arabic.subject == gettext("Help request: {topic}").format(topic="Receipt not received")

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["admin-ar@seei.example", "admin@seei.example", "assistance@tgr.gov.ma"]
    desk = next(message for message in mail.outbox if message.to == ["assistance@tgr.gov.ma"])
    assert desk.reply_to == ["omar@atlas-medical.ma"]
    assert MESSAGE["message"] in desk.body

    page = client.get(response["Location"]).content.decode()
    with translation.override("fr"):
        assert gettext(
            "Your message was sent to the help desk; it will answer you by email."
        ) in page.replace("&#x27;", "'")


def test_a_logged_in_persons_message_keeps_its_account(client, company, administrators):
    client.force_login(company.user)
    send(client, "en")
    assert HelpRequest.objects.get().user == company.user


@pytest.mark.parametrize(
    ("changes", "field", "django_message"),
    [
        ({"name": "  "}, "name", "Ce champ est obligatoire."),
        ({"email": "omar-at-atlas"}, "email", "Saisissez une adresse de courriel valide."),
        ({"subject": ""}, "subject", "Ce champ est obligatoire."),
        ({"message": "x" * 5001}, "message", None),
    ],
)
def test_bad_input_is_refused_in_the_visitors_language_and_nothing_is_stored(
    client, administrators, django_capture_on_commit_callbacks, changes, field, django_message
):
    response = send(client, "fr", django_capture_on_commit_callbacks, **changes)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if django_message:
        assert errors[field] == [django_message]
        assert django_message in response.content.decode()
    assert HelpRequest.objects.count() == Notification.objects.count() == len(mail.outbox) == 0


def test_a_message_of_a_few_letters_is_refused_with_our_own_words(client, administrators):
    response = send(client, "ar", message="help")
    assert response.status_code == 400
    with translation.override("ar"):
        expected = gettext("Please describe your request in a few words at least.")
    assert response.context["form"].errors["message"] == [expected]
    assert HelpRequest.objects.count() == 0


def test_a_subject_cannot_carry_a_header_line(client, administrators, django_capture_on_commit_callbacks):
    send(client, "en", django_capture_on_commit_callbacks, subject="Hello\r\nBcc: everyone@example.com")
    assert HelpRequest.objects.get().subject == "Hello Bcc: everyone@example.com"
    assert all("\n" not in message.subject for message in mail.outbox)


def test_a_post_without_the_csrf_token_is_refused(administrators):
    response = Client(enforce_csrf_checks=True).post("/en/help/contact/", MESSAGE)
    assert response.status_code == 403
    assert HelpRequest.objects.count() == 0


def test_a_sender_is_limited_to_a_few_messages_an_hour(client, administrators, clock):
    for number in range(services.HOURLY_LIMIT):
        assert send(client, "en", subject=f"Question {number}").status_code == 302
    refused = send(client, "en", subject="One more")
    assert refused.status_code == 429
    assert "within the hour" in refused.content.decode()
    assert HelpRequest.objects.count() == services.HOURLY_LIMIT

    other_visitor = Client()  # another session is another sender
    assert send(other_visitor, "en").status_code == 302

    clock.advance(timedelta(minutes=61))
    assert send(client, "en", subject="An hour later").status_code == 302
