"""The company's own workspace pages: followed notices, its receipts and documents, its admission.

Thin: ``role_required`` lets company members only in; the selectors read the company's own things
(another's are 404) and ``seei.alerts.follow`` records the choice to follow a notice.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.accounts.views import url_in_language
from seei.alerts import follow as following
from seei.auctions import receipts as bid_receipts
from seei.companies import selectors
from seei.core.views import explained, private_file


def company_only(view):
    return explained(role_required(Role.COMPANY_MEMBER)(view))


@require_POST
@company_only
def follow(request, pk):
    """Follow (``action=follow``) or stop following (``action=stop``) a notice, then back where the
    person was (the notice's page, or the list of followed notices)."""
    action = request.POST.get("action")
    if action == "stop":
        tender = following.stop_following(request.membership, pk)
        messages.success(request, _("You no longer follow this notice."))
    else:
        tender = following.follow(request.membership, pk)
        messages.success(
            request,
            _(
                "You follow this notice: your company's people will be told of its errata, "
                "answers and cancellation, in the application and by email."
            ),
        )
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("portal:tender", pk=tender.pk)


@company_only
def followed(request):
    notices = following.followed_notices(request.membership.organisation)
    return render(request, "companies/followed.html", {"notices": notices})


@company_only
def documents(request):
    files = selectors.documents(request.membership)
    for notification in files.notifications:  # written in the language of the day it was sent
        notification.link = url_in_language(notification.url, get_language())
    return render(request, "companies/documents.html", {"files": files})


@company_only
def bid_receipt(request, pk):
    entry = bid_receipts.company_bid(request.membership.organisation, pk)
    name = f"bid-receipt-{entry.room.ref.replace('/', '-')}-{entry.seq}.json"
    return private_file(name, "application/json", bid_receipts.receipt_json(entry))


@company_only
def admission(request, pk):
    return render(
        request, "companies/admission.html", {"admission": selectors.admission(request.membership, pk)}
    )
