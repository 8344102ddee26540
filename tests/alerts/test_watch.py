"""The free watch service: a published notice, an erratum, an answer reach the companies concerned,
once, in-app and by email, each person in their language; the others hear nothing; a daily profile
hears of its day in one digest; the emails' unsubscribe links work without logging in."""

import re
import smtplib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from seei.alerts import delivery, events, tasks
from seei.alerts.matching import notices_for_company, notices_matching, profiles_matching
from seei.alerts.models import Alert, EmailOptOut, Notification, WatchProfile
from seei.alerts.services import LocalTime
from seei.tenders import services
from seei.tenders.models import Interest, Tender
from seei.tenders.selectors import public_tenders
from tests.alerts.conftest import run_alert_jobs, speaks, watch
from tests.conftest import Client, item_values, lot_values

pytestmark = pytest.mark.django_db


def new_notice(buyer, category, region, clock, reference, title, amount="600000.00", publish=True):
    from seei.core.translated import make

    now = clock.now()
    tender = services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": "fr",
            "title": make("fr", fr=title, en=title),
            "object": make("fr", fr=f"Fourniture : {title}"),
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    services.save_lot(buyer, tender, lot_values(now, estimated_amount=Decimal(amount)), [item_values()])
    return services.publish(buyer, tender) if publish else tender


def mails_to(membership):
    return [message for message in mail.outbox if message.to == [membership.user.email]]


def alerts_of(membership):
    return list(Notification.objects.filter(user=membership.user).order_by("id"))


def test_a_matching_company_hears_once_in_its_language_and_another_not_at_all(
    draft_tender, buyer, company, other_company, category, other_category
):
    from procrastinate.contrib.django.models import ProcrastinateJob

    speaks(company, "fr")
    watch(company, categories=[category])
    watch(other_company, categories=[other_category])

    services.publish(buyer, draft_tender)
    # The publication only queued a job, in its own transaction: nothing was sent by it.
    assert ProcrastinateJob.objects.filter(task_name="seei.alerts.record", args__kind="notice").count() == 1
    assert mail.outbox == [] and not Notification.objects.exists()

    run_alert_jobs()
    tasks.record(kind="notice", object_id=draft_tender.pk)  # a retried job: no second alert
    assert Alert.objects.filter(key=f"notice:{draft_tender.pk}").count() == 1
    assert tasks.deliver() == 0
    assert tasks.deliver_missed(timestamp=0) == 0

    (notification,) = alerts_of(company)
    (email,) = mails_to(company)
    with translation.override("fr"):
        subject = str(delivery.SUBJECTS["notice"]).format(reference=draft_tender.reference)
        deadline = str(LocalTime(draft_tender.application_deadline))
    assert notification.subject == email.subject == subject
    assert subject.startswith("Nouvel avis dans votre domaine")
    assert "Acquisition de fauteuils roulants" in notification.body and deadline in notification.body
    assert notification.url == f"/fr/notices/{draft_tender.pk}/"
    assert f"/fr/notices/{draft_tender.pk}/" in email.body
    assert "/fr/watch/unsubscribe/" in email.body and email.extra_headers["List-Unsubscribe"].startswith(
        "<http"
    )
    assert alerts_of(other_company) == [] and mails_to(other_company) == []
    assert len(mail.outbox) == 1


def test_criteria_all_hold_and_keywords_use_the_portal_search(buyer, company, category, region, clock):
    watch(company, "Fauteuils", keywords="wheelchair")  # an English word: every language
    watch(company, "Ailleurs", keywords="ordinateur")
    big = watch(company, "Gros", currency="MAD", amount_min=Decimal("1000000"))
    watch(company, "Région", regions=[region], categories=[category])
    tender = new_notice(
        buyer, category, region, clock, "AO-WATCH-1", "Fauteuils roulants", amount="600000.00"
    )

    matched = {profile.name for profile in profiles_matching(tender)}
    assert matched == {"Fauteuils", "Région"}  # no computer in the notice, and 600,000 < 1,000,000
    # The same meaning read the other way (the dashboard's list).
    for profile in WatchProfile.objects.filter(company=company.organisation):
        assert (tender in notices_matching(profile, public_tenders())) == (profile.name in matched)
    assert tender in notices_for_company(company.organisation, public_tenders())
    big.amount_min = Decimal("500000")
    big.save()
    assert "Gros" in {profile.name for profile in profiles_matching(tender)}


def test_a_practice_notice_alerts_no_one(buyer, company):
    from seei.practice import procedure

    watch(company)  # every notice
    practice = procedure.start(buyer)
    services.publish(buyer, practice)
    events.notice_published(practice)  # even called directly
    run_alert_jobs()
    assert delivery.record("notice", practice.pk) == 0
    assert not Alert.objects.exists() and alerts_of(company) == [] and mail.outbox == []


def test_an_erratum_and_an_answer_reach_the_followers_only(
    published_tender, buyer, company, other_company, clock
):
    run_alert_jobs()
    mail.outbox.clear()
    speaks(company, "ar")
    services.record_interest(published_tender, company.organisation, Interest.Kind.DOWNLOAD)
    clock.advance(timedelta(days=2))
    erratum = services.publish_erratum(
        buyer,
        published_tender,
        "Quantité corrigée",
        tender_values={"object": {**published_tender.object, "fr": "Fourniture de 600 fauteuils roulants"}},
    )
    question = services.ask_clarification(other_company, published_tender, "Quelle est la garantie exigée ?")
    Interest.objects.filter(company=other_company.organisation).delete()  # the asker only: not a follower
    services.answer_clarification(buyer, question, "Deux ans.")
    run_alert_jobs()
    run_alert_jobs()

    erratum_note, answer_note = alerts_of(company)
    with translation.override("ar"):
        assert erratum_note.subject == str(delivery.SUBJECTS["erratum"]).format(
            number=1, reference=published_tender.reference
        )
        assert str(LocalTime(erratum.deadline_after)) in erratum_note.body
    assert "Quantité corrigée" in erratum_note.body
    assert answer_note.url == f"/ar/notices/{published_tender.pk}/#clarifications"
    assert [m.subject for m in mails_to(company)] == [erratum_note.subject, answer_note.subject]
    assert not Notification.objects.filter(user=other_company.user, url__contains="/notices/").exists()


def test_a_daily_profile_hears_of_its_day_in_one_digest(buyer, company, category, region, clock):
    watch(company, frequency=WatchProfile.Frequency.DAILY, categories=[category])
    # Early in a day of the platform's time zone, so that both notices are published on it.
    clock.advance(delivery.start_of_day(clock.now()) + timedelta(days=1, hours=8) - clock.now())
    first = new_notice(buyer, category, region, clock, "AO-DAY-1", "Lits médicalisés")
    clock.advance(timedelta(hours=6))
    second = new_notice(buyer, category, region, clock, "AO-DAY-2", "Brancards")
    run_alert_jobs()
    assert alerts_of(company) == [] and mail.outbox == []  # not at once
    assert tasks.send_digests(timestamp=0) == 0  # the day is not over

    clock.advance(timedelta(hours=11))  # past midnight
    third = new_notice(buyer, category, region, clock, "AO-DAY-3", "Béquilles")  # the next day's
    run_alert_jobs()
    assert tasks.send_digests(timestamp=0) == 1
    assert tasks.send_digests(timestamp=0) == 0

    (digest,) = alerts_of(company)
    (email,) = mails_to(company)
    assert digest.subject == email.subject == "Your watch digest: 2 new notices"
    for tender in (first, second):
        assert tender.reference in digest.body and f"/en/notices/{tender.pk}/" in email.body
    assert third.reference not in email.body
    clock.advance(timedelta(days=1))
    assert tasks.send_digests(timestamp=0) == 1
    assert third.reference in alerts_of(company)[-1].body and len(mail.outbox) == 2


def unsubscribe_link(email, which: str) -> str:
    links = re.findall(r"http://[^\s]+/watch/unsubscribe/[^\s]+/", email.body)
    return links[0 if which == "profile" else -1].split("://", 1)[1].split("/", 1)[1]


def test_the_unsubscribe_links_work_without_logging_in(buyer, company, category, region, clock):
    profile = watch(company, categories=[category])
    watch(company, "Tout")  # a second profile: every notice
    new_notice(buyer, category, region, clock, "AO-STOP-1", "Lits médicalisés")
    run_alert_jobs()
    (email,) = mails_to(company)
    visitor = Client()  # nobody logged in

    path = "/" + unsubscribe_link(email, "profile")
    page = visitor.get(path)
    assert page.status_code == 200 and "Santé" in page.content.decode()  # the profile is named
    assert not EmailOptOut.objects.exists()  # a GET (a mail scanner) changes nothing
    assert visitor.post(path).status_code == 200
    assert visitor.post(path).status_code == 200  # twice: still one
    assert list(EmailOptOut.objects.values_list("user_id", "profile_id")) == [(company.user_id, profile.pk)]

    # The company's other profile still emails; then "all" stops every watch email.
    mail.outbox.clear()
    new_notice(buyer, category, region, clock, "AO-STOP-2", "Brancards")
    run_alert_jobs()
    (email,) = mails_to(company)
    assert "“Tout”" in email.body
    assert visitor.post("/" + unsubscribe_link(email, "all")).status_code == 200
    mail.outbox.clear()
    new_notice(buyer, category, region, clock, "AO-STOP-3", "Béquilles")
    run_alert_jobs()
    assert mail.outbox == []
    assert len(alerts_of(company)) == 3  # in-app, still
    assert visitor.post(path.replace("/watch/unsubscribe/", "/watch/unsubscribe/x")).status_code == 400


def test_a_failed_email_is_retried_and_nothing_doubles(
    buyer, company, other_company, category, region, clock, monkeypatch
):
    watch(company)
    watch(other_company)
    tender = new_notice(buyer, category, region, clock, "AO-FAIL-1", "Lits médicalisés")
    from django.core.mail.backends.locmem import EmailBackend

    sent = EmailBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(messages)
        if len(calls) == 2:
            raise ConnectionError("mail server down")
        return sent(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with pytest.raises(ConnectionError):
        run_alert_jobs()
    assert Alert.objects.filter(sent_at__isnull=False).count() == 1  # the first company's, kept
    assert Notification.objects.count() == 1
    assert tasks.deliver() == 1  # the retry sends the rest
    assert Alert.objects.filter(tender=tender, sent_at__isnull=True).count() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([company.user.email, other_company.user.email])
    assert Notification.objects.count() == 2


def test_an_email_the_server_refuses_is_skipped_and_the_others_go(
    buyer, company, other_company, category, region, clock, monkeypatch, caplog
):
    # The refused company's alert is the batch's first (the alerts go in the order of the companies).
    refused, other = sorted([company, other_company], key=lambda member: member.organisation_id)
    watch(refused)
    watch(other)
    new_notice(buyer, category, region, clock, "AO-REFUSED-1", "Lits médicalisés")
    from django.core.mail.backends.locmem import EmailBackend

    sent = EmailBackend.send_messages

    def refusing(self, messages):
        for message in messages:
            if message.to == [refused.user.email]:
                raise smtplib.SMTPRecipientsRefused({refused.user.email: (550, b"No such user")})
        return sent(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refusing)
    run_alert_jobs()
    assert mails_to(other) and not mails_to(refused)
    assert alerts_of(refused) and alerts_of(other)  # in-app, the refused company still hears of it
    assert not Alert.objects.filter(sent_at=None).exists()  # the refused one too: not retried forever
    (alert,) = Alert.objects.filter(company=refused.organisation)
    assert f"[{alert.pk}]" in caplog.text and "not sent" in caplog.text
    assert tasks.deliver() == 0 and len(mail.outbox) == 1


def test_the_dashboard_lists_what_the_profiles_match(client, company, buyer, category, region, clock):
    from tests.conftest import PASSWORD

    watch(company, keywords="brancards")
    new_notice(buyer, category, region, clock, "AO-DASH-1", "Brancards")
    new_notice(buyer, category, region, clock, "AO-DASH-2", "Lits médicalisés")
    client.login(email=company.user.email, password=PASSWORD)
    page = client.get("/en/dashboard/").content.decode()
    assert "AO-DASH-1" in page and "AO-DASH-2" not in page
    assert 'href="/en/watch/"' in page


def test_alerts_skip_notices_no_longer_published(buyer, company, category, region, clock):
    watch(company)
    draft = new_notice(buyer, category, region, clock, "AO-GONE-1", "Lits", publish=False)
    assert delivery.record("notice", draft.pk) == 0  # a draft: nobody hears of it
    tender = new_notice(buyer, category, region, clock, "AO-GONE-2", "Brancards")
    Tender.objects.filter(pk=tender.pk).update(status=Tender.Status.CANCELLED)  # before its job ran
    assert delivery.record("notice", tender.pk) == 0
    assert not Alert.objects.exists()
