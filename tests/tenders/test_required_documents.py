"""The application and award documents a notice requires, chosen in its draft."""

import pytest
from django.urls import reverse

from seei.applications.models import ApplicationDocument
from seei.applications.services import _require_both_kinds
from seei.awards import documents as award_kinds
from seei.tenders import requirements, services
from seei.tenders.errors import TenderError
from tests.tenders.buyer_helpers import audited, form_values


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


def test_the_draft_form_chooses_the_documents(as_buyer, draft_tender):
    url = reverse("tenders:edit", args=[draft_tender.pk])
    data = form_values(as_buyer.get(url).content.decode())
    data |= {"application_documents": ["administrative"], "award_documents": ["tax_certificate"]}
    response = as_buyer.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    draft_tender.refresh_from_db()
    assert draft_tender.application_documents == ["administrative"]
    assert requirements.award_documents(draft_tender) == ["tax_certificate"]
    assert audited("tender.required_documents", draft_tender.pk)


def test_an_unknown_document_is_refused(as_buyer, buyer, draft_tender):
    url = reverse("tenders:edit", args=[draft_tender.pk])
    data = form_values(as_buyer.get(url).content.decode()) | {"award_documents": ["passport"]}
    response = as_buyer.post(url, data)
    assert response.status_code == 200
    with pytest.raises(TenderError):
        services.update_draft(buyer, draft_tender, {"award_documents": ["passport"]})
    draft_tender.refresh_from_db()
    assert draft_tender.award_documents == []


def test_none_chosen_means_all(draft_tender):
    assert requirements.award_documents(draft_tender) == award_kinds.required()
    assert set(requirements.application_documents(draft_tender)) == set(ApplicationDocument.Kind.values)


def test_the_application_asks_only_what_the_notice_requires(draft_tender):
    draft_tender.application_documents = ["administrative"]
    errors = {}
    _require_both_kinds({"administrative"}, errors, draft_tender)
    assert errors == {}
    draft_tender.application_documents = []
    _require_both_kinds({"administrative"}, errors, draft_tender)
    assert list(errors) == ["technical"]


def test_another_organisation_cannot_choose(client, other_buyer, buyer, draft_tender):
    client.force_login(other_buyer.user)
    url = reverse("tenders:edit", args=[draft_tender.pk])
    assert client.post(url, {"award_documents": ["tax_certificate"]}).status_code == 403
    with pytest.raises(TenderError):
        services.update_draft(other_buyer, draft_tender, {"award_documents": ["tax_certificate"]})
    draft_tender.refresh_from_db()
    assert draft_tender.award_documents == []
