"""Limits on what an attacker can repeat: wrong passwords, reset and verification emails,
registrations, API tokens.

One mechanism for every flow: counted hits in the database, judged by the one clock
(``seei.core.clock``), so every process (and every page process behind the proxy) shares them and
a test moves time instead of sleeping. A limit is N hits in a sliding window; once it is reached,
the flow is refused until the oldest of those hits leaves the window. Refused attempts are not
counted, so a lock always ends on its own, however long an attacker keeps trying.

Wrong passwords are limited three ways: an account from one address (the common guess: the owner,
elsewhere, is not locked out by it), an address across accounts (credential stuffing), and an
account from every address (a distributed guess; higher). The owner is told by email when their
account gets locked.
"""

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from seei.accounts.models import ThrottleHit, User
from seei.core import clock
from seei.core.client_address import client_ip


@dataclass(frozen=True)
class Limit:
    scope: str
    hits: int
    window: timedelta


MINUTES_15, HOUR = timedelta(minutes=15), timedelta(hours=1)
LOGIN_ACCOUNT_ADDRESS = Limit("login:account+address", 10, MINUTES_15)
LOGIN_ADDRESS = Limit("login:address", 30, MINUTES_15)
LOGIN_ACCOUNT = Limit("login:account", 50, MINUTES_15)
RESET_ACCOUNT = Limit("reset:account", 3, HOUR)
RESET_ADDRESS = Limit("reset:address", 10, HOUR)
VERIFICATION_ACCOUNT = Limit("verification:account", 3, HOUR)
REGISTRATION_EMAIL = Limit("registration:email", 3, HOUR)
REGISTRATION_ADDRESS = Limit("registration:address", 10, HOUR)
TOKEN_ACCOUNT = Limit("token:account", 10, HOUR)
KEPT = timedelta(days=1)  # longer than every window


class Throttled(Exception):
    """A limit is reached: the flow may be tried again after ``wait``."""

    def __init__(self, wait: timedelta):
        super().__init__(wait)
        self.wait = wait

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.wait.total_seconds() / 60))

    @property
    def message(self) -> str:
        return _("Too many attempts. Try again in %(minutes)s min.") % {"minutes": self.minutes}


# The mechanism ---------------------------------------------------------------------------------


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def wait(limit: Limit, key: str) -> timedelta | None:
    """How long ``key`` must wait before ``limit`` lets it in again; None if it may go now."""
    now = clock.now()
    recent = list(
        ThrottleHit.objects.filter(scope=limit.scope, key=_digest(key), at__gt=now - limit.window)
        .order_by("-at")
        .values_list("at", flat=True)[: limit.hits]
    )
    if len(recent) < limit.hits:
        return None
    return recent[-1] + limit.window - now


def hit(limit: Limit, key: str) -> bool:
    """Count one attempt; True when it is the one that reaches the limit."""
    now = clock.now()
    ThrottleHit.objects.filter(at__lt=now - KEPT).delete()
    ThrottleHit.objects.create(scope=limit.scope, key=_digest(key), at=now)
    counted = ThrottleHit.objects.filter(
        scope=limit.scope, key=_digest(key), at__gt=now - limit.window
    ).count()
    return counted == limit.hits


def check(*checks: tuple[Limit, str]) -> None:
    """Raise Throttled (with the longest wait) if any of the (limit, key) pairs is reached."""
    waits = [found for limit, key in checks if (found := wait(limit, key)) is not None]
    if waits:
        raise Throttled(max(waits))


def consume(*checks: tuple[Limit, str]) -> None:
    """Check every limit, then count this attempt against each of them."""
    check(*checks)
    for limit, key in checks:
        hit(limit, key)


def client_address(request) -> str:
    """The client's address as the limits count it: its /64 network for IPv6, which one subscriber
    usually holds whole (an IPv4 client on a dual-stack socket stays IPv4: as IPv6 they would all
    share one /64, and one guesser would lock every IPv4 visitor out)."""
    address = client_ip(request)
    if isinstance(address, str):
        return address or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# The flows ------------------------------------------------------------------------------------


def _account(email: str) -> str:
    return "account:" + (email or "").strip().lower()


def _address(request) -> str:
    return "address:" + client_address(request)


def _login_checks(request, email: str) -> list[tuple[Limit, str]]:
    return [
        (LOGIN_ACCOUNT_ADDRESS, _account(email) + "|" + _address(request)),
        (LOGIN_ADDRESS, _address(request)),
        (LOGIN_ACCOUNT, _account(email)),
    ]


def check_login(request, email: str) -> None:
    check(*_login_checks(request, email))


def login_failed(request, email: str) -> None:
    """Count a wrong password; tell the owner when it locks their account."""
    locked = [limit for limit, key in _login_checks(request, email) if hit(limit, key)]
    if {LOGIN_ACCOUNT_ADDRESS, LOGIN_ACCOUNT} & set(locked):
        owner = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
        if owner is not None:
            _tell_owner(owner, client_address(request), locked)


def _tell_owner(user: User, address: str, locked: list[Limit]) -> None:
    limit = max(locked, key=lambda each: each.window)
    context = {
        "user": user,
        "email": user.email,
        "address": address,
        "attempts": limit.hits,
        "minutes": math.ceil(limit.window.total_seconds() / 60),
        "everywhere": LOGIN_ACCOUNT in locked,
        "site_url": settings.SITE_URL,
    }
    with translation.override(user.language):
        subject = "".join(render_to_string("accounts/lockout_email_subject.txt", context).splitlines())
        body = render_to_string("accounts/lockout_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))


def password_reset(request, email: str) -> None:
    consume((RESET_ACCOUNT, _account(email)), (RESET_ADDRESS, _address(request)))


def verification_email(user: User) -> None:
    consume((VERIFICATION_ACCOUNT, f"user:{user.pk}"))


def registration(request, email: str) -> None:
    consume((REGISTRATION_EMAIL, _account(email)), (REGISTRATION_ADDRESS, _address(request)))


def token_creation(user: User) -> None:
    consume((TOKEN_ACCOUNT, f"user:{user.pk}"))
