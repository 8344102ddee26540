"""Deleting a draft and removing a draft's document."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from seei.tenders import drafts, services
from seei.tenders.errors import TenderError
from seei.tenders.models import Tender, TenderDocument
from tests.tenders.buyer_helpers import audited

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


def _document(buyer, tender):
    return services.add_document(buyer, tender, SimpleUploadedFile("cps.pdf", PDF, "application/pdf"), "CPS")


def test_a_draft_is_deleted_after_confirmation(as_buyer, draft_tender):
    url = reverse("tenders:delete", args=[draft_tender.pk])
    page = as_buyer.get(url)
    assert page.status_code == 200 and b"Delete the draft for good" in page.content
    assert Tender.objects.filter(pk=draft_tender.pk).exists()  # the page alone deletes nothing
    response = as_buyer.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("tenders:list")
    assert not Tender.objects.filter(pk=draft_tender.pk).exists()
    assert audited("tender.deleted", draft_tender.pk)


def test_a_published_notice_is_not_deleted(as_buyer, published_tender):
    response = as_buyer.post(reverse("tenders:delete", args=[published_tender.pk]), follow=True)
    assert "Only a draft can be deleted" in response.content.decode()
    assert Tender.objects.filter(pk=published_tender.pk).exists()
    assert not audited("tender.deleted", published_tender.pk)


def test_another_organisation_and_other_roles_cannot_delete(client, draft_tender, other_buyer, company):
    for membership in (other_buyer, company):
        client.force_login(membership.user)
        assert client.post(reverse("tenders:delete", args=[draft_tender.pk])).status_code == 403
    with pytest.raises(TenderError):
        drafts.delete_draft(other_buyer, draft_tender)
    assert Tender.objects.filter(pk=draft_tender.pk).exists()


def test_a_practice_notice_is_left_to_the_practice_pages(buyer, draft_tender):
    Tender.objects.filter(pk=draft_tender.pk).update(practice=True)
    draft_tender.refresh_from_db()
    with pytest.raises(TenderError, match="practice"):
        drafts.delete_draft(buyer, draft_tender)


def test_a_drafts_document_is_removed(as_buyer, buyer, draft_tender):
    document = _document(buyer, draft_tender)
    response = as_buyer.post(reverse("tenders:document_remove", args=[draft_tender.pk, document.pk]))
    assert response.status_code == 302
    assert not TenderDocument.objects.filter(pk=document.pk).exists()
    assert audited("tender.document_removed", draft_tender.pk)


def test_a_published_notices_document_needs_an_erratum(as_buyer, buyer, draft_tender):
    document = _document(buyer, draft_tender)
    services.publish(buyer, draft_tender)
    response = as_buyer.post(
        reverse("tenders:document_remove", args=[draft_tender.pk, document.pk]), follow=True
    )
    assert "only be withdrawn by an erratum" in response.content.decode()
    assert TenderDocument.objects.filter(pk=document.pk).exists()


def test_another_organisation_cannot_remove_a_document(client, buyer, other_buyer, draft_tender):
    document = _document(buyer, draft_tender)
    client.force_login(other_buyer.user)
    url = reverse("tenders:document_remove", args=[draft_tender.pk, document.pk])
    assert client.post(url).status_code == 403
    assert TenderDocument.objects.filter(pk=document.pk).exists()
