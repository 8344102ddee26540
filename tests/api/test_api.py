"""The JSON API at /api/v1/: public reads, the buyer's drafting and publishing, clarifications, errata."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from seei.core.translated import make
from seei.tenders import services
from seei.tenders.models import Clarification, Erratum, Item, Lot, Tender, TenderDocument
from tests.api.conftest import PDF_BYTES, lot_body, notice_body
from tests.conftest import item_values, lot_values

pytestmark = pytest.mark.django_db


def make_draft(
    buyer, category, region, clock, reference="AO-2026-DRAFT", title="Fauteuils roulants (brouillon)"
):
    return services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": "fr",
            "title": make("fr", fr=title),
            "object": make("fr", fr="Fourniture de fauteuils roulants"),
            "category": category,
            "region": region,
            "delivery_place": "Fès",
            "currency": "MAD",
            "application_deadline": clock.now() + timedelta(days=11),
        },
    )


# The OpenAPI document ------------------------------------------------------------------------


def test_openapi_document_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/notices",
        "/api/v1/notices/{notice_id}",
        "/api/v1/categories",
        "/api/v1/regions",
        "/api/v1/buyer/notices",
        "/api/v1/notices/{notice_id}/lots",
        "/api/v1/notices/{notice_id}/errata",
        "/api/v1/notices/{notice_id}/publish",
        "/api/v1/clarifications/{clarification_id}/answer",
    ):
        assert path in paths
    assert set(paths["/api/v1/notices/{notice_id}/clarifications"]) == {"get", "post"}
    assert client.get("/api/v1/docs").status_code == 200


# Public reads ----------------------------------------------------------------------------------


def test_reference_data(api, category, region):
    categories = api(language="en").get("/categories").json()
    regions = api().get("/regions").json()

    assert {
        "code": "T-SANTE",
        "name": "Health",
        "name_i18n": {"fr": "Santé", "ar": "", "en": "Health"},
        "parent": None,
    } in categories
    # No English name: the original French is the fallback, as on the portal.
    assert {
        "code": "T-01",
        "name": "Rabat-Salé-Kénitra",
        "name_i18n": {"fr": "Rabat-Salé-Kénitra", "ar": "", "en": ""},
    } in regions


def test_list_returns_published_notices_not_drafts(api, published_tender, buyer, category, region, clock):
    make_draft(buyer, category, region, clock)

    body = api().get("/notices").json()

    assert body["count"] == 1
    [notice] = body["items"]
    assert notice["id"] == published_tender.pk
    assert notice["reference"] == "AO-2026-001"
    assert notice["applications_open"] is True
    assert notice["buyer"] == {"id": published_tender.buyer_id, "name": "Direction des Hôpitaux"}
    assert [(lot["number"], lot["status"], lot["estimated_amount"]) for lot in notice["lots"]] == [
        (1, "open", "600000.00")
    ]


def test_translated_fields_follow_accept_language(api, published_tender):
    english = api(language="en").get("/notices").json()["items"][0]
    arabic = api(language="ar").get("/notices").json()["items"][0]

    assert english["title"] == "Purchase of wheelchairs"
    assert arabic["title"] == "اقتناء كراسي متحركة"
    # The object has no Arabic translation: the original French is shown.
    assert arabic["object"] == "Fourniture de fauteuils roulants pour les hôpitaux régionaux"
    assert english["title_i18n"] == {
        "fr": "Acquisition de fauteuils roulants",
        "ar": "اقتناء كراسي متحركة",
        "en": "Purchase of wheelchairs",
    }
    assert english["lots"][0]["title"] == "Lot 1: wheelchairs"


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"q": "fauteuils"}, True),
        ({"q": "wheelchairs"}, True),
        ({"q": "AO-2026-001"}, True),
        ({"q": "charbon"}, False),
        ({"category": "T-SANTE"}, True),
        ({"category": "T-AUTRE"}, False),
        ({"region": "T-01"}, True),
        ({"region": "T-99"}, False),
        ({"status": "open"}, True),
        ({"status": "closed"}, False),
        ({"status": "scheduled"}, False),
        ({"currency": "MAD"}, True),
        ({"currency": "EUR"}, False),
    ],
)
def test_list_filters(api, published_tender, buyer, category, region, clock, params, found):
    make_draft(buyer, category, region, clock)  # matches "fauteuils" too, but is not published

    items = api().get("/notices", **params).json()["items"]

    assert [item["id"] for item in items] == ([published_tender.pk] if found else [])


def test_list_filters_by_buyer_and_closing_dates(api, published_tender, other_buyer):
    deadline = published_tender.application_deadline.date()
    ids = lambda **params: [item["id"] for item in api().get("/notices", **params).json()["items"]]  # noqa: E731

    assert ids(buyer=published_tender.buyer_id) == [published_tender.pk]
    assert ids(buyer=other_buyer.organisation_id) == []
    assert ids(closing_after=(deadline - timedelta(days=1)).isoformat()) == [published_tender.pk]
    assert ids(closing_before=(deadline - timedelta(days=1)).isoformat()) == []
    assert ids(closing_before=(deadline + timedelta(days=1)).isoformat()) == [published_tender.pk]


def test_status_follows_the_clock(api, published_tender, clock):
    clock.advance(timedelta(days=12))

    assert [item["id"] for item in api().get("/notices", status="closed").json()["items"]] == [
        published_tender.pk
    ]
    assert api().get("/notices", status="open").json()["items"] == []
    assert api().get(f"/notices/{published_tender.pk}").json()["applications_open"] is False


def test_list_is_paginated(api, published_tender, buyer, category, region, clock):
    second = make_draft(buyer, category, region, clock, reference="AO-2026-002", title="Lits médicalisés")
    services.save_lot(buyer, second, lot_values(clock.now()), [item_values()])
    services.publish(buyer, second)

    first_page = api().get("/notices", page_size=1).json()
    second_page = api().get("/notices", page_size=1, page=2).json()

    assert first_page["count"] == 2
    assert len(first_page["items"]) == 1
    assert {first_page["items"][0]["id"], second_page["items"][0]["id"]} == {published_tender.pk, second.pk}


def test_an_invalid_filter_is_refused_with_the_field(api, published_tender):
    response = api().get("/notices", status="sleeping")

    assert response.status_code == 422
    assert "status" in response.json()["errors"]


def test_detail_shape(api, draft_tender, buyer, clock):
    document = services.add_document(
        buyer, draft_tender, SimpleUploadedFile("cahier.pdf", PDF_BYTES), "Cahier"
    )
    services.publish(buyer, draft_tender)

    response = api().get(f"/notices/{draft_tender.pk}")

    assert response.status_code == 200
    notice = response.json()
    assert notice["status"] == "published"
    assert notice["delivery_terms_i18n"]["fr"] == "Livraison sous 60 jours"
    assert notice["estimated_total"] == "600000.00"
    [lot] = notice["lots"]
    assert lot["starting_price"] == "600000.00"
    assert lot["min_decrement_kind"] == "amount"
    assert lot["max_decrement"] == "10.00"
    assert lot["visibility"] == "best"
    assert lot["opens_at"]
    [item] = lot["items"]
    assert item["designation"] == "Folding manual wheelchair"
    assert item["quantity"] == "500.000"
    assert notice["documents"] == [
        {
            "id": document.pk,
            "title": "Cahier",
            "content_type": "application/pdf",
            "size": len(PDF_BYTES),
            "sha256": document.sha256,
            "uploaded_at": notice["documents"][0]["uploaded_at"],
            "withdrawn": False,
            "url": f"http://testserver/en/notices/{draft_tender.pk}/documents/{document.pk}/",
        }
    ]
    assert notice["errata"] == []
    assert notice["clarifications"] == []


def test_a_draft_has_no_public_detail(api, draft_tender):
    response = api().get(f"/notices/{draft_tender.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": "This notice does not exist or is not published."}


# Buyer: drafting and publishing ----------------------------------------------------------------


def test_buyer_creates_adds_a_lot_and_a_document_then_publishes(api, buyer, category, region, clock):
    as_buyer = api(buyer)

    created = as_buyer.post("/notices", notice_body(clock.now()))
    assert created.status_code == 201, created.content
    notice_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert created.json()["title_i18n"] == {
        "fr": "Acquisition de lits médicalisés",
        "ar": "",
        "en": "Purchase of hospital beds",
    }

    lot = as_buyer.post(f"/notices/{notice_id}/lots", lot_body(clock.now()))
    assert lot.status_code == 201, lot.content
    assert lot.json()["number"] == 1
    assert lot.json()["items"][0]["quantity"] == "40.000"

    document = as_buyer.upload(
        f"/notices/{notice_id}/documents",
        file=SimpleUploadedFile("cps.pdf", PDF_BYTES),
        title="Cahier des prescriptions",
    )
    assert document.status_code == 201, document.content
    assert document.json()["title"] == "Cahier des prescriptions"

    published = as_buyer.post(f"/notices/{notice_id}/publish")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"

    tender = Tender.objects.get(pk=notice_id)
    assert tender.status == "published"
    assert tender.buyer_id == buyer.organisation_id
    assert tender.title.original == "fr"
    assert [item["id"] for item in api().get("/notices", q="lits").json()["items"]] == [notice_id]
    assert [n["id"] for n in as_buyer.get("/buyer/notices").json()["items"]] == [notice_id]


def test_buyer_lists_its_drafts(api, draft_tender, buyer):
    body = api(buyer).get("/buyer/notices", status="draft").json()

    assert [(n["id"], n["status"]) for n in body["items"]] == [(draft_tender.pk, "draft")]
    assert api(buyer).get("/buyer/notices", status="published").json()["items"] == []
    assert (
        api(buyer).get(f"/buyer/notices/{draft_tender.pk}").json()["lots"][0]["items"][0]["unit"] == "unité"
    )


def test_a_schedule_too_short_is_refused_and_the_notice_stays_a_draft(api, buyer, category, region, clock):
    as_buyer = api(buyer, language="en")
    notice_id = as_buyer.post(
        "/notices",
        notice_body(clock.now(), application_deadline=(clock.now() + timedelta(days=5)).isoformat()),
    ).json()["id"]
    as_buyer.post(f"/notices/{notice_id}/lots", lot_body(clock.now()))

    response = as_buyer.post(f"/notices/{notice_id}/publish")

    assert response.status_code == 400
    body = response.json()
    assert "The application deadline must leave at least 10 days of publicity" in body["detail"]
    assert any("at least 10 days of publicity" in message for message in body["errors"]["__all__"])
    assert Tender.objects.get(pk=notice_id).status == "draft"
    assert Tender.objects.get(pk=notice_id).published_at is None


def test_a_maximum_decrement_below_the_minimum_is_refused(api, draft_tender, buyer, clock):
    body = lot_body(
        clock.now(), min_decrement="5000.00", max_decrement_kind="amount", max_decrement="1000.00"
    )

    response = api(buyer).post(f"/notices/{draft_tender.pk}/lots", body)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "max_decrement": ["The maximum decrement cannot be smaller than the minimum decrement."]
    }
    assert draft_tender.lots.count() == 1


def test_a_decrement_from_the_best_price_in_a_room_of_ranks_only_is_refused(api, draft_tender, buyer, clock):
    body = lot_body(clock.now(), decrement_base="best", visibility="rank")

    response = api(buyer).post(f"/notices/{draft_tender.pk}/lots", body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["visibility"]
    assert "shows the best price to every bidder" in response.json()["errors"]["visibility"][0]
    assert draft_tender.lots.count() == 1


@pytest.mark.parametrize("field", ["estimated_amount", "starting_price", "min_decrement"])
def test_negative_amounts_are_refused(api, draft_tender, buyer, clock, field):
    response = api(buyer).post(f"/notices/{draft_tender.pk}/lots", lot_body(clock.now(), **{field: "-10.00"}))

    assert response.status_code == 422  # read by the one amount parser (seei.core.amounts)
    assert response.json()["errors"][field] == ["The amount must be greater than zero."]
    assert draft_tender.lots.count() == 1


@pytest.mark.parametrize(
    "field, limit",
    [
        ("duration_minutes", 1440),
        ("extension_window_seconds", 3600),
        ("extension_seconds", 3600),
        ("extension_cap", 1000),
        ("min_bid_interval_seconds", 3600),
    ],
)
def test_timings_have_upper_bounds(api, draft_tender, buyer, clock, field, limit):
    as_buyer = api(buyer, language="fr")
    path = f"/notices/{draft_tender.pk}/lots"

    huge = as_buyer.post(path, lot_body(clock.now(), **{field: 2147483647}))
    over = as_buyer.post(path, lot_body(clock.now(), **{field: limit + 1}))
    at_limit = as_buyer.post(path, lot_body(clock.now(), **{field: limit}))

    assert (huge.status_code, over.status_code, at_limit.status_code) == (400, 400, 201)
    assert huge.json()["errors"] == {
        field: [f"Assurez-vous que cette valeur est inférieure ou égale à {limit}."]
    }
    assert draft_tender.lots.count() == 2
    schema = api().get("/openapi.json").json()["components"]["schemas"]["LotIn"]["properties"][field]
    assert limit in (schema.get("maximum"), *(option.get("maximum") for option in schema.get("anyOf", [])))


@pytest.mark.parametrize("field", ["opens_at", "application_deadline"])
def test_dates_far_ahead_are_refused(api, draft_tender, buyer, clock, field):
    far = "9999-12-31T23:00:00+00:00"
    if field == "opens_at":
        response = api(buyer).post(f"/notices/{draft_tender.pk}/lots", lot_body(clock.now(), opens_at=far))
    else:
        response = api(buyer).patch(f"/notices/{draft_tender.pk}", {"application_deadline": far})

    assert response.status_code == 400
    assert response.json()["errors"] == {field: ["This date is more than 2 years ahead; check the year."]}
    draft_tender.refresh_from_db()
    assert draft_tender.lots.count() == 1 and draft_tender.application_deadline.year < 9999


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("starting_price", "1" * 40, "The amount is too large. Check the number of digits."),
        ("max_decrement", "1" * 40, "The amount is too large. Check the number of digits."),
        ("estimated_amount", "1e30", "The amount is not a valid number."),
        ("starting_price", "1E2", "The amount is not a valid number."),
        ("min_decrement", "NaN", "The amount is not a valid number."),
        ("starting_price", 1e30, "The amount is not a valid number."),
    ],
)
def test_amounts_are_read_by_the_one_parser(api, draft_tender, buyer, clock, field, value, message):
    body = lot_body(clock.now(), **{"min_decrement_kind": "percent", "min_decrement": "1", field: value})

    response = api(buyer).post(f"/notices/{draft_tender.pk}/lots", body)

    assert response.status_code == 422
    assert response.json()["errors"][field][0].startswith(message)
    assert draft_tender.lots.count() == 1


def test_a_percent_decrement_cannot_exceed_100(api, draft_tender, buyer, clock):
    body = lot_body(clock.now(), max_decrement_kind="percent", max_decrement="150")

    response = api(buyer, language="ar").post(f"/notices/{draft_tender.pk}/lots", body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["max_decrement"]
    assert draft_tender.lots.count() == 1


def test_amounts_typed_as_people_type_them_are_stored_exactly(api, draft_tender, buyer, clock):
    body = lot_body(clock.now(), estimated_amount="1 250 000,50", starting_price=250000)

    response = api(buyer).post(f"/notices/{draft_tender.pk}/lots", body)

    assert response.status_code == 201
    lot = Lot.objects.get(pk=response.json()["id"])
    assert (lot.estimated_amount, lot.starting_price) == (Decimal("1250000.50"), Decimal("250000.00"))


def test_a_negative_quantity_is_refused(api, draft_tender, buyer, clock):
    body = lot_body(clock.now())
    body["items"][0]["quantity"] = "-3"

    response = api(buyer).post(f"/notices/{draft_tender.pk}/lots", body)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "items.0.quantity": ["Ensure this value is greater than or equal to 0.001."]
    }
    assert draft_tender.lots.count() == 1
    assert Item.objects.filter(lot__tender=draft_tender).count() == 1


def test_a_text_missing_in_the_original_language_is_refused(api, buyer, category, region, clock):
    response = api(buyer).post("/notices", notice_body(clock.now(), title={"en": "Only English"}))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "title": ["Give this text in the original language of the notice (French)."]
    }
    assert not Tender.objects.exists()


def test_an_unknown_category_is_refused(api, buyer, category, region, clock):
    response = api(buyer).post("/notices", notice_body(clock.now(), category="NOPE"))

    assert response.status_code == 400
    assert response.json()["errors"] == {"category": ["Unknown code “NOPE”."]}
    assert not Tender.objects.exists()


def test_a_body_of_the_wrong_shape_gets_422_with_the_fields(api, buyer, category, region, clock):
    body = notice_body(clock.now())
    del body["title"]

    response = api(buyer).post("/notices", body)

    assert response.status_code == 422
    assert response.json()["detail"] == "The request does not have the expected shape."
    assert "title" in response.json()["errors"]
    assert not Tender.objects.exists()


def test_a_duplicate_reference_is_refused(api, draft_tender, buyer, clock):
    response = api(buyer).post("/notices", notice_body(clock.now(), reference=draft_tender.reference))

    assert response.status_code == 400
    assert response.json()["errors"] == {"reference": ["A notice with this reference already exists."]}
    assert Tender.objects.count() == 1


def test_patch_changes_a_draft(api, draft_tender, buyer):
    response = api(buyer).patch(
        f"/notices/{draft_tender.pk}",
        {"delivery_place": "Salé", "title": {"fr": "Fauteuils roulants pliables"}},
    )

    assert response.status_code == 200, response.content
    draft_tender.refresh_from_db()
    assert draft_tender.delivery_place == "Salé"
    assert dict(draft_tender.title) == {"orig": "fr", "fr": "Fauteuils roulants pliables", "ar": "", "en": ""}
    assert draft_tender.reference == "AO-2026-001"  # untouched fields stay


def test_patch_refuses_a_published_notice(api, published_tender, buyer):
    response = api(buyer).patch(f"/notices/{published_tender.pk}", {"delivery_place": "Salé"})

    assert response.status_code == 400
    assert response.json()["detail"] == "A published notice can only be changed by an erratum."
    published_tender.refresh_from_db()
    assert published_tender.delivery_place == "Rabat, magasin central"


def test_replace_and_delete_a_lot(api, draft_tender, buyer, clock):
    lot = draft_tender.lots.get()
    as_buyer = api(buyer)

    replaced = as_buyer.put(
        f"/notices/{draft_tender.pk}/lots/{lot.pk}", lot_body(clock.now(), starting_price="590000")
    )
    assert replaced.status_code == 200, replaced.content
    lot.refresh_from_db()
    assert lot.starting_price == Decimal("590000")
    assert [item.designation["fr"] for item in lot.items.all()] == ["Lit médicalisé électrique"]

    deleted = as_buyer.delete(f"/notices/{draft_tender.pk}/lots/{lot.pk}")
    assert deleted.status_code == 204
    assert not Lot.objects.filter(pk=lot.pk).exists()
    assert as_buyer.delete(f"/notices/{draft_tender.pk}/lots/{lot.pk}").status_code == 404


def test_a_document_whose_content_does_not_match_is_refused(api, draft_tender, buyer):
    fake = SimpleUploadedFile("cahier.pdf", b"this is not a PDF at all")

    response = api(buyer).upload(f"/notices/{draft_tender.pk}/documents", file=fake)

    assert response.status_code == 400
    assert response.json()["detail"] == "The content of “cahier.pdf” is not a valid PDF file."
    assert not TenderDocument.objects.exists()


def test_a_document_title_longer_than_its_column_is_refused_as_the_page_refuses_it(api, draft_tender, buyer):
    response = api(buyer).upload(
        f"/notices/{draft_tender.pk}/documents",
        file=SimpleUploadedFile("cahier.pdf", PDF_BYTES),
        title="T" * 256,  # the column holds 255 (before: a 500)
    )

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "The request does not have the expected shape."
    assert list(body["errors"]) == ["title"]
    assert not TenderDocument.objects.exists()


# Clarifications ----------------------------------------------------------------------------------


def test_free_texts_have_a_length_limit(api, published_tender, buyer, company):
    path = f"/notices/{published_tender.pk}/clarifications"
    as_company = api(company, language="fr")

    megabyte = as_company.post(path, {"question": "Le coussin est-il fourni ? " * 40_000})
    over = as_company.post(path, {"question": "q" * 4001})
    asked = as_company.post(path, {"question": "q" * 4000})
    answer = api(buyer).post(f"/clarifications/{asked.json()['id']}/answer", {"answer": "a" * 20_001})

    assert (megabyte.status_code, over.status_code, asked.status_code) == (422, 400, 201)
    assert megabyte.json()["errors"]["question"][0].startswith(
        "Assurez-vous que cette valeur comporte au plus"
    )
    assert over.json()["errors"] == {
        "question": ["Assurez-vous que cette valeur comporte au plus 4000 caractères (actuellement 4001)."]
    }
    assert answer.status_code == 422 and list(answer.json()["errors"]) == ["answer"]
    assert Clarification.objects.get().answer == ""


def test_a_question_and_its_answer_are_published_without_the_askers_identity(
    api, published_tender, buyer, company
):
    asked = api(company).post(
        f"/notices/{published_tender.pk}/clarifications",
        {"question": "Nous, Atlas Médical, demandons : le coussin est-il fourni ?"},
    )
    assert asked.status_code == 201, asked.content
    clarification_id = asked.json()["id"]
    assert (
        api().get(f"/notices/{published_tender.pk}").json()["clarifications"] == []
    )  # not before the answer

    as_buyer = api(buyer)
    questions = as_buyer.get(f"/notices/{published_tender.pk}/clarifications")
    assert questions.status_code == 200
    [question] = questions.json()
    assert question["question"] == "Nous, Atlas Médical, demandons : le coussin est-il fourni ?"
    # The buyer reads the question, never who asked it.
    assert set(question) == {"id", "question", "published_question", "answer", "asked_at", "answered_at"}
    assert "atlas-medical" not in questions.content.decode()

    # The buyer publishes the question reworded so that nothing identifies the company.
    answered = as_buyer.post(
        f"/clarifications/{clarification_id}/answer",
        {
            "answer": "Oui, un coussin anti-escarres est fourni.",
            "published_question": "Le coussin est-il fourni ?",
        },
    )
    assert answered.status_code == 200, answered.content

    public = api().get(f"/notices/{published_tender.pk}")
    assert public.json()["clarifications"] == [
        {
            "id": clarification_id,
            "question": "Le coussin est-il fourni ?",
            "answer": "Oui, un coussin anti-escarres est fourni.",
            "answered_at": public.json()["clarifications"][0]["answered_at"],
        }
    ]
    raw = public.content.decode()
    for identity in ("Atlas", "atlas-medical", "contact@", "Owner", company.user.email):
        assert identity not in raw


def test_answering_twice_is_refused(api, published_tender, buyer, company):
    clarification = services.ask_clarification(company, published_tender, "Quel est le délai de garantie ?")
    services.answer_clarification(buyer, clarification, "Deux ans.")

    response = api(buyer).post(f"/clarifications/{clarification.pk}/answer", {"answer": "Trois ans."})

    assert response.status_code == 400
    assert response.json()["detail"] == "This question has already been answered."
    assert Clarification.objects.get(pk=clarification.pk).answer == "Deux ans."


def test_a_too_short_question_is_refused(api, published_tender, company):
    response = api(company).post(f"/notices/{published_tender.pk}/clarifications", {"question": "Prix ?"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"question": ["Please write your question in a few words at least."]}
    assert not Clarification.objects.exists()


# Errata ------------------------------------------------------------------------------------------


def test_an_erratum_moves_the_deadline(api, published_tender, buyer, clock):
    clock.advance(timedelta(days=5))  # 6 days left: a substantive change needs 10
    lot = published_tender.lots.get()
    deadline_before = published_tender.application_deadline
    now = clock.now()

    response = api(buyer).post(
        f"/notices/{published_tender.pk}/errata",
        {
            "reason": "Prix de départ révisé",
            "lots": {str(lot.pk): {"starting_price": "580000.00", "estimated_amount": "580000.00"}},
        },
    )

    assert response.status_code == 201, response.content
    erratum = response.json()
    assert erratum["number"] == 1
    assert erratum["substantive"] is True
    assert {c["field"] for c in erratum["changes"]} >= {"lot1.starting_price", "application_deadline"}
    published_tender.refresh_from_db()
    moved_by = published_tender.application_deadline - now
    assert timedelta(days=10) <= moved_by < timedelta(days=10, minutes=1)
    assert published_tender.application_deadline > deadline_before
    lot.refresh_from_db()
    assert lot.starting_price == Decimal("580000.00")

    public = api().get(f"/notices/{published_tender.pk}").json()
    [shown] = public["errata"]
    assert shown["reason"] == "Prix de départ révisé"
    assert shown["deadline_before"] != shown["deadline_after"]
    assert public["version"] == 2


def test_an_erratum_with_a_new_deadline(api, published_tender, buyer, clock):
    new_deadline = published_tender.application_deadline + timedelta(days=7)

    response = api(buyer).post(
        f"/notices/{published_tender.pk}/errata",
        {
            "reason": "Délai prolongé",
            "notice": {"application_deadline": new_deadline.isoformat()},
        },
    )

    assert response.status_code == 201, response.content
    published_tender.refresh_from_db()
    assert published_tender.application_deadline == new_deadline
    assert Erratum.objects.get(tender=published_tender).deadline_after == new_deadline


def test_an_erratum_on_a_lot_of_another_notice_is_refused(api, published_tender, buyer, clock):
    response = api(buyer).post(
        f"/notices/{published_tender.pk}/errata",
        {
            "reason": "Erreur",
            "lots": {"999999": {"starting_price": "1.00"}},
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"lots": ["Lot 999999 is not a lot of this notice."]}
    assert not Erratum.objects.exists()


def test_an_erratum_that_changes_nothing_is_refused(api, published_tender, buyer):
    response = api(buyer).post(f"/notices/{published_tender.pk}/errata", {"reason": "Rien"})

    assert response.status_code == 400
    assert response.json()["detail"] == "The erratum changes nothing."
    assert not Erratum.objects.exists()


# Language of the messages ----------------------------------------------------------------------


def test_messages_follow_accept_language(api, published_tender, buyer):
    # Only English source strings exist so far: assert the English message for an English request.
    response = api(buyer, language="en").patch(f"/notices/{published_tender.pk}", {"delivery_place": "Salé"})

    assert response.json()["detail"] == "A published notice can only be changed by an erratum."
    assert response["Content-Language"] == "en"
