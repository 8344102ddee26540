"""The forms read amounts with the one parser (seei.core.amounts), as the API and the room do."""

from decimal import Decimal

import pytest
from django.utils import translation

from seei.alerts.forms import WatchProfileForm
from seei.alerts.models import WatchProfile
from seei.awards.forms import PaymentForm
from seei.tenders.forms import LotForm
from tests.api.conftest import ApiClient, token_for
from tests.conftest import lot_values


@pytest.mark.parametrize(
    "typed, message",
    [
        ("1E2", "Le montant n'est pas un nombre valide."),
        ("1e30", "Le montant n'est pas un nombre valide."),
        ("9" * 40, "Le montant est trop élevé."),
        ("12,345", "Montant ambigu"),
        ("0", "Le montant doit être supérieur à zéro."),
    ],
)
def test_a_payment_amount_is_a_plain_amount(typed, message):
    with translation.override("fr"):
        form = PaymentForm({"paid_on": "2026-03-02", "amount": typed, "reference": "OP-1"})
        assert not form.is_valid()
        assert form.errors["amount"][0].startswith(message)


def test_amounts_are_read_as_people_type_them():
    form = PaymentForm({"paid_on": "2026-03-02", "amount": "1 250,50", "reference": "OP-1"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("1250.50")


def test_a_lot_form_reads_its_amounts_with_the_parser(db, clock):
    values = lot_values(clock.now())
    data = {
        **{k: v for k, v in values.items() if k != "title"},
        "title_fr": "Lot unique",
        "starting_price": "1e30",
        "opens_at": clock.now().strftime("%Y-%m-%dT%H:%M"),
    }
    form = LotForm(data, original_language="fr")

    assert not form.is_valid()
    assert form.errors["starting_price"][0].startswith("The amount is not a valid number.")
    assert form["estimated_amount"].value() == "600000.00"  # shown as stored, never "6.0E+5"


def test_a_watch_profile_reads_its_amounts_with_the_parser_on_the_page_and_the_api(db, company):
    with translation.override("fr"):
        form = WatchProfileForm({"name": "Gros", "amount_min": "1e5", "frequency": "daily"})
        assert not form.is_valid()
        assert form.errors["amount_min"][0].startswith("Le montant n'est pas un nombre valide.")
    assert WatchProfileForm({"name": "Gros", "amount_min": "1 250,50", "frequency": "daily"}).is_valid()

    refused = ApiClient(token_for(company)).post("/watch-profiles", {"name": "Gros", "amount_max": "1e5"})
    assert refused.status_code == 422 and "amount_max" in refused.json()["errors"]
    assert not WatchProfile.objects.exists()
