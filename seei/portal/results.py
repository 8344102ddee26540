"""The public results: awarded and unsuccessful lots of real notices, with their savings.

The saving is the statistics' own (``seei.opendata.statistics``): estimate − awarded amount of a final
award, and its share of the estimate; here per lot, in the notice's currency (nothing is converted). A lot
is dated by its auction (``Lot.opens_at``), as the statistics date it, so a period gives the same lots
on both pages. Companies are named only once their award is final, as on the lot's result page.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from seei.awards.models import Award
from seei.opendata import statistics
from seei.opendata.selectors import buyer_tree
from seei.tenders.models import Lot, Tender
from seei.tenders.search import matching

AWARDED, UNSUCCESSFUL = Lot.Status.AWARDED.value, Lot.Status.UNSUCCESSFUL.value
STATUS_CHOICES = [(AWARDED, gettext_lazy("Awarded")), (UNSUCCESSFUL, gettext_lazy("Unsuccessful"))]
OUTCOME = Q(status=AWARDED, award__status=Award.Status.FINAL) | Q(status=UNSUCCESSFUL)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


def result_lots(criteria: dict):
    """The lots of the results (already validated ``criteria``), newest auction first."""
    lots = Lot.objects.real().filter(OUTCOME, tender__status=Tender.Status.PUBLISHED)
    if status := criteria.get("status"):
        lots = lots.filter(status=status)
    if buyer := criteria.get("buyer"):
        lots = lots.filter(tender__buyer__in=buyer_tree(buyer.pk))
    if category := criteria.get("category"):
        lots = lots.filter(Q(tender__category=category) | Q(tender__category__parent=category))
    if region := criteria.get("region"):
        lots = lots.filter(tender__region=region)
    if start := criteria.get("start"):
        lots = lots.filter(opens_at__gte=_midnight(start))
    if end := criteria.get("end"):
        lots = lots.filter(opens_at__lt=_midnight(end) + timedelta(days=1))
    if q := criteria.get("q"):
        lots = lots.filter(tender__in=matching(Tender.objects.real(), q).values("pk"))
    return lots.order_by("-opens_at", "-pk")


@dataclass(frozen=True)
class Result:
    lot: Lot
    awarded: bool
    amount: Decimal | None  # the final award's amount
    saving: Decimal | None
    saving_percent: Decimal | None
    company: str  # the awarded company, once final


def result(lot: Lot) -> Result:
    award = getattr(lot, "award", None) if lot.status == AWARDED else None
    amount = award.amount if award is not None else None
    saving = None if amount is None else lot.estimated_amount - amount
    return Result(
        lot=lot,
        awarded=award is not None,
        amount=amount,
        saving=saving,
        saving_percent=statistics._percent(saving, lot.estimated_amount),
        company=award.company.name if award is not None and award.company_id else "",
    )


def results_page(criteria: dict, number) -> Page:
    """One page of results (two queries: the count and the page's lots with their notice and award)."""
    lots = result_lots(criteria).select_related(
        "tender__buyer", "tender__category", "tender__region", "award__company"
    )
    page = Paginator(lots, settings.PAGE_SIZE).get_page(number)
    page.object_list = [result(lot) for lot in page.object_list]
    return page
