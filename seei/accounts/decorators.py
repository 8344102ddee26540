"""Access to views by the role of the membership a person acts for."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from seei.accounts.models import Role


def role_required(*roles):
    """Anonymous visitors go to the login page (and come back); a person whose active
    membership has none of ``roles`` gets a 403 that says what the page needs."""
    allowed = [Role(role) for role in roles]

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise PermissionDenied(refusal(membership, allowed))
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator


def refusal(membership, allowed) -> str:
    needed = ", ".join(str(role.label) for role in allowed)
    if membership is None:
        return _(
            "This page is reserved for: %(roles)s. Your account does not act for any organisation yet."
        ) % {"roles": needed}
    return _(
        "This page is reserved for: %(roles)s. You are acting as %(role)s for %(organisation)s; "
        "if you have another role, choose it in your profile."
    ) % {"roles": needed, "role": membership.get_role_display(), "organisation": membership.organisation}
