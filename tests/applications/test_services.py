"""The rules of phase 1, through the services."""

import hashlib
from datetime import timedelta

import pytest
from django.core import mail

from seei.alerts.models import Notification
from seei.applications import receipts, selectors, services
from seei.applications.models import (
    Application,
    ApplicationDocument,
    Decision,
    Examination,
    Invitation,
    Minutes,
    Receipt,
)
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from seei.tenders.models import Interest, Lot
from tests.applications.conftest import (
    application_of,
    apply,
    exe_upload,
    past_deadline,
    pdf_bytes,
    pdf_upload,
    seat_all,
    vote_all,
)


def messages(error) -> str:
    return " ".join(error.value.messages)


def unchanged(before: dict) -> bool:
    return counts() == before


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Application, ApplicationDocument, Receipt, Decision, Examination, Invitation, Minutes)
    }


# Applying ----------------------------------------------------------------------------------------


def test_apply_gives_a_receipt_with_the_documents_hashes(tender, company):
    receipt = apply(company, tender)
    application = application_of(company, tender)
    assert application.status == "submitted" and application.declaration
    assert receipt.number == 1 and receipt.action == "submitted"
    content = receipt.content
    assert content["tender"]["reference"] == tender.reference
    assert [lot["number"] for lot in content["lots"]] == [1]
    expected = hashlib.sha256(pdf_bytes()).hexdigest()
    assert [d["sha256"] for d in content["documents"]] == [expected, expected]
    assert {d["kind"] for d in content["documents"]} == {"administrative", "technical"}
    assert content["documents"][0]["size"] == len(pdf_bytes())
    # The receipt's own fingerprint is the SHA-256 of its canonical JSON.
    assert receipt.sha256 == hashlib.sha256(receipts.canonical_json(content)).hexdigest()
    assert Interest.objects.filter(tender=tender, company=company.organisation, kind="application").exists()
    assert AuditEvent.objects.filter(action="application.submitted", object_id=str(application.pk)).exists()
    assert Notification.objects.filter(user=company.user, subject__contains=tender.reference).exists()


def test_change_replaces_a_document_and_the_lots_with_a_new_receipt(two_lot_tender, company):
    lot1, lot2 = two_lot_tender.lots.order_by("number")
    apply(company, two_lot_tender, lots=[lot1])
    application = application_of(company, two_lot_tender)
    old_technical = application.documents.get(kind="technical")
    receipt = services.change(
        company,
        two_lot_tender,
        lots=[lot1.pk, lot2.pk],
        remove=[old_technical.pk],
        documents=[("technical", pdf_upload("fiche-v2.pdf", marker=b"VERSION-2"))],
        declaration=True,
    )
    assert receipt.number == 2 and receipt.action == "changed"
    assert [lot["number"] for lot in receipt.content["lots"]] == [1, 2]
    old_technical.refresh_from_db()
    assert old_technical.replaced_at is not None  # kept for the first receipt, no longer in force
    in_force = application.documents.filter(replaced_at=None)
    assert in_force.count() == 2
    new_hash = hashlib.sha256(pdf_bytes(b"VERSION-2")).hexdigest()
    assert new_hash in {d["sha256"] for d in receipt.content["documents"]}
    assert old_technical.sha256 != new_hash and old_technical.pk not in {
        d["id"] for d in receipt.content["documents"]
    }


def test_change_that_leaves_no_technical_document_is_refused(tender, company):
    apply(company, tender)
    technical = application_of(company, tender).documents.get(kind="technical")
    before = counts()
    with pytest.raises(TenderError) as error:
        services.change(company, tender, remove=[technical.pk], declaration=True)
    assert "Attach at least one technical document." in messages(error)
    technical.refresh_from_db()
    assert technical.replaced_at is None and unchanged(before)


def test_withdraw_then_apply_again(tender, company):
    apply(company, tender)
    receipt = services.withdraw(company, tender)
    application = application_of(company, tender)
    assert receipt.action == "withdrawn" and application.status == "withdrawn"
    assert len(receipt.content["documents"]) == 2  # what was withdrawn
    assert not application.documents.filter(replaced_at=None).exists()
    again = apply(company, tender)
    application.refresh_from_db()
    assert again.number == 3 and again.action == "submitted" and application.status == "submitted"
    assert application.documents.filter(replaced_at=None).count() == 2


def test_applying_twice_is_refused(tender, company):
    apply(company, tender)
    before = counts()
    with pytest.raises(TenderError) as error:
        apply(company, tender)
    assert "already applied" in messages(error)
    assert unchanged(before)


# Bad input: a clear error and nothing changed ------------------------------------------------------


def test_submission_one_second_after_the_deadline_is_refused(tender, company, clock, settings):
    past_deadline(clock, tender, seconds=1)
    before = counts()
    with pytest.raises(TenderError) as error:
        apply(company, tender)
    assert "The application deadline passed" in messages(error)
    assert unchanged(before)
    sealed = settings.MEDIA_ROOT / "sealed"
    assert not sealed.exists() or not any(path.is_file() for path in sealed.rglob("*"))


def test_change_one_second_after_the_deadline_is_refused(tender, company, clock):
    apply(company, tender)
    past_deadline(clock, tender, seconds=1)
    before = counts()
    with pytest.raises(TenderError) as error:
        services.withdraw(company, tender)
    assert "The application deadline passed" in messages(error)
    assert unchanged(before) and application_of(company, tender).status == "submitted"


def test_oversized_file_is_refused(tender, company, settings):
    settings.SEEI_MAX_UPLOAD_MB = 1
    big = pdf_upload("big.pdf", marker=b"x" * (1024 * 1024))
    before = counts()
    with pytest.raises(TenderError) as error:
        apply(company, tender, documents=[("administrative", big), ("technical", pdf_upload())])
    assert "big.pdf" in messages(error) and "too large" in messages(error)
    assert error.value.message_dict.keys() == {"administrative"}
    assert unchanged(before)


def test_executable_renamed_pdf_is_refused(tender, company):
    before = counts()
    with pytest.raises(TenderError) as error:
        apply(company, tender, documents=[("administrative", pdf_upload()), ("technical", exe_upload())])
    assert "is not a valid PDF file" in messages(error)
    assert error.value.message_dict.keys() == {"technical"}
    assert unchanged(before)


def test_lot_of_another_notice_is_refused(tender, other_tender, company):
    foreign_lot = other_tender.lots.get()
    before = counts()
    with pytest.raises(TenderError) as error:
        apply(company, tender, lots=[foreign_lot.pk])
    assert f"Lot {foreign_lot.pk} is not a lot of notice {tender.reference}." in messages(error)
    assert unchanged(before)


def test_declaration_is_required(tender, company):
    before = counts()
    with pytest.raises(TenderError) as error:
        apply(company, tender, declaration=False)
    assert "declaration on honour" in messages(error)
    assert unchanged(before)


def test_only_a_company_applies(tender, buyer):
    with pytest.raises(TenderError) as error:
        apply(buyer, tender)
    assert "Only a company member can apply" in messages(error)
    assert not Application.objects.exists()


# The commission ---------------------------------------------------------------------------------------


def test_buyer_names_only_commission_members_of_its_organisation(
    published_tender, buyer, president, company, other_buyer_org
):
    from tests.conftest import make_member

    foreign = make_member("commission@fes.gov.ma", other_buyer_org, "commission_member")
    for wrong in (company, foreign):
        with pytest.raises(TenderError) as error:
            services.name_commission(buyer, published_tender, [president, wrong])
        assert f"Membership {wrong.pk} is not a commission member" in messages(error)
    assert not published_tender.commission.exists()
    services.name_commission(buyer, published_tender, [president], president)
    assert list(published_tender.commission.values_list("membership_id", "is_president")) == [
        (president.pk, True)
    ]
    assert Notification.objects.filter(
        user=president.user, subject__contains=published_tender.reference
    ).exists()


def test_nobody_is_both_the_buyer_agent_and_a_commission_member_of_an_organisation(
    published_tender, buyer, president, buyer_org
):
    """The buyer never knows who applies or bids: its agents do not examine the applications."""
    from django.core.exceptions import ValidationError

    from seei.accounts.models import Membership, Organisation

    # Granting the second role is refused, either way round (the admin's forms validate the model).
    for user, role in ((buyer.user, "commission_member"), (president.user, "buyer_agent")):
        with pytest.raises(ValidationError, match="cannot be both a buyer agent and a commission member"):
            Membership(user=user, organisation=buyer_org, role=role).full_clean()
    # Nor by moving the person's seat on another buyer's commission to this organisation.
    elsewhere = Organisation.objects.create(kind="buyer", name="Another ministry")
    moved = Membership.objects.create(user=buyer.user, organisation=elsewhere, role="commission_member")
    moved.organisation = buyer_org
    with pytest.raises(ValidationError, match="cannot be both a buyer agent and a commission member"):
        moved.full_clean()
    moved.delete()
    # A double role made by other means (a script, a practice rehearsal) still cannot sit on a real
    # commission.
    doubled = Membership.objects.create(user=buyer.user, organisation=buyer_org, role="commission_member")
    with pytest.raises(TenderError) as error:
        services.name_commission(buyer, published_tender, [president, doubled], president)
    assert "is also a buyer agent of" in messages(error)
    assert not published_tender.commission.exists()


def test_another_buyer_cannot_name_the_commission(tender, other_buyer, president):
    with pytest.raises(TenderError) as error:
        services.name_commission(other_buyer, tender, [president])
    assert "another organisation" in messages(error)


def test_opening_before_the_deadline_is_refused(applied, tender, president, clock):
    clock.advance(timedelta(days=10, hours=23))
    with pytest.raises(TenderError) as error:
        services.open_examination(president, tender)
    assert "sealed until the application deadline" in messages(error)
    assert not Examination.objects.exists() and tender.lots.get().status == "open"


def test_decision_before_the_deadline_is_refused(applied, tender, president, company):
    application = application_of(company, tender)
    with pytest.raises(TenderError) as error:
        services.decide(president, application, [(tender.lots.get(), "admitted", "")])
    assert "sealed until the application deadline" in messages(error)
    assert not Decision.objects.exists()


def test_commission_member_of_another_notice_cannot_decide(
    opened, tender, outsider_member, other_tender, company
):
    application = application_of(company, tender)
    with pytest.raises(TenderError) as error:
        services.decide(outsider_member, application, [(tender.lots.get(), "excluded", "Dossier incomplet")])
    assert "Only a member of this notice's commission can do this." in messages(error)
    assert not Decision.objects.exists()


def test_exclusion_needs_a_reason(opened, tender, president, company):
    application = application_of(company, tender)
    with pytest.raises(TenderError) as error:
        services.decide(president, application, [(tender.lots.get(), "excluded", "  ")])
    assert "give the reason for the exclusion" in messages(error)
    assert not Decision.objects.exists()


def test_closing_with_missing_decisions_is_refused(opened, tender, president, company):
    vote_all(application_of(company, tender), [(tender.lots.get(), "admitted", "")])
    with pytest.raises(TenderError) as error:
        services.close_examination(president, tender)
    assert "2 decision(s) missing" in messages(error)
    assert Examination.objects.get().closed_at is None and not Minutes.objects.exists()


def decide_all(president, notice, outcomes: dict):
    """outcomes: membership -> (outcome, reason), on every lot of its application."""
    for membership, (outcome, reason) in outcomes.items():
        application = application_of(membership, notice)
        vote_all(
            application, [(lot, outcome, reason) for lot in application.lots.filter(status="examination")]
        )


def test_commission_admits_two_excludes_one_and_closes(
    opened, tender, president, member, buyer, companies, django_capture_on_commit_callbacks
):
    company, other, third = companies
    decide_all(
        president,
        tender,
        {
            company: ("admitted", ""),
            other: ("admitted", ""),
            third: ("excluded", "Attestation fiscale périmée"),
        },
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # emails leave after commit
        minutes = services.close_examination(president, tender)
    lot = tender.lots.get()
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SCHEDULED
    assert set(selectors.admitted_companies(lot)) == {company.organisation, other.organisation}
    invitations = Invitation.objects.filter(lot=lot)
    assert {i.company for i in invitations} == {company.organisation, other.organisation}
    assert all(i.opens_at == lot.opens_at for i in invitations)
    # Excluded: told the reason, by email and in the application.
    told = Notification.objects.get(user=third.user, subject__contains="excluded")
    assert "Attestation fiscale périmée" in told.body
    assert any(m.to == [third.user.email] and "Attestation fiscale périmée" in m.body for m in mail.outbox)
    # Admitted: invited, with the opening time.
    for membership in (company, other):
        invitation = Notification.objects.get(user=membership.user, subject__startswith="Invitation")
        assert "The auction room opens on" in invitation.body
        assert any(
            m.to == [membership.user.email] and m.subject.startswith("Invitation") for m in mail.outbox
        )
    # The minutes are stored with their hash, decisions final.
    data = minutes.file.open("rb").read()
    assert minutes.kind == "admission" and minutes.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(TenderError) as error:
        services.decide(member, application_of(third, tender), [(lot, "admitted", "")])
    assert "the decisions are final" in messages(error)
    assert Decision.objects.get(application__company=third.organisation).outcome == "excluded"


def test_admitted_companies_is_empty_until_the_session_closes(opened, tender, president, companies):
    decide_all(president, tender, {m: ("admitted", "") for m in companies})
    lot = tender.lots.get()
    assert list(selectors.admitted_companies(lot)) == []
    services.close_examination(president, tender)
    assert set(selectors.admitted_companies(lot)) == {m.organisation for m in companies}


# Unsuccessful lots -------------------------------------------------------------------------------------------


def test_two_applications_make_the_lot_unsuccessful_with_notices(
    tender, company, other_company, president, buyer, clock, django_capture_on_commit_callbacks
):
    apply(company, tender)
    apply(other_company, tender)
    seat_all(tender)
    past_deadline(clock, tender)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.open_examination(president, tender)
    lot = tender.lots.get()
    lot.refresh_from_db()
    assert lot.status == Lot.Status.UNSUCCESSFUL
    event = AuditEvent.objects.get(action="lot.unsuccessful", object_id=str(lot.pk))
    assert event.data["reason"] == "too_few_applications" and event.data["applications"] == 2
    for user in (company.user, other_company.user, buyer.user):
        notice = Notification.objects.get(user=user, subject__contains="unsuccessful")
        assert "fewer than 3 applications" in notice.body
        assert any(m.to == [user.email] and "unsuccessful" in m.subject for m in mail.outbox)
    # Nothing to decide on it; the session closes with no invitation.
    with pytest.raises(TenderError) as error:
        services.decide(president, application_of(company, tender), [(lot, "admitted", "")])
    assert "nothing to decide" in messages(error)
    services.close_examination(president, tender)
    assert not Invitation.objects.exists() and Minutes.objects.count() == 1


def test_one_admitted_company_makes_the_lot_unsuccessful_with_notices(
    opened, tender, president, buyer, companies
):
    company, other, third = companies
    decide_all(
        president,
        tender,
        {
            company: ("admitted", ""),
            other: ("excluded", "Caution non fournie"),
            third: ("excluded", "Offre technique non conforme"),
        },
    )
    services.close_examination(president, tender)
    lot = tender.lots.get()
    lot.refresh_from_db()
    assert lot.status == Lot.Status.UNSUCCESSFUL and not Invitation.objects.exists()
    event = AuditEvent.objects.get(action="lot.unsuccessful", object_id=str(lot.pk))
    assert event.data == {"reason": "too_few_admitted", "applications": 3, "admitted": 1, "minimum": 2}
    for user in (company.user, other.user, third.user, buyer.user):
        assert (
            "fewer than 2 companies were admitted"
            in Notification.objects.get(user=user, subject__contains="unsuccessful").body
        )
    assert (
        "Caution non fournie" in Notification.objects.get(user=other.user, subject__contains="excluded").body
    )


def test_lots_are_decided_separately(two_lot_tender, companies, president, clock):
    lot1, lot2 = two_lot_tender.lots.order_by("number")
    company, other, third = companies
    apply(company, two_lot_tender, lots=[lot1, lot2])
    apply(other, two_lot_tender, lots=[lot1, lot2])
    apply(third, two_lot_tender, lots=[lot1])
    seat_all(two_lot_tender)
    past_deadline(clock, two_lot_tender)
    services.open_examination(president, two_lot_tender)
    lot1.refresh_from_db()
    lot2.refresh_from_db()
    assert (lot1.status, lot2.status) == ("examination", "unsuccessful")  # lot 2: 2 applications
    decide_all(
        president,
        two_lot_tender,
        {company: ("admitted", ""), other: ("admitted", ""), third: ("admitted", "")},
    )
    services.close_examination(president, two_lot_tender)
    lot1.refresh_from_db()
    assert lot1.status == "scheduled"
    assert set(Invitation.objects.values_list("lot_id", flat=True)) == {lot1.pk}


# The invitation delay ------------------------------------------------------------------------------------------


def test_room_opening_moves_when_the_commission_finishes_late(
    opened, tender, president, member, buyer, companies, clock
):
    lot = tender.lots.get()
    planned = lot.opens_at  # 3 days after the deadline
    clock.advance(timedelta(days=1, hours=12))  # the commission finishes 1.5 days before the planned opening
    decide_all(president, tender, {m: ("admitted", "") for m in companies})
    now = clock.now()
    services.close_examination(president, tender)
    lot.refresh_from_db()
    assert lot.opens_at >= now + timedelta(days=2) and lot.opens_at < now + timedelta(days=2, minutes=2)
    assert lot.opens_at > planned
    assert all(i.opens_at == lot.opens_at for i in Invitation.objects.filter(lot=lot))
    assert AuditEvent.objects.filter(action="lot.opening_moved", object_id=str(lot.pk)).exists()
    for membership in companies:
        invitation = Notification.objects.get(user=membership.user, subject__startswith="Invitation")
        assert "The opening was moved" in invitation.body
    for membership in (buyer, president, member):
        assert Notification.objects.filter(user=membership.user, subject__contains="opens later").exists()


def test_room_opening_stays_when_there_is_time(opened, tender, president, companies, buyer):
    lot = tender.lots.get()
    planned = lot.opens_at
    decide_all(president, tender, {m: ("admitted", "") for m in companies})
    services.close_examination(president, tender)
    lot.refresh_from_db()
    assert lot.opens_at == planned
    assert not Notification.objects.filter(subject__contains="opens later").exists()


def test_commission_cannot_change_once_opened(opened, tender, buyer, president):
    with pytest.raises(TenderError) as error:
        services.name_commission(buyer, tender, [president])
    assert "can no longer change" in messages(error)
    assert tender.commission.count() == 2


def test_both_kinds_of_documents_are_required(tender, company):
    with pytest.raises(TenderError) as error:
        apply(company, tender, documents=[])
    assert error.value.message_dict == {
        "administrative": ["Attach at least one administrative document."],
        "technical": ["Attach at least one technical document."],
    }
    assert not Application.objects.exists()
