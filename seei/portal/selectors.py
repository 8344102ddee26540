"""Reads for the public portal: what anyone may see of published notices.

Everything here starts from ``seei.tenders.selectors.public_tenders()`` so a draft never
leaks, and the clarifications are read as plain values so the asker's identity never
reaches a template.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Prefetch, Q
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from seei.alerts.matching import notices_for_company as watched
from seei.core.translated import Translated
from seei.tenders import errata as errata_display
from seei.tenders.models import Clarification, Lot, Tender
from seei.tenders.search import matching
from seei.tenders.selectors import public_tenders

# The "status" filter: the application phase, judged by the deadline, or a lot status.
APPLICATIONS_OPEN = "applications_open"
APPLICATIONS_CLOSED = "applications_closed"
STATUS_CHOICES = [
    (
        gettext_lazy("Applications"),
        [
            (APPLICATIONS_OPEN, gettext_lazy("Open for applications")),
            (APPLICATIONS_CLOSED, gettext_lazy("Closed for applications")),
        ],
    ),
    # Lot.Status.OPEN is the same thing as "open for applications": not offered twice.
    (gettext_lazy("Lots"), [(value, label) for value, label in Lot.Status.choices if value != "open"]),
]


# Lists ------------------------------------------------------------------------------


def latest_notices(limit: int = 10):
    return public_tenders().order_by("-published_at", "-id")[:limit]


def closing_soon(now: datetime, limit: int = 10):
    """The first notices to close; the home page links to the full list (a search by closing date)."""
    horizon = now + timedelta(days=settings.SEEI_CLOSING_SOON_DAYS)
    return (
        public_tenders()
        .filter(application_deadline__gt=now, application_deadline__lte=horizon)
        .order_by("application_deadline", "id")[:limit]
    )


def search_notices(criteria: dict, now: datetime):
    """Published notices matching the (already validated) criteria of the search form."""
    notices = matching(public_tenders(), criteria.get("q") or "")
    if category := criteria.get("category"):
        notices = notices.filter(Q(category=category) | Q(category__parent=category))
    if region := criteria.get("region"):
        notices = notices.filter(region=region)
    if buyer := criteria.get("buyer"):
        # A ministry's notices include those of its directorates.
        notices = notices.filter(Q(buyer=buyer) | Q(buyer__parent=buyer))
    if currency := criteria.get("currency"):
        notices = notices.filter(currency=currency)
    if closing_from := criteria.get("closing_from"):
        notices = notices.filter(application_deadline__date__gte=closing_from)
    if closing_to := criteria.get("closing_to"):
        notices = notices.filter(application_deadline__date__lte=closing_to)
    status = criteria.get("status")
    if status == APPLICATIONS_OPEN:
        notices = notices.filter(application_deadline__gt=now)
    elif status == APPLICATIONS_CLOSED:
        notices = notices.filter(application_deadline__lte=now)
    elif status:
        # A subquery, not a join, so a notice with two such lots is listed once.
        notices = notices.filter(pk__in=Lot.objects.filter(status=status).values("tender"))
    return notices.order_by("-published_at", "-id")


def for_cards(notices):
    """Only what a notice's card shows (seei/portal/cards.py): every other column of twenty
    notices and their lots, dates above all, costs more to read than the card to write."""
    lots = Lot.objects.only("tender_id", "status", "estimated_amount").order_by("number")
    return (
        notices.only(
            "reference",
            "title",
            "application_deadline",
            "currency",
            "buyer__name",
            "category__name",
            "region__name",
        )
        .prefetch_related(None)
        .prefetch_related(Prefetch("lots", queryset=lots))
    )


# Counting every match of a common word costs more than the rest of the page: the count stops
# past this many, and the page then says "more than" that and lets the visitor page on.
COUNT_CAP = 1000

# The count and the page's ids in one query, from at most ``cap`` + 1 matches read through the
# full-text (or filter) indexes. MATERIALIZED keeps PostgreSQL from ordering by date first: it would
# walk the date index backwards hoping to meet matches soon, fast when they are many, a walk
# through every notice when there are few or none.
FEW_MATCHES_SQL = """
WITH matches (id, published_at) AS MATERIALIZED ({matches})
SELECT (SELECT count(*) FROM matches),
       ARRAY(SELECT id FROM matches ORDER BY published_at DESC, id DESC LIMIT %s OFFSET %s)
"""


class CappedPaginator(Paginator):
    """Pages over a count that stopped at ``cap`` + 1: past the cap, only "more" is known."""

    def __init__(self, count: int, cap: int):
        super().__init__((), settings.PAGE_SIZE)
        self.count = count  # known: the paginator must not count again
        self.cap = cap
        self.capped = count > cap


# Past any real search's last page, and small enough for SQL's LIMIT once times the page size.
LAST_PAGE_NUMBER = 10**9


def _page_number(value) -> int:
    try:
        return min(max(int(value), 1), LAST_PAGE_NUMBER)
    except (TypeError, ValueError):
        return 1


def _count_and_ids(notices, cap: int, offset: int) -> tuple[int, list[int]]:
    """(matches counted up to ``cap`` + 1, the ids of the page at ``offset`` if there are at most
    ``cap``)."""
    matches, params = notices.order_by().values_list("pk", "published_at")[: cap + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(FEW_MATCHES_SQL.format(matches=matches), (*params, settings.PAGE_SIZE, offset))
        return cursor.fetchone()


def search_page(criteria: dict, page_number, now: datetime) -> Page:
    """One page of the search's results, newest first."""
    notices = search_notices(criteria, now)
    number = _page_number(page_number)
    # Counting far enough to know whether a page follows the one asked for.
    cap = max(COUNT_CAP, number * settings.PAGE_SIZE)
    count, ids = _count_and_ids(notices, cap, (number - 1) * settings.PAGE_SIZE)
    paginator = CappedPaginator(count, cap)
    page = paginator.get_page(number)
    offset = (page.number - 1) * settings.PAGE_SIZE
    if paginator.capped:
        # Many matches: ordered by date in SQL, the date index meets them soon.
        ids = list(notices.values_list("pk", flat=True)[offset : offset + settings.PAGE_SIZE])
    elif page.number != number:  # past the last page: the last one instead
        _, ids = _count_and_ids(notices, cap, offset)
    found = for_cards(public_tenders()).in_bulk(ids)
    page.object_list = [found[pk] for pk in ids if pk in found]
    return page


def notices_for_company(company, limit: int = 10):
    """The latest notices its watch profiles match."""
    return watched(company, public_tenders()).order_by("-published_at", "-id")[:limit]


def public_status(tender: Tender, now: datetime) -> list[str]:
    """What the public should read as the notice's state (uses the prefetched lots)."""
    # The lists load only what their cards show (no status: they list published notices only).
    if "status" not in tender.get_deferred_fields() and tender.status == Tender.Status.CANCELLED:
        return [str(Tender.Status.CANCELLED.label)]
    if now < tender.application_deadline:
        return [str(Lot.Status.OPEN.label)]
    labels = []
    for lot in tender.lots.all():
        # A lot still "open" after the deadline simply waits for the commission.
        open_lot = lot.status == Lot.Status.OPEN
        label = _("Closed for applications") if open_lot else str(lot.get_status_display())
        if label not in labels:
            labels.append(label)
    return labels or [_("Closed for applications")]


# One notice ---------------------------------------------------------------------------


def documents(tender: Tender):
    """The notice's documents, oldest first (prefetched by ``public_tender``)."""
    return tender.documents.all()


def published_clarifications(tender: Tender) -> list[dict]:
    """Answered questions as published: only these four values, never the company or asker. With a
    notice read by ``public_tender``, which knows whether it has any: none is looked for in vain."""
    if not tender.answered:
        return []
    return list(
        Clarification.objects.filter(tender=tender, answered_at__isnull=False)
        .order_by("answered_at", "id")
        .values("pk", "published_question", "answer", "answered_at")
    )


def pending_questions(tender_id: int, company) -> list[dict]:
    """The company's own questions still awaiting an answer (shown only to that company)."""
    return list(
        Clarification.objects.filter(tender_id=tender_id, company=company, answered_at__isnull=True)
        .order_by("asked_at", "id")
        .values("pk", "question", "asked_at")
    )


def company_questions(company):
    return Clarification.objects.filter(company=company).select_related("tender").order_by("-asked_at", "-id")


@dataclass
class PreviousVersion:
    """An erratum's snapshot of the notice, with its texts and amounts typed again for display."""

    version: int
    title: Translated
    object: Translated
    delivery_place: str
    delivery_terms: Translated
    application_deadline: datetime | None
    lots: list[dict]
    documents: list[dict]


def _translated(value) -> Translated:
    return Translated(value if isinstance(value, dict) else {})


def _decimal(value):
    return Decimal(value) if value not in (None, "") else None


def previous_version(snapshot: dict) -> PreviousVersion:
    lots = [
        {
            "number": lot.get("number"),
            "title": _translated(lot.get("title")),
            "estimated_amount": _decimal(lot.get("estimated_amount")),
            "starting_price": _decimal(lot.get("starting_price")),
            "opens_at": parse_datetime(lot["opens_at"]) if lot.get("opens_at") else None,
            "items": [
                {
                    "designation": _translated(item.get("designation")),
                    "specification": _translated(item.get("specification")),
                    "quantity": _decimal(item.get("quantity")),
                    "unit": item.get("unit", ""),
                }
                for item in lot.get("items", [])
            ],
        }
        for lot in snapshot.get("lots", [])
    ]
    deadline = snapshot.get("application_deadline")
    return PreviousVersion(
        version=snapshot.get("version", 0),
        title=_translated(snapshot.get("title")),
        object=_translated(snapshot.get("object")),
        delivery_place=snapshot.get("delivery_place", ""),
        delivery_terms=_translated(snapshot.get("delivery_terms")),
        application_deadline=parse_datetime(deadline) if deadline else None,
        lots=lots,
        documents=snapshot.get("documents", []),
    )


def errata_history(tender: Tender) -> list:
    """The errata, oldest first, each with its previous version ready to display."""
    errata = list(tender.errata.all())  # in order of number (prefetched by ``public_tender``)
    for erratum in errata:
        erratum.previous = previous_version(erratum.previous_version or {})
        erratum.rows = [errata_display.describe(change) for change in erratum.changes]
    return errata


# The auction parameters in plain words ---------------------------------------------------


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes and rest:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}
    if minutes:
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    return ngettext("%(count)s second", "%(count)s seconds", rest) % {"count": rest}


def _decrement(lot: Lot, kind: str, value: Decimal, money) -> str:
    amount = money(lot.decrement_amount(kind, value), lot.tender.currency)
    if kind == Lot.DecrementKind.PERCENT:
        return _("%(percent)s %% of the starting price (%(amount)s)") % {
            "percent": number_format(Decimal(f"{value.normalize():f}")),
            "amount": amount,
        }
    return amount


def auction_rules(lot: Lot) -> list[str]:
    """The lot's auction parameters as sentences a company can read before applying."""
    from seei.core.templatetags.seei import money

    base = (
        _("the bidder's own previous bid (the starting price for a first bid)")
        if lot.decrement_base == Lot.DecrementBase.OWN
        else _("the current best price")
    )
    rules = [
        _("Each bid must be at least %(minimum)s lower than %(base)s.")
        % {"minimum": _decrement(lot, lot.min_decrement_kind, lot.min_decrement, money), "base": base}
    ]
    if lot.max_decrement is not None:
        rules.append(
            _("A bid may not be more than %(maximum)s lower than %(base)s.")
            % {"maximum": _decrement(lot, lot.max_decrement_kind, lot.max_decrement, money), "base": base}
        )
    rules.append(
        _("The room opens on %(opens)s for %(duration)s.")
        % {"opens": _local(lot.opens_at), "duration": _duration(lot.duration_minutes * 60)}
    )
    extension = _(
        "A bid accepted in the last %(window)s before the close moves the close to %(extension)s "
        "after that bid."
    ) % {"window": _duration(lot.extension_window_seconds), "extension": _duration(lot.extension_seconds)}
    if lot.only_lead_change_extends:
        extension += " " + _("Only a bid that changes the leader extends the auction.")
    if lot.extension_cap is not None:
        extension += " " + ngettext(
            "The auction can be extended at most %(count)s time.",
            "The auction can be extended at most %(count)s times.",
            lot.extension_cap,
        ) % {"count": lot.extension_cap}
    rules.append(extension)
    rules.append(
        _("What each bidder sees: %(visibility)s. Identities stay hidden until the award.")
        % {"visibility": str(lot.get_visibility_display()).lower()}
    )
    tie = _("Equal amounts rank by the time the server received them, earlier first.")
    tie += " " + (
        _("A bid equal to the current best price is refused.")
        if lot.refuse_equal_best
        else _("A bid equal to the current best price is accepted and ranks after it.")
    )
    rules.append(tie)
    if lot.min_bid_interval_seconds:
        rules.append(
            _("A bidder must wait %(interval)s between two bids.")
            % {"interval": _duration(lot.min_bid_interval_seconds)}
        )
    return rules


def _local(moment: datetime) -> str:
    from django.utils.formats import date_format
    from django.utils.timezone import localtime

    return date_format(localtime(moment), "DATETIME_FORMAT")
