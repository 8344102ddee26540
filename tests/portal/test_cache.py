"""The portal's cache: every public change shows at once, and nothing personal is ever kept."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from seei.core.translated import make
from seei.portal import shared_pages
from seei.tenders import services
from tests.portal.test_views import login, notice, refs


@pytest.fixture(autouse=True)
def portal_cache(settings):
    """A real cache even where the suite runs without Redis (the portal's cache is then a dummy)."""
    settings.CACHES = {
        **settings.CACHES,
        "portal": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "portal-tests"},
    }


def search(client, **params):
    response = client.get(reverse("portal:tenders"), params)
    assert response.status_code == 200
    return response


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured.captured_queries)


def test_a_repeated_search_is_served_from_the_cache(client, published_tender):
    url = reverse("portal:tenders")
    first = queries(client, url, {"q": "fauteuils"})
    again = queries(client, url, {"q": "fauteuils"})

    assert again < first
    assert refs(search(client, q="fauteuils")) == ["AO-2026-001"]


def chosen(response, name: str) -> list[str]:
    """The options shown as chosen in the filter ``name``."""
    (options,) = re.findall(rf'<select name="{name}".*?</select>', response.content.decode(), re.S)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', options)


def test_the_filters_show_each_search_its_own_choices(client, published_tender):
    """The filters' fields are kept apart from the words searched: another search with the same
    filters reuses them, yet each search shows its own choices, and an invalid one its error."""
    assert chosen(search(client, q="fauteuils", currency="MAD"), "currency") == ["MAD"]
    assert chosen(search(client, q="béquilles", currency="MAD"), "currency") == ["MAD"]
    assert chosen(search(client, q="béquilles"), "currency") == [""]
    assert chosen(search(client, q="fauteuils", currency="EUR"), "currency") == ["EUR"]
    refused = search(client, q="fauteuils", status="nonsense")
    assert chosen(refused, "status") == [] and 'class="errorlist' in refused.content.decode()


def test_a_repeated_notice_page_is_served_from_the_cache(client, published_tender):
    url = reverse("portal:tender", args=[published_tender.pk])
    first = queries(client, url)

    assert queries(client, url) < first


def test_a_new_notice_appears_in_the_search_at_once(client, published_tender, buyer, clock, category, region):
    assert refs(search(client)) == ["AO-2026-001"]
    assert refs(search(client, q="groupes")) == []

    notice(buyer, clock, "AO-2026-002", category=category, region=region, title="Achat de groupes")

    assert refs(search(client)) == ["AO-2026-002", "AO-2026-001"]
    assert refs(search(client, q="groupes")) == ["AO-2026-002"]


def test_a_draft_never_appears_even_after_a_cached_search(
    client, published_tender, buyer, clock, category, region
):
    search(client)
    notice(buyer, clock, "DRAFT-9", category=category, region=region, title="Brouillon", publish=False)

    assert refs(search(client)) == ["AO-2026-001"]
    assert refs(search(client, q="DRAFT-9")) == []


def test_an_erratum_shows_at_once_in_the_search_and_on_the_notice(client, published_tender, buyer):
    page = reverse("portal:tender", args=[published_tender.pk])
    assert refs(search(client, q="béquilles")) == []
    assert "Erratum 1" not in client.get(page).content.decode()

    services.publish_erratum(
        buyer,
        published_tender,
        "Le titre change",
        tender_values={"title": make("fr", fr="Acquisition de béquilles", en="Purchase of crutches")},
    )

    assert refs(search(client, q="béquilles")) == ["AO-2026-001"]
    html = client.get(page).content.decode()
    assert "Erratum 1" in html and "Purchase of crutches" in html


def test_a_change_to_one_notice_keeps_every_other_notice_cached(
    client, published_tender, buyer, clock, category, region
):
    """At a national peak lots close every second: each close must not empty every notice's page."""
    other = notice(buyer, clock, "AO-2026-002", category=category, region=region)
    page, other_page = (reverse("portal:tender", args=[pk]) for pk in (published_tender.pk, other.pk))
    first = queries(client, page)
    cached = queries(client, page)
    client.get(other_page)
    assert cached < first

    services.publish_erratum(
        buyer,
        other,
        "Le titre change",
        tender_values={"title": make("fr", fr="Acquisition de béquilles", en="Purchase of crutches")},
    )

    assert queries(client, page) < first  # served from the cache; only the deadlines' window read again
    assert "Purchase of crutches" in client.get(other_page).content.decode()
    assert refs(search(client, q="béquilles")) == ["AO-2026-002"]


def test_an_answer_shows_at_once_on_the_notice(client, published_tender, company, buyer):
    page = reverse("portal:tender", args=[published_tender.pk])
    question = services.ask_clarification(company, published_tender, "Le dossier technique est-il requis ?")
    assert "No clarification has been published yet." in client.get(page).content.decode()

    services.answer_clarification(buyer, question, "Oui, il est requis.")

    assert "Oui, il est requis." in client.get(page).content.decode()


def test_the_clock_closing_a_notice_shows_without_any_change(client, published_tender, clock):
    page = reverse("portal:tender", args=[published_tender.pk])
    assert refs(search(client, status="applications_open")) == ["AO-2026-001"]
    assert "Closed for applications" not in client.get(page).content.decode()

    clock.advance(timedelta(days=12))  # past the deadline: nothing written, only time passed

    assert refs(search(client, status="applications_open")) == []
    assert refs(search(client, status="applications_closed")) == ["AO-2026-001"]
    assert "Closed for applications" in client.get(page).content.decode()
    assert "Closed for applications" in search(client).content.decode()


def test_another_notices_deadline_passing_keeps_this_notices_page_cached(
    client, published_tender, buyer, clock, category, region
):
    """Deadlines pass tens of times a day: each must not empty every notice's page, only its own."""
    clock.advance(timedelta(hours=1))
    later = notice(buyer, clock, "AO-2026-002", category=category, region=region, deadline_days=11)
    page = reverse("portal:tender", args=[later.pk])
    first = queries(client, page)
    cached = queries(client, page)
    assert cached < first

    clock.advance(timedelta(days=11, minutes=-30))  # past the first notice's deadline, not this one's

    assert queries(client, page) == cached
    closed = client.get(reverse("portal:tender", args=[published_tender.pk])).content.decode()
    assert "Closed for applications" in closed
    assert "Closed for applications" not in client.get(page).content.decode()


def test_a_notice_follows_its_deadline_as_moved_by_an_erratum(client, published_tender, buyer, clock):
    page = reverse("portal:tender", args=[published_tender.pk])
    assert "Closed for applications" not in client.get(page).content.decode()
    later = published_tender.application_deadline + timedelta(days=10)

    services.publish_erratum(
        buyer, published_tender, "Plus de temps", tender_values={"application_deadline": later}
    )
    clock.advance(timedelta(days=15))  # past the first deadline, before the new one

    assert "Closed for applications" not in client.get(page).content.decode()
    clock.advance(timedelta(days=10))
    assert "Closed for applications" in client.get(page).content.decode()


def test_without_a_shared_cache_no_key_is_worked_out(client, published_tender, settings):
    """On the embedded default nothing is kept: a page reads neither the deadlines' window nor a
    notice's deadline for a key no cache will hold."""
    settings.CACHES = {
        **settings.CACHES,
        "portal": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    for url in (reverse("portal:tenders"), reverse("portal:tender", args=[published_tender.pk])):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        keys = [
            q["sql"]
            for q in captured.captured_queries
            if 'MIN("tenders_tender"."application_deadline")' in q["sql"]
        ]
        keys += [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].startswith('SELECT "tenders_tender"."application_deadline" FROM')
        ]
        assert keys == []
        assert "AO-2026-001" in client.get(url).content.decode()


def test_each_language_has_its_own_pages(client, published_tender):
    for language, title in (("en", "Purchase of wheelchairs"), ("fr", "Acquisition de fauteuils roulants")):
        with translation.override(language):
            assert title in search(client).content.decode()
            assert title in client.get(reverse("portal:tender", args=[published_tender.pk])).content.decode()


def csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_nothing_personal_is_cached(client, published_tender, company):
    page = reverse("portal:tender", args=[published_tender.pk])
    member = login(client, company)
    personal = [str(company.user), str(company.organisation), "Ask a question", "Log out"]
    member_pages = [member.get(url).content.decode() for url in (reverse("portal:tenders"), page)]
    for html in member_pages:
        assert str(company.user) in html
    member_tokens = set().union(*(csrf_tokens(html) for html in member_pages))
    assert "Ask a question" in member_pages[1]

    member.logout()
    for url in (reverse("portal:tenders"), page):
        html = client.get(url).content.decode()
        assert "Log in" in html
        for text in personal:
            assert text not in html, text
        assert not csrf_tokens(html) & member_tokens  # each visitor gets the token of its own cookie


def test_a_visitor_logging_in_sees_its_own_menu_on_a_cached_page(client, published_tender, company):
    page = reverse("portal:tender", args=[published_tender.pk])
    assert "Log in as a company to ask a question." in client.get(page).content.decode()

    html = login(client, company).get(page).content.decode()

    assert str(company.user) in html and "Ask a question" in html
    assert "Log in as a company to ask a question." not in html


@pytest.mark.parametrize(
    ("name", "shows"),
    [
        ("portal:tender", "Purchase of wheelchairs"),
        ("portal:tenders", "AO-2026-001"),
        ("portal:results", "Savings statistics by year"),  # the results page's own link
    ],
)
def test_a_visitor_with_nothing_of_its_own_gets_the_kept_page_with_its_own_token(
    published_tender, name, shows
):
    """No query for a crawler's or a new visitor's page once another visitor has seen it; the page's
    CSRF token is each visitor's own and works."""
    from django.test import Client

    page = reverse(name, args=[published_tender.pk] if name == "portal:tender" else [])
    first = Client(enforce_csrf_checks=True)
    assert queries(first, page) > 0

    second = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as captured:
        response = second.get(page)
    read = [query["sql"] for query in captured.captured_queries if "core_clockoffset" not in query["sql"]]
    assert read == []  # only the test clock's offset, read by every clock.now() of a test
    assert response.templates == []  # not even the layout rendered
    html = response.content.decode()
    assert shows in html and shared_pages.MARKER not in html
    (token,) = csrf_tokens(html)
    again = first.get(page)
    assert token not in csrf_tokens(again.content.decode())
    assert "Cookie" in again["Vary"]  # never kept by an HTTP cache for a visitor with a session
    changed = second.post(
        reverse("set_language"), {"language": "ar", "next": page, "csrfmiddlewaretoken": token}
    )
    assert changed.status_code == 302  # the token matches this visitor's cookie: accepted


def test_an_announcement_shows_at_once_on_a_kept_page_and_goes_at_its_end(
    client, published_tender, admin_user, clock
):
    from seei.administration.models import Announcement

    page = reverse("portal:tender", args=[published_tender.pk])
    client.get(page)
    assert "Maintenance samedi" not in client.get(page).content.decode()

    Announcement.objects.create(
        title=make("fr", fr="Maintenance samedi"),
        starts_at=clock.now(),
        ends_at=clock.now() + timedelta(hours=1),
        created_by=admin_user,
    )
    assert "Maintenance samedi" in client.get(page).content.decode()

    clock.advance(timedelta(hours=1))
    assert "Maintenance samedi" not in client.get(page).content.decode()


def test_a_visitor_with_a_session_never_gets_another_visitors_page(
    client, published_tender, admin_user, clock
):
    """A visitor who hid an announcement (its session says so) is served its own page, not the kept one."""
    from django.test import Client

    from seei.administration.models import Announcement

    announcement = Announcement.objects.create(
        title=make("fr", fr="Maintenance samedi"), starts_at=clock.now(), created_by=admin_user
    )
    page = reverse("portal:tenders")
    client.post(reverse("administration:announcement_dismiss", args=[announcement.pk]), {"next": page})

    assert "Maintenance samedi" in Client().get(page).content.decode()
    assert "Maintenance samedi" not in client.get(page).content.decode()
