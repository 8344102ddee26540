"""The administrators' pages: organisations, accountant perimeters, vetting of registrations,
announcements. Only the role counts (``role_required``): ``is_staff`` is for the raw admin."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Organisation, Role
from seei.administration import announcements, organisations, vetting
from seei.administration.context_processors import DISMISSED
from seei.administration.forms import (
    FORMS,
    AnnouncementForm,
    OrganisationFilterForm,
    PerimeterForm,
)
from seei.administration.models import Announcement
from seei.auctions.models import Suspension
from seei.core import clock
from seei.core.forms import show_errors

PAGE_SIZE = 50
MAX_DISMISSED = 50  # a session remembers this many dismissed announcements at most
administrator = role_required(Role.ADMINISTRATOR)


def _people_page() -> str | None:
    """The people and memberships page (the accounts app's), once it exists."""
    try:
        return reverse("accounts:people")
    except NoReverseMatch:
        return None


@administrator
def home(request):
    now = clock.now()
    return render(
        request,
        "administration/home.html",
        {
            "pending": vetting.pending_companies().count(),
            "live": announcements.live(now),
            "incidents": Suspension.objects.select_related("started_by").order_by("-started_at")[:5],
            "suspended": Suspension.objects.filter(ended_at__isnull=True).exists(),
            "people_page": _people_page(),
        },
    )


# Organisations ------------------------------------------------------------------------------------


@administrator
def organisation_list(request):
    form = OrganisationFilterForm(request.GET or None)
    selection = form.cleaned_data if form.is_valid() else {}
    found = organisations.listed(kind=selection.get("kind") or "", search=(selection.get("q") or "").strip())
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/organisations.html",
        {"form": form, "page": page, "kinds": organisations.MANAGED_KINDS},
    )


@administrator
def organisation_create(request, kind):
    if kind not in organisations.MANAGED_KINDS:
        raise Http404
    return _organisation_form(request, Organisation(kind=kind, pending=False))


@administrator
def organisation_edit(request, pk):
    organisation = get_object_or_404(Organisation, pk=pk)
    if organisation.kind not in FORMS:  # the practice's simulated companies belong to the practice
        raise Http404
    return _organisation_form(request, organisation)


def _organisation_form(request, organisation):
    creating = organisation.pk is None
    form = FORMS[organisation.kind](request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            saved = organisations.save(request.membership, form.save(commit=False))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                (_("%(name)s is created.") if creating else _("%(name)s is saved.")) % {"name": saved.name},
            )
            return redirect("administration:organisation_edit", pk=saved.pk)
    return render(
        request,
        "administration/organisation_form.html",
        {
            "form": form,
            "organisation": organisation,
            "creating": creating,
            "kind_label": Organisation.Kind(organisation.kind).label,
            "members": []
            if creating
            else organisation.memberships.select_related("user").order_by("role", "pk"),
            "people_page": _people_page(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@administrator
def perimeter(request, pk):
    post = get_object_or_404(Organisation, pk=pk, kind=Organisation.Kind.ACCOUNTANT_POST)
    form = PerimeterForm(request.POST or None, initial={"buyers": post.perimeter.all()})
    if request.method == "POST" and form.is_valid():
        try:
            organisations.set_perimeter(request.membership, post, form.cleaned_data["buyers"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The perimeter of %(name)s is saved.") % {"name": post.name})
            return redirect("administration:perimeter", pk=post.pk)
    return render(
        request,
        "administration/perimeter.html",
        {"post": post, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


# Vetting of registrations --------------------------------------------------------------------------


@administrator
def registrations(request):
    page = Paginator(vetting.pending_companies(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/registrations.html",
        {
            "page": page,
            "checks": [vetting.check(organisation) for organisation in page.object_list],
            "rejected": [vetting.check(organisation) for organisation in vetting.rejected_companies()[:20]],
        },
    )


def _company(pk):
    return get_object_or_404(Organisation, pk=pk, kind=Organisation.Kind.COMPANY)


@require_POST
@administrator
def approve(request, pk):
    company = _company(pk)
    try:
        vetting.approve(request.membership, company)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(name)s is approved; its people were told.") % {"name": company.name})
    return redirect("administration:registrations")


@require_POST
@administrator
def reject(request, pk):
    company = _company(pk)
    try:
        vetting.reject(request.membership, company, request.POST.get("reason", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("%(name)s is rejected; its people were told why.") % {"name": company.name}
        )
    return redirect("administration:registrations")


# Announcements --------------------------------------------------------------------------------------


@administrator
def announcement_list(request):
    now = clock.now()
    page = Paginator(Announcement.objects.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    for announcement in page.object_list:
        announcement.live_now = announcement.is_live(now)
        announcement.ended = announcement.ends_at is not None and announcement.ends_at <= now
    return render(request, "administration/announcements.html", {"page": page})


@administrator
def announcement_create(request):
    return _announcement_form(request, None)


@administrator
def announcement_edit(request, pk):
    return _announcement_form(request, get_object_or_404(Announcement, pk=pk))


def _announcement_form(request, announcement):
    initial = AnnouncementForm.initial_from(announcement) if announcement else None
    form = AnnouncementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if announcement is None:
            announcements.create(request.membership, **form.values())
            messages.success(request, _("The announcement is saved."))
        else:
            announcements.update(request.membership, announcement, **form.values())
            messages.success(request, _("The announcement is saved."))
        return redirect("administration:announcements")
    return render(
        request,
        "administration/announcement_form.html",
        {"form": form, "announcement": announcement},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@administrator
def announcement_end(request, pk):
    announcement = get_object_or_404(Announcement, pk=pk)
    if announcements.end(request.membership, announcement):
        messages.success(request, _("The announcement is no longer shown."))
    else:
        messages.info(request, _("This announcement had already ended."))
    return redirect("administration:announcements")


@require_POST
def announcement_dismiss(request, pk):
    """Anyone, visitor or not, may close a non-critical announcement for the rest of their session."""
    announcement = get_object_or_404(Announcement, pk=pk)
    if announcement.severity != Announcement.Severity.CRITICAL:
        dismissed = request.session.get(DISMISSED, [])
        if announcement.pk not in dismissed:
            request.session[DISMISSED] = (dismissed + [announcement.pk])[-MAX_DISMISSED:]
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("portal:home")
    return redirect(target)
