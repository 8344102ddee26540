"""The award's rules: down the ranking one rank at a time, each step audited; the accountant's visa
and payments. Every refusal says why and changes nothing."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from seei.alerts.models import Notification
from seei.applications.models import Minutes
from seei.awards import selectors, services
from seei.awards.models import Award, AwardDocument, AwardStep, Payment, Visa
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from seei.tenders.models import Lot
from tests.awards.conftest import (
    all_documents,
    close_auction,
    commitment,
    exe_upload,
    finalise,
    grant_visa,
    submit,
)


def messages_of(error) -> str:
    return " ".join(error.value.messages)


def award_state(award) -> dict:
    """Everything a refused change must leave as it was."""
    award = Award.objects.get(pk=award.pk)
    return {
        "award": (award.status, award.company_id, award.amount, award.final_at),
        "lot": Lot.objects.get(pk=award.lot_id).status,
        "steps": list(
            AwardStep.objects.filter(award=award).order_by("rank").values_list("rank", "status", "reason")
        ),
        "documents": AwardDocument.objects.filter(step__award=award).count(),
        "audit": AuditEvent.objects.filter(object_type="awards.award", object_id=str(award.pk)).count(),
        "minutes": Minutes.objects.filter(lot=award.lot_id).count(),
        "notifications": Notification.objects.count(),
    }


# The start, at the close -----------------------------------------------------------------------------


def test_at_the_close_the_lowest_bidder_is_asked_for_its_documents(closed, clock, settings):
    award = closed.award
    first = closed.ranked[0]
    step = award.current_step()
    assert award.status == "provisional" and award.company == first.organisation
    assert award.amount == Decimal("585000.00") and award.currency == "MAD"
    assert step.rank == 1 and step.company == first.organisation and step.status == "requested"
    assert step.documents_deadline - step.requested_at == timedelta(days=5)
    assert award.required_documents == ["tax_certificate", "social_security_certificate", "performance_bond"]
    assert not step.low_price
    # In-app and by email, with the deadline and the documents.
    note = Notification.objects.get(user=first.user, subject__startswith="Provisional award")
    assert (
        "ranks 1" in note.body
        and "Tax compliance certificate" in note.body
        and note.url == f"/en/awards/{award.pk}/"
    )
    assert AuditEvent.objects.filter(
        action="award.documents_requested", object_id=str(award.pk), data__rank=1
    ).exists()
    minutes = Minutes.objects.get(lot=closed.lot, kind="auction")
    assert minutes.sha256 and minutes.tender_id == closed.lot.tender_id


def test_the_request_is_also_sent_by_email(
    buyer, category, region, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closed_lot = close_auction(buyer, category, region, clock, reference="AO-AWARD-MAIL")
    first = closed_lot.ranked[0]
    sent = [m for m in mail.outbox if first.user.email in m.to and m.subject.startswith("Provisional award")]
    assert len(sent) == 1 and f"/en/awards/{closed_lot.award.pk}/" in sent[0].body


def test_the_documents_deadline_is_a_setting(buyer, category, region, clock, settings):
    settings.SEEI_AWARD_DOCUMENTS_DAYS = 3
    closed_lot = close_auction(buyer, category, region, clock, reference="AO-AWARD-DAYS")
    step = closed_lot.award.current_step()
    assert step.documents_deadline - step.requested_at == timedelta(days=3)


def test_start_is_idempotent_and_needs_a_closed_lot_with_bids(closed, buyer, category, region, clock):
    assert services.start_award(closed.lot) == closed.award
    assert AwardStep.objects.filter(award=closed.award).count() == 1
    nobody = close_auction(buyer, category, region, clock, prices=(), idle=2, reference="AO-AWARD-NOBID")
    assert Lot.objects.get(pk=nobody.lot.pk).status == "unsuccessful"
    assert services.start_award(nobody.lot) is None and not Award.objects.filter(lot=nobody.lot).exists()


def test_the_close_hook_never_breaks_the_close(closed, monkeypatch, caplog):
    def broken(lot):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "start_award", broken)
    services.start_award_after_close(closed.lot.pk)  # logged, not raised
    assert "could not start the award of lot" in caplog.text


def test_the_sweep_starts_an_award_the_hook_missed(buyer, category, region, clock):
    missed = close_auction(buyer, category, region, clock, reference="AO-AWARD-SWEEP", start=False)
    assert not Award.objects.filter(lot=missed.lot).exists()
    assert services.start_missing_awards() == 1
    assert missed.award.current_step().company == missed.ranked[0].organisation
    assert services.start_missing_awards() == 0


# The candidate's documents ---------------------------------------------------------------------------


def test_the_candidate_submits_its_documents_and_the_commission_is_told(closed):
    step = submit(closed)
    assert step.status == "submitted" and step.submitted_at is not None
    stored = {d.kind: d for d in step.current_documents()}
    assert set(stored) == set(closed.award.required_documents)
    assert all(len(d.sha256) == 64 and d.content_type == "application/pdf" for d in stored.values())
    assert Notification.objects.filter(
        user=closed.commission.user, subject__contains="documents to check"
    ).exists()
    assert AuditEvent.objects.filter(action="award.documents_submitted").exists()


def test_missing_or_false_documents_are_refused_and_nothing_is_stored(closed):
    award = closed.award
    before = award_state(award)
    files = all_documents(award)
    files.pop("performance_bond")
    with pytest.raises(TenderError) as error:
        services.submit_documents(closed.ranked[0], award, files)
    assert "Give the document “Performance bond”." in messages_of(error)
    files = {**all_documents(award), "tax_certificate": exe_upload()}
    with pytest.raises(TenderError) as error:
        services.submit_documents(closed.ranked[0], award, files)
    assert "is not a valid PDF file" in messages_of(error)
    assert award_state(award) == before


def test_only_the_candidate_may_submit_and_only_before_its_deadline(closed, clock):
    award = closed.award
    before = award_state(award)
    with pytest.raises(TenderError) as error:
        services.submit_documents(closed.ranked[1], award, all_documents(award))
    assert "Your company is not the candidate asked for documents" in messages_of(error)
    clock.advance(timedelta(days=5, minutes=1))
    with pytest.raises(TenderError) as error:
        services.submit_documents(closed.ranked[0], award, all_documents(award))
    assert "The deadline for the documents passed on" in messages_of(error)
    assert award_state(award) == before


# The commission --------------------------------------------------------------------------------------


def test_a_failing_candidate_passes_the_award_to_the_next_rank(closed):
    submit(closed)
    award = services.fail(closed.commission, closed.award, 1, "Attestation fiscale périmée")
    steps = list(award.steps.order_by("rank"))
    assert [(s.rank, s.status) for s in steps] == [(1, "failed"), (2, "requested")]
    assert steps[0].reason == "Attestation fiscale périmée" and steps[0].decided_by == closed.commission.user
    assert steps[1].company == closed.ranked[1].organisation and steps[1].amount == Decimal("588000.00")
    assert award.status == "provisional" and award.company == closed.ranked[1].organisation
    assert award.amount == Decimal("588000.00")
    told = Notification.objects.get(user=closed.ranked[0].user, subject__contains="not retained")
    assert "Attestation fiscale périmée" in told.body
    assert Notification.objects.filter(
        user=closed.ranked[1].user, subject__startswith="Provisional award"
    ).exists()
    actions = list(
        AuditEvent.objects.filter(object_id=str(award.pk), object_type="awards.award")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "award.started",
        "award.documents_requested",
        "award.documents_submitted",
        "award.candidate_failed",
        "award.documents_requested",
    ]
    assert Minutes.objects.filter(lot=closed.lot, kind="auction").count() == 2


def test_confirmation_before_the_deadline_by_someone_not_on_the_commission_is_refused(
    closed, buyer, outsider_commission, accountant
):
    award = closed.award
    before = award_state(award)
    for outsider in (buyer, outsider_commission, closed.ranked[0], accountant):
        with pytest.raises(TenderError) as error:
            services.confirm(outsider, award, 1)
        assert messages_of(error) == (
            f"Only a member of the commission of notice {closed.lot.tender.reference} can confirm the award."
        )
    assert award_state(award) == before


def test_no_confirmation_before_the_documents_are_in(closed):
    before = award_state(closed.award)
    with pytest.raises(TenderError) as error:
        services.confirm(closed.commission, closed.award, 1)
    assert "The candidate has not submitted its documents yet" in messages_of(error)
    assert award_state(closed.award) == before


def test_nobody_can_pick_a_bidder_out_of_order(closed):
    submit(closed)
    before = award_state(closed.award)
    for rank in (2, 3, 0, "x"):
        with pytest.raises(TenderError) as error:
            services.confirm(closed.commission, closed.award, rank)
        assert "The award follows the ranking: the candidate ranked 1 is being examined" in messages_of(error)
        with pytest.raises(TenderError):
            services.fail(closed.commission, closed.award, rank, "Préférence")
    assert award_state(closed.award) == before


def test_a_candidate_fails_for_missing_documents_only_after_its_deadline(closed, clock):
    before = award_state(closed.award)
    with pytest.raises(TenderError) as error:
        services.fail(closed.commission, closed.award, 1, "Pièces manquantes")
    assert "The candidate has until" in messages_of(error)
    with pytest.raises(TenderError) as error:
        services.fail(closed.commission, closed.award, 1, "  ")
    assert "Say why the candidate fails" in messages_of(error)
    assert award_state(closed.award) == before
    clock.advance(timedelta(days=5, seconds=1))
    award = services.fail(closed.commission, closed.award, 1, "Pièces non déposées dans le délai")
    assert award.current_step().rank == 2


def test_confirmation_makes_the_award_final_and_tells_every_bidder_its_rank(
    closed, accountant, other_accountant
):
    award = finalise(closed)
    assert award.status == "final" and award.final_at is not None
    assert award.company == closed.ranked[0].organisation and award.amount == Decimal("585000.00")
    assert Lot.objects.get(pk=closed.lot.pk).status == "awarded"
    assert award.current_step().status == "confirmed"
    for rank, member in enumerate(closed.ranked, start=1):
        note = Notification.objects.get(user=member.user, subject__contains="is final")
        assert f"rank: {rank} of 3" in note.body
        assert ("Your company is awarded" in note.body) == (rank == 1)
        assert (closed.ranked[0].organisation.name in note.body) == (rank != 1)
    assert Notification.objects.filter(
        user=accountant.user, subject__startswith="A final award to control"
    ).exists()
    assert not Notification.objects.filter(user=other_accountant.user).exists()
    assert AuditEvent.objects.filter(action="award.confirmed", object_id=str(award.pk)).exists()
    assert Minutes.objects.filter(lot=closed.lot).count() == 2
    with pytest.raises(TenderError) as error:
        services.fail(closed.commission, award, 1, "Trop tard")
    assert "This award is already decided: Final." in messages_of(error)


def test_when_every_candidate_fails_the_lot_is_unsuccessful(closed, clock):
    for rank in (1, 2, 3):
        clock.advance(timedelta(days=6))
        award = services.fail(closed.commission, closed.award, rank, f"Défaillant {rank}")
    assert award.status == "unsuccessful" and award.company is None and award.amount is None
    assert Lot.objects.get(pk=closed.lot.pk).status == "unsuccessful"
    assert Notification.objects.filter(
        user=closed.ranked[2].user, subject__contains="is unsuccessful"
    ).exists()


# The abnormally low price -----------------------------------------------------------------------------


def test_is_abnormally_low_needs_both_conditions(settings):
    estimate = Decimal("600000")
    assert services.is_abnormally_low(Decimal("250000"), estimate, Decimal("500000"))
    assert not services.is_abnormally_low(Decimal("250000"), estimate, Decimal("300000"))  # close to the next
    assert not services.is_abnormally_low(Decimal("310000"), estimate, Decimal("500000"))  # not below half
    assert not services.is_abnormally_low(Decimal("250000"), estimate, None)  # nothing to compare with
    settings.SEEI_LOW_PRICE_SHARE = "0.4"
    assert not services.is_abnormally_low(Decimal("250000"), estimate, Decimal("500000"))


@pytest.fixture
def low(buyer, category, region, clock):
    """A lot without a maximum decrement, where the best price is far below the others."""
    return close_auction(
        buyer,
        category,
        region,
        clock,
        prices=("250000", "500000", "550000"),
        reference="AO-AWARD-LOW",
        max_decrement=None,
    )


def test_an_abnormally_low_price_must_be_checked_before_confirming(low):
    step = low.award.current_step()
    assert step.low_price and step.rank == 1  # flagged, and still first: the ranking does not change
    submit(low)
    before = award_state(low.award)
    with pytest.raises(TenderError) as error:
        services.confirm(low.commission, low.award, 1)
    assert "This price is abnormally low: record what the commission checked" in messages_of(error)
    assert award_state(low.award) == before
    award = services.confirm(low.commission, low.award, 1, "Stock existant justifié par facture")
    step = award.steps.get(rank=1)
    assert award.status == "final" and step.low_price_note == "Stock existant justifié par facture"
    assert step.low_price_checked_by == low.commission.user
    assert AuditEvent.objects.filter(action="award.low_price_checked").exists()


# The accountant ---------------------------------------------------------------------------------------


def test_perimeter_covers_sub_organisations_and_final_awards_only(closed, accountant, other_accountant):
    assert list(selectors.accountant_awards(accountant)) == []  # provisional: not yet the accountant's
    award = finalise(closed)
    assert list(selectors.accountant_awards(accountant)) == [award]  # the directorate is under the ministry
    assert list(selectors.accountant_awards(other_accountant)) == []
    assert selectors.perimeter_ids(accountant.organisation) == {
        closed.lot.tender.buyer.parent_id,
        closed.lot.tender.buyer_id,
    }


def test_a_visa_by_an_accountant_outside_the_perimeter_is_refused(closed, other_accountant, buyer):
    award = finalise(closed)
    for outsider, message in (
        (
            other_accountant,
            "This award is not in the perimeter of your accountant post (Perception de Fès): "
            "you cannot give the visa of this award.",
        ),
        (buyer, "Only an accountant can give the visa of this award."),
    ):
        with pytest.raises(TenderError) as error:
            services.give_visa(outsider, award, "granted")
        assert messages_of(error) == message
    assert not Visa.objects.exists()
    assert not AuditEvent.objects.filter(action="award.visa").exists()


def test_a_refused_visa_needs_a_reason_and_the_buyer_is_told(closed, accountant, buyer):
    award = finalise(closed)
    with pytest.raises(TenderError) as error:
        services.give_visa(accountant, award, "refused", " ")
    assert "Say why the visa is refused" in messages_of(error)
    assert not Visa.objects.exists()
    services.give_visa(accountant, award, "refused", "Crédits non disponibles sur la ligne budgétaire")
    assert Notification.objects.filter(
        user=buyer.user, subject__startswith="Visa refused", body__contains="Crédits"
    ).exists()
    visa = services.give_visa(accountant, award, "granted", **commitment(award))
    assert award.visa() == visa and visa.accountant_post == accountant.organisation
    with pytest.raises(TenderError) as error:
        services.give_visa(accountant, award, "granted")
    assert "The visa was already granted on" in messages_of(error)
    assert Visa.objects.count() == 2


def test_no_visa_on_a_provisional_award(closed, accountant):
    with pytest.raises(TenderError) as error:
        services.give_visa(accountant, closed.award, "granted")
    assert "The visa is given on a final award." in messages_of(error)


def test_partial_payments_then_a_payment_over_the_remaining_amount_is_refused(
    closed, accountant, clock, buyer
):
    award = finalise(closed)
    today = clock.today()
    with pytest.raises(TenderError) as error:
        services.record_payment(accountant, award, today, "100000", "OP-2026-0001")
    assert "Payments are recorded once the visa on the commitment is granted." in messages_of(error)
    grant_visa(closed, accountant)
    services.record_payment(accountant, award, today, "200000.00", "OP-2026-0001")
    services.record_payment(accountant, award, today, Decimal("150000.50"), "OP-2026-0002")
    assert award.paid() == Decimal("350000.50") and award.remaining() == Decimal("234999.50")
    before = (
        Payment.objects.count(),
        award.paid(),
        AuditEvent.objects.filter(action="award.payment").count(),
    )
    with pytest.raises(TenderError) as error:
        services.record_payment(accountant, award, today, "235000.00", "OP-2026-0003")
    assert messages_of(error) == (
        "This payment of 235,000.00\u00a0MAD is more than what remains to be paid "
        "(234,999.50\u00a0MAD of the committed 585,000.00\u00a0MAD)."
    )
    assert (
        Payment.objects.count(),
        award.paid(),
        AuditEvent.objects.filter(action="award.payment").count(),
    ) == before
    services.record_payment(accountant, award, today, "234999.50", "OP-2026-0003")
    assert award.remaining() == Decimal("0.00")
    assert Notification.objects.filter(user=buyer.user, subject__startswith="Payment recorded").count() == 3


def test_payment_input_is_checked(closed, accountant, other_accountant, clock):
    award = finalise(closed)
    grant_visa(closed, accountant)
    today = clock.today()
    cases = [
        ((accountant, award, today, "-5", "OP-1"), "The amount must be greater than zero."),
        ((accountant, award, today, "12.3456", "OP-1"), "at most 2 digit(s) after the decimal point"),
        ((accountant, award, today, "douze", "OP-1"), "The amount is not a valid number."),
        # One parser for every amount (seei.core.amounts): no exponent, never more than is stored.
        ((accountant, award, today, "1e30", "OP-1"), "The amount is not a valid number."),
        ((accountant, award, today, "1E2", "OP-1"), "The amount is not a valid number."),
        ((accountant, award, today, "9" * 40, "OP-1"), "The amount is too large."),
        ((accountant, award, today, "10", " "), "Give the payment's reference"),
        (
            (accountant, award, today + timedelta(days=2), "10", "OP-1"),
            "A payment cannot be recorded in the future.",
        ),
        ((other_accountant, award, today, "10", "OP-1"), "not in the perimeter of your accountant post"),
    ]
    for args, message in cases:
        with pytest.raises(TenderError) as error:
            services.record_payment(*args)
        assert message in messages_of(error)
    assert not Payment.objects.exists()


def test_the_verifier_checks_the_ledger_and_catches_a_change(closed, accountant):
    from seei.auctions.models import LedgerEntry

    award = finalise(closed)
    report = services.verify(accountant, award)
    assert report.ok, report.errors
    assert report.winner == closed.pseudonym(closed.ranked[0]) and report.winning_amount == Decimal(
        "585000.00"
    )
    assert AuditEvent.objects.filter(action="award.ledger_verified", data__ok=True).exists()
    entry = LedgerEntry.objects.filter(room__lot=closed.lot, type="bid").first()
    entry.data = {**entry.data, "amount": "1.00"}
    entry.save(update_fields=["data"])
    report = services.verify(accountant, award)
    assert not report.ok and any("hash mismatch" in error for error in report.errors)


def test_identities_are_revealed_only_once_final(closed):
    assert all(line.company is None for line in selectors.ranking(closed.lot))
    finalise(closed)
    lines = selectors.ranking(closed.lot)
    assert {line.pseudonym: line.company.name for line in lines} == {
        closed.pseudonym(m): m.organisation.name for m in closed.ranked
    }
    assert [line.company for line in lines] == [m.organisation for m in closed.ranked]
    assert [line.awarded for line in lines] == [True, False, False]


@pytest.mark.django_db(transaction=True)
def test_two_accountants_paying_at_once_never_exceed_the_awarded_amount(buyer, category, region, clock):
    """Two payments of 300,000 on 585,000 at the same moment: the row lock lets exactly one through."""
    import threading

    from django.db import connection

    from tests.awards.conftest import make_accountant

    closed_lot = close_auction(buyer, category, region, clock, reference="AO-AWARD-RACE")
    award = finalise(closed_lot)
    first = make_accountant("Trésorerie A", "a@tresor.gov.ma", [buyer.organisation.parent])
    second = make_accountant("Trésorerie B", "b@tresor.gov.ma", [buyer.organisation])
    services.give_visa(first, award, "granted", **commitment(award))
    barrier, outcomes = threading.Barrier(2), []

    def pay(accountant, reference):
        try:
            barrier.wait()
            with translation.override("en"):  # a new thread starts in the default language
                services.record_payment(accountant, award, clock.today(), "300000.00", reference)
            outcomes.append("paid")
        except TenderError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(m, f"OP-{i}")) for i, m in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[1] == "paid" and "is more than what remains to be paid" in sorted(outcomes)[0]
    assert award.paid() == Decimal("300000.00") and Payment.objects.count() == 1


def test_a_winning_bid_deleted_in_the_database_is_caught(closed, accountant, tmp_path, capsys):
    """Issue 13's finding: the winning bid deleted, the chain and the close entry recomputed (no key
    needed). The export used to sign it all again, so the check answered OK with another winner."""
    from seei.auctions import signing
    from seei.auctions.selectors import ledger_document
    from seei.auctions.verify import main
    from tests.auctions.forge import delete_winning_bid

    award = finalise(closed)
    winner = closed.pseudonym(closed.ranked[0])
    assert delete_winning_bid(closed.room) == closed.pseudonym(closed.ranked[1]) != winner

    report = services.verify(accountant, award)
    assert not report.ok and any(error.endswith("signature invalid") for error in report.errors)
    assert AuditEvent.objects.filter(action="award.ledger_verified", data__ok=False).exists()
    path, key = tmp_path / "ledger.json", tmp_path / "seei.pem"
    path.write_text(json.dumps(ledger_document(closed.room)))
    key.write_text(signing.public_key_pem())
    assert main([str(path), "--public-key", str(key)]) == 1
    assert "signature invalid" in capsys.readouterr().out
