"""Who may watch a lot's room: the one rule of the pages (``selectors.watcher_role``), the API and
the room app, in one query (``access`` on a psycopg connection, ``access_sync`` through Django's)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from seei.auctions.bidding.acting import ACTING_MEMBERSHIP

ACCESS_SQL = (
    """
SELECT l.public_watch, r.id, r.status,
       (SELECT b.pseudonym FROM auctions_bidder b
        WHERE b.room_id = r.id AND b.company_id = m.organisation_id AND m.role = 'company_member'),
       m.role = 'buyer_agent' AND m.organisation_id = t.buyer_id,
       m.role = 'commission_member' AND EXISTS (
           SELECT 1 FROM applications_commissionmember c WHERE c.tender_id = t.id AND c.membership_id = m.id)
FROM tenders_lot l
JOIN tenders_tender t ON t.id = l.tender_id
LEFT JOIN auctions_room r ON r.lot_id = l.id AND l.status <> 'cancelled'
LEFT JOIN accounts_user u ON u.id = %(user_id)s AND u.is_active
LEFT JOIN LATERAL ("""
    + ACTING_MEMBERSHIP
    + """) m ON true
WHERE l.id = %(lot_id)s
"""
)


@dataclass(frozen=True)
class Access:
    """Who is looking at a room: the one rule of the pages (``selectors.watcher_role``), the API and
    the room app."""

    exists: bool  # the lot has a room
    role: str | None  # "bidder" | "buyer" | "commission" | "public" | None (may not watch)
    pseudonym: str | None = None  # the viewer's own, when it is a bidder

    @property
    def allowed(self) -> bool:
        return self.exists and self.role is not None


async def access(
    conn: psycopg.AsyncConnection, *, lot_id: int, user_id: int | None, membership_id: int | None = None
) -> Access:
    """Whether this user (None for an anonymous visitor), acting as ``membership_id`` (None: the
    user's first membership), may watch the lot's room, in one query.

    Bidders of the room, buyer agents of the notice's buyer and members of its commission may;
    anyone may when the lot is watchable by the public or once the auction is closed."""
    cursor = await conn.execute(
        ACCESS_SQL, {"lot_id": lot_id, "user_id": user_id, "membership_id": membership_id}
    )
    return _access_of(await cursor.fetchone())


def access_sync(*, lot_id: int, user_id: int | None, membership_id: int | None = None) -> Access:
    """``access`` through Django's connection (pages, API)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(ACCESS_SQL, {"lot_id": lot_id, "user_id": user_id, "membership_id": membership_id})
        return _access_of(cursor.fetchone())


def _access_of(row) -> Access:
    if row is None or row[1] is None:
        return Access(exists=False, role=None)
    public_watch, _room, status, pseudonym, is_buyer, is_commission = row
    if pseudonym is not None:
        return Access(True, "bidder", pseudonym)
    if is_buyer:
        return Access(True, "buyer")
    if is_commission:
        return Access(True, "commission")
    if public_watch or status == "closed":
        return Access(True, "public")
    return Access(True, None)
