"""Announcements: created by an administrator, shown on every page to visitors and to people logged
in, gone once ended (by the clock or by hand)."""

from datetime import timedelta

from django.urls import reverse
from django.utils.timezone import get_current_timezone as local

from seei.administration.models import Announcement
from seei.core.models import AuditEvent


def _create(admin_client, clock, **overrides):
    data = {
        "original_language": "fr",
        "title_ar": "Maintenance samedi",
        "title_fr": "Maintenance samedi",
        "title_en": "Maintenance on Saturday",
        "body_ar": "",
        "body_fr": "La plateforme sera indisponible de 2 h à 4 h.",
        "body_en": "The platform will be down from 2 to 4 a.m.",
        "severity": "warning",
        "starts_at": "",
        "ends_at": (clock.now() + timedelta(hours=2)).astimezone(local()).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return admin_client.post(reverse("administration:announcement_create"), data)


def test_shown_to_visitors_and_members_until_it_ends(admin_client, administrator, client, company, clock):
    response = _create(admin_client, clock, title_ar="صيانة يوم السبت")
    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert AuditEvent.objects.filter(action="announcement.created", actor=administrator.user).exists()
    visitor = client.get(reverse("portal:home")).content.decode()
    assert "Maintenance on Saturday" in visitor and "down from 2 to 4" in visitor
    client.force_login(company.user)
    assert "Maintenance on Saturday" in client.get(reverse("portal:tenders")).content.decode()
    clock.advance(timedelta(hours=2, minutes=1))  # past ends_at: no change to the cached list needed
    assert "Maintenance on Saturday" not in client.get(reverse("portal:tenders")).content.decode()
    client.logout()
    assert "Maintenance on Saturday" not in client.get(reverse("portal:home")).content.decode()
    assert not announcement.is_live(clock.now())


def test_ended_by_hand_disappears_at_once(admin_client, client, clock):
    _create(admin_client, clock, ends_at="")
    announcement = Announcement.objects.get()
    assert "Maintenance on Saturday" in client.get(reverse("portal:home")).content.decode()
    admin_client.post(reverse("administration:announcement_end", args=[announcement.pk]))
    assert "Maintenance on Saturday" not in client.get(reverse("portal:home")).content.decode()
    event = AuditEvent.objects.get(action="announcement.ended")
    assert event.data["before"]["ends_at"] is None and event.data["after"]["ends_at"]


def test_edit_is_audited_and_shows_at_once(admin_client, client, clock):
    _create(admin_client, clock)
    announcement = Announcement.objects.get()
    client.get(reverse("portal:home"))  # cached
    data = {
        "original_language": "fr",
        "title_ar": "",
        "title_fr": "Maintenance dimanche",
        "title_en": "Maintenance on Sunday",
        "body_ar": "",
        "body_fr": "",
        "body_en": "",
        "severity": "critical",
        "starts_at": announcement.starts_at.astimezone(local()).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": "",
    }
    assert (
        admin_client.post(
            reverse("administration:announcement_edit", args=[announcement.pk]), data
        ).status_code
        == 302
    )
    html = client.get(reverse("portal:home")).content.decode()
    assert "Maintenance on Sunday" in html and 'role="alert"' in html
    event = AuditEvent.objects.get(action="announcement.updated")
    assert event.data["before"]["severity"] == "warning" and event.data["after"]["severity"] == "critical"


def test_a_scheduled_announcement_waits_for_its_start(admin_client, client, clock):
    starts = clock.now() + timedelta(days=1)
    _create(
        admin_client,
        clock,
        starts_at=starts.astimezone(local()).strftime("%Y-%m-%dT%H:%M"),
        ends_at=(starts + timedelta(hours=1)).astimezone(local()).strftime("%Y-%m-%dT%H:%M"),
    )
    assert "Maintenance on Saturday" not in client.get(reverse("portal:home")).content.decode()
    clock.advance(timedelta(days=1, minutes=1))
    assert "Maintenance on Saturday" in client.get(reverse("portal:home")).content.decode()


def test_the_original_title_is_required_and_the_end_must_follow_the_start(admin_client, clock):
    response = _create(admin_client, clock, title_fr="")
    assert response.status_code == 400 and not Announcement.objects.exists()
    response = _create(
        admin_client,
        clock,
        ends_at=(clock.now() - timedelta(hours=1)).astimezone(local()).strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.status_code == 400
    assert "The end must come after the start." in response.content.decode()
    assert not Announcement.objects.exists()


def test_arabic_renders(admin_client, client, clock, administrator):
    from django.utils import translation

    _create(admin_client, clock, title_ar="صيانة يوم السبت")
    with translation.override("ar"):
        home = reverse("portal:home")
        pages = [
            reverse(name)
            for name in (
                "administration:home",
                "administration:registrations",
                "administration:announcements",
                "administration:organisations",
            )
        ]
    visitor = client.get(home).content.decode()
    assert 'dir="rtl"' in visitor and "صيانة يوم السبت" in visitor
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'lang="ar" dir="rtl"' in html
    assert "الإدارة" in admin_client.get(pages[0]).content.decode()


def test_a_person_may_hide_an_announcement_for_their_session(admin_client, client, clock):
    _create(admin_client, clock)
    announcement = Announcement.objects.get()
    home = reverse("portal:home")
    assert "Maintenance on Saturday" in client.get(home).content.decode()
    response = client.post(
        reverse("administration:announcement_dismiss", args=[announcement.pk]), {"next": home}
    )
    assert response.status_code == 302 and response["Location"] == home
    assert "Maintenance on Saturday" not in client.get(home).content.decode()
    assert "Maintenance on Saturday" in admin_client.get(home).content.decode()  # only for that session
    # a critical one stays
    announcement.severity = "critical"
    announcement.save()
    assert "Maintenance on Saturday" in client.get(home).content.decode()


def test_dismiss_never_redirects_elsewhere(client, administrator, clock):
    from seei.core.translated import make

    announcement = Announcement.objects.create(
        title=make("fr", fr="Maintenance"), starts_at=clock.now(), created_by=administrator.user
    )
    response = client.post(
        reverse("administration:announcement_dismiss", args=[announcement.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("portal:home")
