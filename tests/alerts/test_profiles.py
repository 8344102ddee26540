"""A company manages its watch profiles on a page and through the API, with the same checks and the
same clear messages; a search of the portal can be saved as a profile."""

from decimal import Decimal

import pytest
from django.http import Http404

from seei.alerts import profiles
from seei.alerts.models import WatchProfile
from tests.alerts.conftest import watch
from tests.api.conftest import ApiClient, token_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, company):
    client.login(email=company.user.email, password=PASSWORD)
    return client


def test_the_page_creates_a_profile_and_refuses_bad_input_with_a_clear_message(
    logged_in, company, category, region, buyer
):
    page = logged_in.get("/en/watch/")
    assert page.status_code == 200 and "no watch profile yet" in page.content.decode()

    bad = logged_in.post(
        "/en/watch/new/",
        {"name": "Santé", "amount_min": "500000", "amount_max": "1000", "frequency": "immediate"},
    )
    text = bad.content.decode()
    assert bad.status_code == 200
    assert "The maximum amount must not be below the minimum amount." in text
    assert "Choose the currency of the amount range." in text
    assert not WatchProfile.objects.exists()

    good = logged_in.post(
        "/en/watch/new/",
        {
            "name": "Santé",
            "keywords": "fauteuils",
            "categories": [category.pk],
            "regions": [region.pk],
            "buyers": [buyer.organisation.pk],
            "currency": "MAD",
            "amount_min": "1000",
            "amount_max": "500000",
            "frequency": "daily",
        },
    )
    assert good.status_code == 302 and good["Location"] == "/en/watch/"
    profile = WatchProfile.objects.get()
    assert (profile.company, profile.frequency, profile.amount_max) == (
        company.organisation,
        "daily",
        Decimal("500000"),
    )
    assert list(profile.categories.all()) == [category] and list(profile.buyers.all()) == [buyer.organisation]

    twice = logged_in.post("/en/watch/new/", {"name": "santé", "frequency": "immediate"})
    assert "Your company already has a watch profile with this name." in twice.content.decode()
    listed = logged_in.get("/en/watch/").content.decode()
    assert "Santé" in listed and "fauteuils" in listed and "In a daily digest" in listed


def test_a_search_is_saved_as_a_profile(logged_in, category, region):
    search = logged_in.get("/en/notices/", {"q": "fauteuils", "category": category.pk}).content.decode()
    assert f'href="/en/watch/new/?q=fauteuils&amp;category={category.pk}"' in search
    assert f'href="/en/watch/feed/?q=fauteuils&amp;category={category.pk}"' in search
    form = logged_in.get("/en/watch/new/", {"q": "fauteuils", "category": category.pk, "region": region.pk})
    assert form.context["form"].initial == {
        "keywords": "fauteuils",
        "currency": "",
        "categories": [category],
        "regions": [region],
        "name": f"fauteuils · {category} · {region}",
    }


def test_only_a_company_member_manages_profiles(client, buyer, company, other_company):
    assert client.get("/en/watch/").status_code == 302  # to the login page
    client.login(email=buyer.user.email, password=PASSWORD)
    assert client.get("/en/watch/").status_code == 403
    theirs = watch(other_company)
    client.login(email=company.user.email, password=PASSWORD)
    assert client.get(f"/en/watch/{theirs.pk}/").status_code == 404
    assert client.post(f"/en/watch/{theirs.pk}/delete/").status_code == 404
    assert WatchProfile.objects.filter(pk=theirs.pk).exists()


def test_a_refused_change_leaves_the_profile_as_it_was(logged_in, company, other_company):
    watch(company, "Santé")
    mine = watch(company, "Lits")
    refused = logged_in.post(f"/en/watch/{mine.pk}/", {"name": "santé", "frequency": "immediate"})
    text = refused.content.decode()
    assert "Your company already has a watch profile with this name." in text
    assert "Watch profile “Lits”" in text and "Watch profile “santé”" not in text  # the title: as saved
    mine.refresh_from_db()
    assert mine.name == "Lits"

    # The service itself finds the profile in the member's company: another's is not found.
    theirs = watch(other_company, "Leur profil")
    with pytest.raises(Http404):
        profiles.save_profile(company, {"name": "Pris"}, theirs.pk)
    with pytest.raises(Http404):
        profiles.delete_profile(company, theirs.pk)
    theirs.refresh_from_db()
    assert theirs.name == "Leur profil"


def test_the_api_manages_profiles_with_the_same_checks(company, other_company, buyer, category, region):
    api = ApiClient(token_for(company))
    created = api.post(
        "/watch-profiles",
        {"name": "Santé", "categories": [category.code], "regions": [region.code], "keywords": "lits"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["categories"] == [category.code] and body["frequency"] == "immediate"
    assert body["currency"] is None and body["amount_min"] is None

    refused = api.post(
        "/watch-profiles",
        {"name": "Gros", "amount_min": "500000", "amount_max": "1000", "categories": ["NOPE"]},
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"categories": ["Unknown code “NOPE”."]}
    refused = api.post("/watch-profiles", {"name": "Gros", "amount_min": "500000", "amount_max": "1000"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "amount_max": ["The maximum amount must not be below the minimum amount."],
        "currency": ["Choose the currency of the amount range."],
    }
    malformed = api.post("/watch-profiles", {"name": "Gros", "frequency": "weekly"})
    assert malformed.status_code == 422 and "frequency" in malformed.json()["errors"]
    twice = api.post("/watch-profiles", {"name": "santé"})
    assert twice.json()["errors"] == {"name": ["Your company already has a watch profile with this name."]}

    profile_id = body["id"]
    replaced = api.put(
        f"/watch-profiles/{profile_id}",
        {"name": "Santé", "currency": "MAD", "amount_min": "1000", "frequency": "daily"},
    )
    assert replaced.status_code == 200
    assert replaced.json()["categories"] == [] and replaced.json()["amount_min"] == "1000.00"
    assert [p["id"] for p in api.get("/watch-profiles").json()] == [profile_id]

    assert ApiClient(token_for(other_company)).get(f"/watch-profiles/{profile_id}").status_code == 404
    assert ApiClient(token_for(buyer)).get("/watch-profiles").status_code == 403
    assert ApiClient().get("/watch-profiles").status_code == 401
    assert api.delete(f"/watch-profiles/{profile_id}").status_code == 204
    assert not WatchProfile.objects.exists()


def test_the_api_lists_the_notifications_with_the_unread_count(company, clock):
    from seei.alerts.models import Notification

    for number in range(3):
        Notification.objects.create(user=company.user, subject=f"N{number}", body="-", created_at=clock.now())
    api = ApiClient(token_for(company))
    listed = api.get("/notifications", limit=2, mark_read="true").json()
    assert listed["unread"] == 1 and [n["subject"] for n in listed["items"]] == ["N2", "N1"]
    assert api.get("/notifications").json()["unread"] == 1
