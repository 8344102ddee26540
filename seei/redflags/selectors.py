"""The red flags of real procedures, gathered from the database and computed on read.

``year_flags()`` and ``notice_flags()`` read the facts of every lot of a year (or of one notice) in
a fixed number of queries, run the pure rules (``seei.redflags.rules``) and keep the result in the
portal's cache under its generation (``seei.portal.cache``), which every change of what the rules
read replaces: the notice and its errata, a lot (its status moves when the commission closes its
session, when the room closes, when the award settles) and the award. So a flag is never stale,
whichever process changed the data, and a read costs one cache lookup; bids leave it alone, since
a room's prices count only once it is closed.

Only what is public reaches the rules: prices once the room is closed, the counts of applications
and exclusions once the lot has an outcome (its room closed, or unsuccessful: as OCDS and the
statistics), the winner once the award is final; practice lots never.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models import Count, Min
from django.utils.timezone import localtime

from seei.applications.models import Application, Decision, Examination
from seei.auctions import rules as auction_rules
from seei.auctions.models import Bidder, Room
from seei.awards.models import Award, AwardStep
from seei.awards.services import low_price_gap, low_price_share
from seei.portal import cache as portal_cache
from seei.redflags import rules, texts
from seei.tenders.models import Erratum, Lot, Tender


def thresholds() -> rules.Thresholds:
    return rules.Thresholds(
        publicity_days=Decimal(settings.SEEI_REDFLAG_PUBLICITY_DAYS),
        erratum_days=Decimal(settings.SEEI_REDFLAG_ERRATUM_DAYS),
        excluded_share=Decimal(settings.SEEI_REDFLAG_EXCLUDED_SHARE),
        excluded_min_applications=settings.SEEI_REDFLAG_EXCLUDED_MIN_APPLICATIONS,
        below_estimate=low_price_share(),
        below_second=low_price_gap(),
        band=Decimal(settings.SEEI_REDFLAG_BAND),
        band_min_bidders=settings.SEEI_REDFLAG_BAND_MIN_BIDDERS,
        repeat_wins=settings.SEEI_REDFLAG_REPEAT_WINS,
        repeat_days=settings.SEEI_REDFLAG_REPEAT_DAYS,
    )


@dataclass(frozen=True)
class RedFlag:
    """One flag as shown: plain data (cached), its texts in the reader's language on demand."""

    code: str
    tender_id: int
    reference: str
    buyer_id: int
    buyer: str
    region: str
    year: int
    currency: str
    figures: dict
    lot_id: int | None = None
    lot_number: int | None = None
    result_public: bool = False  # the lot's auction is closed: its result page exists

    @property
    def title(self) -> str:
        return str(texts.TITLES[self.code])

    @property
    def rule(self) -> str:
        return texts.rule_text(self.code, thresholds())

    @property
    def labelled_figures(self) -> list[tuple[str, str]]:
        return texts.labelled(self.figures)


# Gathering the facts -------------------------------------------------------------------------------


def _lots(**filters):
    return (
        Lot.objects.real()
        .exclude(tender__status=Tender.Status.DRAFT)
        .filter(tender__published_at__isnull=False, **filters)
        .select_related("tender__buyer", "tender__region")
        .order_by("tender__reference", "number")
    )


def _notice_facts(tenders, read=None) -> dict[int, rules.NoticeFacts]:
    """``read``: the errata of these notices in order of number, if already read."""
    errata = defaultdict(list)
    if read is None:
        read = Erratum.objects.filter(tender__in=tenders).order_by("tender", "number")
    for erratum in read:
        errata[erratum.tender_id].append(
            rules.Erratum(
                number=erratum.number,
                published_at=erratum.published_at,
                substantive=erratum.substantive,
                deadline_before=erratum.deadline_before,
                deadline_after=erratum.deadline_after,
            )
        )
    return {
        tender.pk: rules.NoticeFacts(
            published_at=tender.published_at,
            deadline=tender.application_deadline,
            errata=tuple(errata[tender.pk]),
        )
        for tender in tenders
    }


def _count_by_lot(queryset) -> dict[int, int]:
    return dict(queryset.values_list("lot").annotate(n=Count("pk", distinct=True)).values_list("lot", "n"))


BEFORE_ROOM = {Lot.Status.OPEN, Lot.Status.EXAMINATION}


def _lot_facts(lots: list[Lot]) -> dict[int, rules.LotFacts]:
    # Most lots have no outcome, room or award yet: what could only find nothing is not even read
    # (a lot still open or under examination has no room).
    rooms = {}
    if any(lot.status not in BEFORE_ROOM for lot in lots):
        rooms = dict(Room.objects.filter(lot__in=lots, status=Room.Status.CLOSED).values_list("lot", "state"))
    # How many applied and how many were excluded tells how many were admitted: kept back until
    # the lot's outcome, as OCDS and the statistics do (the room closed, or the lot unsuccessful).
    outcomes = [lot for lot in lots if lot.pk in rooms or lot.status == Lot.Status.UNSUCCESSFUL]
    examined = set()
    if outcomes:
        examined = set(
            Examination.objects.filter(
                tender__in={lot.tender_id for lot in outcomes}, closed_at__isnull=False
            ).values_list("tender", flat=True)
        )
    settled = {lot.pk for lot in outcomes if lot.tender_id in examined}
    applications, excluded, admitted, ranks, finals = {}, {}, {}, {}, {}
    if settled:
        through = Application.lots.through.objects.filter(
            lot__in=settled, application__status=Application.Status.SUBMITTED
        )
        applications = dict(
            through.values_list("lot").annotate(n=Count("application", distinct=True)).values_list("lot", "n")
        )
        excluded = _count_by_lot(
            Decision.objects.filter(
                lot__in=settled,
                outcome=Decision.Outcome.EXCLUDED,
                application__status=Application.Status.SUBMITTED,
            )
        )
    if rooms:
        admitted = dict(
            Bidder.objects.filter(room__lot__in=rooms.keys())
            .values_list("room__lot")
            .annotate(n=Count("pk"))
            .values_list("room__lot", "n")
        )
        # An award counts only with the prices of its room.
        finals = {
            award.lot_id: award
            for award in Award.objects.filter(lot__in=rooms.keys(), status=Award.Status.FINAL).select_related(
                "lot__tender"
            )
        }
    history = defaultdict(list)  # buyer id -> [(final_at, company id)], real final awards
    if finals:
        ranks = dict(
            AwardStep.objects.filter(
                award__in=finals.values(), status=AwardStep.Status.CONFIRMED
            ).values_list("award__lot", "rank")
        )
        buyers = {award.lot.tender.buyer_id for award in finals.values()}
        for buyer_id, company_id, final_at in Award.objects.filter(
            status=Award.Status.FINAL, lot__in=Lot.objects.real(), lot__tender__buyer__in=buyers
        ).values_list("lot__tender__buyer", "company", "final_at"):
            history[buyer_id].append((final_at, company_id))

    facts = {}
    for lot in lots:
        prices = None
        if lot.pk in rooms:
            state = auction_rules.State.from_dict(rooms[lot.pk])
            prices = tuple(bid.amount for bid in state.ranking())
        award = finals.get(lot.pk)
        final = {}
        if award is not None and prices:
            awards = history[lot.tender.buyer_id]
            final = {
                "awarded_rank": ranks.get(lot.pk),
                "final_at": award.final_at,
                "buyer_awards": tuple(moment for moment, _company in awards),
                "winner_awards": tuple(moment for moment, company in awards if company == award.company_id),
            }
        counted = lot.pk in settled
        facts[lot.pk] = rules.LotFacts(
            estimate=lot.estimated_amount,
            applications=applications.get(lot.pk, 0) if counted else None,
            excluded=excluded.get(lot.pk, 0) if counted else None,
            prices=prices,
            admitted=admitted.get(lot.pk) if prices is not None else None,
            **final,
        )
    return facts


def compute(lots: list[Lot], notice_years: dict[int, int], errata=None) -> list[RedFlag]:
    """The flags of these lots, and of the notices in ``notice_years`` (tender id -> its year);
    ``errata``: those of these notices, in order of number, if already read."""
    t = thresholds()
    tenders = {lot.tender_id: lot.tender for lot in lots}

    def item(code, figures, tender, year, lot=None, closed=False):
        return RedFlag(
            code=code,
            tender_id=tender.pk,
            reference=tender.reference,
            buyer_id=tender.buyer_id,
            buyer=tender.buyer.name,
            region=tender.region.code,
            year=year,
            currency=tender.currency,
            figures=figures,
            lot_id=lot.pk if lot else None,
            lot_number=lot.number if lot else None,
            result_public=closed,
        )

    found = []
    notices = _notice_facts([tenders[pk] for pk in notice_years], errata)
    for pk, year in notice_years.items():
        for flag in rules.notice_flags(notices[pk], t):
            found.append(item(flag.code, flag.figures, tenders[pk], year))
    facts = _lot_facts(lots)
    for lot in lots:
        for flag in rules.lot_flags(facts[lot.pk], t):
            year, closed = localtime(lot.opens_at).year, facts[lot.pk].prices is not None
            found.append(item(flag.code, flag.figures, lot.tender, year, lot, closed))
    order = {code: index for index, code in enumerate(rules.CODES)}
    found.sort(key=lambda f: (f.reference, f.lot_number or 0, order[f.code]))
    return found


# The scopes the pages and the API ask for ---------------------------------------------------------


def _remember(scope: str, compute_items, notice: int | None = None):
    """Kept where the portal keeps its pages (shared by every process, or nothing kept at all),
    under its generation (the notice's, for one notice's flags) and the thresholds in force."""
    generation = portal_cache.generation(notice)
    key = ":".join(("redflags", connection.settings_dict["NAME"], generation, thresholds_digest(), scope))
    cache = caches["portal"]
    items = cache.get(key)
    if items is None:
        items = compute_items()
        cache.set(key, items, timeout=portal_cache.TIMEOUT)
    return items


def _first_years(lots) -> dict[int, int]:
    """Each notice's year: that of its first auction (as the statistics count a lot by its auction)."""
    firsts = (
        Lot.objects.filter(tender__in={lot.tender_id for lot in lots})
        .values("tender")
        .annotate(first=Min("opens_at"))
        .values_list("tender", "first")
    )
    return {tender: localtime(first).year for tender, first in firsts}


def year_flags(year: int) -> list[RedFlag]:
    def compute_year():
        lots = list(_lots(opens_at__year=year))
        notices = {pk: first for pk, first in _first_years(lots).items() if first == year}
        return compute(lots, notices)

    return _remember(f"year:{year}", compute_year)


def notice_flags(tender_id: int) -> list[RedFlag]:
    """Every flag of a real, published notice (its lots included); none for a practice one."""

    def compute_notice():
        lots = list(_lots(tender_id=tender_id))
        return compute(lots, _first_years(lots))

    return _remember(f"notice:{tender_id}", compute_notice, notice=tender_id)


def flags_of(tender: Tender) -> list[RedFlag]:
    """``notice_flags`` of a notice read with its lots, errata, buyer and region (``public_tender``),
    without reading them again. Not kept in cache: the notice's page keeps them with the rest."""
    if tender.practice or tender.status == Tender.Status.DRAFT or tender.published_at is None:
        return []
    lots = list(tender.lots.all())  # in order of number, each with its ``tender``
    if not lots:
        return []
    first = localtime(min(lot.opens_at for lot in lots)).year  # as _first_years
    return compute(lots, {tender.pk: first}, errata=tender.errata.all())


def thresholds_digest() -> str:
    """What the flags of a cached page depend on beside the data: the thresholds in force."""
    return hashlib.sha256(repr(thresholds()).encode()).hexdigest()[:16]


def lot_flags(lot: Lot) -> list[RedFlag]:
    """The flags of a lot's result page: the lot's own and its notice's."""
    return [flag for flag in notice_flags(lot.tender_id) if flag.lot_id in (None, lot.pk)]


def select(flags: list[RedFlag], *, buyers=None, code=None, region=None) -> list[RedFlag]:
    """The flags of some buyers (ids), of one code, of one region (code)."""
    buyers = None if buyers is None else set(buyers)
    return [
        flag
        for flag in flags
        if (buyers is None or flag.buyer_id in buyers)
        and (code is None or flag.code == code)
        and (region is None or flag.region == region)
    ]


def years() -> list[int]:
    """The years with real auctions, newest first (the page's choices)."""
    return sorted(
        {moment.year for moment in _lots().dates("opens_at", "year")},
        reverse=True,
    )
