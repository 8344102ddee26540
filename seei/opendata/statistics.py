"""Savings statistics, aggregated by PostgreSQL: one query per table, whatever the number of lots.

Definitions (the programme's, which give back its published 2016 figures to the cent):
- a lot counts in the period of its auction date (``Lot.opens_at``) once its procedure reached an
  outcome: unsuccessful, auction closed (award under way) or awarded;
- estimated amount = the estimates of all these lots, unsuccessful ones included;
- awarded amount = the amounts of the final awards;
- saving = the sum over awarded lots of (estimate − awarded amount); saving % = saving / estimated amount;
- record saving = the highest (estimate − awarded) / estimate of one lot;
- applicants per lot = submitted applications naming the lot, averaged over all lots; bidders per lot =
  companies admitted to the lot's auction room, averaged over the lots that had a room.

Amounts are summed in one currency. A lot of a notice in another currency is converted, lot by lot
and rounded to the cent, with the rate recorded on its notice (``Tender.exchange_rates``); a notice
without a rate for the table's currency is left out and counted apart, never guessed.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, NullIf, Round, TruncMonth, TruncYear
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seei.applications.models import Application
from seei.auctions.models import Bidder
from seei.awards.models import Award
from seei.core.translated import Translated
from seei.tenders.models import Currency, Lot, Tender

# A rate as the notice's validator accepts it; anything else is never cast (see ``_rate``).
RATE_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,10})?$"
MONEY = DecimalField(max_digits=20, decimal_places=2)
RATE = DecimalField(max_digits=24, decimal_places=10)
RATIO = DecimalField(max_digits=30, decimal_places=20)
CENT = Decimal("0.01")
# Lots whose procedure reached an outcome; the others have no place in a saving yet.
COUNTED_STATUSES = (Lot.Status.UNSUCCESSFUL, Lot.Status.CLOSED, Lot.Status.AWARDED)
FINAL = Q(award__status=Award.Status.FINAL)

BREAKDOWNS = {
    "year": gettext_lazy("Year"),
    "month": gettext_lazy("Month"),
    "category": gettext_lazy("Category"),
    "region": gettext_lazy("Region"),
    "buyer": gettext_lazy("Buyer"),
}


def default_currency() -> str:
    return settings.SEEI_STATISTICS_CURRENCY


# What is asked ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the figures are about. ``buyers`` holds organisation ids, sub-organisations included;
    None means every buyer."""

    start: date | None = None
    end: date | None = None
    currency: str = field(default_factory=default_currency)
    buyers: frozenset[int] | None = None
    category: int | None = None
    region: int | None = None


def check_period(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        message = _(
            "The period ends (%(end)s) before it starts (%(start)s): give an end on or after the start."
        ) % {
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        raise ValidationError({"end": [message]}, code="inverted_period")


def check_currency(currency: str) -> str:
    if currency not in Currency.values:
        message = _("“%(currency)s” is not a currency of the platform; choose one of %(choices)s.") % {
            "currency": currency,
            "choices": ", ".join(Currency.values),
        }
        raise ValidationError({"currency": [message]}, code="unknown_currency")
    return currency


def make_filters(start=None, end=None, currency=None, *, buyers=None, category=None, region=None) -> Filters:
    """Filters from checked values: an inverted period or an unknown currency is refused with its message."""
    check_period(start, end)
    return Filters(
        start=start,
        end=end,
        currency=check_currency(currency or default_currency()),
        buyers=None if buyers is None else frozenset(buyers),
        category=category,
        region=region,
    )


# The lots and their per-lot expressions ------------------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _rate(currency: str):
    """The notice's recorded rate into ``currency`` (NULL when there is none)."""
    return Cast(KeyTextTransform(currency, "tender__exchange_rates"), RATE)


def _convertible(currency: str) -> Q:
    # ``rate_text`` is aliased by _base_lots: never NULL, so that exclude() keeps lots without a rate.
    return Q(tender__currency=currency) | Q(rate_text__regex=RATE_PATTERN)


def _in_currency(amount, currency: str):
    """An amount of the lot's notice in ``currency``: as is, or converted and rounded to the cent."""
    return Case(
        When(tender__currency=currency, then=amount),
        default=Round(amount * _rate(currency), 2),
        output_field=MONEY,
    )


def _base_lots(filters: Filters):
    lots = (
        Lot.objects.real()
        .filter(tender__status=Tender.Status.PUBLISHED, status__in=COUNTED_STATUSES)
        .alias(
            rate_text=Coalesce(
                KeyTextTransform(filters.currency, "tender__exchange_rates"),
                Value(""),
                output_field=TextField(),
            )
        )
    )
    if filters.start:
        lots = lots.filter(opens_at__gte=_local_midnight(filters.start))
    if filters.end:
        lots = lots.filter(opens_at__lt=_local_midnight(filters.end + timedelta(days=1)))
    if filters.buyers is not None:
        lots = lots.filter(tender__buyer__in=filters.buyers)
    if filters.category:
        lots = lots.filter(
            Q(tender__category=filters.category) | Q(tender__category__parent=filters.category)
        )
    if filters.region:
        lots = lots.filter(tender__region=filters.region)
    return lots


def counted_lots(filters: Filters):
    """The lots of the statistics (those whose amounts can be put in the table's currency)."""
    return _base_lots(filters).filter(_convertible(filters.currency))


def _estimate(currency):
    return _in_currency(F("estimated_amount"), currency)


def _awarded(currency):
    return _in_currency(F("award__amount"), currency)


def _saving_share(currency):
    estimate = _estimate(currency)
    return ExpressionWrapper(
        (estimate - _awarded(currency)) / NullIf(estimate, Value(Decimal(0))), output_field=RATIO
    )


# One table, one query --------------------------------------------------------------------------------
# The ORM writes the lots of the selection, filters included, with their amounts already in the
# table's currency. SQL then sums them per group, and counts the applicants and the bidders of those
# lots per group too: joins and GROUP BY, never one subquery per lot. The selection is inlined where
# it is used (NOT MATERIALIZED) so that PostgreSQL estimates each join from the tables' statistics.

TABLE_SQL = """
WITH lots AS NOT MATERIALIZED ({lots}),
figures AS (
    SELECT {groups}
        count(DISTINCT lots.tender_id) AS auctions,
        count(*) AS lots,
        count(*) FILTER (WHERE lots.is_final) AS awarded_lots,
        count(*) FILTER (WHERE lots.status = %s) AS unsuccessful_lots,
        count(*) FILTER (WHERE lots.status <> %s AND NOT lots.is_final) AS pending_lots,
        count(lots.room_id) AS rooms,
        sum(lots.estimate) AS estimated,
        sum(lots.awarded) FILTER (WHERE lots.is_final) AS awarded,
        sum(lots.estimate - lots.awarded) FILTER (WHERE lots.is_final) AS saving,
        max((lots.estimate - lots.awarded) / NULLIF(lots.estimate, 0)) FILTER (WHERE lots.is_final) AS record_share
    FROM lots {group_by}
),
applicants AS (
    SELECT {groups} count(*) AS n
    FROM lots
    JOIN {links} link ON link.lot_id = lots.id
    JOIN {applications} application ON application.id = link.application_id AND application.status = %s
    {group_by}
),
bidders AS (
    SELECT {groups} count(*) AS n
    FROM lots JOIN {bidders} bidder ON bidder.room_id = lots.room_id
    {group_by}
)
SELECT figures.*,
    coalesce(applicants.n, 0)::numeric / NULLIF(figures.lots, 0) AS applicants,
    bidders.n::numeric / NULLIF(figures.rooms, 0) AS bidders
FROM figures
LEFT JOIN applicants ON {same_group_as_applicants}
LEFT JOIN bidders ON {same_group_as_bidders}
{order_by}
"""


def _table(filters: Filters, groups: dict, ordering: list[str]) -> list[dict]:
    """Rows of figures, one per group (a single row without groups).

    ``groups`` are annotations of the lots whose first one, ``key``, identifies the group; the
    others (code, name) only come along to be shown.
    """
    currency = filters.currency
    lots = (
        counted_lots(filters)
        .annotate(
            **groups,
            estimate=_estimate(currency),
            awarded=_awarded(currency),
            is_final=Case(When(FINAL, then=Value(True)), default=Value(False), output_field=BooleanField()),
            room_id=F("room__id"),
        )
        .values("id", "tender_id", "status", "estimate", "awarded", "is_final", "room_id", *groups)
        .order_by()
    )
    try:
        lots_sql, lots_params = lots.query.sql_with_params()
    except EmptyResultSet:  # e.g. an empty list of buyers: no lot can match
        return []
    quote = connection.ops.quote_name
    names = [f"lots.{quote(name)}" for name in groups]
    same_group = {
        table: " AND ".join(f"{table}.{quote(name)} = figures.{quote(name)}" for name in list(groups)[:1])
        or "TRUE"
        for table in ("applicants", "bidders")
    }
    sql = TABLE_SQL.format(
        lots=lots_sql,
        links=quote(Application.lots.through._meta.db_table),
        applications=quote(Application._meta.db_table),
        bidders=quote(Bidder._meta.db_table),
        groups="".join(f"{name}, " for name in names),
        group_by=f"GROUP BY {', '.join(names)}" if names else "",
        same_group_as_applicants=same_group["applicants"],
        same_group_as_bidders=same_group["bidders"],
        order_by=f"ORDER BY {', '.join(f'figures.{quote(name)}' for name in ordering)}" if ordering else "",
    )
    unsuccessful = Lot.Status.UNSUCCESSFUL
    params = [*lots_params, unsuccessful, unsuccessful, Application.Status.SUBMITTED]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# The figures -------------------------------------------------------------------------------------


def _rounded(value, places=CENT) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def _percent(part, whole) -> Decimal | None:
    if part is None or not whole:
        return None
    return _rounded(Decimal(part) * 100 / Decimal(whole))


@dataclass
class Figures:
    """One line of a table: the totals of a period, or of one year, month, category, region or buyer."""

    currency: str
    auctions: int = 0
    lots: int = 0
    awarded_lots: int = 0
    unsuccessful_lots: int = 0
    pending_lots: int = 0
    estimated: Decimal = Decimal("0.00")
    awarded: Decimal = Decimal("0.00")
    saving: Decimal = Decimal("0.00")
    record_share: Decimal | None = None
    applicants: Decimal | None = None
    bidders: Decimal | None = None
    key: object = None  # the group: a date (year, month) or an id (category, region, buyer)
    label: str = ""
    code: str = ""  # the group as written in the CSV: 2016, 2016-03, a category code...

    @classmethod
    def from_row(cls, currency: str, row: dict, **extra) -> "Figures":
        return cls(
            currency=currency,
            auctions=row["auctions"],
            lots=row["lots"],
            awarded_lots=row["awarded_lots"],
            unsuccessful_lots=row["unsuccessful_lots"],
            pending_lots=row["pending_lots"],
            estimated=_rounded(row["estimated"]) or Decimal("0.00"),
            awarded=_rounded(row["awarded"]) or Decimal("0.00"),
            saving=_rounded(row["saving"]) or Decimal("0.00"),
            record_share=row["record_share"],
            applicants=_rounded(row["applicants"]),
            bidders=_rounded(row["bidders"]),
            **extra,
        )

    @property
    def saving_percent(self) -> Decimal | None:
        return _percent(self.saving, self.estimated)

    @property
    def record_percent(self) -> Decimal | None:
        return None if self.record_share is None else _rounded(Decimal(self.record_share) * 100)


def totals(filters: Filters) -> Figures:
    """The figures of the whole selection (one query)."""
    rows = _table(filters, {}, [])
    return Figures.from_row(filters.currency, rows[0]) if rows else Figures(filters.currency)


def _group(by: str):
    """(the GROUP BY expressions, the ordering) of a breakdown."""
    if by == "year":
        return {"key": TruncYear("opens_at")}, ["key"]
    if by == "month":
        return {"key": TruncMonth("opens_at")}, ["key"]
    if by == "category":
        return {
            "key": F("tender__category"),
            "g_code": F("tender__category__code"),
            "g_name": F("tender__category__name"),
        }, ["g_code"]
    if by == "region":
        return {
            "key": F("tender__region"),
            "g_code": F("tender__region__code"),
            "g_name": F("tender__region__name"),
        }, ["g_code"]
    if by == "buyer":
        return {"key": F("tender__buyer"), "g_name": F("tender__buyer__name")}, ["g_name", "key"]
    raise ValueError(f"unknown breakdown {by!r}")


def _label(by: str, row: dict) -> tuple[str, str]:
    """(the label shown, the code written in the CSV) of a group."""
    key = row["key"]
    if by == "year":
        return str(key.year), str(key.year)
    if by == "month":
        return date_format(key, "YEAR_MONTH_FORMAT"), f"{key.year:04d}-{key.month:02d}"
    if by == "buyer":
        return row["g_name"], str(key)
    # A raw query hands the translated name over as JSON text.
    name = row["g_name"]
    name = Translated(json.loads(name) if isinstance(name, str) else name or {})
    return str(name) or row["g_code"], row["g_code"]


def breakdown(filters: Filters, by: str) -> list[Figures]:
    """The figures per year, month, category, region or buyer (one query)."""
    groups, ordering = _group(by)
    result = []
    for row in _table(filters, groups, ordering):
        label, code = _label(by, row)
        result.append(Figures.from_row(filters.currency, row, key=row["key"], label=label, code=code))
    return result


@dataclass(frozen=True)
class RateUsed:
    currency: str  # the notice's currency
    rate: Decimal  # 1 unit of it in the table's currency
    notices: int
    lots: int


def rates_used(filters: Filters) -> list[RateUsed]:
    """Every rate the table converted with, and how many notices and lots it applied to (one query)."""
    rows = (
        counted_lots(filters)
        .exclude(tender__currency=filters.currency)
        .values("tender__currency", rate=KeyTextTransform(filters.currency, "tender__exchange_rates"))
        .annotate(notices=Count("tender", distinct=True), lots=Count("pk"))
        .order_by("tender__currency", "rate")
    )
    # As recorded on the notices ("0.1030" stays "0.1030").
    return [
        RateUsed(row["tender__currency"], Decimal(row["rate"]), row["notices"], row["lots"]) for row in rows
    ]


@dataclass(frozen=True)
class LeftOut:
    """Lots of notices in another currency with no recorded rate: not in the table."""

    notices: int
    lots: int
    currencies: tuple[str, ...]


def left_out(filters: Filters) -> LeftOut:
    lots = _base_lots(filters).exclude(_convertible(filters.currency))
    rows = lots.values("tender__currency").annotate(notices=Count("tender", distinct=True), lots=Count("pk"))
    rows = list(rows.order_by("tender__currency"))
    return LeftOut(
        notices=sum(row["notices"] for row in rows),
        lots=sum(row["lots"] for row in rows),
        currencies=tuple(row["tender__currency"] for row in rows),
    )


@dataclass(frozen=True)
class Record:
    """The lot with the highest saving rate, in the table's currency."""

    lot_id: int
    number: int
    title: object
    tender_id: int
    reference: str
    estimated: Decimal
    awarded: Decimal
    share: Decimal

    @property
    def percent(self) -> Decimal:
        return _rounded(self.share * 100)


def record(filters: Filters) -> Record | None:
    """The record saving and its lot (one query); the earliest auction wins a tie."""
    currency = filters.currency
    row = (
        counted_lots(filters)
        .filter(FINAL)
        .annotate(share=_saving_share(currency), estimated=_estimate(currency), awarded=_awarded(currency))
        .filter(share__isnull=False)
        .order_by("-share", "opens_at", "pk")
        .values("pk", "number", "title", "tender_id", "tender__reference", "estimated", "awarded", "share")
        .first()
    )
    if row is None:
        return None
    return Record(
        lot_id=row["pk"],
        number=row["number"],
        title=row["title"],
        tender_id=row["tender_id"],
        reference=row["tender__reference"],
        estimated=_rounded(row["estimated"]),
        awarded=_rounded(row["awarded"]),
        share=Decimal(row["share"]),
    )


@dataclass
class Report:
    """Everything the statistics page, its CSV and the API show for one selection."""

    filters: Filters
    by: str
    totals: Figures
    rows: list[Figures]
    rates: list[RateUsed]
    left_out: LeftOut
    record: Record | None


def report(filters: Filters, by: str = "year") -> Report:
    if by not in BREAKDOWNS:
        raise ValidationError(
            {"by": [_("Choose a breakdown among: %(choices)s.") % {"choices": ", ".join(BREAKDOWNS)}]}
        )
    return Report(
        filters=filters,
        by=by,
        totals=totals(filters),
        rows=breakdown(filters, by),
        rates=rates_used(filters),
        left_out=left_out(filters),
        record=record(filters),
    )
