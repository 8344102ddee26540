"""The auction's Django pages: the bidder's room, the watch page, the replay, the public key,
and the administrator's incident suspension."""

import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from tests.conftest import Client
from tests.room.conftest import names_of

pytestmark = pytest.mark.django_db


def client_for(membership=None) -> Client:
    client = Client()
    if membership is not None:
        client.force_login(membership.user)
    return client


def place(lot, membership, amount: str):
    """An accepted bid of this company, through the same rules as the room (ORM path)."""
    from seei.auctions import services
    from seei.auctions.models import Bidder, Room

    with transaction.atomic():
        room = Room.objects.select_for_update().get(lot=lot)
        pseudonym = Bidder.objects.get(room=room, company=membership.organisation).pseudonym
        result = services.record_bid(room, pseudonym, Decimal(amount), services.db_now())
    assert result.ok, result
    return pseudonym


def pseudonym_of(lot, membership):
    from seei.auctions.models import Bidder

    return Bidder.objects.get(room__lot=lot, company=membership.organisation).pseudonym


# --- the bidder's room ----------------------------------------------------------------------------


def test_an_admitted_bidder_sees_its_room_with_its_pseudonym_and_rank(
    open_room, lot, company, other_company, clock
):
    place(lot, other_company, "590000")
    mine = pseudonym_of(lot, company)
    response = client_for(company).get(reverse("auctions:room", args=[lot.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="pseudonym">{mine}<' in page
    assert "Folding manual wheelchair" in page and "600,000.00" in page  # the items, the starting price
    assert response.context["own_rank"] is None and response.context["best"] == "590,000.00\xa0MAD"
    assert 'aria-describedby="bid-range bid-result"' in page and '<label for="bid-amount">' in page
    assert "Your bid must be between 540,000.00\xa0MAD and 599,000.00\xa0MAD." in page
    assert 'id="room-config"' in page and f"/room/lots/{lot.pk}/ws" in page
    for name in names_of(other_company):
        assert name not in page


def test_the_room_is_reached_only_through_the_bidders_own_login(
    open_room, lot, outsider, other_lot_bidder, buyer
):
    url = reverse("auctions:room", args=[lot.pk])
    anonymous = client_for().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    for membership in (outsider, other_lot_bidder):
        refused = client_for(membership).get(url)
        assert refused.status_code == 403
        assert (
            b"Only the bidders, the buyer and the commission of this lot can watch its room."
            in refused.content
        )
    assert client_for(buyer).get(url)["Location"] == reverse("auctions:watch", args=[lot.pk])


def test_enter_leads_each_visitor_to_its_page(open_room, lot, company, buyer):
    url = reverse("auctions:enter", args=[lot.pk])
    assert client_for(company).get(url)["Location"] == reverse("auctions:room", args=[lot.pk])
    assert client_for(buyer).get(url)["Location"] == reverse("auctions:watch", args=[lot.pk])


# --- watching -------------------------------------------------------------------------------------


def test_the_buyer_and_the_commission_watch_without_learning_who_bids(
    open_room, lot, buyer, commission_member, company, other_company
):
    place(lot, company, "590000")
    for watcher in (buyer, commission_member):
        response = client_for(watcher).get(reverse("auctions:watch", args=[lot.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert pseudonym_of(lot, company) in page and "bid-form" not in page
        for name in names_of(company, other_company):
            assert name not in page
    assert client_for(company).get(reverse("auctions:watch", args=[lot.pk]))["Location"] == reverse(
        "auctions:room", args=[lot.pk]
    )


def test_the_amounts_stay_hidden_past_the_closing_time_until_the_room_is_closed(
    open_room, lot, buyer, company, other_company, clock
):
    """Past closes_at an extending bid may still be committing: the pages go by the room's status."""
    from seei.auctions import services

    place(lot, company, "590000")
    clock.advance(timedelta(seconds=10))
    place(lot, other_company, "595000")  # never the best price: only its bidder knows it
    clock.advance(timedelta(hours=1))  # past the close; the closing task has not run yet
    watched = client_for(buyer).get(reverse("auctions:watch", args=[lot.pk]))
    rivals_page = client_for(company).get(reverse("auctions:room", args=[lot.pk]))
    for response in (watched, rivals_page):
        page = response.content.decode()
        assert "590,000.00" in page  # the best price, as the lot's visibility shows it
        assert "595,000.00" not in page and "595000" not in page
        assert not response.context["show_amounts"] and not response.context["closed"]

    services.close_room(lot.pk)
    page = client_for(buyer).get(reverse("auctions:watch", args=[lot.pk])).content.decode()
    assert "595,000.00" in page


def test_the_public_watches_only_a_publicly_watchable_lot(open_room, lot):
    url = reverse("auctions:watch", args=[lot.pk])
    assert client_for().get(url).status_code == 302
    lot.public_watch = True
    lot.save()
    response = client_for().get(url)
    assert response.status_code == 200
    assert b"This auction is open to the public's eyes." in response.content


def test_the_room_page_is_right_to_left_in_arabic(open_room, lot, company):
    response = client_for(company).get(f"/ar/auctions/lots/{lot.pk}/room/")
    assert response.status_code == 200
    assert b'<html lang="ar" dir="rtl">' in response.content
    assert b'"lang": "ar"' in response.content


# --- the replay -----------------------------------------------------------------------------------


def test_the_replay_opens_after_the_close_for_anyone_with_pseudonyms_only(
    open_room, lot, company, other_company, clock
):
    from seei.auctions import services

    url = reverse("auctions:replay", args=[lot.pk])
    place(lot, company, "590000")
    assert client_for().get(url).status_code == 404  # not before the close
    clock.advance(timedelta(seconds=10))
    place(lot, other_company, "580000")
    clock.advance(timedelta(hours=1))
    services.close_room(lot.pk)
    response = client_for().get(url)
    assert response.status_code == 200
    page = response.content.decode()
    winner = pseudonym_of(lot, other_company)
    assert response.context["winner"].bidder == winner
    assert 'data-testid="price-curve"' in page and page.count('<circle class="bid"') == 2
    assert "590,000.00" in page and "580,000.00" in page
    assert f'href="/api/v1/lots/{lot.pk}/ledger"' in page
    # The command shown checks against the platform's key, fetched from the platform's stable address.
    assert f"seei verify ledger-lot-{lot.pk}.json --site {settings.SITE_URL}</code>" in page
    for name in names_of(company, other_company):
        assert name not in page


def test_the_replay_svg_numbers_are_not_localised(open_room, lot, company, clock):
    from seei.auctions import services

    place(lot, company, "590000")
    clock.advance(timedelta(hours=1))
    services.close_room(lot.pk)
    page = client_for().get(f"/fr/auctions/lots/{lot.pk}/replay/").content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    coordinates = re.findall(r'\b(?:cx|cy|x|y|x1|x2|y1|y2)="([^"]*)"', svg)
    assert len(coordinates) > 10
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates), coordinates
    points = re.search(r'points="([^"]*)"', svg).group(1)
    assert re.fullmatch(r"(\d+\.\d,\d+\.\d ?)+", points)


def test_the_public_key_page_publishes_the_signing_key():
    from seei.auctions import signing

    response = client_for().get(reverse("auctions:public_key"))
    assert response.status_code == 200
    assert signing.public_key_pem().strip() in response.content.decode()
    assert signing.public_key_b64() in response.content.decode()
    raw = signing.private_key().public_key().public_bytes_raw()
    assert hashlib.sha256(raw).hexdigest() in response.content.decode()  # as seei verify prints it
    # The same key at the stable address seei verify --site fetches, outside the language prefixes.
    pem = client_for().get("/.well-known/seei/ledger-key.pem")
    assert pem.status_code == 200 and pem["Content-Type"].startswith("application/x-pem-file")
    assert pem.content.decode() == signing.public_key_pem()


# --- the incident suspension ------------------------------------------------------------------------


def test_only_an_administrator_reaches_the_incident_page(db, company, buyer, administrator):
    url = reverse("auctions:incident")
    for membership in (company, buyer):
        assert client_for(membership).get(url).status_code == 403
    assert client_for(membership).post(reverse("auctions:suspend"), {"reason": "x"}).status_code == 403
    assert client_for(administrator).get(url).status_code == 200


def test_an_administrator_suspends_and_resumes_every_running_auction(open_room, lot, administrator, clock):
    from seei.auctions.models import Room, Suspension

    client = client_for(administrator)
    empty = client.post(reverse("auctions:suspend"), {"reason": "  "}, follow=True)
    assert "Say why the auctions are suspended: everyone will be told." in empty.content.decode()
    assert not Suspension.objects.exists()

    response = client.post(reverse("auctions:suspend"), {"reason": "Panne du centre de données"}, follow=True)
    assert "Every running auction is suspended; everyone was notified." in response.content.decode()
    assert Room.objects.get(pk=open_room.pk).status == "suspended"
    assert "Panne du centre de données" in response.content.decode()

    clock.advance(timedelta(minutes=10))
    response = client.post(reverse("auctions:resume"), follow=True)
    assert "The auctions resumed; the remaining time was credited." in response.content.decode()
    room = Room.objects.get(pk=open_room.pk)
    assert room.status == "open" and room.closes_at > open_room.closes_at + timedelta(minutes=9)
    again = client.post(reverse("auctions:resume"), follow=True)
    assert "No suspension is in progress." in again.content.decode()
