from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from seei.tenders.models import Lot, Tender, TenderDocument


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


def tender_post(category, region, deadline, **overrides):
    data = {
        "reference": "AO-2026-777",
        "original_language": "fr",
        "title_fr": "Acquisition de lits médicalisés",
        "title_ar": "",
        "title_en": "Purchase of medical beds",
        "object_fr": "Fourniture de lits médicalisés",
        "object_ar": "",
        "object_en": "",
        "category": category.pk,
        "region": region.pk,
        "delivery_place": "Rabat",
        "delivery_terms_fr": "",
        "delivery_terms_ar": "",
        "delivery_terms_en": "",
        "currency": "MAD",
        "application_deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def lot_post(opens_at, **overrides):
    data = {
        "title_fr": "Lits",
        "title_ar": "",
        "title_en": "",
        "estimated_amount": "100000",
        "starting_price": "100000",
        "min_decrement_kind": "amount",
        "min_decrement": "500",
        "max_decrement_kind": "percent",
        "max_decrement": "5",
        "decrement_base": "own",
        "opens_at": opens_at.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "extension_window_seconds": "180",
        "extension_seconds": "180",
        "extension_cap": "",
        "visibility": "best",
        "refuse_equal_best": "on",
        "min_bid_interval_seconds": "5",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-designation_fr": "Lit médicalisé",
        "items-0-designation_ar": "",
        "items-0-designation_en": "",
        "items-0-specification_fr": "Trois fonctions électriques",
        "items-0-specification_ar": "",
        "items-0-specification_en": "",
        "items-0-quantity": "40",
        "items-0-unit": "unité",
    }
    data.update(overrides)
    return data


def test_buyer_creates_a_draft_adds_a_lot_and_publishes(as_buyer, category, region, clock):
    now = clock.now()
    response = as_buyer.post(
        reverse("tenders:create"), tender_post(category, region, now + timedelta(days=12))
    )
    tender = Tender.objects.get(reference="AO-2026-777")
    assert (
        response.status_code == 302
        and tender.status == "draft"
        and tender.title["en"] == "Purchase of medical beds"
    )
    assert tender.title["orig"] == "fr"
    response = as_buyer.post(
        reverse("tenders:lot_create", args=[tender.pk]), lot_post(now + timedelta(days=15))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert tender.lots.get().items.get().specification["fr"] == "Trois fonctions électriques"
    as_buyer.post(reverse("tenders:publish", args=[tender.pk]))
    tender.refresh_from_db()
    assert tender.status == "published"


def test_max_decrement_below_min_shows_an_error_and_saves_nothing(as_buyer, draft_tender, clock):
    response = as_buyer.post(
        reverse("tenders:lot_create", args=[draft_tender.pk]),
        lot_post(clock.now() + timedelta(days=15), max_decrement_kind="amount", max_decrement="100"),
    )
    assert response.status_code == 200
    assert "The maximum decrement cannot be smaller than the minimum decrement." in response.content.decode()
    assert draft_tender.lots.count() == 1


def test_a_decrement_from_the_best_price_in_a_room_of_ranks_only_is_refused(as_buyer, draft_tender, clock):
    response = as_buyer.post(
        reverse("tenders:lot_create", args=[draft_tender.pk]),
        lot_post(clock.now() + timedelta(days=15), decrement_base="best", visibility="rank"),
    )
    assert response.status_code == 200
    assert "choose a visibility that shows the best price" in response.content.decode()
    assert draft_tender.lots.count() == 1


def test_negative_amount_is_refused(as_buyer, draft_tender, clock):
    response = as_buyer.post(
        reverse("tenders:lot_create", args=[draft_tender.pk]),
        lot_post(clock.now() + timedelta(days=15), estimated_amount="-5"),
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Lot.objects.count() == 1


def test_title_in_original_language_is_required(as_buyer, category, region, clock):
    response = as_buyer.post(
        reverse("tenders:create"),
        tender_post(category, region, clock.now() + timedelta(days=12), title_fr=""),
    )
    assert "Give this text in the original language" in response.content.decode()
    assert not Tender.objects.exists()


def test_schedule_too_short_is_refused_on_publish(as_buyer, draft_tender, clock):
    draft_tender.application_deadline = clock.now() + timedelta(days=3)
    draft_tender.save()
    response = as_buyer.post(reverse("tenders:publish", args=[draft_tender.pk]), follow=True)
    assert "at least 10 days of publicity" in response.content.decode()
    draft_tender.refresh_from_db()
    assert draft_tender.status == "draft"


def test_disguised_executable_upload_is_refused(as_buyer, draft_tender):
    upload = SimpleUploadedFile("cps.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100)
    response = as_buyer.post(
        reverse("tenders:document_add", args=[draft_tender.pk]), {"title": "CPS", "file": upload}
    )
    assert "is not a valid PDF file" in response.content.decode()
    assert not TenderDocument.objects.exists()


def test_a_company_cannot_reach_buyer_pages(client, company, draft_tender):
    client.force_login(company.user)
    assert client.get(reverse("tenders:list")).status_code == 403
    assert client.get(reverse("tenders:manage", args=[draft_tender.pk])).status_code == 403


def test_anonymous_is_sent_to_login(client, draft_tender):
    response = client.get(reverse("tenders:manage", args=[draft_tender.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_buyer_of_another_organisation_cannot_edit(
    client, other_buyer, draft_tender, category, region, clock
):
    client.force_login(other_buyer.user)
    response = client.post(
        reverse("tenders:edit", args=[draft_tender.pk]),
        tender_post(category, region, clock.now() + timedelta(days=12), reference="HIJACK"),
    )
    assert response.status_code == 403
    draft_tender.refresh_from_db()
    assert draft_tender.reference == "AO-2026-001"


def test_erratum_page_moves_the_deadline(as_buyer, published_tender, clock):
    clock.advance(timedelta(days=6))
    moment = clock.now()
    data = tender_post(
        published_tender.category,
        published_tender.region,
        published_tender.application_deadline,
        object_fr="Fourniture de 700 fauteuils roulants",
        reason="Quantité augmentée",
        title_fr=published_tender.title["fr"],
        title_ar=published_tender.title["ar"],
        title_en=published_tender.title["en"],
        delivery_place=published_tender.delivery_place,
        delivery_terms_fr=published_tender.delivery_terms["fr"],
    )
    response = as_buyer.post(reverse("tenders:erratum", args=[published_tender.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    published_tender.refresh_from_db()
    assert published_tender.version == 2
    assert published_tender.application_deadline >= moment + timedelta(days=10)
