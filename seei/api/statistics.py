"""Statistics and savings: the figures of the public statistics page, and a buyer's own.

``GET /statistics?start=YYYY-MM-DD&end=YYYY-MM-DD[&currency=USD]`` answers the public totals for
the period (the same numbers as the page and its CSV); ``by`` adds the figures per year, month,
category, region or buyer. An inverted period is refused (400) with its message.
"""

from datetime import date
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema

from seei.api.auth import AUTH
from seei.api.schemas import Input
from seei.opendata import selectors, statistics
from seei.tenders.models import Category, Currency, Region

router = Router(tags=["statistics"])

Breakdown = Literal[tuple(statistics.BREAKDOWNS)]


class StatisticsFilters(Input):
    start: date | None = Field(None, description="First day of the period (auction date), included.")
    end: date | None = Field(None, description="Last day of the period, included; not before `start`.")
    currency: Currency | None = Field(
        None, description="Currency of the amounts (default: the platform's statistics currency)."
    )
    category: str | None = Field(None, description="Category code (its sub-categories included).")
    region: str | None = Field(None, description="Region code.")
    buyer: int | None = Field(
        None, description="Id of a buyer organisation (its sub-organisations included)."
    )
    by: Breakdown | None = Field(
        None, description="Also give the figures per year, month, category, region or buyer."
    )


class FiguresOut(Schema):
    auctions: int = Field(description="Notices with at least one counted lot.")
    lots: int
    awarded_lots: int
    unsuccessful_lots: int
    pending_lots: int = Field(description="Lots whose auction closed and whose award is not final yet.")
    estimated_amount: Decimal = Field(validation_alias="estimated")
    awarded_amount: Decimal = Field(validation_alias="awarded")
    saving_amount: Decimal = Field(validation_alias="saving")
    saving_percent: Decimal | None
    record_saving_percent: Decimal | None = Field(validation_alias="record_percent")
    average_applicants: Decimal | None = Field(validation_alias="applicants")
    average_bidders: Decimal | None = Field(validation_alias="bidders")


class GroupOut(FiguresOut):
    code: str = Field(description="2016, 2016-03, a category or region code, or a buyer id.")
    label: str


class RateOut(Schema):
    currency: str = Field(description="The notice's currency.")
    rate: Decimal = Field(
        description="Value of 1 unit of it in the table's currency, as recorded on the notices."
    )
    notices: int
    lots: int


class LeftOutOut(Schema):
    notices: int
    lots: int
    currencies: list[str]


class RecordOut(Schema):
    notice_id: int = Field(validation_alias="tender_id")
    reference: str
    lot_number: int = Field(validation_alias="number")
    estimated_amount: Decimal = Field(validation_alias="estimated")
    awarded_amount: Decimal = Field(validation_alias="awarded")
    saving_percent: Decimal = Field(validation_alias="percent")


class StatisticsOut(Schema):
    start: date | None
    end: date | None
    currency: str
    totals: FiguresOut
    record: RecordOut | None
    rates: list[RateOut] = Field(description="The rates the amounts in other currencies were converted with.")
    left_out: LeftOutOut = Field(
        description="Lots of notices with no recorded rate into the currency: not counted."
    )
    by: str | None = None
    groups: list[GroupOut] = []


def _answer(filters: StatisticsFilters, scope: list[int] | None) -> dict:
    selection = statistics.make_filters(
        filters.start,
        filters.end,
        filters.currency,
        buyers=selectors.buyer_tree(filters.buyer, scope),
        category=selectors.by_code(Category, "category", filters.category),
        region=selectors.by_code(Region, "region", filters.region),
    )
    report = statistics.report(selection, filters.by or "year")
    return {
        "start": selection.start,
        "end": selection.end,
        "currency": selection.currency,
        "totals": report.totals,
        "record": report.record,
        "rates": report.rates,
        "left_out": report.left_out,
        "by": filters.by,
        "groups": report.rows if filters.by else [],
    }


@router.get("/statistics", response=StatisticsOut)
def public_statistics(request, filters: Query[StatisticsFilters]):
    """The public totals of the statistics page for a period (auction dates, both days included).

    Estimated amount: all the counted lots, unsuccessful ones included; awarded amount: final
    awards; saving: the sum over awarded lots of (estimate − awarded amount); amounts in another
    currency are converted lot by lot with the rate recorded on their notice.
    """
    return _answer(filters, scope=None)


@router.get("/buyer/statistics", response=StatisticsOut, auth=AUTH, tags=["buyer"])
def buyer_statistics(request, filters: Query[StatisticsFilters]):
    """The same figures for the caller's own organisation and its sub-organisations
    (buyer agents and commission members)."""
    return _answer(filters, scope=selectors.buyer_scope(request.auth))
