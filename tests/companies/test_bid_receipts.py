"""A bid's receipt given again from the documents page is the one the room's answer gave, byte for byte."""

import json

import pytest
from django.urls import reverse

from seei.auctions.models import LedgerEntry
from seei.tenders.models import Tender
from tests.auctions.conftest import bid, make_auction, open_room
from tests.conftest import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def auction(buyer, category, region, clock):
    """Three admitted companies and a prepared room (``tests.auctions.conftest``'s defaults)."""
    return make_auction(buyer, category, region, clock)


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_receipt_given_again_is_the_bids_answer(auction, clock):
    open_room(auction, clock)
    member, rival = auction.bidders[0], auction.bidders[1]
    answer = bid(auction, member, "590 000,00")
    assert answer.accepted
    entry = LedgerEntry.objects.get(room__lot=auction.lot, type="bid")

    client = logged_in(member)
    documents = client.get(reverse("companies:documents")).content.decode()
    url = reverse("companies:bid_receipt", args=[entry.pk])
    response = client.get(url)

    assert url in documents
    assert json.loads(response.content) == answer.receipt
    assert logged_in(rival).get(url).status_code == 404


def test_a_practice_rooms_bids_are_not_documents(auction, clock):
    open_room(auction, clock)
    member = auction.bidders[0]
    assert bid(auction, member, "590 000,00").accepted
    Tender.objects.filter(pk=auction.lot.tender_id).update(practice=True)
    entry = LedgerEntry.objects.get(room__lot=auction.lot, type="bid")

    client = logged_in(member)

    assert 'data-testid="bid-receipt"' not in client.get(reverse("companies:documents")).content.decode()
    assert client.get(reverse("companies:bid_receipt", args=[entry.pk])).status_code == 404
