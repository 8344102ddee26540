"""During the examination, the commission asks a candidate for a missing document by a deadline:
the company is told (in-app and by email), uploads it sealed through its application, the commission
sees it; after the deadline the upload is refused."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from seei.alerts.models import Notification
from seei.applications import selectors, services, session
from seei.applications.models import ApplicationDocument, DocumentRequest, Receipt
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from tests.applications.conftest import SECRET, application_of, pdf_bytes, pdf_upload, vote_all
from tests.conftest import Client

pytestmark = pytest.mark.urls("tests.applications.urls")


def messages(error) -> str:
    return " ".join(error.value.messages)


@pytest.fixture
def requested(opened, tender, member, company, clock, django_capture_on_commit_callbacks):
    application = application_of(company, tender)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = session.request_document(
            member, application, "Attestation CNSS à jour", clock.now() + timedelta(days=3)
        )
    return request


def test_the_company_is_told_by_email_and_in_the_application(requested, company):
    note = Notification.objects.get(user=company.user, subject__startswith="A document is requested")
    assert "Attestation CNSS à jour" in note.body
    assert note.url == reverse("applications:apply", args=[requested.application.tender_id])
    assert any(m.to == [company.user.email] and "Attestation CNSS" in m.body for m in mail.outbox)
    assert AuditEvent.objects.filter(action="application.document_requested").exists()


def test_the_company_uploads_it_sealed_and_the_commission_sees_it(
    requested, company, member, president, tender
):
    receipt = session.supply_document(company, requested, pdf_upload("cnss.pdf"))
    assert receipt.action == Receipt.Action.COMPLETED
    document = ApplicationDocument.objects.get(request=requested)
    assert document.kind == "requested" and bytes(document.name_sealed).find(b"cnss") == -1
    requested.refresh_from_db()
    assert requested.supplied_at is not None
    assert any(d["id"] == document.pk for d in receipt.content["documents"])
    # The commission: listed with the application, and opened decrypted.
    entries = selectors.examination_applications(president, tender)
    entry = next(e for e in entries if e.application.company == company.organisation)
    assert document.pk in [d.pk for d in entry.documents]
    client = Client()
    client.force_login(president.user)
    page = client.get(reverse("applications:examination", args=[tender.pk])).content.decode()
    assert "cnss.pdf" in page and "Attestation CNSS à jour" in page
    response = client.get(reverse("applications:sealed_document", args=[tender.pk, document.pk]))
    assert response.status_code == 200 and response.content == pdf_bytes()
    assert SECRET not in (bytes(document.name_sealed))
    assert Notification.objects.filter(
        user=member.user, subject__startswith="The requested document"
    ).exists()


def test_after_the_deadline_the_upload_is_refused(requested, company, clock):
    clock.advance(timedelta(days=3, seconds=1))
    with pytest.raises(TenderError) as error:
        session.supply_document(company, requested, pdf_upload("cnss.pdf"))
    assert "The deadline for this document passed on" in messages(error)
    assert not ApplicationDocument.objects.filter(request=requested).exists()
    client = Client()
    client.force_login(company.user)
    url = reverse("applications:supply", args=[requested.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="request-closed"' in page
    response = client.post(url, {"file": pdf_upload("cnss.pdf")})
    assert response.status_code == 400 and "can no longer be uploaded" in response.content.decode()


def test_the_refusal_is_translated(requested, company, clock):
    from django.utils import translation

    clock.advance(timedelta(days=4))
    with translation.override("fr"), pytest.raises(TenderError) as error:
        session.supply_document(company, requested, pdf_upload("cnss.pdf"))
    assert "il ne peut plus être déposé" in messages(error)


def test_another_company_cannot_see_or_answer_the_request(requested, other_company):
    client = Client()
    client.force_login(other_company.user)
    assert client.get(reverse("applications:supply", args=[requested.pk])).status_code == 404
    with pytest.raises(TenderError) as error:
        session.supply_document(other_company, requested, pdf_upload("cnss.pdf"))
    assert "Only a member of the candidate company" in messages(error)


def test_a_request_needs_a_future_deadline_and_a_description(opened, tender, member, company, clock):
    application = application_of(company, tender)
    with pytest.raises(TenderError) as error:
        session.request_document(member, application, " ", clock.now() - timedelta(minutes=1))
    assert "Say which document is missing." in messages(error) and "in the future" in messages(error)
    assert not DocumentRequest.objects.exists()


def test_the_session_waits_for_an_awaited_document(requested, tender, president, companies, clock):
    for membership in companies:
        vote_all(application_of(membership, tender), [(tender.lots.get(), "admitted", "")])
    with pytest.raises(TenderError) as error:
        services.close_examination(president, tender)
    assert "is awaited until" in messages(error)
    clock.advance(timedelta(days=3, seconds=1))
    services.close_examination(president, tender)
