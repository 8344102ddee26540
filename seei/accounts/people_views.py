"""The people pages: an organisation's people (``/accounts/people/``), its details, and an invitation's link.

The rules are in ``seei.accounts.people``, ``invitations`` and ``organisation_details``; these views only
check who is at the door and show the outcome.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from seei.accounts import invitations, organisation_details, people
from seei.accounts.middleware import SESSION_KEY
from seei.accounts.models import Organisation
from seei.accounts.people_forms import InvitationForm, InvitedPersonForm, OrganisationDetailsForm
from seei.accounts.views import redirect_in_language

PER_PAGE = 50


def _error(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def people_page(request):
    actor = request.membership
    if not people.may_manage_any(actor):
        raise PermissionDenied(
            _(
                "This page is for the managers of an organisation's people and for the platform's administrators."
            )
        )
    administrator = people.is_administrator(actor)
    chosen = None
    if administrator and str(request.GET.get("organisation", "")).isdigit():
        chosen = Organisation.objects.filter(pk=request.GET["organisation"]).first()
    form = InvitationForm(actor, organisation=chosen)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "invite":
            form = InvitationForm(actor, request.POST)
            if form.is_valid():
                try:
                    invitation = invitations.invite(
                        actor,
                        form.target(),
                        form.cleaned_data["email"],
                        form.cleaned_data["role"],
                        form.cleaned_data["language"],
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(
                        request, _("The invitation is sent to %(email)s.") % {"email": invitation.email}
                    )
                    return redirect(request.get_full_path())
        else:
            _act(request, actor, action)
            return redirect(request.get_full_path())
    memberships = people.search(actor, chosen.pk if chosen else None, request.GET.get("q", "").strip())
    page = Paginator(memberships, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "administrator": administrator,
        "chosen": chosen,
        "organisations": people.organisations_managed(actor).exclude(kind="practice")
        if administrator
        else None,
        "pending": invitations.pending(actor, chosen if administrator else None),
        "query": request.GET.get("q", ""),
    }
    return render(request, "accounts/people.html", context, status=400 if form.errors else 200)


def _act(request, actor, action) -> None:
    """Manager granted or withdrawn, a membership removed, an invitation revoked."""
    try:
        if action in ("allow_local", "forbid_local"):
            organisation = Organisation.objects.filter(pk=request.POST.get("organisation") or 0).first()
            if organisation is None or not str(request.POST.get("organisation")).isdigit():
                messages.error(request, _("Choose an organisation first."))
                return
            people.set_local_management(actor, organisation, action == "allow_local")
            messages.success(
                request, _("The setting of %(organisation)s is saved.") % {"organisation": organisation}
            )
            return
        if action == "revoke":
            invitation = invitations.revoke(actor, request.POST.get("invitation"))
            messages.success(
                request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email}
            )
            return
        membership = people.managed_membership(actor, request.POST.get("membership"))
        if membership is None:
            messages.error(request, _("This person does not exist, or is not among the people you manage."))
            return
        if action in ("grant", "withdraw"):
            people.set_manager(actor, membership, action == "grant")
            messages.success(
                request, _("%(person)s's management rights are saved.") % {"person": membership.user}
            )
        elif action == "remove":
            people.remove(actor, membership)
            messages.success(
                request,
                _("%(person)s no longer acts for %(organisation)s.")
                % {"person": membership.user, "organisation": membership.organisation},
            )
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as error:
        _error(request, error)


@login_required
def organisation_page(request):
    actor = request.membership
    if not organisation_details.may_edit(actor):
        raise PermissionDenied(_("Only a manager of the organisation may change its details."))
    # A copy: a refused form must not change what the page header shows.
    form = OrganisationDetailsForm(
        request.POST or None, instance=Organisation.objects.get(pk=actor.organisation_id)
    )
    if request.method == "POST" and form.is_valid():
        try:
            changes = organisation_details.update(actor, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changes:
                messages.success(request, _("The organisation's details are saved."))
            else:
                messages.info(request, _("Nothing has changed."))
            return redirect("accounts:organisation")
    organisation = actor.organisation
    return render(
        request,
        "accounts/organisation_details.html",
        {"form": form, "organisation": organisation},
        status=400 if form.errors else 200,
    )


@never_cache
def invitation_page(request, key):
    invitation = invitations.by_key(key)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=400)
    existing = invitations.invitee(invitation)
    context = {"invitation": invitation, "existing": existing}
    if request.user.is_authenticated and request.user.email.lower() != invitation.email.lower():
        return render(request, "accounts/invitation_other_account.html", context, status=403)
    if existing is not None:
        return _accept_as_existing(request, invitation, existing, context)
    form = InvitedPersonForm(
        invitation.email, request.POST or None, initial={"language": invitation.language}
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitations.accept_new(
                invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            user = membership.user
            with translation.override(user.language):
                messages.success(
                    request,
                    _("Your account is ready. Log in to act for %(organisation)s.")
                    % {"organisation": membership.organisation},
                )
            return redirect_in_language(reverse("accounts:login"), user.language)
    context["form"] = form
    return render(request, "accounts/invitation_accept.html", context, status=400 if form.errors else 200)


def _accept_as_existing(request, invitation, existing, context):
    if not request.user.is_authenticated:
        context["login_url"] = f"{reverse('accounts:login')}?next={request.path}"
        return render(request, "accounts/invitation_accept.html", context)
    if request.method == "POST":
        try:
            membership = invitations.accept_existing(invitation, request.user)
        except ValidationError as error:
            _error(request, error)
            return render(request, "accounts/invitation_accept.html", context, status=400)
        request.session[SESSION_KEY] = membership.pk  # the new role at once
        messages.success(
            request,
            _("You now act as %(role)s for %(organisation)s.")
            % {"role": membership.get_role_display(), "organisation": membership.organisation},
        )
        return redirect("portal:dashboard")
    return render(request, "accounts/invitation_accept.html", context)
