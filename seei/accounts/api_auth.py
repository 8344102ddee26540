"""Personal API tokens: ``Authorization: Bearer <key>`` identifies a membership."""

import hashlib

from seei.accounts.models import ApiToken, Membership
from seei.core import clock


def hash_key(key: str) -> str:
    """Only this hash is stored: a stolen database does not give working keys."""
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate_token(key: str) -> Membership | None:
    """The membership a key acts for, or None if the key is unknown or its person is inactive."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("membership__organisation", "membership__user")
        .filter(key_hash=hash_key(key.strip()), membership__user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=clock.now())
    return token.membership
