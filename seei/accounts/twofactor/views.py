"""The second factor's pages: enrolment, the step after the password, recovery codes, turning it off."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from seei.accounts.twofactor import services
from seei.accounts.twofactor.forms import CodeForm
from seei.accounts.views import _safe_next

CODES_SESSION_KEY = "seei_recovery_codes"  # new codes, kept only until the page that shows them once


def _next(request) -> str:
    return _safe_next(request, reverse("portal:dashboard"))


@never_cache
@login_required
def setup(request):
    """Scan the QR code (or type the secret) in an authenticator app, then give its first code."""
    user = request.user
    if services.enrolled(user) and not services.verified(request):
        return redirect(f"{reverse('accounts:second_factor')}?{request.GET.urlencode()}")
    device = services.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.confirm_authenticator(request, device, form.cleaned_data["code"])
        if codes is not None:
            request.session[CODES_SESSION_KEY] = codes
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(f"{reverse('accounts:recovery_codes')}?next={_next(request)}")
        form.add_error("code", _("This code is not valid. Type the code your app shows now."))
    context = {
        "form": form,
        "qr": services.qr_svg(device),
        "secret": services.secret_text(device),
        "required": services.required_for(user),
        "replacing": services.enrolled(user),
        "next": _next(request),
    }
    return render(request, "accounts/second_factor_setup.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def verify(request):
    """The step after the password: a code from the authenticator, or a recovery code."""
    user = request.user
    if services.verified(request) or not services.owed(user):
        return redirect(_next(request))
    if not services.enrolled(user):
        return redirect(f"{reverse('accounts:second_factor_setup')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify(request, form.cleaned_data["code"])
        except services.Refused as refused:
            form.add_error(
                "code",
                _("Too many wrong codes: wait a moment before trying again.")
                if refused.throttled
                else _("This code is not valid or was already used."),
            )
        else:
            left = services.recovery_codes_left(user)
            if left <= 3:
                messages.warning(
                    request,
                    _("Recovery codes left: %(count)s. Make new ones from your profile.") % {"count": left},
                )
            return redirect(_next(request))
    context = {"form": form, "next": _next(request)}
    return render(request, "accounts/second_factor_verify.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def recovery_codes(request):
    """New recovery codes are shown once, here; a POST makes a new set (the old one stops working)."""
    if not (services.verified(request) and services.enrolled(request.user)):
        return redirect("accounts:second_factor_setup")
    if request.method == "POST":
        request.session[CODES_SESSION_KEY] = services.new_recovery_codes(request.user)
        messages.success(request, _("New recovery codes are made: the previous ones no longer work."))
        return redirect("accounts:recovery_codes")
    context = {
        "codes": request.session.pop(CODES_SESSION_KEY, None),
        "left": services.recovery_codes_left(request.user),
        "required": services.required_for(request.user),
        "next": _next(request),
    }
    return render(request, "accounts/second_factor_codes.html", context)


@require_POST
@login_required
def turn_off(request):
    if services.required_for(request.user):
        raise PermissionDenied(_("Your role requires two-factor authentication: it cannot be turned off."))
    if not services.verified(request):
        return redirect("accounts:second_factor")
    services.turn_off(request)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:profile")
