"""Why a company was excluded: sealed until the commission closes its session, then its own lines only."""

import pytest
from django.urls import reverse
from django.utils import translation

from seei.applications import services
from tests.applications.conftest import application_of, apply, past_deadline, seat_all
from tests.conftest import Client, make_company, make_member

pytestmark = pytest.mark.django_db

REASON = "Attestation fiscale expirée"


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def president(buyer_org):
    return make_member("president@sante.gov.ma", buyer_org, "commission_member", last_name="President")


@pytest.fixture
def third_company(db):
    return make_company("Maghreb Santé SARL", "003456789000034", "contact@maghreb-sante.ma")


@pytest.fixture
def examined(published_tender, buyer, president, company, other_company, third_company, clock):
    """Three applications; after the deadline the commission excludes ``company`` and admits the others
    (its session still open)."""
    services.name_commission(buyer, published_tender, [president], president)
    for membership in (company, other_company, third_company):
        apply(membership, published_tender)
    past_deadline(clock, published_tender)
    seat_all(published_tender)
    services.open_examination(president, published_tender)
    lot = published_tender.lots.get()
    services.decide(president, application_of(company, published_tender), [(lot, "excluded", REASON)])
    for membership in (other_company, third_company):
        services.decide(president, application_of(membership, published_tender), [(lot, "admitted", "")])
    return published_tender


def admission_page(client, application, lang="en"):
    with translation.override(lang):
        url = reverse("companies:admission", args=[application.pk])
    return client.get(url)


def test_the_reason_is_sealed_until_the_session_closes_then_shown(examined, company, president):
    application = application_of(company, examined)
    client = logged_in(company)

    before = admission_page(client, application).content.decode()
    assert 'data-testid="admission-sealed"' in before
    assert REASON not in before and 'data-state="excluded"' not in before
    assert (
        reverse("companies:admission", args=[application.pk])
        not in client.get(reverse("companies:documents")).content.decode()
    )

    services.close_examination(president, examined)

    after = admission_page(client, application).content.decode()
    assert 'data-state="excluded"' in after
    assert REASON in after
    assert 'data-testid="minutes-extract"' in after
    assert "Atlas Médical SARL" in after
    # The other candidates of the minutes stay out of the company's part.
    assert "Sahara Equipements" not in after and "Maghreb Santé" not in after
    documents = client.get(reverse("companies:documents")).content.decode()
    assert reverse("companies:admission", args=[application.pk]) in documents


def test_an_admitted_company_sees_its_admission_and_the_lot_going_to_auction(
    examined, other_company, president
):
    services.close_examination(president, examined)

    html = admission_page(logged_in(other_company), application_of(other_company, examined)).content.decode()

    assert 'data-state="admitted"' in html
    assert "2 companies admitted to the auction" in html
    assert REASON not in html and "Atlas Médical" not in html


def test_another_company_guessing_the_id_is_not_found(examined, company, other_company, buyer, president):
    services.close_examination(president, examined)
    application = application_of(company, examined)

    assert admission_page(logged_in(other_company), application).status_code == 404
    assert admission_page(logged_in(buyer), application).status_code == 403


def test_the_admission_page_in_arabic(examined, company, president):
    services.close_examination(president, examined)

    html = admission_page(logged_in(company), application_of(company, examined), "ar").content.decode()

    assert 'lang="ar" dir="rtl"' in html
    assert REASON in html
    assert "مقصى" in html  # "Excluded"
