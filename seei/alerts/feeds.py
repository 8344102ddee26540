"""Every search of the portal as an Atom feed, for anyone, without an account.

The criteria are the search page's own (``NoticeSearchForm``) and the notices those of its search
(``seei.portal.selectors.search_notices``): the feed of a search lists what the page lists, newest
first. Feed readers follow the link the search page gives.
"""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from seei.alerts.services import LocalTime
from seei.core import clock
from seei.portal.forms import NoticeSearchForm
from seei.portal.selectors import search_notices

FEED_SIZE = 50


class SearchFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs):
        form = NoticeSearchForm(request.GET or None)
        criteria = form.criteria() if form.is_bound else {}
        return {"criteria": criteria, "query": urlencode(sorted(request.GET.items()))}

    def title(self, search):
        if text := search["criteria"].get("q"):
            return _("SEEI notices: %(search)s") % {"search": text}
        return _("SEEI notices")

    def subtitle(self, search):
        return _("The latest notices of this search of the SEEI portal.")

    def link(self, search):
        url = reverse("portal:tenders")
        return f"{url}?{search['query']}" if search["query"] else url

    def items(self, search):
        return search_notices(search["criteria"], clock.now())[:FEED_SIZE]

    def item_title(self, tender):
        return f"{tender.reference} — {tender.title}"

    def item_description(self, tender):
        return _("%(buyer)s: %(object)s — applications close on %(deadline)s") % {
            "buyer": tender.buyer.name,
            "object": tender.object,
            "deadline": LocalTime(tender.application_deadline),
        }

    def item_link(self, tender):
        return reverse("portal:tender", args=[tender.pk])

    def item_pubdate(self, tender):
        return tender.published_at

    def item_updateddate(self, tender):
        return tender.published_at

    def item_author_name(self, tender):
        return tender.buyer.name

    def item_categories(self, tender):
        return [str(tender.category.name)]
