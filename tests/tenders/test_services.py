from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from seei.alerts.models import Notification
from seei.api.schemas import LotIn
from seei.auctions import rules
from seei.core.translated import make
from seei.core.uploads import validate_document
from seei.tenders import services
from seei.tenders.errors import TenderError
from seei.tenders.models import Interest, Lot, Tender, TenderDocument
from tests.alerts.conftest import run_alert_jobs
from tests.conftest import item_values, lot_values

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_publication_needs_ten_days_of_publicity(draft_tender, buyer, clock):
    draft_tender.application_deadline = clock.now() + timedelta(days=9, hours=23)
    draft_tender.save()
    with pytest.raises(TenderError, match="at least 10 days of publicity"):
        services.publish(buyer, draft_tender)
    draft_tender.refresh_from_db()
    assert draft_tender.status == Tender.Status.DRAFT and draft_tender.published_at is None


def test_room_must_open_two_days_after_the_deadline(draft_tender, buyer, clock):
    lot = draft_tender.lots.get()
    lot.opens_at = draft_tender.application_deadline + timedelta(days=1)
    lot.save()
    with pytest.raises(TenderError, match="at least 2 days after the application deadline"):
        services.publish(buyer, draft_tender)
    assert Tender.objects.get(pk=draft_tender.pk).status == Tender.Status.DRAFT


def test_a_notice_without_lots_cannot_be_published(buyer, draft_tender):
    draft_tender.lots.all().delete()
    with pytest.raises(TenderError, match="at least one lot"):
        services.publish(buyer, draft_tender)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"max_decrement_kind": "amount", "max_decrement": Decimal("500")}, "max_decrement"),
        ({"estimated_amount": Decimal("-1")}, "estimated_amount"),
        ({"starting_price": Decimal("-10")}, "starting_price"),
        ({"min_decrement": Decimal("0")}, "min_decrement"),
        ({"min_decrement": Decimal("700000")}, "min_decrement"),
        # A decrement from the best price would show the best price in a room of ranks only.
        ({"decrement_base": "best", "visibility": "rank"}, "visibility"),
    ],
)
def test_bad_lot_parameters_are_refused_and_nothing_is_saved(draft_tender, buyer, clock, overrides, field):
    before = Lot.objects.count()
    with pytest.raises(TenderError) as error:
        services.save_lot(
            buyer, draft_tender, lot_values(clock.now(), number=2, **overrides), [item_values()]
        )
    assert field in error.value.error_dict
    assert Lot.objects.count() == before


def test_a_buyer_of_another_organisation_cannot_change_a_notice(draft_tender, other_buyer, clock):
    with pytest.raises(TenderError, match="another organisation"):
        services.update_draft(other_buyer, draft_tender, {"delivery_place": "Fès"})
    with pytest.raises(TenderError, match="another organisation"):
        services.publish(other_buyer, draft_tender)
    draft_tender.refresh_from_db()
    assert draft_tender.delivery_place == "Rabat, magasin central" and draft_tender.status == "draft"


def test_a_company_cannot_create_a_notice(company, category, region, clock):
    with pytest.raises(TenderError, match="Only a buyer agent"):
        services.create_tender(company, {"reference": "X-1"})
    assert not Tender.objects.exists()


def test_a_published_notice_changes_only_by_erratum(published_tender, buyer):
    with pytest.raises(TenderError, match="erratum"):
        services.update_draft(buyer, published_tender, {"delivery_place": "Fès"})


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "not a valid PDF"),
        ("notes.exe", b"MZ\x90\x00" + b"\x00" * 200, "not accepted"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_disguised_or_wrong_type_uploads_are_refused(draft_tender, buyer, name, content, message):
    with pytest.raises(ValidationError, match=message):
        services.add_document(buyer, draft_tender, SimpleUploadedFile(name, content), "Document")
    assert not TenderDocument.objects.exists()


def test_oversized_upload_is_refused(draft_tender, buyer, settings):
    settings.SEEI_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="too large"):
        validate_document(big)
    with pytest.raises(ValidationError):
        services.add_document(buyer, draft_tender, big, "Big")
    assert not TenderDocument.objects.exists()


def test_a_real_pdf_is_stored_with_its_hash(draft_tender, buyer):
    document = services.add_document(buyer, draft_tender, SimpleUploadedFile("cps.pdf", PDF), "CPS")
    import hashlib

    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.file.read() == PDF


def test_substantive_erratum_moves_the_deadline_and_notifies_interested_companies(
    published_tender, buyer, company, clock, django_capture_on_commit_callbacks
):
    services.record_interest(published_tender, company.organisation, Interest.Kind.DOWNLOAD)
    clock.advance(timedelta(days=5))
    deadline = published_tender.application_deadline
    moment = clock.now()
    with django_capture_on_commit_callbacks(execute=True):
        erratum = services.publish_erratum(
            buyer,
            published_tender,
            "Quantity corrected",
            tender_values={
                "object": {**published_tender.object, "fr": "Fourniture de 600 fauteuils roulants"}
            },
        )
    published_tender.refresh_from_db()
    assert erratum.substantive and erratum.number == 1 and published_tender.version == 2
    assert published_tender.application_deadline >= moment + timedelta(days=10) > deadline
    assert (
        erratum.deadline_before == deadline
        and erratum.deadline_after == published_tender.application_deadline
    )
    assert erratum.previous_version["object"]["fr"].startswith("Fourniture de fauteuils")
    lot = published_tender.lots.get()
    assert lot.opens_at >= published_tender.application_deadline + timedelta(days=2)
    run_alert_jobs()  # the worker's part
    assert Notification.objects.filter(user=company.user, subject__contains="Erratum 1").exists()
    assert any(company.user.email in m.to for m in mail.outbox)


def test_title_only_erratum_keeps_the_deadline(published_tender, buyer, clock):
    clock.advance(timedelta(days=5))
    deadline = published_tender.application_deadline
    erratum = services.publish_erratum(
        buyer,
        published_tender,
        "Typo",
        tender_values={"title": {**published_tender.title, "fr": "Fauteuils roulants"}},
    )
    assert not erratum.substantive
    published_tender.refresh_from_db()
    assert published_tender.application_deadline == deadline


def test_an_empty_erratum_is_refused(published_tender, buyer):
    with pytest.raises(TenderError, match="changes nothing"):
        services.publish_erratum(buyer, published_tender, "Nothing", tender_values={})
    assert not published_tender.errata.exists()


def test_an_erratum_is_checked_like_a_draft(published_tender, buyer):
    lot = published_tender.lots.get()
    item = lot.items.get()
    with pytest.raises(TenderError) as refused:
        services.publish_erratum(
            buyer,
            published_tender,
            "Corrections",
            lot_values={lot: {"title": make("fr", en="English only")}},
            item_values={item: {"quantity": Decimal("-1")}},
        )
    assert refused.value.message_dict == {
        f"lots.{lot.pk}.title": ["Give this text in the original language of the notice (French)."]
    }
    with pytest.raises(TenderError) as refused:
        services.publish_erratum(
            buyer, published_tender, "Corrections", item_values={item: {"quantity": Decimal("-1")}}
        )
    assert refused.value.message_dict == {
        f"items.{item.pk}.quantity": ["Ensure this value is greater than or equal to 0.001."]
    }
    assert not published_tender.errata.exists()
    item.refresh_from_db()
    assert item.quantity == Decimal("500")


def test_an_erratum_cannot_hide_the_best_price_of_a_lot_whose_decrement_is_measured_from_it(
    published_tender, buyer
):
    lot = published_tender.lots.get()
    lot.decrement_base = Lot.DecrementBase.BEST
    lot.save(update_fields=["decrement_base"])
    with pytest.raises(TenderError) as refused:
        services.publish_erratum(
            buyer, published_tender, "Ranks only", lot_values={lot: {"visibility": Lot.Visibility.RANK}}
        )
    assert "visibility that shows the best price" in str(refused.value)
    assert not published_tender.errata.exists()
    lot.refresh_from_db()
    assert lot.visibility == Lot.Visibility.BEST


def test_an_item_specification_must_be_in_the_original_language(draft_tender, buyer, clock):
    lot = draft_tender.lots.get()
    before = list(lot.items.values_list("pk", "specification"))
    bad_item = item_values(specification=make("fr", en="Steel frame"))
    with pytest.raises(TenderError) as refused:
        services.save_lot(buyer, draft_tender, lot_values(clock.now()), [bad_item], lot=lot)
    assert refused.value.message_dict == {
        "items.0.specification": ["Give this text in the original language of the notice (French)."]
    }
    assert list(lot.items.values_list("pk", "specification")) == before


def test_clarification_answer_is_published_and_notifies(published_tender, buyer, company, other_company):
    services.record_interest(published_tender, other_company.organisation, Interest.Kind.DOWNLOAD)
    question = services.ask_clarification(company, published_tender, "Quelle est la garantie exigée ?")
    assert Notification.objects.filter(user=buyer.user).exists()
    services.answer_clarification(buyer, question, "Deux ans.", "Quelle garantie est exigée ?")
    question.refresh_from_db()
    assert question.is_answered and question.published_question == "Quelle garantie est exigée ?"
    run_alert_jobs()  # the worker's part
    assert Notification.objects.filter(user=other_company.user, subject__contains="answered").exists()
    with pytest.raises(TenderError, match="already been answered"):
        services.answer_clarification(buyer, question, "Trois ans.")


def test_the_api_documents_the_bounds_of_a_lots_timings_that_the_model_checks():
    timings = LotIn.model_json_schema()["properties"]
    minute, second = timedelta(minutes=1), timedelta(seconds=1)
    assert (timings["duration_minutes"]["minimum"], timings["duration_minutes"]["maximum"]) == (
        1,
        rules.MAX_DURATION // minute,
    )
    for name in ("extension_window_seconds", "extension_seconds"):
        assert timings[name]["maximum"] == rules.MAX_EXTENSION // second
    assert timings["min_bid_interval_seconds"]["maximum"] == rules.MAX_BID_INTERVAL // second
    assert timings["extension_cap"]["anyOf"][0]["maximum"] == rules.MAX_EXTENSION_CAP
