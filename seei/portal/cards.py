"""A notice as the lists show it (search, home page, dashboard), computed in Python.

Twenty cards a page, each formatting two dates, an amount and a plural through template tags,
cost more than the rest of the search page; here each is formatted once, and the template only
places the texts.
"""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import ngettext

from seei.core.templatetags.seei import money
from seei.portal.selectors import public_status
from seei.tenders.models import Tender


@dataclass(frozen=True)
class NoticeCard:
    html_id: str  # written here: a template would localize the number ("notice-1 006")
    url: str
    title: str
    title_lang: str
    reference: str
    buyer: str
    statuses: list[str]
    category: str
    category_lang: str
    region: str
    region_lang: str
    deadline_iso: str
    deadline: str
    lots: str
    estimated_total: str


def notice_card(tender: Tender, now: datetime) -> NoticeCard:
    """The card of a notice from ``public_tenders()`` (its lots prefetched)."""
    deadline = localtime(tender.application_deadline)
    lots = len(tender.lots.all())
    return NoticeCard(
        html_id=f"notice-{tender.pk}",
        url=reverse("portal:tender", args=[tender.pk]),
        title=str(tender.title),
        title_lang=tender.title.lang,
        reference=tender.reference,
        buyer=tender.buyer.name,
        statuses=public_status(tender, now),
        category=str(tender.category.name),
        category_lang=tender.category.name.lang,
        region=str(tender.region.name),
        region_lang=tender.region.name.lang,
        deadline_iso=deadline.isoformat(),
        deadline=date_format(deadline, "DATETIME_FORMAT"),
        lots=ngettext("%(counter)s lot", "%(counter)s lots", lots) % {"counter": lots},
        estimated_total=money(tender.estimated_total(), tender.currency),
    )


def notice_cards(tenders, now: datetime) -> list[NoticeCard]:
    return [notice_card(tender, now) for tender in tenders]
