"""Personal API tokens through the API itself: an integrator's system gets its key after a login.

    POST   /api/v1/tokens       a new token; its key is in this answer only (never stored, never shown again)
    GET    /api/v1/tokens       the caller's tokens: prefix, name, created, last used (never a key)
    DELETE /api/v1/tokens/{id}  revoke one: it stops opening the API at once, and the room within
                                ``seei.room.tokens.CACHE_SECONDS``

A token is created after a login, never by another token (a leaked key must not mint itself a
successor): either the site's session (with its CSRF token, as any unsafe request of the session) or,
for a program, the account's email and password in the body, plus the second factor's code when the
account has one (an authenticator's code or a recovery code). The password is limited exactly as the
login page limits it (``seei.accounts.throttle``: per account and address, per address, per account),
wrong codes by django-otp's own delays, and creations per person (``throttle.token_creation``). Every
creation and revocation is audited (``api_token.created`` / ``api_token.revoked``, with ``via: api``
and the address). Listing and revoking take the session or a token of the same membership.
"""

from datetime import datetime

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from seei.accounts import services, throttle
from seei.accounts.models import ApiToken, Membership, User
from seei.accounts.twofactor import services as second_factor
from seei.api.auth import AUTH, SessionMembershipAuth
from seei.api.schemas import Error, Input
from seei.core import audit

router = Router(tags=["tokens"])


class _Credentials:
    """Marks a creation asked without a session: the body must then carry the email and password."""

    def __bool__(self):
        return True


CREDENTIALS = _Credentials()


def _credentials(request):
    return CREDENTIALS


# The session first (its CSRF check refuses a cross-site form); else the credentials of the body.
CREATE_AUTH = [SessionMembershipAuth(), _credentials]


class TokenIn(Input):
    name: str = Field(
        min_length=1, max_length=100, description="What the token is for, e.g. “ERP integration”."
    )
    email: str | None = Field(
        None, max_length=254, description="Without a session: the account's email (the login's)."
    )
    password: str | None = Field(None, max_length=4096, description="Without a session: its password.")
    code: str | None = Field(
        None,
        max_length=64,
        description="Without a session, for an account with a second factor: the authenticator's current "
        "code or one of its recovery codes (used up).",
    )
    membership: int | None = Field(
        None,
        description="Which of the person's memberships the token acts for (id); by default the session's "
        "chosen one, or the person's first.",
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    membership: int = Field(description="The membership (role in an organisation) the token acts for.")
    organisation: str
    role: str
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="Its last use by the API or the room (per few seconds)."
    )


class TokenCreated(TokenOut):
    key: str = Field(
        description="Send it as `Authorization: Bearer <key>`. Shown in this answer only: keep it now."
    )


def _out(token: ApiToken) -> dict:
    membership = token.membership
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "membership": membership.pk,
        "organisation": membership.organisation.name,
        "role": membership.role,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
    }


def _refused(status: int, detail: str, reason: str, **headers) -> HttpResponse:
    import json

    response = HttpResponse(
        json.dumps({"detail": detail, "reason": reason}, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _too_many(refusal: throttle.Throttled) -> HttpResponse:
    return _refused(
        429, refusal.message, "throttled", Retry_After=str(max(1, int(refusal.wait.total_seconds())))
    )


def _logged_in(request, payload: TokenIn) -> User | HttpResponse:
    """The person whose email, password (and second factor) the body gives, or the refusal."""
    email, password = (payload.email or "").strip().lower(), payload.password or ""
    if not email or not password:
        return _refused(
            401,
            _("Log in first: send the site's session with its CSRF token, or your email and password."),
            "not_authenticated",
            WWW_Authenticate='Bearer realm="seei"',
        )
    try:
        throttle.check_login(request, email)
    except throttle.Throttled as refusal:
        return _too_many(refusal)
    user = authenticate(request, username=email, password=password)  # audited by its signal on failure
    if user is None:
        throttle.login_failed(request, email)
        return _refused(401, _("The email or the password is not right."), "bad_credentials")
    if second_factor.owed(user):
        if not (payload.code or "").strip():
            return _refused(
                401,
                _("This account has a second factor: send its current code (or a recovery code) as “code”."),
                "second_factor_required",
            )
        try:
            second_factor.check_code(user, payload.code, address=audit.client_address(request), via="api")
        except second_factor.Refused as refused:
            if refused.throttled:
                return _refused(
                    429,
                    _("Too many wrong codes: wait a moment before trying again."),
                    "throttled",
                    Retry_After="30",
                )
            return _refused(401, _("This code is not valid or was already used."), "bad_second_factor")
    return user


def _membership_of(user: User, chosen: int | None, default: Membership | None) -> Membership:
    memberships = Membership.objects.select_related("organisation", "user").filter(user=user)
    if chosen is not None:
        membership = memberships.filter(pk=chosen).first()
        if membership is None:
            raise ValidationError({"membership": [_("This membership is not one of yours.")]})
        return membership
    membership = default or memberships.order_by("pk").first()
    if membership is None:
        raise PermissionDenied(_("Your account acts for no organisation yet: it cannot have a token."))
    return membership


@router.post(
    "/tokens",
    response={201: TokenCreated, 401: Error, 403: Error, 429: Error},
    auth=CREATE_AUTH,
)
def create_token(request, payload: TokenIn):
    """A new personal token for one of your memberships. Log in with the site's session (and its CSRF
    token), or send `email`, `password` and, if your account has a second factor, `code`; a token cannot
    create another. The key is in this answer only. 401 for wrong credentials or a missing or wrong code;
    429 with Retry-After past the login's limits, or for too many tokens made in an hour."""
    if request.auth is CREDENTIALS:
        user = _logged_in(request, payload)
        if isinstance(user, HttpResponse):
            return user
        membership = _membership_of(user, payload.membership, None)
        how = "password"
    else:
        membership = _membership_of(request.user, payload.membership, request.auth)
        how = "session"
    try:
        token, key = services.create_api_token(
            membership, payload.name, via="api", login=how, address=audit.client_address(request)
        )
    except throttle.Throttled as refusal:
        return _too_many(refusal)
    return Status(201, {**_out(token), "key": key})


@router.get("/tokens", response=list[TokenOut], auth=AUTH)
def list_tokens(request):
    """Your tokens for the membership you act as (by this token, or chosen on the site): never a key."""
    tokens = ApiToken.objects.filter(membership=request.auth).select_related("membership__organisation")
    return [_out(token) for token in tokens.order_by("-created_at", "-pk")]


@router.delete("/tokens/{token_id}", response={204: None}, auth=AUTH)
def revoke_token(request, token_id: int):
    """Revoke one of your tokens (of the membership you act as; this very one included). 404 for a token
    that does not exist or is someone else's: nobody learns which."""
    try:
        services.revoke_api_token(request.auth, token_id, via="api", address=audit.client_address(request))
    except ValidationError:
        raise Http404(_("This token does not exist or belongs to someone else.")) from None
    return Status(204, None)
