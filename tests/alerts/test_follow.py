"""Following a notice without applying: the button, the choice, and the alerts it brings (or stops)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from seei.alerts import delivery, events, follow
from seei.alerts.models import Alert, Follow, Notification
from seei.tenders import services
from seei.tenders.models import Interest, Tender
from tests.alerts.conftest import run_alert_jobs
from tests.conftest import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def portal_cache(settings):
    """A real cache for the notice page even without Redis (the portal's cache is then a dummy)."""
    settings.CACHES = {
        **settings.CACHES,
        "portal": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "follow-tests"},
    }


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def notice_page(client, tender) -> str:
    response = client.get(reverse("portal:tender", args=[tender.pk]))
    assert response.status_code == 200
    return response.content.decode()


def click(client, tender, action, **extra):
    return client.post(reverse("companies:follow", args=[tender.pk]), {"action": action, **extra})


def erratum(buyer, tender, clock, reason="Quantité corrigée"):
    clock.advance(timedelta(days=1))
    values = {"object": {**tender.object, "fr": "Fourniture de 600 fauteuils roulants"}}
    return services.publish_erratum(buyer, tender, reason, tender_values=values)


def alerts_of(membership):
    return list(Notification.objects.filter(user=membership.user).order_by("id"))


def test_a_company_follows_and_stops_following_from_the_notice_page(published_tender, company):
    client = logged_in(company)
    assert 'data-testid="follow-button"' in notice_page(client, published_tender)

    response = click(client, published_tender, "follow")

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:tender", args=[published_tender.pk])
    assert Follow.objects.get(company=company.organisation, tender=published_tender).following
    page = notice_page(client, published_tender)
    assert 'data-testid="unfollow-button"' in page and 'data-testid="follow-button"' not in page
    followed = client.get(reverse("companies:followed")).content.decode()
    assert f'data-reference="{published_tender.reference}"' in followed

    click(client, published_tender, "stop")

    assert not Follow.objects.get(company=company.organisation, tender=published_tender).following
    assert 'data-testid="follow-button"' in notice_page(client, published_tender)
    assert published_tender.reference not in client.get(reverse("companies:followed")).content.decode()


def test_the_cached_notice_page_shows_each_visitor_its_own_button(
    published_tender, company, other_company, buyer, monkeypatch
):
    from seei.portal import views

    rendered = []
    public_notice = views._public_notice
    monkeypatch.setattr(views, "_public_notice", lambda *args: rendered.append(args) or public_notice(*args))
    follow.follow(company, published_tender.pk)
    follower, other, agent, anonymous = (
        logged_in(company),
        logged_in(other_company),
        logged_in(buyer),
        Client(),
    )

    # The follower's visit fills the cache; each later visitor still gets its own state.
    first = notice_page(follower, published_tender)
    pages = {
        "other": notice_page(other, published_tender),
        "agent": notice_page(agent, published_tender),
        "anonymous": notice_page(anonymous, published_tender),
        "follower": notice_page(follower, published_tender),
    }

    assert len(rendered) == 1  # the notice's public parts came from the cache after the first visit
    assert 'data-following="yes"' in first and 'data-following="yes"' in pages["follower"]
    assert 'data-following="no"' in pages["other"] and 'data-following="yes"' not in pages["other"]
    for visitor in ("agent", "anonymous"):
        assert 'data-testid="follow-form"' not in pages[visitor]
    # Each form carries its own visitor's CSRF token, never the first visitor's.
    token = follower.cookies["csrftoken"].value
    assert other.cookies["csrftoken"].value != token


def test_a_follower_gets_the_erratum_and_a_non_follower_does_not(
    published_tender, buyer, company, other_company, clock
):
    run_alert_jobs()
    mail.outbox.clear()
    click(logged_in(company), published_tender, "follow")

    erratum(buyer, published_tender, clock)
    run_alert_jobs()

    (note,) = alerts_of(company)
    assert note.subject == str(delivery.SUBJECTS["erratum"]).format(
        number=1, reference=published_tender.reference
    )
    assert "Quantité corrigée" in note.body
    (message,) = [m for m in mail.outbox if m.to == [company.user.email]]
    assert message.subject == note.subject
    assert "follows this notice" in message.body
    assert alerts_of(other_company) == []
    assert not [m for m in mail.outbox if m.to == [other_company.user.email]]


def test_a_follower_gets_the_answers_too(published_tender, buyer, company, other_company, clock):
    follow.follow(company, published_tender.pk)
    question = services.ask_clarification(other_company, published_tender, "Quelle est la garantie ?")
    services.answer_clarification(buyer, question, "Deux ans.")
    run_alert_jobs()

    (note,) = alerts_of(company)
    assert note.url == f"/en/notices/{published_tender.pk}/#clarifications"


def test_stopping_wins_over_the_interest_of_a_download(published_tender, buyer, company, clock):
    services.record_interest(published_tender, company.organisation, Interest.Kind.DOWNLOAD)
    assert follow.is_following(company.organisation_id, published_tender.pk)
    assert list(follow.followed_notices(company.organisation)) == [published_tender]
    follow.stop_following(company, published_tender.pk)
    assert not follow.is_following(company.organisation_id, published_tender.pk)
    assert list(follow.followed_notices(company.organisation)) == []

    erratum(buyer, published_tender, clock)
    run_alert_jobs()

    assert alerts_of(company) == []


def test_followers_are_told_of_the_cancellation_in_their_language(published_tender, company, clock):
    from seei.accounts.models import User

    User.objects.filter(pk=company.user_id).update(language="ar")
    follow.follow(company, published_tender.pk)
    Tender.objects.filter(pk=published_tender.pk).update(status=Tender.Status.CANCELLED)
    events.notice_cancelled(published_tender)
    run_alert_jobs()

    (note,) = alerts_of(company)
    with translation.override("ar"):
        assert note.subject == str(delivery.SUBJECTS[Alert.Kind.CANCELLATION]).format(
            reference=published_tender.reference
        )
    assert note.url == f"/ar/notices/{published_tender.pk}/"


def test_a_published_notice_cancelled_later_is_not_announced_while_published(published_tender, company):
    follow.follow(company, published_tender.pk)
    events.notice_cancelled(published_tender)  # not cancelled: nothing to tell
    run_alert_jobs()

    assert alerts_of(company) == []


def test_a_practice_notice_or_a_draft_cannot_be_followed(published_tender, draft_tender, company):
    client = logged_in(company)
    Tender.objects.filter(pk=published_tender.pk).update(practice=True)

    assert click(client, published_tender, "follow").status_code == 404
    assert click(client, draft_tender, "follow").status_code == 404
    assert not Follow.objects.exists()


def test_only_a_company_member_follows(published_tender, buyer):
    response = click(logged_in(buyer), published_tender, "follow")

    assert response.status_code == 403
    assert not Follow.objects.exists()
    anonymous = click(Client(), published_tender, "follow")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_next_page_stays_on_the_site(published_tender, company):
    client = logged_in(company)
    inside = click(client, published_tender, "follow", next=reverse("companies:followed"))
    outside = click(client, published_tender, "stop", next="https://evil.example/")

    assert inside["Location"] == reverse("companies:followed")
    assert outside["Location"] == reverse("portal:tender", args=[published_tender.pk])


def test_the_button_speaks_arabic(published_tender, company):
    client = logged_in(company)
    with translation.override("ar"):
        url = reverse("portal:tender", args=[published_tender.pk])
    page = client.get(url).content.decode()

    assert 'dir="rtl"' in page
    assert ">متابعة</button>" in page
