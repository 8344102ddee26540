"""What the public portal keeps in cache, and when it goes stale.

Every entry is keyed by a generation token that any change the public could see replaces
(publication, erratum, document, answer, lot status, award, a buyer's or category's name…),
and by the clock's window: between two application deadlines no notice moves from open to
closed, so nothing the clock decides changes either. Only what is the same for every visitor
is cached (the search page's content, a notice's public parts, the filters' options, rendered
without any user or CSRF token), never anything personal.

The ``portal`` cache is Redis when REDIS_URL is set; without a cache shared by every process
(web, worker), it is a dummy cache and nothing is kept, rather than something stale.
"""

import hashlib
import math
import uuid
from datetime import datetime

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Min
from django.db.models.signals import post_delete, post_save

TIMEOUT = 3600  # a safety net: entries of an old generation expire on their own


def _cache():
    return caches["portal"]


def _key(*parts) -> str:
    # The database's name: test runs and benches sharing one Redis never read each other's notices.
    return ":".join(["portal", connection.settings_dict["NAME"], *map(str, parts)])


def new_generation() -> None:
    """Forget every cached page at once (``bump`` also does it again at commit)."""
    _cache().set(_key("generation"), uuid.uuid4().hex, timeout=None)


def bump() -> None:
    """The public pages changed: forget everything cached. Called at once, so the writer's own
    transaction reads fresh results, and again at commit, so a page computed by another process
    before the commit is not kept under the new generation."""
    new_generation()
    transaction.on_commit(new_generation)


def generation() -> str:
    cache, key = _cache(), _key("generation")
    current = cache.get(key)
    if current is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)  # another process may have just set one
        current = cache.get(key) or "none"
    return current


def _clock_window(generation: str, now: datetime) -> str:
    """The window between two deadlines that contains ``now``, as a key part."""
    from seei.tenders.selectors import public_tenders

    cache, key = _cache(), _key("window", generation)
    moment = now.timestamp()
    window = cache.get(key)
    if window is None or not window[0] <= moment < window[1]:
        following = (
            public_tenders()
            .filter(application_deadline__gt=now)
            .aggregate(first=Min("application_deadline"))["first"]
        )
        window = (moment, following.timestamp() if following else math.inf)
        cache.set(key, window, timeout=TIMEOUT)
    return f"{window[0]}-{window[1]}"


def remember(name: str, parts: tuple, now: datetime, compute):
    """The cached value of ``compute()`` for these (hashable, repr-stable) parts, at ``now``."""
    current = generation()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    key = _key(name, current, _clock_window(current, now), digest)
    cache = _cache()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=TIMEOUT)
    return value


def _on_change(sender, **kwargs) -> None:
    bump()


def _on_organisation_change(sender, instance, created=False, **kwargs) -> None:
    # A new company (anyone may register one) or post is on no public page yet: registering must
    # not empty the cache, or a script of registrations would keep every visitor off it.
    if created and instance.kind != "buyer":
        return
    bump()


def connect_signals() -> None:
    """Bump on every saved or deleted row the public pages show."""
    from django.apps import apps

    for label in (
        "tenders.Tender",
        "tenders.Lot",
        "tenders.Item",
        "tenders.TenderDocument",
        "tenders.Erratum",
        "tenders.Clarification",
        "tenders.Category",
        "tenders.Region",
        "awards.Award",
        "applications.Examination",  # its close: the red flags' application counts
    ):
        model = apps.get_model(label)
        post_save.connect(_on_change, sender=model, dispatch_uid=f"portal-cache-{label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"portal-cache-delete-{label}")
    organisation = apps.get_model("accounts.Organisation")
    post_save.connect(
        _on_organisation_change, sender=organisation, dispatch_uid="portal-cache-accounts.Organisation"
    )
    post_delete.connect(
        _on_change, sender=organisation, dispatch_uid="portal-cache-delete-accounts.Organisation"
    )
