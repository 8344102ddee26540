"""Payments are an account book: never changed nor deleted (the database refuses it too); a mistake
is corrected by a reversing entry (the opposite amount, naming the payment, with a reason), then the
right payment. What is paid is the sum; what remains is the commitment less that sum."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from seei.alerts.models import Notification
from seei.awards import services
from seei.awards.models import Payment
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from tests.awards.conftest import finalise, grant_visa
from tests.awards.test_accountant_file import client_for, text


@pytest.fixture
def paid(closed, accountant, clock):
    """A final award, its visa on the whole amount (585,000) and a payment of 300,000 (OP-1)."""
    award = finalise(closed)
    grant_visa(closed, accountant)
    services.record_payment(accountant, award, clock.today(), "300000", "OP-1")
    return award


def messages_of(error) -> str:
    return " ".join(error.value.messages)


def test_a_reversal_cancels_a_payment_and_the_right_one_follows(paid, accountant, buyer, clock):
    award = paid
    original = Payment.objects.get(reference="OP-1")
    reversal = services.reverse_payment(accountant, award, original.pk, "Montant erroné (saisie)")
    assert reversal.amount == Decimal("-300000.00") and reversal.reverses == original
    assert reversal.reason == "Montant erroné (saisie)" and reversal.reference == "OP-1"
    original.refresh_from_db()
    assert original.amount == Decimal("300000.00") and original.reversed  # the original is untouched
    assert award.paid() == Decimal("0.00") and award.remaining() == Decimal("585000.00")
    event = AuditEvent.objects.get(action="award.payment_reversed")
    assert event.actor == accountant.user and event.data["payment"] == original.pk
    assert event.data["amount"] == "-300000.00" and event.data["reason"] == "Montant erroné (saisie)"
    assert Notification.objects.filter(user=buyer.user, subject__startswith="Payment reversed").exists()
    # The right payment, up to the commitment again.
    services.record_payment(accountant, award, clock.today(), "285000", "OP-1bis")
    assert award.paid() == Decimal("285000.00") and Payment.objects.filter(award=award).count() == 3


def test_a_reversal_is_checked(paid, accountant, other_accountant, buyer, closed, category, region, clock):
    original = Payment.objects.get(reference="OP-1")
    cases = [
        ((accountant, paid, original.pk, "  "), "Say why the payment is reversed"),
        ((other_accountant, paid, original.pk, "x"), "not in the perimeter of your accountant post"),
        ((buyer, paid, original.pk, "x"), "Only an accountant can reverse a payment of this award."),
        ((accountant, paid, 999999, "x"), "This payment is not one of this award."),
    ]
    for args, message in cases:
        with pytest.raises(TenderError) as error:
            services.reverse_payment(*args)
        assert message in messages_of(error)
    assert Payment.objects.count() == 1
    reversal = services.reverse_payment(accountant, paid, original.pk, "Doublon")
    with pytest.raises(TenderError) as error:
        services.reverse_payment(accountant, paid, original.pk, "Encore")
    assert "Payment OP-1 is already reversed." in messages_of(error)
    with pytest.raises(TenderError) as error:
        services.reverse_payment(accountant, paid, reversal.pk, "Annuler l'annulation")
    assert "A reversal cannot be reversed" in messages_of(error)
    assert (
        Payment.objects.count() == 2
        and AuditEvent.objects.filter(action="award.payment_reversed").count() == 1
    )


def test_the_database_refuses_to_change_or_delete_a_payment(paid):
    payment = Payment.objects.get(reference="OP-1")
    for statement in (
        "UPDATE awards_payment SET amount = 1 WHERE id = %s",
        "DELETE FROM awards_payment WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="payments are never changed"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [payment.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(reference="OP-changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        payment.delete()
    payment.refresh_from_db()
    assert payment.amount == Decimal("300000.00") and payment.reference == "OP-1"


def test_the_database_refuses_a_reversal_that_does_not_cancel_a_payment_in_full(paid, accountant):
    payment = Payment.objects.get(reference="OP-1")
    fields = {
        "award": paid,
        "paid_on": payment.paid_on,
        "reference": "OP-1",
        "recorded_by": accountant.user,
        "accountant_post": accountant.organisation,
        "recorded_at": payment.recorded_at,
    }
    with pytest.raises(DatabaseError, match="in full"), transaction.atomic():
        Payment.objects.create(amount=Decimal("-100000"), reverses=payment, reason="partiel", **fields)
    with pytest.raises(DatabaseError), transaction.atomic():  # a negative amount that reverses nothing
        Payment.objects.create(amount=Decimal("-1"), **fields)
    with pytest.raises(DatabaseError), transaction.atomic():  # a reversal without its reason
        Payment.objects.create(amount=Decimal("-300000"), reverses=payment, **fields)
    assert Payment.objects.count() == 1


def test_the_page_reverses_a_payment(paid, accountant):
    client = client_for(accountant)
    url = reverse("awards:accountant_award", args=[paid.pk])
    original = Payment.objects.get(reference="OP-1")
    page = text(client.get(url))
    assert 'data-testid="reversal-form"' in page and "A payment is never changed nor deleted" in page
    reversal_url = reverse("awards:reversal", args=[paid.pk])
    response = client.post(reversal_url, {"payment": original.pk, "reason": ""})
    assert response.status_code == 400 and "This field is required." in text(response)
    response = client.post(reversal_url, {"payment": original.pk, "reason": "Erreur de bénéficiaire"})
    assert response.status_code == 302
    page = text(client.get(url))
    assert 'data-testid="reversal"' in page and "Erreur de bénéficiaire" in page
    assert 'data-testid="paid">0.00' in page and 'data-testid="remaining">585,000.00' in page
    assert 'data-testid="reversal-form"' not in page  # nothing left to reverse
    response = client.post(reversal_url, {"payment": original.pk, "reason": "Encore"})
    assert response.status_code == 400 and "Payment OP-1 is already reversed." in text(response)


def test_outsiders_cannot_reverse_a_payment(paid, other_accountant, buyer, closed):
    original = Payment.objects.get(reference="OP-1")
    url = reverse("awards:reversal", args=[paid.pk])
    body = {"payment": original.pk, "reason": "Erreur"}
    assert client_for(other_accountant).post(url, body).status_code == 403
    for person in (buyer, closed.commission, closed.ranked[0]):
        assert client_for(person).post(url, body).status_code == 403
    assert client_for().post(url, body).status_code == 302
    assert Payment.objects.count() == 1
