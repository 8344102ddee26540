"""The pages of phase 1: the company applies, changes, withdraws; the buyer names the commission;
the commission opens, decides and closes; everyone sees what they may."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime

from seei.applications import services
from seei.applications.models import (
    Application,
    ApplicationDocument,
    Decision,
    Examination,
    Invitation,
    Receipt,
)
from tests.applications.conftest import (
    application_of,
    apply,
    exe_upload,
    past_deadline,
    pdf_upload,
    vote_all,
)
from tests.conftest import Client

pytestmark = pytest.mark.urls("tests.applications.urls")


def logged_in(membership):
    client = Client()
    client.force_login(membership.user)
    return client


def application_post(notice, **overrides):
    data = {
        "lots": [lot.pk for lot in notice.lots.all()],
        "administrative": [pdf_upload("statuts.pdf")],
        "technical": [pdf_upload("fiche-technique.pdf")],
        "declaration": "on",
    }
    data.update(overrides)
    return data


def page(response) -> str:
    return response.content.decode()


# The company -----------------------------------------------------------------------------------------


def test_company_applies_through_the_form_and_gets_its_receipt(tender, company):
    client = logged_in(company)
    form = client.get(reverse("applications:apply", args=[tender.pk]))
    assert form.status_code == 200 and 'data-testid="application-form"' in page(form)
    response = client.post(reverse("applications:apply", args=[tender.pk]), application_post(tender))
    receipt = Receipt.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "applications:receipt", args=[receipt.pk]
    )
    shown = client.get(response["Location"])
    assert (
        receipt.sha256 in page(shown)
        and "statuts.pdf" in page(shown)
        and "fiche-technique.pdf" in page(shown)
    )
    for document in receipt.content["documents"]:
        assert document["sha256"] in page(shown)
    pdf = client.get(reverse("applications:receipt_pdf", args=[receipt.pk]))
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    mine = client.get(reverse("applications:mine"))
    assert tender.reference in page(mine) and 'data-state="submitted"' in page(mine)


def test_company_changes_then_withdraws(tender, company):
    apply(company, tender)
    client = logged_in(company)
    technical = application_of(company, tender).documents.get(kind="technical")
    form = client.get(reverse("applications:apply", args=[tender.pk]))
    assert "fiche-technique.pdf" in page(form) and 'data-testid="withdraw"' in page(form)
    response = client.post(
        reverse("applications:apply", args=[tender.pk]),
        application_post(
            tender, administrative=[], technical=[pdf_upload("fiche-v2.pdf")], remove=[technical.pk]
        ),
    )
    assert response.status_code == 302
    assert Receipt.objects.latest("number").action == "changed"
    technical.refresh_from_db()
    assert technical.replaced_at is not None
    response = client.post(reverse("applications:withdraw", args=[tender.pk]))
    assert response.status_code == 302 and application_of(company, tender).status == "withdrawn"
    assert Receipt.objects.latest("number").action == "withdrawn"


def test_late_submission_shows_the_deadline_error_and_saves_nothing(tender, company, clock):
    client = logged_in(company)
    client.get(reverse("applications:apply", args=[tender.pk]))  # the page was opened in time...
    past_deadline(clock, tender, seconds=1)  # ...and sent one second too late
    response = client.post(reverse("applications:apply", args=[tender.pk]), application_post(tender))
    assert response.status_code == 400
    assert "The application deadline passed" in page(response)
    assert not Application.objects.exists() and not ApplicationDocument.objects.exists()


def test_disguised_and_oversized_files_show_errors_and_save_nothing(tender, company, settings):
    client = logged_in(company)
    response = client.post(
        reverse("applications:apply", args=[tender.pk]),
        application_post(tender, technical=[exe_upload("offre.pdf")]),
    )
    assert response.status_code == 400 and "is not a valid PDF file" in page(response)
    settings.SEEI_MAX_UPLOAD_MB = 1
    response = client.post(
        reverse("applications:apply", args=[tender.pk]),
        application_post(tender, administrative=[pdf_upload("gros.pdf", b"x" * 1_100_000)]),
    )
    assert response.status_code == 400 and "too large" in page(response)
    assert not Application.objects.exists() and not ApplicationDocument.objects.exists()


def test_lot_of_another_notice_is_refused_by_the_form(tender, other_tender, company):
    foreign = other_tender.lots.get()
    response = logged_in(company).post(
        reverse("applications:apply", args=[tender.pk]), application_post(tender, lots=[foreign.pk])
    )
    assert response.status_code == 400 and f"Lot {foreign.pk} is not a lot of this notice." in page(response)
    assert not Application.objects.exists()


def test_missing_declaration_is_explained(tender, company):
    response = logged_in(company).post(
        reverse("applications:apply", args=[tender.pk]), application_post(tender, declaration="")
    )
    assert response.status_code == 400 and "You must accept the declaration on honour." in page(response)
    assert not Application.objects.exists()


def test_other_roles_cannot_apply(tender, buyer, president):
    for membership in (buyer, president):
        response = logged_in(membership).get(reverse("applications:apply", args=[tender.pk]))
        assert response.status_code == 403
    response = Client().get(reverse("applications:apply", args=[tender.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# The buyer -------------------------------------------------------------------------------------------------


def test_buyer_names_the_commission_through_the_form(published_tender, buyer, president, member):
    client = logged_in(buyer)
    url = reverse("applications:commission", args=[published_tender.pk])
    form = client.get(url)
    assert form.status_code == 200 and president.user.email in page(form)
    response = client.post(url, {"members": [president.pk, member.pk], "president": president.pk})
    assert response.status_code == 302
    assert set(published_tender.commission.values_list("membership_id", flat=True)) == {
        president.pk,
        member.pk,
    }
    assert published_tender.commission.get(is_president=True).membership == president


def test_buyer_cannot_name_a_company_member(published_tender, buyer, company):
    response = logged_in(buyer).post(
        reverse("applications:commission", args=[published_tender.pk]), {"members": [company.pk]}
    )
    assert response.status_code == 400 and not published_tender.commission.exists()


# The commission ---------------------------------------------------------------------------------------------


def decide_post(notice, application, outcome, reason=""):
    prefix = f"a{application.pk}"
    data = {}
    for lot in application.lots.all():
        data[f"{prefix}-outcome_{lot.pk}"] = outcome
        data[f"{prefix}-reason_{lot.pk}"] = reason
    return data


def test_commission_examines_through_the_pages(applied, tender, president, member, companies, clock, buyer):
    company, other, third = companies
    client = logged_in(president)
    colleague = logged_in(member)
    listing = client.get(reverse("applications:commission_list"))
    assert tender.reference in page(listing)
    examination_url = reverse("applications:examination", args=[tender.pk])
    assert 'data-testid="sealed"' in page(client.get(examination_url))
    past_deadline(clock, tender)
    for each in (client, colleague):
        assert 'data-testid="declaration-form"' in page(each.get(examination_url))
        each.post(reverse("applications:declare", args=[tender.pk]), {"conflict": "no"})
    assert 'data-testid="open-examination"' not in page(colleague.get(examination_url))
    client.post(reverse("applications:open", args=[tender.pk]))
    opened = client.get(examination_url)
    assert Examination.objects.filter(tender=tender).exists()
    assert all(m.organisation.name in page(opened) for m in companies)
    assert page(opened).count('data-testid="sealed-document"') == 6
    for membership, outcome, reason in (
        (company, "admitted", ""),
        (other, "admitted", ""),
        (third, "excluded", "Attestation CNSS manquante"),
    ):
        application = application_of(membership, tender)
        for each in (client, colleague):
            response = each.post(
                reverse("applications:decide", args=[tender.pk, application.pk]),
                decide_post(tender, application, outcome, reason),
            )
            assert response.status_code == 302
    assert Decision.objects.count() == 3
    response = client.post(reverse("applications:close", args=[tender.pk]))
    assert response.status_code == 302
    closed = client.get(examination_url)
    assert 'data-testid="session-closed"' in page(closed) and 'data-testid="minutes-link"' in page(closed)
    minutes = client.get(reverse("applications:minutes", args=[tender.pk]))
    assert minutes.status_code == 200 and minutes.content.startswith(b"%PDF")
    assert logged_in(buyer).get(reverse("applications:minutes", args=[tender.pk])).status_code == 200
    assert logged_in(company).get(reverse("applications:minutes", args=[tender.pk])).status_code == 403
    # The excluded company reads the reason; the admitted ones their invitations.
    excluded_page = page(logged_in(third).get(reverse("applications:mine")))
    assert 'data-state="excluded"' in excluded_page and "Attestation CNSS manquante" in excluded_page
    for membership in (company, other):
        mine = page(logged_in(membership).get(reverse("applications:mine")))
        assert 'data-testid="invitation"' in mine and 'data-state="admitted"' in mine
        assert "Attestation CNSS manquante" not in mine
    assert Invitation.objects.count() == 2


def test_exclusion_without_reason_is_explained_and_not_saved(opened, tender, president, company):
    application = application_of(company, tender)
    client = logged_in(president)
    response = client.post(
        reverse("applications:decide", args=[tender.pk, application.pk]),
        decide_post(tender, application, "excluded", ""),
        follow=True,
    )
    assert "give the reason for the exclusion" in page(response)
    assert not Decision.objects.exists()


def test_member_of_another_commission_is_refused(opened, tender, outsider_member, other_tender, company):
    application = application_of(company, tender)
    client = logged_in(outsider_member)
    response = client.post(
        reverse("applications:decide", args=[tender.pk, application.pk]),
        decide_post(tender, application, "admitted"),
    )
    assert response.status_code == 403 and "not a member of the commission" in page(response)
    assert client.get(reverse("applications:examination", args=[tender.pk])).status_code == 403
    assert not Decision.objects.exists()


def test_decision_before_the_deadline_is_refused(applied, tender, president, company):
    application = application_of(company, tender)
    response = logged_in(president).post(
        reverse("applications:decide", args=[tender.pk, application.pk]),
        decide_post(tender, application, "admitted"),
    )
    assert response.status_code == 403 and "sealed until the application deadline" in page(response)
    assert not Decision.objects.exists()


def test_closing_with_missing_decisions_says_how_many(opened, tender, president):
    response = logged_in(president).post(reverse("applications:close", args=[tender.pk]), follow=True)
    assert "3 decision(s) missing" in page(response)
    assert Examination.objects.get().closed_at is None


def test_company_sees_the_moved_opening_time(opened, tender, president, companies, clock):
    clock.advance(timedelta(days=1, hours=12))
    for membership in companies:
        vote_all(application_of(membership, tender), [(tender.lots.get(), "admitted", "")])
    services.close_examination(president, tender)
    lot = tender.lots.get()
    planned = localtime(tender.application_deadline + timedelta(days=3))
    assert lot.opens_at > planned
    mine = page(logged_in(companies[0]).get(reverse("applications:mine")))
    assert f'data-testid="room-opening">{date_format(localtime(lot.opens_at), "DATETIME_FORMAT")}' in mine
    assert Invitation.objects.filter(lot=lot, opens_at=lot.opens_at).count() == 3
