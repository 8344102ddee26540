"""Who calls the API: a personal token or the site's session, both ending with the acting Membership.

An authenticated operation gets the Membership as ``request.auth`` (and ``request.membership``,
as on the site). Roles and organisations are then checked by the operation: a wrong role is a
403, never a 401.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from seei.accounts.api_auth import authenticate_token
from seei.accounts.models import Membership, Role
from seei.accounts.twofactor import services as second_factor


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``, a token created on the account's tokens page."""

    def authenticate(self, request, token: str) -> Membership | None:
        membership = authenticate_token(token)
        if membership is not None:
            request.membership = membership
            request.user = membership.user
        return membership


class SessionMembershipAuth(SessionAuth):
    """The person logged in on the site, acting through the membership chosen there.

    CSRF is checked on unsafe methods, as for a form of the site.
    """

    def __call__(self, request):
        # Without a logged-in person there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated or getattr(request, "membership", None) is None:
            return None
        if second_factor.pending(request):  # a password alone does not open the API either
            return None
        return super().__call__(request)

    def authenticate(self, request, key) -> Membership | None:
        return request.membership


# Tried in this order by every operation that needs someone.
AUTH = [TokenAuth(), SessionMembershipAuth()]


def require_role(request, role: Role) -> Membership:
    membership = request.auth
    if membership.role != role:
        raise PermissionDenied(_("This is reserved to the role “%(role)s”.") % {"role": Role(role).label})
    return membership
