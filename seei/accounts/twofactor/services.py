"""The rules of the second factor: who needs it, enrolment, verification, recovery codes."""

from base64 import b32decode, b32encode

import segno
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, verify_token
from django_otp import login as otp_login
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from seei.accounts.models import Role
from seei.accounts.twofactor import DEMO_SECRET, PENDING_SESSION_KEY
from seei.core import audit

REQUIRED_ROLES = (Role.BUYER_AGENT, Role.COMMISSION_MEMBER, Role.ACCOUNTANT, Role.ADMINISTRATOR)
RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def required_for(user) -> bool:
    """Whether the person's roles (any of them, or access to /admin/) require a second factor."""
    if user.is_staff or user.is_superuser:
        return True
    return user.memberships.filter(role__in=REQUIRED_ROLES).exists()


def enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def owed(user) -> bool:
    """A person who must give a second factor before acting: required by a role, or chosen."""
    return required_for(user) or enrolled(user)


def verified(request) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def pending(request) -> bool:
    """A logged-in person who still owes the second factor in this session."""
    return request.user.is_authenticated and not verified(request) and owed(request.user)


def on_login(sender, request, user, **kwargs) -> None:
    """At login (password checked): the session stays pending until the second factor is given."""
    if request is not None and DEVICE_ID_SESSION_KEY not in request.session and owed(user):
        request.session[PENDING_SESSION_KEY] = True


# Enrolment ---------------------------------------------------------------------------------


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being enrolled (unconfirmed), created with a fresh secret if none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32 (what an authenticator app asks for), in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code, drawn here: no external service, no script."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="qr", title="QR"
    )


@transaction.atomic
def confirm_authenticator(request, device: TOTPDevice, code: str) -> list[str] | None:
    """The first code from the app confirms it: it replaces any previous authenticator, the session
    is verified, and new recovery codes are returned (to be shown once). None: the code is wrong."""
    user = request.user
    if (
        device.user_id != user.pk
        or device.confirmed
        or verify_token(user, device.persistent_id, _digits(code)) is None
    ):
        audit.record("account.second_factor_failed", user, actor=user, step="enrolment")
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.refresh_from_db()
    codes = new_recovery_codes(user)
    _verified(request, device)
    audit.record("account.second_factor_enrolled", user, actor=user, address=audit.client_address(request))
    return codes


def new_recovery_codes(user) -> list[str]:
    """A new set of single-use recovery codes; the previous set stops working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Verification ------------------------------------------------------------------------------


class Refused(Exception):
    """A wrong code; ``throttled`` when the devices refuse to check any code for a while."""

    def __init__(self, throttled: bool):
        self.throttled = throttled


def verify(request, code: str):
    """Check a code from the authenticator (6 digits) or a recovery code (used up at once); on success
    the session is verified. Wrong codes slow further tries down (django-otp's throttling)."""
    device = check_code(request.user, code, address=audit.client_address(request))
    _verified(request, device)
    return device


def check_code(user, code: str, *, address=None, **data):
    """The device a code matches (``verify`` without a session: the API's token creation asks for the
    code with the password), audited either way; Refused when it matches none."""
    digits = _digits(code)
    if digits.isdigit() and len(digits) == 6:
        method, devices = "authenticator", TOTPDevice.objects.filter(user=user, confirmed=True)
        token = digits
    else:
        method, devices = "recovery_code", StaticDevice.objects.filter(user=user, confirmed=True)
        token = "".join((code or "").split()).lower()
    throttled = any(not device.verify_is_allowed()[0] for device in devices_for_user(user))
    for device in devices:
        matched = verify_token(user, device.persistent_id, token)
        if matched is not None:
            audit.record(
                "account.second_factor_verified", user, actor=user, method=method, address=address, **data
            )
            return matched
    audit.record("account.second_factor_failed", user, actor=user, method=method, address=address, **data)
    raise Refused(throttled)


def turn_off(request) -> None:
    """A person whose roles do not require it removes their second factor."""
    user = request.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record("account.second_factor_removed", user, actor=user, address=audit.client_address(request))
    request.session.pop(DEVICE_ID_SESSION_KEY, None)


def _verified(request, device) -> None:
    request.session.cycle_key()  # a new key for the session that gained the second factor
    otp_login(request, device)
    request.session.pop(PENDING_SESSION_KEY, None)


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-")


# The demo ----------------------------------------------------------------------------------

DEMO_NOTICE = (
    "The staff accounts (administrator, buyer agents, commission member, accountant) also ask for a\n"
    "two-factor code after the password: run `seei totp EMAIL` for the current one, or add the demo\n"
    f"secret {DEMO_SECRET} to an authenticator app (time-based, 6 digits). Companies may turn it on."
)


def enrol_demo(user) -> None:
    """The demo's staff account gets the published demo secret (and no recovery codes)."""
    key = b32decode(DEMO_SECRET).hex()
    if not TOTPDevice.objects.filter(user=user, confirmed=True, key=key).exists():
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True)


def demo_code(email: str) -> str | None:
    """The code a demo account may give now (its authenticator holds the published demo secret);
    None for any other account: no command reveals the code of a real secret."""
    key = b32decode(DEMO_SECRET).hex()
    device = TOTPDevice.objects.filter(user__email__iexact=email, confirmed=True, key=key).first()
    return next_code(device) if device is not None else None


def next_code(device: TOTPDevice) -> str:
    """What the authenticator shows now, or the next code when this one was already used (a code
    is accepted once, and up to ``tolerance`` steps early)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    step = min(max(totp.t(), device.last_t + 1), totp.t() + device.tolerance)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"
