"""Who is at the door of a room: the Django session, read without Django's request cycle.

The session cookie is looked up in ``django_session`` through the async pool and decoded
with Django's own session engine (``SessionStore.decode``: ``django.core.signing`` with the
session serializer); the session is then verified as ``django.contrib.auth.get_user`` does:
a known backend, an active user, and the session hash bound to the password (a password
change or a logout ends the session here too).

Who may then see a lot's room is ``seei.auctions.bidding.access`` (the rule the API and the
pages share): the bidders of that lot as themselves, the notice's buyer agents and commission
members as watchers, and anyone when the lot is publicly watchable or once the room is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare

MAX_SESSION_KEY = 64


@dataclass(frozen=True)
class Person:
    user_id: int
    language: str


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore()


def _user_table() -> str:
    return apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table


async def person_from_cookies(conn, cookies: dict[str, str]) -> Person | None:
    """The logged-in person of a request's cookies, or None (anonymous, expired, revoked)."""
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key or len(session_key) > MAX_SESSION_KEY:
        return None
    cursor = await conn.execute(
        "SELECT s.session_data FROM django_session s WHERE s.session_key = %s AND s.expire_date > now()",
        (session_key,),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    session = _session_store().decode(row[0])  # {} when the signature does not match
    if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        user_id = int(session[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None
    cursor = await conn.execute(
        f"SELECT password, is_active, language FROM {_user_table()} WHERE id = %s", (user_id,)
    )
    row = await cursor.fetchone()
    if row is None or not row[1] or not session_hash_valid(user_id, row[0], session.get(HASH_SESSION_KEY)):
        return None
    return Person(user_id=user_id, language=row[2])


def session_hash_valid(user_id: int, password: str, session_hash: str | None) -> bool:
    """The check of django.contrib.auth.get_user, with the user model's own hash functions."""
    if not session_hash:
        return False
    user = apps.get_model(settings.AUTH_USER_MODEL)(id=user_id, password=password)
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    return any(constant_time_compare(session_hash, other) for other in user.get_session_auth_fallback_hash())
