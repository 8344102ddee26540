"""Which notices a watch profile matches, and which profiles a new notice matches.

One meaning, read both ways: every criterion given must hold, an empty one holds for any notice; a
category includes its sub-categories and a buyer its directorates (as in the portal's search); the
amount is the notice's estimated total (all its lots), in the profile's currency; the keywords are
searched by the portal's own full-text search (``seei.tenders.search.matching``), in every language.
The reverse read is done in SQL for the criteria stored in columns, so that a notice is matched
against every profile of the platform in a few queries.
"""

from django.db.models import Exists, OuterRef, Q, Subquery, Sum

from seei.alerts.models import WatchProfile
from seei.tenders import search
from seei.tenders.models import Lot, Tender


def _lots_total():
    """The notice's estimated total (``Tender.estimated_total``), in SQL."""
    lots = Lot.objects.filter(tender=OuterRef("pk")).order_by().values("tender")
    return Subquery(lots.annotate(total=Sum("estimated_amount")).values("total"))


def notices_matching(profile: WatchProfile, notices):
    """The notices of ``notices`` (a queryset) that ``profile`` matches."""
    if categories := list(profile.categories.all()):
        notices = notices.filter(Q(category__in=categories) | Q(category__parent__in=categories))
    if regions := list(profile.regions.all()):
        notices = notices.filter(region__in=regions)
    if buyers := list(profile.buyers.all()):
        notices = notices.filter(Q(buyer__in=buyers) | Q(buyer__parent__in=buyers))
    if profile.currency:
        notices = notices.filter(currency=profile.currency)
    if profile.amount_min is not None or profile.amount_max is not None:
        notices = notices.annotate(lots_total=_lots_total())
        if profile.amount_min is not None:
            notices = notices.filter(lots_total__gte=profile.amount_min)
        if profile.amount_max is not None:
            notices = notices.filter(lots_total__lte=profile.amount_max)
    return search.matching(notices, profile.keywords)


def notices_for_company(company, notices):
    """The notices of ``notices`` that any of the company's profiles matches."""
    wanted = Q(pk__in=[])
    for profile in company.watch_profiles.prefetch_related("categories", "regions", "buyers"):
        wanted |= Q(pk__in=notices_matching(profile, notices).values("pk"))
    return notices.filter(wanted)


# The column of each many-to-many criterion's table that names the chosen value.
CHOSEN = {"categories": "category", "regions": "region", "buyers": "organisation"}


def _empty_or(relation: str, values) -> Q:
    """A many-to-many criterion left empty, or holding one of ``values``."""
    chosen = getattr(WatchProfile, relation).through.objects.filter(watchprofile=OuterRef("pk"))
    return ~Exists(chosen) | Exists(chosen.filter(**{f"{CHOSEN[relation]}__in": values}))


def profiles_matching(tender: Tender):
    """The profiles, of every company, that match the published notice ``tender``."""
    total = tender.estimated_total()
    profiles = WatchProfile.objects.filter(
        _empty_or("categories", [tender.category_id, tender.category.parent_id]),
        _empty_or("regions", [tender.region_id]),
        _empty_or("buyers", [tender.buyer_id, tender.buyer.parent_id]),
        Q(currency="") | Q(currency=tender.currency),
        Q(amount_min__isnull=True) | Q(amount_min__lte=total),
        Q(amount_max__isnull=True) | Q(amount_max__gte=total),
        company__kind="company",
    )
    # The keywords last, once per distinct text, by the portal's search on this one notice.
    candidates = list(profiles.order_by("company_id", "id"))
    notice = Tender.objects.filter(pk=tender.pk)
    found = {
        text: search.matching(notice, text).exists()
        for text in {profile.keywords for profile in candidates if profile.keywords.strip()}
    }
    return [profile for profile in candidates if not profile.keywords.strip() or found[profile.keywords]]
