"""``GET /red-flags?year=YYYY``: the integrity red flags of a year, as the public page shows them.

Each item has the flag's code (the identifier of the OCP guide where it has one), the notice and
lot, the figures that made it fire and the rule's text in the request's language. Registered in
seei/api/urls.py.
"""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from seei.api.schemas import Input
from seei.opendata import selectors as opendata
from seei.redflags import rules, selectors
from seei.tenders.models import Region

router = Router(tags=["red flags"])

Figure = Decimal | int | bool | datetime | None


class RedFlagFilters(Input):
    year: int = Field(
        description="Year of the auctions (a lot counts in the year of its auction).", ge=1900, le=9999
    )
    buyer: int | None = Field(
        None, description="Id of a buyer organisation (its sub-organisations included)."
    )
    flag: str | None = Field(None, description="A flag's code, e.g. R018.")
    region: str | None = Field(None, description="Region code.")


class RedFlagOut(Schema):
    code: str = Field(
        description="The identifier in the OCP red-flag guide (R018…), or SEEI-… for the platform's own."
    )
    title: str
    rule: str = Field(description="The rule that fired, with its thresholds, in the request's language.")
    year: int
    notice_id: int = Field(validation_alias="tender_id")
    reference: str
    buyer_id: int
    buyer: str
    region: str
    lot_id: int | None
    lot_number: int | None
    currency: str
    figures: dict[str, Figure] = Field(
        description="The figures that made the flag fire; amounts in `currency`."
    )


class RedFlagsOut(Schema):
    year: int
    count: int
    items: list[RedFlagOut]


@router.get("/red-flags", response=RedFlagsOut)
def red_flags(request, filters: Query[RedFlagFilters]):
    """The red flags of the real procedures of a year, computed from their public data only."""
    buyers = opendata.buyer_tree(filters.buyer)
    if filters.flag is not None and filters.flag not in rules.CODES:
        raise ValidationError({"flag": [_("Unknown red flag “%(code)s”.") % {"code": filters.flag}]})
    opendata.by_code(Region, "region", filters.region)  # an unknown region is refused, as by the statistics
    items = selectors.select(
        selectors.year_flags(filters.year), buyers=buyers, code=filters.flag, region=filters.region or None
    )
    return {"year": filters.year, "count": len(items), "items": items}
