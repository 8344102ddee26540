"""Phase 1 in the JSON API: the same operations, rules and permissions as the pages."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from seei.applications import receipts
from seei.applications.models import Application, ApplicationDocument, Decision, Examination, Invitation
from tests.api.conftest import ApiClient, token_for
from tests.applications.conftest import (
    SECRET,
    application_of,
    exe_upload,
    past_deadline,
    pdf_bytes,
    pdf_upload,
)

pytestmark = pytest.mark.urls("tests.applications.urls")


def api(membership=None, language="en"):
    return ApiClient(token_for(membership) if membership else None, language)


def application_form(notice, **overrides):
    form = {
        "lots": [lot.pk for lot in notice.lots.all()],
        "declaration": "true",
        "administrative": [pdf_upload("statuts.pdf")],
        "technical": [pdf_upload("fiche-technique.pdf")],
    }
    form.update(overrides)
    return form


def test_company_applies_and_reads_its_application(tender, company):
    client = api(company)
    response = client.upload(f"/notices/{tender.pk}/application", **application_form(tender))
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["number"] == 1 and receipt["action"] == "submitted"
    assert receipt["sha256"] == hashlib.sha256(receipts.canonical_json(receipt["content"])).hexdigest()
    assert [d["sha256"] for d in receipt["content"]["documents"]] == [
        hashlib.sha256(pdf_bytes()).hexdigest()
    ] * 2
    mine = client.get("/applications").json()
    assert len(mine) == 1 and mine[0]["reference"] == tender.reference and mine[0]["can_change"]
    assert {d["name"] for d in mine[0]["documents"]} == {"statuts.pdf", "fiche-technique.pdf"}
    assert mine[0]["lots"][0]["state"] == "submitted"
    document = mine[0]["documents"][0]
    download = client.get(f"/applications/documents/{document['id']}")
    assert download.status_code == 200 and download.content == pdf_bytes()
    assert client.get(f"/applications/receipts/{receipt['id']}").json()["sha256"] == receipt["sha256"]
    pdf = client.get(f"/applications/receipts/{receipt['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_company_changes_and_withdraws(two_lot_tender, company):
    client = api(company)
    lot1, lot2 = two_lot_tender.lots.order_by("number")
    client.upload(
        f"/notices/{two_lot_tender.pk}/application", **application_form(two_lot_tender, lots=[lot1.pk])
    )
    technical = ApplicationDocument.objects.get(kind="technical")
    response = client.upload(
        f"/notices/{two_lot_tender.pk}/application/changes",
        declaration="true",
        lots=[lot1.pk, lot2.pk],
        remove=[technical.pk],
        technical=[pdf_upload("fiche-v2.pdf", b"V2")],
    )
    assert response.status_code == 200, response.content
    assert response.json()["action"] == "changed"
    assert [lot["number"] for lot in response.json()["content"]["lots"]] == [1, 2]
    response = client.post(f"/notices/{two_lot_tender.pk}/application/withdrawal")
    assert response.status_code == 200 and response.json()["action"] == "withdrawn"
    assert Application.objects.get().status == "withdrawn"


def test_late_submission_is_refused_by_the_server_clock(tender, company, clock):
    past_deadline(clock, tender, seconds=1)
    response = api(company).upload(f"/notices/{tender.pk}/application", **application_form(tender))
    assert response.status_code == 400 and "The application deadline passed" in response.json()["detail"]
    assert not Application.objects.exists() and not ApplicationDocument.objects.exists()


def test_oversized_and_disguised_files_are_refused(tender, company, settings):
    client = api(company)
    response = client.upload(
        f"/notices/{tender.pk}/application", **application_form(tender, technical=[exe_upload("offre.pdf")])
    )
    assert response.status_code == 400
    assert "is not a valid PDF file" in response.json()["errors"]["technical"][0]
    settings.SEEI_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("gros.pdf", pdf_bytes(b"x" * 1_100_000))
    response = client.upload(
        f"/notices/{tender.pk}/application", **application_form(tender, administrative=[big])
    )
    assert response.status_code == 400 and "too large" in response.json()["errors"]["administrative"][0]
    assert not Application.objects.exists() and not ApplicationDocument.objects.exists()


def test_a_large_file_never_touches_the_disk_before_it_is_sealed(tender, company, monkeypatch):
    from django.core.files import uploadedfile

    def no_temporary_file(*args, **kwargs):
        raise AssertionError("an uploaded file was written to disk in clear")

    monkeypatch.setattr(uploadedfile.tempfile, "NamedTemporaryFile", no_temporary_file)
    content = pdf_bytes(b"x" * 6_000_000)  # above Django's default 2.5 MB kept in memory

    response = api(company).upload(
        f"/notices/{tender.pk}/application",
        **application_form(tender, technical=[SimpleUploadedFile("plans.pdf", content)]),
    )

    assert response.status_code == 201, response.content
    document = ApplicationDocument.objects.get(kind="technical")
    assert document.sha256 == hashlib.sha256(content).hexdigest()


def test_lot_of_another_notice_is_refused(tender, other_tender, company):
    foreign = other_tender.lots.get()
    response = api(company).upload(
        f"/notices/{tender.pk}/application", **application_form(tender, lots=[foreign.pk])
    )
    assert response.status_code == 400
    assert response.json()["errors"]["lots"] == [
        f"Lot {foreign.pk} is not a lot of notice {tender.reference}."
    ]
    assert not Application.objects.exists()


def test_only_companies_apply(tender, buyer):
    assert (
        api(buyer).upload(f"/notices/{tender.pk}/application", **application_form(tender)).status_code == 403
    )
    assert api().upload(f"/notices/{tender.pk}/application", **application_form(tender)).status_code == 401
    assert not Application.objects.exists()


def test_buyer_names_the_commission(published_tender, buyer, president, member, company):
    client = api(buyer)
    candidates = client.get("/buyer/commission-members").json()
    assert {c["membership_id"] for c in candidates} == {president.pk, member.pk}
    response = client.put(
        f"/buyer/notices/{published_tender.pk}/commission",
        {"members": [president.pk, member.pk], "president": president.pk},
    )
    assert response.status_code == 200
    assert {(m["membership_id"], m["president"]) for m in response.json()} == {
        (president.pk, True),
        (member.pk, False),
    }
    response = client.put(f"/buyer/notices/{published_tender.pk}/commission", {"members": [company.pk]})
    assert response.status_code == 400 and "is not a commission member" in response.json()["detail"]
    assert published_tender.commission.count() == 2


def test_commission_examines_through_the_api(applied, tender, president, member, buyer, companies, clock):
    company, other, third = companies
    client = api(president)
    assert client.get("/commission/notices").json()[0]["examination"] == "sealed"
    past_deadline(clock, tender)
    response = client.post(f"/commission/notices/{tender.pk}/declaration", {"conflict": False})
    assert response.status_code == 201 and (response.json()["seated"], response.json()["quorum"]) == (1, 2)
    response = client.post(f"/commission/notices/{tender.pk}/examination")
    assert response.status_code == 400 and "must first declare" in response.json()["detail"]
    assert (
        api(member).post(f"/commission/notices/{tender.pk}/declaration", {"conflict": False}).status_code
        == 201
    )
    response = api(member).post(f"/commission/notices/{tender.pk}/examination")
    assert response.status_code == 400 and "Only the president" in response.json()["detail"]
    response = client.post(f"/commission/notices/{tender.pk}/examination")
    assert response.status_code == 201
    examination = response.json()
    assert {a["company"]["name"] for a in examination["applications"]} == {
        m.organisation.name for m in companies
    }
    document = examination["applications"][0]["documents"][0]
    download = client.get(f"/commission/notices/{tender.pk}/documents/{document['id']}")
    assert download.status_code == 200 and SECRET in download.content
    lot = tender.lots.get()
    for membership, outcome, reason in (
        (company, "admitted", ""),
        (other, "admitted", ""),
        (third, "excluded", "Références insuffisantes"),
    ):
        application = application_of(membership, tender)
        url = f"/commission/notices/{tender.pk}/applications/{application.pk}/decisions"
        payload = {"decisions": [{"lot": lot.pk, "outcome": outcome, "reason": reason}]}
        response = client.post(url, payload)
        assert response.status_code == 200, response.content
        assert response.json()[0]["decision"] is None  # one vote of two: no quorum yet
        response = api(member).post(url, payload)
        assert response.status_code == 200 and response.json()[0]["decision"] == outcome
    response = api(member).post(f"/commission/notices/{tender.pk}/examination/close")
    assert response.status_code == 400 and "Only the president" in response.json()["detail"]
    response = client.post(f"/commission/notices/{tender.pk}/examination/close")
    assert response.status_code == 200
    response = client.post(f"/commission/notices/{tender.pk}/minutes/approval", {"reservation": ""})
    assert response.status_code == 200
    sha = response.json()["sha256"]
    minutes = client.get(f"/notices/{tender.pk}/minutes")
    assert minutes.status_code == 200 and hashlib.sha256(minutes.content).hexdigest() == sha
    assert api(buyer).get(f"/notices/{tender.pk}/minutes").status_code == 200
    assert api(company).get(f"/notices/{tender.pk}/minutes").status_code == 403
    excluded = api(third).get("/applications").json()[0]
    assert excluded["decided"] and excluded["lots"][0]["state"] == "excluded"
    assert excluded["lots"][0]["reason"] == "Références insuffisantes"
    invitations = api(company).get("/applications/invitations").json()
    assert [(i["reference"], i["lot_number"]) for i in invitations] == [(tender.reference, 1)]
    assert Invitation.objects.count() == 2


def test_decision_before_the_deadline_is_refused(applied, tender, president, company):
    application = application_of(company, tender)
    response = api(president).post(
        f"/commission/notices/{tender.pk}/applications/{application.pk}/decisions",
        {"decisions": [{"lot": tender.lots.get().pk, "outcome": "admitted"}]},
    )
    assert (
        response.status_code == 403 and "sealed until the application deadline" in response.json()["detail"]
    )
    assert not Decision.objects.exists()


def test_opening_before_the_deadline_is_refused(applied, tender, president, clock):
    clock.advance(timedelta(days=10))
    response = api(president).post(f"/commission/notices/{tender.pk}/examination")
    assert (
        response.status_code == 400 and "sealed until the application deadline" in response.json()["detail"]
    )
    assert not Examination.objects.exists()


def test_member_of_another_commission_cannot_decide(opened, tender, outsider_member, other_tender, company):
    application = application_of(company, tender)
    response = api(outsider_member).post(
        f"/commission/notices/{tender.pk}/applications/{application.pk}/decisions",
        {"decisions": [{"lot": tender.lots.get().pk, "outcome": "excluded", "reason": "Non"}]},
    )
    assert response.status_code == 403 and "not a member of the commission" in response.json()["detail"]
    assert not Decision.objects.exists()


def test_exclusion_without_reason_is_refused(opened, tender, president, company):
    application = application_of(company, tender)
    response = api(president).post(
        f"/commission/notices/{tender.pk}/applications/{application.pk}/decisions",
        {"decisions": [{"lot": tender.lots.get().pk, "outcome": "excluded"}]},
    )
    assert response.status_code == 400 and "give the reason for the exclusion" in response.json()["detail"]
    assert not Decision.objects.exists()


def test_openapi_lists_the_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/notices/{notice_id}/application",
        "/api/v1/commission/notices/{notice_id}/examination",
        "/api/v1/buyer/notices/{notice_id}/applications",
        "/api/v1/notices/{notice_id}/minutes",
    ):
        assert path in schema["paths"], path
    assert (
        "multipart/form-data"
        in schema["paths"]["/api/v1/notices/{notice_id}/application"]["post"]["requestBody"]["content"]
    )
