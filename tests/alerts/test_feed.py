"""Every search of the portal is an Atom feed, for anyone, without an account."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.alerts.test_watch import new_notice
from tests.conftest import Client

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_a_search_is_an_atom_feed(buyer, category, region, clock):
    wheelchairs = new_notice(buyer, category, region, clock, "AO-FEED-1", "Fauteuils roulants")
    clock.advance(timedelta(hours=1))
    new_notice(buyer, category, region, clock, "AO-FEED-2", "Brancards")
    clock.advance(timedelta(hours=1))
    beds = new_notice(buyer, category, region, clock, "AO-FEED-3", "Lits médicalisés")

    response = Client().get("/en/watch/feed/", {"category": category.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == "SEEI notices"
    assert feed.find(f"{ATOM}id").text and feed.find(f"{ATOM}updated").text
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == [
        f"AO-FEED-3 — {beds.title}",
        "AO-FEED-2 — Brancards",
        f"AO-FEED-1 — {wheelchairs.title}",
    ]
    first = entries[0]
    link = first.find(f"{ATOM}link").attrib
    assert link["rel"] == "alternate" and link["href"] == f"http://testserver/en/notices/{beds.pk}/"
    assert first.find(f"{ATOM}id").text and first.find(f"{ATOM}updated").text
    assert first.find(f"{ATOM}author/{ATOM}name").text == buyer.organisation.name
    assert "applications close on" in first.find(f"{ATOM}summary").text

    searched = ET.fromstring(Client().get("/fr/watch/feed/", {"q": "brancards"}).content)
    assert [e.find(f"{ATOM}title").text.split(" — ")[0] for e in searched.findall(f"{ATOM}entry")] == [
        "AO-FEED-2"
    ]
    assert "brancards" in searched.find(f"{ATOM}title").text
    assert searched.find(f"{ATOM}link").attrib["href"].endswith("/fr/notices/?q=brancards")


def test_practice_notices_stay_out_of_the_feed(buyer):
    from seei.practice import procedure
    from seei.tenders import services

    practice = procedure.start(buyer)
    services.publish(buyer, practice)
    feed = ET.fromstring(Client().get("/en/watch/feed/").content)
    assert practice.reference not in ET.tostring(feed, encoding="unicode")
