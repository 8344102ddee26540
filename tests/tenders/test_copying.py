"""A notice copied as a template, and an unsuccessful lot relaunched as a new notice."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from seei.core import clock as seei_clock
from seei.tenders import copying, services
from seei.tenders.errors import TenderError
from seei.tenders.models import Lot, Tender
from tests.conftest import item_values, lot_values
from tests.tenders.buyer_helpers import audited

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


@pytest.fixture
def two_lots(buyer, draft_tender, clock):
    services.save_lot(
        buyer, draft_tender, lot_values(clock.now(), 2), [item_values(), item_values(unit="boîte")]
    )
    services.add_document(buyer, draft_tender, SimpleUploadedFile("cps.pdf", PDF, "application/pdf"), "CPS")
    Tender.objects.filter(pk=draft_tender.pk).update(award_documents=["tax_certificate"])
    return services.publish(buyer, draft_tender)


def test_a_notice_is_copied_as_a_new_valid_draft(as_buyer, buyer, two_lots, clock):
    clock.advance(timedelta(days=40))  # the source's dates are all past
    url = reverse("tenders:copy", args=[two_lots.pk])
    page = as_buyer.get(url)
    assert "AO-2026-001-2" in page.content.decode()  # a free reference suggested
    response = as_buyer.post(url, {"reference": "AO-2027-010"})
    assert response.status_code == 302
    copy = Tender.objects.get(reference="AO-2027-010")
    assert copy.status == Tender.Status.DRAFT and copy.copied_from == two_lots
    assert copy.title == two_lots.title and copy.award_documents == ["tax_certificate"]
    assert [lot.number for lot in copy.lots.all()] == [1, 2]
    assert [lot.items.count() for lot in copy.lots.all()] == [1, 2]
    assert [d.sha256 for d in copy.documents.all()] == [d.sha256 for d in two_lots.documents.all()]
    assert copy.application_deadline > seei_clock.now()
    services.publish(buyer, copy)  # the shifted dates are a valid schedule
    assert audited("tender.copied", copy.pk)


def test_a_taken_reference_is_refused(as_buyer, two_lots):
    response = as_buyer.post(reverse("tenders:copy", args=[two_lots.pk]), {"reference": two_lots.reference})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Tender.objects.count() == 1


def test_another_organisation_cannot_copy(client, other_buyer, company, two_lots):
    for membership in (other_buyer, company):
        client.force_login(membership.user)
        assert (
            client.post(reverse("tenders:copy", args=[two_lots.pk]), {"reference": "X-1"}).status_code == 403
        )
    with pytest.raises(TenderError):
        copying.copy_tender(other_buyer, two_lots, "X-2")
    assert Tender.objects.count() == 1


def test_an_unsuccessful_lot_is_relaunched(as_buyer, buyer, two_lots):
    lot = two_lots.lots.get(number=2)
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.UNSUCCESSFUL)
    manage = as_buyer.get(reverse("tenders:manage", args=[two_lots.pk])).content.decode()
    assert reverse("tenders:relaunch", args=[two_lots.pk, lot.pk]) in manage
    response = as_buyer.post(
        reverse("tenders:relaunch", args=[two_lots.pk, lot.pk]), {"reference": "AO-2026-001-R"}
    )
    assert response.status_code == 302
    relaunch = Tender.objects.get(reference="AO-2026-001-R")
    assert relaunch.relaunch_of_id == lot.pk and relaunch.copied_from == two_lots
    assert [(new.number, new.title, new.items.count()) for new in relaunch.lots.all()] == [(1, lot.title, 2)]
    assert relaunch.documents.count() == 1
    assert audited("tender.relaunched", relaunch.pk)
    with pytest.raises(TenderError, match="already relaunched"):
        copying.relaunch_lot(buyer, lot, "AO-2026-001-S")


def test_only_an_unsuccessful_lot_is_relaunched(as_buyer, buyer, two_lots):
    lot = two_lots.lots.first()
    response = as_buyer.post(reverse("tenders:relaunch", args=[two_lots.pk, lot.pk]), {"reference": "R-1"})
    assert "Only an unsuccessful lot can be relaunched." in response.content.decode()
    assert Tender.objects.count() == 1


def test_another_organisation_cannot_relaunch(client, other_buyer, two_lots):
    lot = two_lots.lots.first()
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.UNSUCCESSFUL)
    client.force_login(other_buyer.user)
    url = reverse("tenders:relaunch", args=[two_lots.pk, lot.pk])
    assert client.post(url, {"reference": "R-1"}).status_code == 403
    with pytest.raises(TenderError):
        copying.relaunch_lot(other_buyer, lot, "R-2")
    assert Tender.objects.count() == 1
