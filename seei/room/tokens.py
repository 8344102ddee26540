"""A personal API token at the room's door: the integrator's systems watch and bid as their membership.

The token is the one of the JSON API (``seei.accounts.ApiToken``, only its SHA-256 stored) and acts
for its membership exactly as that membership's person would through the site: the room then applies
the one rule of ``seei.auctions.bidding.access`` (and the bid transaction refuses whoever is not an
admitted bidder), so a token gives no more than the cookie of its person acting as that membership.

Where the token is read (never the query string: an address lands in the access logs of every proxy,
in browser history and in ``Referer`` headers, a header does not):

- ``Authorization: Bearer <key>`` on every HTTP request and on the socket's handshake (servers);
- on the socket only, a subprotocol ``seei.bearer.<key>`` offered beside ``seei.room.v1`` (browsers
  cannot set headers on a WebSocket; they can offer subprotocols). The server answers with
  ``seei.room.v1`` only: the key is never echoed back.

A request that offers a token is judged by the token alone (a session cookie beside it is ignored), so
an unknown or revoked token is refused (HTTP 401, socket close 4401), never taken for a visitor.

Lean: one indexed statement (``accounts_apitoken.key_hash`` is unique) on the room's async pool,
which also records the use (``last_used_at``); its answer is kept per process for
``CACHE_SECONDS``. A revoked token (its row deleted) or a deactivated person is therefore refused
within ``CACHE_SECONDS`` by every process; a socket is closed at its next re-check
(``SEEI_ROOM_RECHECK_SECONDS``). Unknown keys are never cached (nobody fills the memory with them).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import cache

from seei.room.auth import Person

CACHE_SECONDS = 5.0  # the bound on a revocation's delay in the room (bids, snapshots, handshakes)
MAX_CACHED = 10_000
MAX_KEY = 200  # longer than any key the site makes
SUBPROTOCOL = "seei.room.v1"
BEARER_SUBPROTOCOL = "seei.bearer."
CLOSE_BAD_TOKEN = 4401  # the same code as an ended login: the client must get a new credential


@dataclass(frozen=True)
class _Cached:
    person: Person
    until: float  # time.monotonic()


_cache: dict[str, _Cached] = {}  # key hash -> what the token stood for, until


def offered(headers, *, socket: bool = False) -> str | None:
    """The key a request offers (``""``: a malformed one, refused as unknown); None: no token at all."""
    # Another scheme (the Basic of a staging site's proxy, which browsers then send everywhere) is
    # not an API token: the request goes on with its cookie.
    scheme, _space, key = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return key.strip()
    if socket:
        for protocol in headers.get("sec-websocket-protocol", "").split(","):
            protocol = protocol.strip()
            if protocol.startswith(BEARER_SUBPROTOCOL):
                return protocol.removeprefix(BEARER_SUBPROTOCOL)
    return None


def answered_subprotocol(headers) -> str | None:
    """The subprotocol the server picks: ``seei.room.v1`` when offered (never the bearer one)."""
    offered_protocols = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
    return SUBPROTOCOL if SUBPROTOCOL in offered_protocols else None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()  # as seei.accounts.api_auth stores it


@cache
def _sql(now: str) -> str:
    from seei.accounts.models import ApiToken, Membership

    users = Membership.user.field.related_model._meta.db_table
    return (
        f"UPDATE {ApiToken._meta.db_table} t SET last_used_at = {now}"
        f" FROM {Membership._meta.db_table} m JOIN {users} u ON u.id = m.user_id"
        " WHERE t.key_hash = %s AND m.id = t.membership_id AND u.is_active"
        " RETURNING u.id, u.language, m.id, m.role"
    )


def cached(key: str) -> Person | None:
    """The person of a key looked up less than CACHE_SECONDS ago in this process (no query)."""
    found = _cache.get(hash_key(key)) if key and len(key) <= MAX_KEY else None
    if found is None or found.until < time.monotonic():
        return None
    return found.person


async def person_in(pool, key: str) -> Person | None:
    """``person_of``, taking no connection from ``pool`` while the key is cached (a bid's hot path)."""
    if (person := cached(key)) is not None:
        return person
    async with pool.connection() as conn:
        return await person_of(conn, key)


async def person_of(conn, key: str) -> Person | None:
    """The person (acting as the token's membership) a key stands for; None: unknown, revoked, inactive."""
    if not key or len(key) > MAX_KEY:
        return None
    if (person := cached(key)) is not None:
        return person
    from seei.auctions.bidding import now_sql

    digest = hash_key(key)
    cursor = await conn.execute(_sql(now_sql()), (digest,))
    row = await cursor.fetchone()
    if row is None:
        _cache.pop(digest, None)
        return None
    user_id, language, membership_id, role = row
    person = Person(user_id=user_id, language=language, membership_id=membership_id, verified=True, role=role)
    if len(_cache) >= MAX_CACHED:
        _cache.clear()  # rare; a plain bound keeps a long-lived process's memory flat
    _cache[digest] = _Cached(person, time.monotonic() + CACHE_SECONDS)
    return person


def forget_all() -> None:
    """Empty the cache (tests; an operator who must cut every token off at once restarts instead)."""
    _cache.clear()
