"""Who is at the door of a room: the Django session, read without Django's request cycle.

The session cookie is looked up in ``django_session`` through the async pool and decoded
with Django's own session engine (``SessionStore.decode``: ``django.core.signing`` with the
session serializer); the session is then verified as ``django.contrib.auth.get_user`` does:
a known backend, an active user, and the session hash bound to the password (a password
change or a logout ends the session here too). A session that gave the password but owes a second
factor (``seei.accounts.twofactor``: set pending at login, or owed since, as the site's pages decide it
on every request) is nobody here; ``Person.verified`` says it was given.

The hot path (a bid every few milliseconds per bidder) reads the session row and the user row in
ONE query, and decodes a session's data only once per process: the decoded content is cached by
session key together with the exact ``session_data`` it came from, so a changed (or tampered)
row is decoded again. The row itself is read on every request, so a logged-out (deleted) or
expired session, an inactive user or a changed password is refused at once, cache or not.

Who may then see a lot's room is ``seei.auctions.bidding.access`` (the rule the API and the
pages share): the bidders of that lot as themselves, the notice's buyer agents and commission
members as watchers, and anyone when the lot is publicly watchable or once the room is closed.
A bid needs no such query: the bid transaction itself refuses whoever is not an admitted bidder.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY

from seei.accounts.twofactor import PENDING_SESSION_KEY

MAX_SESSION_KEY = 64
MAX_CACHED_SESSIONS = 10_000


@dataclass(frozen=True)
class Person:
    user_id: int
    language: str
    membership_id: int | None = None  # the membership chosen in the session (None: the user's first)
    verified: bool = False  # the session gave a second factor (required of the buyer's people)
    role: str | None = None  # the membership's role, when known (a token's: the API checks it)


@dataclass(frozen=True)
class _Decoded:
    """What a session's data says, once decoded and checked: whose it is and its password hash."""

    session_data: str
    user_id: int | None  # None: not a valid login (bad signature, unknown backend, no user id)
    session_hash: str | None
    membership_id: int | None = None  # the membership the person chose to act through on the site
    verified: bool = False  # a second factor was given in this session


_decoded: dict[str, _Decoded] = {}  # session key -> the decoded content of its current data


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore()


def _user_table() -> str:
    return apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table


def _decode(session_key: str, session_data: str) -> _Decoded:
    cached = _decoded.get(session_key)
    if cached is not None and cached.session_data == session_data:
        return cached
    session = _session_store().decode(session_data)  # {} when the signature does not match
    user_id = None
    if session.get(BACKEND_SESSION_KEY) in settings.AUTHENTICATION_BACKENDS:
        try:
            user_id = int(session[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            user_id = None
    verified = bool(session.get(DEVICE_ID_SESSION_KEY))
    if session.get(PENDING_SESSION_KEY) and not verified:
        user_id = None  # the password was given, the second factor not yet: not a login
    decoded = _Decoded(
        session_data, user_id, session.get(HASH_SESSION_KEY), _membership_id(session), verified
    )
    if len(_decoded) >= MAX_CACHED_SESSIONS:
        _decoded.clear()  # rare; a plain bound keeps the memory of a long-lived process flat
    _decoded[session_key] = decoded
    return decoded


def _membership_id(session) -> int | None:
    from seei.accounts.middleware import SESSION_KEY as MEMBERSHIP_KEY

    try:
        return int(session[MEMBERSHIP_KEY])
    except (KeyError, TypeError, ValueError):
        return None


# The session row and the user row in one round trip. The user is the one this process last found
# in that session (a guess: when the decoded session names someone else, the user is read again).
_SESSION_SQL = """
SELECT s.session_data, u.id, u.password, u.is_active, u.language, {owes}
FROM django_session s
LEFT JOIN {users} u ON u.id = %(user_id)s
WHERE s.session_key = %(session_key)s AND s.expire_date > now()
"""


@cache
def owes_sql(user: str) -> str:
    """SQL: whether the user aliased ``user`` owes a second factor, as the site decides it
    (``seei.accounts.twofactor.services.owed``: access to /admin/, a role that requires it, or an
    authenticator enrolled). A session that gave none is then nobody, as on the site's pages."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from seei.accounts.models import Membership
    from seei.accounts.twofactor.services import REQUIRED_ROLES

    roles = ", ".join(f"'{role.value}'" for role in REQUIRED_ROLES)
    return (
        f"({user}.is_staff OR {user}.is_superuser"
        f" OR EXISTS (SELECT 1 FROM {Membership._meta.db_table} om"
        f" WHERE om.user_id = {user}.id AND om.role IN ({roles}))"
        f" OR EXISTS (SELECT 1 FROM {TOTPDevice._meta.db_table} od"
        f" WHERE od.user_id = {user}.id AND od.confirmed))"
    )


async def person_from_cookies(conn, cookies: dict[str, str]) -> Person | None:
    """The logged-in person of a request's cookies, or None (anonymous, expired, revoked)."""
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key or len(session_key) > MAX_SESSION_KEY:
        return None
    known = _decoded.get(session_key)
    cursor = await conn.execute(
        _SESSION_SQL.replace("{users}", _user_table()).replace("{owes}", owes_sql("u")),
        {"session_key": session_key, "user_id": known.user_id if known is not None else None},
    )
    row = await cursor.fetchone()
    if row is None:
        _decoded.pop(session_key, None)  # logged out or expired: forget it
        return None
    decoded = _decode(session_key, row[0])
    if decoded.user_id is None:
        return None
    user = row[1:]
    if user[0] != decoded.user_id:
        cursor = await conn.execute(
            f"SELECT u.id, u.password, u.is_active, u.language, {owes_sql('u')}"
            f" FROM {_user_table()} u WHERE u.id = %s",
            (decoded.user_id,),
        )
        user = await cursor.fetchone()
        if user is None:
            return None
    _id, password, is_active, language, owes = user
    if (
        not is_active
        or not session_hash_valid(decoded.user_id, password, decoded.session_hash)
        or (owes and not decoded.verified)
    ):
        # An ended login (password changed, account deactivated, a second factor owed since) whose row
        # is still there: forgotten, so its cookie is never again a known login (whose attempts count
        # against the person's limits).
        _decoded.pop(session_key, None)
        return None
    return Person(
        user_id=decoded.user_id,
        language=language,
        membership_id=decoded.membership_id,
        verified=decoded.verified,
    )


@dataclass
class KnownLogin:
    """A login this process decoded before, to be re-validated inside the bid's own transaction (one
    round trip less): the session row must still exist unexpired with the very same data, the user
    be active, and the session hash match the password. Called with what that transaction read."""

    session_key: str
    decoded: _Decoded
    language: str | None = None  # the user's, as read by the transaction

    @property
    def user_id(self) -> int:
        return self.decoded.user_id

    @property
    def membership_id(self) -> int | None:
        return self.decoded.membership_id

    def __call__(
        self, session_data: str | None, password: str | None, is_active: bool | None, language, owes: bool
    ) -> bool:
        if session_data is None or session_data != self.decoded.session_data or not is_active or not password:
            return False
        if owes and not self.decoded.verified:
            return False
        if not session_hash_valid(self.decoded.user_id, password, self.decoded.session_hash):
            return False
        self.language = language
        return True


def known_login(cookies: dict[str, str]) -> KnownLogin | None:
    """The login of these cookies if this process has decoded it before (nothing is trusted yet)."""
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key or len(session_key) > MAX_SESSION_KEY:
        return None
    decoded = _decoded.get(session_key)
    if decoded is None or decoded.user_id is None:
        return None
    return KnownLogin(session_key, decoded)


def session_hash_valid(user_id: int, password: str, session_hash: str | None) -> bool:
    """The check of django.contrib.auth.get_user, with the user model's own hash functions."""
    if not session_hash:
        return False
    return any(
        constant_time_compare(session_hash, valid)
        for valid in _valid_hashes(
            user_id, password, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS)
        )
    )


@lru_cache(maxsize=4096)
def _valid_hashes(user_id: int, password: str, _secret: str, _fallbacks: tuple) -> tuple[str, ...]:
    """The session hashes a password allows (current key first, then the fallback keys), computed
    once per password: the secrets are part of the cache key, so a rotated key is honoured."""
    user = apps.get_model(settings.AUTH_USER_MODEL)(id=user_id, password=password)
    return (user.get_session_auth_hash(), *user.get_session_auth_fallback_hash())
