"""The audit log: who did what to which object, and every login, failed login and logout.

It is append-only: the database itself refuses to change or delete an entry (a trigger, core
migration 0002), whoever asks (the ORM, raw SQL, the admin); the admin and the administrators'
page (``seei/core/audit_page.py``) only read it.
"""

from django.contrib.auth import signals as auth_signals
from django.db.models import Q

from seei.core import clock
from seei.core.client_address import client_ip
from seei.core.models import AuditEvent

# What a company (or a practice one) did in a procedure names who took part: such an entry may be
# sealed until its procedure is over (``seei.core.sealed_admin.event_revealed``, the admin's rule and
# the administrators' page's); those of its account never are.
SEALABLE = Q(organisation__kind__in=("company", "practice")) & ~Q(object_type__startswith="accounts.")
MAX_EMAIL = 254


def record(action: str, obj=None, actor=None, organisation=None, **data) -> AuditEvent:
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )


def of(action: str, obj):
    """The events ``action`` recorded about ``obj``."""
    return AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk))


def client_address(request) -> str:
    """The client's full address (behind the trusted proxies, the one they relayed)."""
    return str(client_ip(request)) if request is not None else ""


# Logins ------------------------------------------------------------------------------------


def _logged_in(sender, request, user, **kwargs):
    record("account.login", user, actor=user, address=client_address(request))


def _login_failed(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    email = str(credentials.get("username") or credentials.get("email") or "")[:MAX_EMAIL].strip().lower()
    target = get_user_model().objects.filter(email__iexact=email).first() if email else None
    record("account.login_failed", target, email=email, address=client_address(request))


def _logged_out(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        record("account.logout", user, actor=user, address=client_address(request))


def connect_login_signals() -> None:
    auth_signals.user_logged_in.connect(_logged_in, dispatch_uid="seei.audit.login")
    auth_signals.user_login_failed.connect(_login_failed, dispatch_uid="seei.audit.login_failed")
    auth_signals.user_logged_out.connect(_logged_out, dispatch_uid="seei.audit.logout")


# The administrators' page ------------------------------------------------------------------


def events(*, person: str = "", action: str = "", since=None, until=None):
    """The log, newest first, narrowed to a person (by email: what they did, or what was tried on
    their account), an action and a time range [since, until)."""
    from django.contrib.auth import get_user_model

    selected = AuditEvent.objects.select_related("actor", "organisation")
    if person:
        accounts = [
            str(pk)
            for pk in get_user_model().objects.filter(email__iexact=person).values_list("pk", flat=True)
        ]
        selected = selected.filter(
            Q(actor__email__iexact=person)
            | Q(object_type="accounts.user", object_id__in=accounts)
            | Q(action="account.login_failed", data__email=person.lower())
        ).exclude(SEALABLE)  # a search by person must not tell who took part, sealed or not yet
    if action:
        selected = selected.filter(action=action)
    if since is not None:
        selected = selected.filter(at__gte=since)
    if until is not None:
        selected = selected.filter(at__lt=until)
    return selected


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
