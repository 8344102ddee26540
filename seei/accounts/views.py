"""Accounts pages: company registration, email verification, login, profile, acting
membership and personal API tokens."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from seei.accounts import organisation_details, people, services, throttle
from seei.accounts.forms import (
    ApiTokenForm,
    CompanyRegistrationForm,
    EmailAuthenticationForm,
    MembershipChoiceForm,
    ProfileForm,
)
from seei.accounts.middleware import SESSION_KEY
from seei.accounts.models import User


def url_in_language(url: str, language: str) -> str:
    """The same page in another language (/fr/notices/ -> /ar/notices/); unchanged if unknown."""
    # translate_url resolves the path in the active language: use the path's own language.
    path_language = translation.get_language_from_path(urlsplit(url).path)
    with translation.override(path_language or translation.get_language()):
        return translate_url(url, language)


def redirect_in_language(url: str, language: str) -> HttpResponseRedirect:
    """Redirect to ``url`` in ``language`` and remember the choice in the language cookie."""
    response = HttpResponseRedirect(url_in_language(url, language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _safe_next(request, default: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return next_url
    return default


TOO_MANY_REQUESTS = 429


def _refuse(form, refusal: throttle.Throttled) -> None:
    """The limit's message on the form (the page is shown again with a 429)."""
    form.add_error(None, ValidationError(refusal.message, code="throttled"))


def register(request):
    form = CompanyRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            throttle.registration(request, form.cleaned_data["email"])
        except throttle.Throttled as refusal:
            _refuse(form, refusal)
            return render(request, "accounts/register.html", {"form": form}, status=TOO_MANY_REQUESTS)
        try:
            services.register_company(
                company=form.company_values(),
                person=form.person_values(),
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Almost done: we have sent a verification link to %(email)s. "
                    "Follow it to activate your account."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:login")
    return render(request, "accounts/register.html", {"form": form})


def verify_email(request, uidb64, token):
    user = services.confirm_email(uidb64, token)
    if user is None:
        return render(request, "accounts/verify_invalid.html", status=400)
    # The link proves the mailbox, not the person: it never opens a session (a link forwarded,
    # or read from a shared mailbox, must not log anyone in). The person logs in with the password.
    with translation.override(user.language):
        messages.success(request, _("Your email address is verified. Log in to start using SEEI."))
    return redirect_in_language(reverse("accounts:login"), user.language)


class LoginView(auth_views.LoginView):
    """Login by email; afterwards the site speaks the person's preferred language."""

    authentication_form = EmailAuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        return redirect_in_language(response.url, form.get_user().language)

    def form_invalid(self, form):
        if form.unverified_user is not None:
            try:
                services.send_verification_email(form.unverified_user)
            except throttle.Throttled as refusal:
                form.errors[NON_FIELD_ERRORS] = form.error_class(
                    [form.error_messages["unverified_throttled"] % {"minutes": refusal.minutes}]
                )
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = TOO_MANY_REQUESTS
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, with at most a few emails per account and per address."""

    def form_valid(self, form):
        try:
            throttle.password_reset(self.request, form.cleaned_data["email"])
        except throttle.Throttled as refusal:
            _refuse(form, refusal)
            return self.render_to_response(self.get_context_data(form=form), status=TOO_MANY_REQUESTS)
        return super().form_valid(form)


@login_required
def profile(request):
    # A copy: a refused form must not change the person shown in the page header.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        user = form.save()
        with translation.override(user.language):
            messages.success(request, _("Your profile is saved."))
        return redirect_in_language(reverse("accounts:profile"), user.language)
    memberships = request.user.memberships.select_related("organisation").order_by("pk")
    context = {
        "form": form,
        "memberships": memberships,
        "manages_people": people.may_manage_any(request.membership),
        "edits_organisation": organisation_details.may_edit(request.membership),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def switch_membership(request):
    form = MembershipChoiceForm(request.user, request.POST)
    if not form.is_valid():
        raise PermissionDenied(_("You can only act for one of your own memberships."))
    membership = form.cleaned_data["membership"]
    request.session[SESSION_KEY] = membership.pk
    messages.success(
        request,
        _("You now act as %(role)s for %(organisation)s.")
        % {"role": membership.get_role_display(), "organisation": membership.organisation},
    )
    return redirect(_safe_next(request, reverse("portal:dashboard")))


@never_cache  # the page may show a new key, once: it must not stay in any cache
@login_required
def api_tokens(request):
    membership = request.membership
    if membership is None:
        return render(request, "accounts/api_tokens.html", {"form": None, "tokens": []})
    form, new_key = ApiTokenForm(), None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        try:
            services.revoke_api_token(membership, request.POST.get("token"))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("The token is revoked: it no longer opens the API."))
        return redirect("accounts:tokens")
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                _token, new_key = services.create_api_token(membership, form.cleaned_data["name"])
            except ValidationError as error:
                form.add_error(None, error)
            except throttle.Throttled as refusal:
                _refuse(form, refusal)
                return _tokens_page(request, membership, form, None, status=TOO_MANY_REQUESTS)
            else:
                form = ApiTokenForm()
    return _tokens_page(request, membership, form, new_key)


def _tokens_page(request, membership, form, new_key, status=200):
    tokens = membership.api_tokens.order_by("-created_at", "-pk")
    context = {"form": form, "tokens": tokens, "new_key": new_key}
    return render(request, "accounts/api_tokens.html", context, status=status)


@require_POST
def set_language(request):
    """The language switcher: the same page in the chosen language (the page's, not the browser's)."""
    next_url = _safe_next(request, reverse("portal:home"))
    language = request.POST.get("language")
    if language not in dict(settings.LANGUAGES):
        return redirect(next_url)
    return redirect_in_language(next_url, language)
