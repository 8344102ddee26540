"""Reads of the accountant's workspace: its list of awards with what stands on each (to check, visa
granted, refused, partly paid, paid), the filters of that list, the rows of its CSV export and the
statistics of its perimeter. Everything starts from ``selectors.accountant_awards``: the final, real
awards of the buyers in the post's perimeter (practice is never counted)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from seei.accounts.models import Organisation
from seei.awards import selectors
from seei.awards.models import Payment, Visa


class State:
    """Where an award stands for its accountant (exclusive: each award has one)."""

    TO_CHECK = "to_check"
    GRANTED = "granted"
    REFUSED = "refused"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"

    choices = [
        (TO_CHECK, _("To check")),
        (GRANTED, _("Visa granted, nothing paid yet")),
        (REFUSED, _("Visa refused")),
        (PARTLY_PAID, _("Partly paid")),
        (PAID, _("Paid")),
    ]
    labels = dict(choices)


_MONEY = DecimalField(max_digits=18, decimal_places=2)


def with_state(awards):
    """The awards with ``visa_decision`` (the latest), ``committed_total``, ``paid_total`` (net of
    reversals) and ``state``, all computed in the database so the list filters and pages on them."""
    latest = Visa.objects.filter(award=OuterRef("pk")).order_by("-decided_at", "-id").values("decision")[:1]
    paid = (
        Payment.objects.filter(award=OuterRef("pk"))
        .order_by()
        .values("award")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return awards.annotate(
        visa_decision=Subquery(latest, output_field=CharField()),
        paid_total=Coalesce(Subquery(paid, output_field=_MONEY), Value(Decimal("0.00")), output_field=_MONEY),
        # a visa granted before commitments were recorded committed the whole award
        committed_total=Case(
            When(visa_decision=Visa.Decision.GRANTED, then=Coalesce("commitment__amount", "amount")),
            default=Value(Decimal("0.00")),
            output_field=_MONEY,
        ),
        state=Case(
            When(visa_decision__isnull=True, then=Value(State.TO_CHECK)),
            When(visa_decision=Visa.Decision.REFUSED, then=Value(State.REFUSED)),
            When(paid_total__lte=0, then=Value(State.GRANTED)),
            When(paid_total__lt=F("committed_total"), then=Value(State.PARTLY_PAID)),
            default=Value(State.PAID),
            output_field=CharField(),
        ),
    )


def perimeter_buyers(membership):
    return Organisation.objects.filter(pk__in=selectors.perimeter_ids(membership.organisation)).order_by(
        "name"
    )


@dataclass
class Filters:
    state: str = ""
    buyer: Organisation | None = None
    start: date | None = None
    end: date | None = None
    search: str = ""


def filtered(membership, filters: Filters):
    """The accountant's awards, with their state, narrowed by ``filters`` (newest final first)."""
    awards = with_state(selectors.accountant_awards(membership)).select_related("commitment")
    if filters.state:
        awards = awards.filter(state=filters.state)
    if filters.buyer is not None:
        awards = awards.filter(lot__tender__buyer=filters.buyer)
    if filters.start:
        awards = awards.filter(final_at__date__gte=filters.start)
    if filters.end:
        awards = awards.filter(final_at__date__lte=filters.end)
    if filters.search:
        payments = Payment.objects.filter(reference__icontains=filters.search).values("award")
        awards = awards.filter(Q(lot__tender__reference__icontains=filters.search) | Q(pk__in=payments))
    return awards


# Statistics ---------------------------------------------------------------------------------------------


@dataclass
class BuyerStats:
    buyer: Organisation
    currency: str
    awards: int = 0
    awarded: Decimal = Decimal("0.00")
    granted: int = 0
    refused: int = 0
    committed: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    to_visa: list = field(default_factory=list)  # award → visa granted, in days
    to_payment: list = field(default_factory=list)  # visa granted → first payment, in days

    @staticmethod
    def _average(delays) -> float | None:
        return round(sum(delays) / len(delays), 1) if delays else None

    @property
    def days_to_visa(self):
        return self._average(self.to_visa)

    @property
    def days_to_payment(self):
        return self._average(self.to_payment)


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def statistics(membership, filters: Filters) -> list[BuyerStats]:
    """Per buyer of the perimeter (and currency): awards and their amount, visas granted and refused
    (decisions), amounts committed and paid, the average delays from the award to the granted visa and
    from that visa to the first payment. Buyers without an award show zeros."""
    awards = (
        filtered(membership, Filters(start=filters.start, end=filters.end, buyer=filters.buyer))
        .select_related("lot__tender__buyer")
        .prefetch_related("visas", "payments")
    )
    found: dict[tuple[int, str], BuyerStats] = {}
    for award in awards:
        buyer = award.lot.tender.buyer
        stats = found.setdefault((buyer.pk, award.currency), BuyerStats(buyer, award.currency))
        stats.awards += 1
        stats.awarded += award.amount or 0
        visas = sorted(award.visas.all(), key=lambda v: (v.decided_at, v.pk))
        stats.granted += sum(v.decision == Visa.Decision.GRANTED for v in visas)
        stats.refused += sum(v.decision == Visa.Decision.REFUSED for v in visas)
        stats.committed += award.committed_total
        stats.paid += award.paid_total
        granted = next((v for v in visas if v.decision == Visa.Decision.GRANTED), None)
        if granted is None:
            continue
        stats.to_visa.append(_days(granted.decided_at - award.final_at))
        payments = [p.recorded_at for p in award.payments.all() if p.reverses_id is None]
        if payments:
            stats.to_payment.append(_days(min(payments) - granted.decided_at))
    buyers = [filters.buyer] if filters.buyer is not None else perimeter_buyers(membership)
    for buyer in buyers:
        if not any(key[0] == buyer.pk for key in found):
            found[(buyer.pk, "")] = BuyerStats(buyer, "")
    return sorted(found.values(), key=lambda s: (s.buyer.name, s.currency))
