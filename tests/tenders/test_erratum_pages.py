"""Amending a published notice's lots and items by erratum, in the pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from seei.tenders.models import Erratum
from tests.tenders.buyer_helpers import form_values


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


def _page(client, tender):
    response = client.get(reverse("tenders:erratum", args=[tender.pk]))
    assert response.status_code == 200
    return form_values(response.content.decode())


def test_a_lot_and_an_item_are_amended(as_buyer, published_tender):
    lot = published_tender.lots.get()
    item = lot.items.get()
    data = _page(as_buyer, published_tender)
    data |= {
        "reason": "Quantity and starting price revised",
        f"lot{lot.pk}-starting_price": "550000",
        f"lot{lot.pk}-estimated_amount": "550000",
        f"item{item.pk}-quantity": "450",
    }
    response = as_buyer.post(reverse("tenders:erratum", args=[published_tender.pk]), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    lot.refresh_from_db()
    item.refresh_from_db()
    assert lot.starting_price == Decimal("550000") and item.quantity == Decimal("450")
    erratum = Erratum.objects.get(tender=published_tender)
    fields = {change["field"] for change in erratum.changes}
    assert {"lot1.starting_price", "lot1.estimated_amount", "lot1.item1.quantity"} <= fields
    assert "lot1.opens_at" not in fields  # an untouched date is no change


def test_an_untouched_page_changes_nothing(as_buyer, published_tender):
    data = _page(as_buyer, published_tender) | {"reason": "Nothing really"}
    response = as_buyer.post(reverse("tenders:erratum", args=[published_tender.pk]), data)
    assert response.status_code == 200
    assert "The erratum changes nothing." in response.content.decode()
    assert not Erratum.objects.exists()


def test_a_bad_lot_value_is_refused_on_its_field(as_buyer, published_tender):
    lot = published_tender.lots.get()
    data = _page(as_buyer, published_tender) | {
        "reason": "Decrement",
        f"lot{lot.pk}-min_decrement": "700000",  # more than the starting price
    }
    response = as_buyer.post(reverse("tenders:erratum", args=[published_tender.pk]), data)
    assert response.status_code == 200
    assert "The minimum decrement must be smaller than the starting price." in response.content.decode()
    lot.refresh_from_db()
    assert lot.min_decrement == Decimal("1000.00")
    assert not Erratum.objects.exists()


def test_after_the_deadline_no_erratum(as_buyer, published_tender, clock):
    lot = published_tender.lots.get()
    data = _page(as_buyer, published_tender) | {"reason": "Late", f"lot{lot.pk}-starting_price": "500000"}
    clock.advance(timedelta(days=12))
    response = as_buyer.post(reverse("tenders:erratum", args=[published_tender.pk]), data)
    assert "can no longer be amended" in response.content.decode()
    assert not Erratum.objects.exists()


def test_another_organisation_cannot_amend(client, other_buyer, company, published_tender):
    lot = published_tender.lots.get()
    for membership in (other_buyer, company):
        client.force_login(membership.user)
        url = reverse("tenders:erratum", args=[published_tender.pk])
        assert client.post(url, {"reason": "x", f"lot{lot.pk}-starting_price": "1"}).status_code == 403
    assert not Erratum.objects.exists()
