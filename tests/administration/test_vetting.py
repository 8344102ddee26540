"""Vetting of self-registered companies: approve (the people told in their language), reject with a
reason, and a duplicate ICE said before approving."""

from django.core import mail
from django.urls import reverse

from seei.administration import vetting
from seei.administration.models import RegistrationReview
from seei.core.models import AuditEvent
from tests.administration.conftest import pending_company


def test_the_queue_shows_pending_companies_with_their_check(admin_client, company):
    waiting = pending_company()
    html = admin_client.get(reverse("administration:registrations")).content.decode()
    assert waiting.name in html and "15 digits" in html and "no checked company has it" in html
    assert company.organisation.name not in html  # already checked


def test_approve_emails_the_members_in_their_language(
    admin_client, administrator, django_capture_on_commit_callbacks
):
    waiting = pending_company(language="ar")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("administration:approve", args=[waiting.pk]))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.pending is False
    assert AuditEvent.objects.filter(action="company.approved", object_id=str(waiting.pk)).exists()
    review = RegistrationReview.objects.get(organisation=waiting)
    assert (review.decision, review.decided_by) == ("approved", administrator.user)
    [email] = mail.outbox
    assert email.to == ["youssef@rif.ma"]
    assert "Rif Fournitures SARL" in email.subject
    assert "/ar/accounts/login/" in email.body
    assert email.subject == "Rif Fournitures SARL: تم قبول تسجيلكم"  # in Arabic, the member's language
    assert waiting not in vetting.pending_companies()


def test_reject_needs_a_reason_then_tells_the_company(admin_client, django_capture_on_commit_callbacks):
    waiting = pending_company(language="fr")
    url = reverse("administration:reject", args=[waiting.pk])
    response = admin_client.post(url, {"reason": "  "}, follow=True)
    assert "Say why the registration is rejected" in response.content.decode()
    assert not RegistrationReview.objects.exists() and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"reason": "Le RC ne correspond pas à l'ICE."})
    waiting.refresh_from_db()
    assert waiting.pending is True  # it still cannot apply
    assert waiting not in vetting.pending_companies() and waiting in vetting.rejected_companies()
    event = AuditEvent.objects.get(action="company.rejected")
    assert event.data["reason"] == "Le RC ne correspond pas à l'ICE."
    [email] = mail.outbox
    assert "Le RC ne correspond pas à l'ICE." in email.body
    assert "rejetée" in email.subject  # in French, the member's language


def test_a_duplicate_ice_is_said_before_approving(admin_client, company):
    squatter = pending_company(name="Faux Atlas SARL", ice=company.organisation.ice)
    html = admin_client.get(reverse("administration:registrations")).content.decode()
    assert "Already the ICE of the checked company Atlas Médical SARL" in html
    response = admin_client.post(reverse("administration:approve", args=[squatter.pk]), follow=True)
    assert "cannot be approved: the ICE 001234567000089 already belongs to the checked company" in (
        response.content.decode()
    )
    squatter.refresh_from_db()
    assert squatter.pending is True
    assert not mail.outbox
    assert not AuditEvent.objects.filter(action="company.approved").exists()


def test_an_approved_company_is_not_approved_again(admin_client, company):
    response = admin_client.post(
        reverse("administration:approve", args=[company.organisation_id]), follow=True
    )
    assert "is not waiting for a check" in response.content.decode()
    assert not RegistrationReview.objects.exists()


def test_a_reason_too_long_is_refused(admin_client):
    waiting = pending_company()
    response = admin_client.post(
        reverse("administration:reject", args=[waiting.pk]), {"reason": "x" * 2001}, follow=True
    )
    assert "The reason is too long" in response.content.decode()
    assert not RegistrationReview.objects.exists() and not mail.outbox
