"""The unsubscribe links of the watch emails: signed, so they work without logging in.

A token names the person and, optionally, one profile; it never expires (an old email's link must
still work) and carries nothing secret. Using it records an ``EmailOptOut``, once.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from seei.alerts.models import EmailOptOut, WatchProfile

SALT = "seei.alerts.unsubscribe"


def token(user_id: int, profile_id: int | None = None) -> str:
    return signing.dumps([user_id, profile_id], salt=SALT)


def read(value: str) -> tuple[int, int | None]:
    """The person and the profile a token names; ``signing.BadSignature`` if it was not ours."""
    data = signing.loads(value, salt=SALT)
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int)):
        raise signing.BadSignature("Not an unsubscribe token.")
    return data[0], data[1] if isinstance(data[1], int) else None


def link(user, profile: WatchProfile | None = None) -> str:
    """The absolute link, in the person's language."""
    with translation.override(user.language):
        path = reverse("alerts:unsubscribe", args=[token(user.pk, profile.pk if profile else None)])
    return f"{settings.SITE_URL}{path}"


def opt_out(user_id: int, profile_id: int | None) -> None:
    """Record the wish, once. A profile deleted since sends nothing any more: nothing to record."""
    from seei.accounts.models import User

    if not User.objects.filter(pk=user_id).exists():
        return
    if profile_id is not None and not WatchProfile.objects.filter(pk=profile_id).exists():
        return
    EmailOptOut.objects.get_or_create(user_id=user_id, profile_id=profile_id)


def opted_out(user_ids) -> set[tuple[int, int | None]]:
    """(person, profile or None for all) for each opt-out of these people."""
    return set(EmailOptOut.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "profile_id"))
