"""Who a person acts as: the one membership through which every path (pages, API, room) decides bids
and watching, as SQL to embed in the bid transaction, the snapshot and the access rule."""

from __future__ import annotations


def _acting(membership: str) -> str:
    """Who a person acts as: the membership chosen in the session (or given by an API token), else the
    first one, as seei.accounts.middleware.ActiveMembershipMiddleware picks it. ``u`` is the user. Every
    path (pages, API, room) decides bids and watching through this one membership, never another role
    of the same person."""
    return f"""
    SELECT m.id, m.role, m.organisation_id FROM accounts_membership m
    WHERE m.user_id = u.id
    ORDER BY COALESCE(m.id = {membership}, false) DESC, m.id
    LIMIT 1
"""


ACTING_MEMBERSHIP = _acting("%(membership_id)s")
