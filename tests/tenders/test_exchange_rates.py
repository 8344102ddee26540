"""The exchange rates of an international notice."""

import pytest
from django.urls import reverse

from seei.tenders import rates
from seei.tenders.errors import TenderError
from seei.tenders.models import Tender
from tests.tenders.buyer_helpers import audited


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


@pytest.fixture
def international(published_tender):
    Tender.objects.filter(pk=published_tender.pk).update(international=True)
    published_tender.refresh_from_db()
    return published_tender


def test_the_buyer_enters_the_rates(as_buyer, international):
    url = reverse("tenders:exchange_rates", args=[international.pk])
    assert as_buyer.get(url).status_code == 200
    response = as_buyer.post(url, {"EUR": "0,0921", "USD": "0.1012"})
    assert response.status_code == 302
    international.refresh_from_db()
    assert international.exchange_rates == {"EUR": "0.0921", "USD": "0.1012"}
    assert audited("tender.exchange_rates", international.pk)
    page = as_buyer.get(reverse("portal:tender", args=[international.pk])).content.decode()
    assert "1 MAD = 0.1012 USD" in page


def test_a_bad_rate_is_refused_with_a_message(as_buyer, international):
    response = as_buyer.post(reverse("tenders:exchange_rates", args=[international.pk]), {"USD": "-3"})
    assert response.status_code == 200
    assert "must be a positive number" in response.content.decode()
    international.refresh_from_db()
    assert international.exchange_rates == {}


def test_a_national_notice_has_no_rates(buyer, published_tender):
    with pytest.raises(TenderError, match="international notice only"):
        rates.set_exchange_rates(buyer, published_tender, {"USD": "0.1"})


def test_another_organisation_cannot_enter_rates(client, other_buyer, company, international):
    url = reverse("tenders:exchange_rates", args=[international.pk])
    for membership in (other_buyer, company):
        client.force_login(membership.user)
        assert client.post(url, {"USD": "0.1"}).status_code == 403
    with pytest.raises(TenderError):
        rates.set_exchange_rates(other_buyer, international, {"USD": "0.1"})
    international.refresh_from_db()
    assert international.exchange_rates == {}
