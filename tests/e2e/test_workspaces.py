"""The workspaces end to end: each person logs in through the real page and lands on what needs them
now, in their own language (Arabic right to left); a visitor reads the public results without an account."""

import re

import pytest
from playwright.sync_api import expect

from seei.accounts.models import User
from seei.applications.models import Invitation
from seei.tenders import services
from seei.tenders.models import Lot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_people_land_on_their_workspace_in_their_language(
    person, live_server, published_tender, company, buyer, clock
):
    lot = published_tender.lots.get()
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.SCHEDULED)
    Invitation.objects.create(
        lot=lot, company=company.organisation, opens_at=lot.opens_at, sent_at=clock.now()
    )
    services.ask_clarification(company, published_tender, "Quelle largeur d'assise ?")
    User.objects.filter(pk=buyer.user_id).update(language="ar")

    page = person(company)
    expect(page).to_have_url(re.compile(r"/en/dashboard/$"))
    needs = page.get_by_role("region", name="What needs you now")
    expect(needs.get_by_role("link", name="Auction room opens")).to_have_attribute(
        "href", f"/en/auctions/lots/{lot.pk}/"
    )
    expect(page.get_by_role("link", name="Practise first")).to_be_visible()

    page = person(buyer)
    expect(page).to_have_url(re.compile(r"/ar/dashboard/$"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    needs = page.get_by_role("region", name="ما ينتظرك الآن")
    expect(needs.get_by_role("link", name="الإجابة عن سؤال واحد")).to_be_visible()
    expect(page.get_by_text(company.organisation.name)).to_have_count(0)  # never who asked


def test_a_visitor_filters_the_public_results(person, live_server, published_tender):
    Lot.objects.filter(pk=published_tender.lots.get().pk).update(status=Lot.Status.UNSUCCESSFUL)

    page = person()
    page.goto(f"{live_server.url}/fr/")
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Résultats").click()
    expect(page.get_by_test_id("result")).to_have_count(1)
    page.get_by_label("Issue").select_option("awarded")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_test_id("result")).to_have_count(0)
    expect(page.get_by_text("Aucun résultat ne correspond à ces critères.")).to_be_visible()
