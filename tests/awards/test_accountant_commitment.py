"""The commitment (engagement) recorded with the visa: a granted visa needs it (amount, budget line,
date), never more than the awarded amount; it is audited, shown, and caps the payments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from seei.awards import services
from seei.awards.models import Commitment, Visa
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from tests.awards.conftest import commitment, finalise, grant_visa
from tests.awards.test_accountant_file import client_for, text


def errors_of(error) -> dict:
    return error.value.message_dict


def test_a_granted_visa_records_its_commitment_and_is_audited(closed, accountant, clock):
    award = finalise(closed)
    visa = services.give_visa(
        accountant, award, "granted", **commitment(award, "400000", "2.1.4.11 Équipement")
    )
    recorded = Commitment.objects.get(award=award)
    assert recorded.visa == visa and recorded.amount == Decimal("400000.00")
    assert recorded.budget_line == "2.1.4.11 Équipement" and recorded.committed_on == clock.today()
    assert recorded.accountant_post == accountant.organisation and recorded.recorded_by == accountant.user
    event = AuditEvent.objects.get(action="award.visa")
    assert event.actor == accountant.user and event.data["commitment"] == {
        "amount": "400000.00",
        "budget_line": "2.1.4.11 Équipement",
        "committed_on": clock.today().isoformat(),
    }
    assert award.committed() == Decimal("400000.00") and award.remaining() == Decimal("400000.00")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"commitment_amount": None}, "commitment_amount", "Give the committed amount."),
        ({"commitment_amount": "585000.01"}, "commitment_amount", "cannot exceed the awarded amount"),
        ({"commitment_amount": "0"}, "commitment_amount", "greater than zero"),
        ({"commitment_amount": "cinq"}, "commitment_amount", "The amount is not a valid number."),
        ({"budget_line": "  "}, "budget_line", "Give the budget line"),
        ({"budget_line": "x" * 121}, "budget_line", "120 characters at most"),
        ({"committed_on": None}, "committed_on", "Give the commitment date."),
        ({"committed_on": "tomorrow"}, "committed_on", "cannot be dated in the future"),
    ],
)
def test_a_visa_is_not_granted_without_a_valid_commitment(
    closed, accountant, clock, overrides, field, message
):
    award = finalise(closed)
    values = {**commitment(award), **overrides}
    if values["committed_on"] == "tomorrow":
        values["committed_on"] = clock.today() + timedelta(days=2)
    with pytest.raises(TenderError) as error:
        services.give_visa(accountant, award, "granted", **values)
    assert any(message in m for m in errors_of(error)[field])
    assert not Visa.objects.exists() and not Commitment.objects.exists()
    assert not AuditEvent.objects.filter(action="award.visa").exists()


def test_a_refusal_needs_no_commitment(closed, accountant):
    award = finalise(closed)
    services.give_visa(accountant, award, "refused", "Crédits insuffisants")
    assert not Commitment.objects.exists() and award.committed() == Decimal("0.00")


def test_payments_never_exceed_the_commitment(closed, accountant, clock):
    award = finalise(closed)
    grant_visa(closed, accountant, commitment_amount="300000")
    today = clock.today()
    services.record_payment(accountant, award, today, "200000", "OP-1")
    with pytest.raises(TenderError) as error:
        services.record_payment(accountant, award, today, "100000.01", "OP-2")
    assert errors_of(error)["amount"] == [
        "This payment of 100,000.01\u00a0MAD is more than what remains to be paid "
        "(100,000.00\u00a0MAD of the committed 300,000.00\u00a0MAD)."
    ]
    services.record_payment(accountant, award, today, "100000", "OP-2")
    assert award.paid() == Decimal("300000.00") and award.remaining() == Decimal("0.00")


def test_the_page_records_the_commitment_with_the_visa(closed, accountant, clock):
    award = finalise(closed)
    client = client_for(accountant)
    url = reverse("awards:accountant_award", args=[award.pk])
    page = text(client.get(url))
    assert 'data-testid="commitment-fields"' in page and 'name="budget_line"' in page
    visa_url = reverse("awards:visa", args=[award.pk])
    today = clock.today().isoformat()
    response = client.post(
        visa_url, {"decision": "granted", "commitment_amount": "600000", "committed_on": today}
    )
    page = text(response)
    assert response.status_code == 400
    assert "cannot exceed the awarded amount" in page and "Give the budget line" in page
    assert not Visa.objects.exists()
    body = {
        "decision": "granted",
        "commitment_amount": "585000",
        "budget_line": "1.2.3.40",
        "committed_on": today,
    }
    assert client.post(visa_url, body).status_code == 302
    page = text(client.get(url))
    assert 'data-testid="budget-line">1.2.3.40' in page and 'data-testid="committed">585,000.00' in page
    assert 'data-testid="payment-form"' in page and 'data-testid="visa-form"' not in page
    # The buyer sees the commitment on its award page too.
    assert "1.2.3.40" in text(client_for(closed.buyer).get(reverse("awards:detail", args=[award.pk])))


def test_other_people_cannot_grant_a_visa_or_commit(closed, other_accountant, buyer, clock):
    award = finalise(closed)
    body = {
        "decision": "granted",
        "commitment_amount": "585000",
        "budget_line": "1",
        "committed_on": "2026-01-15",
    }
    url = reverse("awards:visa", args=[award.pk])
    assert client_for(other_accountant).post(url, body).status_code == 403
    assert client_for(buyer).post(url, body).status_code == 403
    assert client_for(closed.commission).post(url, body).status_code == 403
    assert client_for().post(url, body).status_code == 302
    assert not Visa.objects.exists() and not Commitment.objects.exists()


@pytest.mark.urls("tests.awards.urls")
def test_the_api_grants_with_the_commitment(closed, accountant):
    from tests.awards.test_api import api

    award = finalise(closed)
    client = api(accountant)
    response = client.post(f"/awards/{award.pk}/visa", {"decision": "granted"})
    assert response.status_code == 400 and "Give the committed amount." in str(response.json())
    body = {
        "decision": "granted",
        "commitment_amount": "585000.00",
        "budget_line": "1.2",
        "committed_on": "2026-01-15",
    }
    assert client.post(f"/awards/{award.pk}/visa", body).status_code == 201
    assert Commitment.objects.get(award=award).budget_line == "1.2"
