"""The person's notifications, the company's watch profiles, and the emails' unsubscribe links."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.accounts.views import url_in_language
from seei.alerts import profiles as services
from seei.alerts import unsubscribe as links
from seei.alerts.forms import WatchProfileForm
from seei.alerts.models import EmailOptOut, Notification, WatchProfile
from seei.core import clock
from seei.core.forms import show_errors
from seei.portal.forms import NoticeSearchForm


@login_required
def notifications(request):
    page = Paginator(request.user.notifications.all(), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    # Seen now: mark them read in the database; the objects in hand keep read_at=None, so the
    # page can still point out which ones are new.
    unread = [notification.pk for notification in shown if notification.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread, read_at__isnull=True).update(read_at=clock.now())
    for notification in shown:
        notification.link = url_in_language(notification.url, get_language()) if notification.url else ""
    return render(request, "alerts/notifications.html", {"page": page, "notifications": shown})


# Watch profiles ------------------------------------------------------------------------------------

COMPANY = role_required(Role.COMPANY_MEMBER)


@COMPANY
def profiles(request):
    stopped = EmailOptOut.objects.filter(user=request.user).select_related("profile")
    return render(
        request,
        "alerts/profiles.html",
        {"profiles": services.company_profiles(request.membership), "stopped": list(stopped)},
    )


# A profile's field: the search's.
CRITERIA = {"categories": "category", "regions": "region", "buyers": "buyer"}


def _from_search(query) -> dict:
    """A search of the portal as the initial values of a new profile ("save this search")."""
    form = NoticeSearchForm(query)
    criteria = form.criteria()
    initial = {
        "keywords": criteria.get("q", ""),
        "currency": criteria.get("currency", ""),
        **{name: [criteria[key]] for name, key in CRITERIA.items() if key in criteria},
    }
    named = [criteria.get("q"), *(str(criteria[key]) for key in CRITERIA.values() if key in criteria)]
    initial["name"] = " · ".join(filter(None, named))[:100]
    return initial


def _edit(request, profile: WatchProfile | None):
    if request.method == "POST":
        form = WatchProfileForm(request.POST, instance=profile)
        if form.is_valid():
            try:
                services.save_profile(request.membership, form.cleaned_data, profile.pk if profile else None)
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("The watch profile is saved."))
                return redirect("alerts:profiles")
    elif profile is None:
        form = WatchProfileForm(initial=_from_search(request.GET) if request.GET else {})
    else:
        form = WatchProfileForm(instance=profile)
    return render(request, "alerts/profile_form.html", {"form": form, "profile": profile})


@COMPANY
def profile_new(request):
    return _edit(request, None)


@COMPANY
def profile_edit(request, pk):
    return _edit(request, services.company_profile(request.membership, pk))


@require_POST
@COMPANY
def profile_delete(request, pk):
    profile = services.delete_profile(request.membership, pk)
    messages.success(request, _("The watch profile “%(name)s” is deleted.") % {"name": profile.name})
    return redirect("alerts:profiles")


@require_POST
@COMPANY
def resume_emails(request):
    EmailOptOut.objects.filter(user=request.user).delete()
    messages.success(request, _("You will receive the watch emails again."))
    return redirect("alerts:profiles")


# Unsubscribe -------------------------------------------------------------------------------------


@csrf_exempt  # the signed token is the proof; mail readers POST it in one click (RFC 8058)
def unsubscribe(request, token):
    """No login: the token names the person and the profile. A GET only asks (a mail scanner
    following links must not unsubscribe anyone); a POST does it."""
    try:
        user_id, profile_id = links.read(token)
    except signing.BadSignature:
        return render(request, "alerts/unsubscribe.html", {"invalid": True}, status=400)
    profile = WatchProfile.objects.filter(pk=profile_id).first() if profile_id else None
    done = request.method == "POST"
    if done:
        links.opt_out(user_id, profile_id)
    return render(
        request, "alerts/unsubscribe.html", {"profile": profile, "all": profile_id is None, "done": done}
    )
