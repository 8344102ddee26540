"""A draft's public page, previewed by its buyer only."""

import pytest
from django.urls import reverse


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


def test_the_buyer_previews_its_draft_as_the_public_will_see_it(as_buyer, draft_tender):
    response = as_buyer.get(reverse("tenders:preview", args=[draft_tender.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview — not published" in html
    assert "Purchase of wheelchairs" in html  # the portal's summary
    assert "Folding manual wheelchair" in html  # and its lots' details
    assert "no-cache" in response["Cache-Control"]


def test_the_public_address_of_a_draft_stays_unknown(client, draft_tender):
    assert client.get(reverse("portal:tender", args=[draft_tender.pk])).status_code == 404


def test_nobody_else_previews_a_draft(client, draft_tender, other_buyer, company):
    url = reverse("tenders:preview", args=[draft_tender.pk])
    assert client.get(url).status_code == 302  # to the login page
    for membership in (other_buyer, company):
        client.force_login(membership.user)
        assert client.get(url).status_code == 403


def test_a_published_notice_is_not_previewed(as_buyer, published_tender):
    response = as_buyer.get(reverse("tenders:preview", args=[published_tender.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("tenders:manage", args=[published_tender.pk])
