"""Announcements to every user: what is shown now (cached), and their audited changes.

Every page reads the announcements (``context_processors.announcements``), so the list is cached:
the announcements not yet ended, under one key forgotten whenever one is saved (at once and again at
commit, as the portal's cache does). Whether each one shows is decided on every request against the
clock, so an announcement disappears at its ``ends_at`` to the second, cached or not.

The ``default`` cache is shared by every process when Redis is configured; without it each process
has its own (locmem), and a change made in another process shows there once the entry expires
(``TIMEOUT``). The banner is part of the page layout (``base.html``), rendered on every request; a
whole public page kept for visitors without a session (``seei.portal.shared_pages``) is kept under
the announcements shown, so it never carries an ended one either.
"""

from datetime import timedelta

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from seei.administration.models import Announcement
from seei.core import audit, clock

TIMEOUT = 60  # seconds: how long another process without a shared cache may show a changed list
_SECOND = timedelta(seconds=1)


def _key() -> str:
    return f"administration:announcements:{connection.settings_dict['NAME']}"


def _not_ended(now) -> list[Announcement]:
    return list(
        Announcement.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).order_by("starts_at", "pk")
    )


def live(now=None) -> list[Announcement]:
    """The announcements shown now, most severe first."""
    now = now or clock.now()
    cache = caches["default"]
    current = cache.get(_key())
    if current is None:
        current = _not_ended(now)
        cache.set(_key(), current, timeout=TIMEOUT)
    shown = [announcement for announcement in current if announcement.is_live(now)]
    order = {severity: rank for rank, severity in enumerate(reversed(Announcement.Severity.values))}
    return sorted(shown, key=lambda announcement: order.get(announcement.severity, 99))


def forget() -> None:
    caches["default"].delete(_key())


def _on_change(sender, **kwargs) -> None:
    forget()
    transaction.on_commit(forget)  # a list read by another request before the commit is not kept


def connect_signals() -> None:
    post_save.connect(_on_change, sender=Announcement, dispatch_uid="administration-announcements")
    post_delete.connect(_on_change, sender=Announcement, dispatch_uid="administration-announcements-del")


# Changes (audited) ---------------------------------------------------------------------------------


def _snapshot(announcement: Announcement) -> dict:
    return {
        "title": dict(announcement.title or {}),
        "body": dict(announcement.body or {}),
        "severity": announcement.severity,
        "starts_at": announcement.starts_at.isoformat() if announcement.starts_at else None,
        "ends_at": announcement.ends_at.isoformat() if announcement.ends_at else None,
    }


@transaction.atomic
def create(membership, *, title, body, severity, starts_at, ends_at) -> Announcement:
    announcement = Announcement.objects.create(
        title=title,
        body=body or {},
        severity=severity,
        starts_at=starts_at or clock.now(),
        ends_at=ends_at,
        created_by=membership.user,
    )
    audit.record(
        "announcement.created",
        announcement,
        actor=membership.user,
        organisation=membership.organisation,
        after=_snapshot(announcement),
    )
    return announcement


@transaction.atomic
def update(membership, announcement: Announcement, *, title, body, severity, starts_at, ends_at) -> None:
    before = _snapshot(announcement)
    announcement.title, announcement.body, announcement.severity = title, body or {}, severity
    announcement.starts_at, announcement.ends_at = starts_at or announcement.starts_at, ends_at
    announcement.save()
    audit.record(
        "announcement.updated",
        announcement,
        actor=membership.user,
        organisation=membership.organisation,
        before=before,
        after=_snapshot(announcement),
    )


@transaction.atomic
def end(membership, announcement: Announcement) -> bool:
    """Stop showing it now; False when it had already ended."""
    now = clock.now()
    if announcement.ends_at is not None and announcement.ends_at <= now:
        return False
    before = _snapshot(announcement)
    if announcement.starts_at >= now:  # not shown yet: it never will (the end must follow the start)
        announcement.starts_at = now - _SECOND
    announcement.ends_at = now
    announcement.save(update_fields=["starts_at", "ends_at", "updated_at"])
    audit.record(
        "announcement.ended",
        announcement,
        actor=membership.user,
        organisation=membership.organisation,
        before=before,
        after=_snapshot(announcement),
    )
    return True
