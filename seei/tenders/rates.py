"""The exchange rates of an international notice: what one unit of its currency is worth in the
platform's other currencies. The statistics convert its amounts with them (seei.opendata)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from seei.core import audit
from seei.tenders.drafts import require_real
from seei.tenders.errors import TenderError
from seei.tenders.models import Currency, Tender, validate_exchange_rates
from seei.tenders.services import _require_buyer


def other_currencies(tender: Tender) -> list[str]:
    return [code for code in Currency.values if code != tender.currency]


@transaction.atomic
def set_exchange_rates(membership, tender: Tender, rates: dict) -> Tender:
    """``rates``: {currency: rate as text, or "" to remove it}."""
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    _require_buyer(membership, tender)
    require_real(tender)
    if not tender.international:
        raise TenderError(_("Exchange rates are entered for an international notice only."))
    if tender.status == Tender.Status.CANCELLED:
        raise TenderError(_("This notice is cancelled."))
    if tender.currency in rates and (rates[tender.currency] or "").strip():
        raise TenderError(_("A notice needs no rate for its own currency."))
    cleaned = {code: rate.strip().replace(",", ".") for code, rate in rates.items() if (rate or "").strip()}
    try:
        validate_exchange_rates(cleaned)
    except ValidationError as error:
        raise TenderError(error.messages) from None
    before = dict(tender.exchange_rates or {})
    if before == cleaned:
        raise TenderError(_("The exchange rates are unchanged."))
    tender.exchange_rates = cleaned
    tender.save(update_fields=["exchange_rates"])
    audit.record(
        "tender.exchange_rates",
        tender,
        membership.user,
        membership.organisation,
        before=before,
        after=cleaned,
    )
    return tender
