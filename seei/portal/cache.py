"""What the public portal keeps in cache, and when it goes stale.

Every entry is keyed by generation tokens that changes the public could see replace, and by what
the clock decides: for the lists, the window between two application deadlines (within it no
notice moves from open to closed); for one notice's pages, whether its own deadline has passed, so
that another notice's deadline passing (tens a day) leaves them cached. A change of one notice
(publication, erratum, document, answer, lot status, award…) replaces that notice's token and the
lists' one: the search pages are computed again, every other notice's page stays cached (at a
national peak, lots close every second). A change every page may show (a buyer's, category's or
region's name) replaces the shared token, which every key holds. Only what is the same for every
visitor is cached (the search page's content, a notice's public parts, the filters' options,
rendered without any user or CSRF token; whole pages for visitors without a session,
``shared_pages``), never anything personal.

The ``portal`` cache is Redis when REDIS_URL is set; without a cache shared by every process
(web, worker), it is a dummy cache and nothing is kept, rather than something stale.
"""

import hashlib
import math
import uuid
from datetime import datetime

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import Min
from django.db.models.signals import post_delete, post_save

TIMEOUT = 3600  # a safety net: entries of an old generation expire on their own


def _cache():
    return caches["portal"]


def _key(*parts) -> str:
    # The database's name: test runs and benches sharing one Redis never read each other's notices.
    return ":".join(["portal", connection.settings_dict["NAME"], *map(str, parts)])


def _renew(*parts) -> None:
    _cache().set(_key("generation", *parts), uuid.uuid4().hex, timeout=None)


def new_generation() -> None:
    """Forget every cached page at once (``bump`` also does it again at commit)."""
    _renew("shared")


def _forget_notice(tender_id: int) -> None:
    _renew("notice", tender_id)
    _renew("lists")


def bump(tender_id: int | None = None) -> None:
    """The public pages changed: those of notice ``tender_id`` and the lists, or (no notice) all.
    Forgotten at once, so the writer's own transaction reads fresh results, and again at commit, so
    a page computed by another process before the commit is not kept under the new generation."""
    if tender_id is None:
        new_generation()
        transaction.on_commit(new_generation)
    else:
        _forget_notice(tender_id)
        transaction.on_commit(lambda: _forget_notice(tender_id))


def _token(*parts) -> str:
    cache, key = _cache(), _key("generation", *parts)
    current = cache.get(key)
    if current is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)  # another process may have just set one
        current = cache.get(key) or "none"
    return current


SHARED, LISTS = ("shared",), ("lists",)


def _tokens(*owners: tuple, deadline_of: int | None = None) -> tuple[dict[tuple, str], object]:
    """The tokens of these owners (``SHARED``, ``LISTS``, ("notice", id)) and, with ``deadline_of``,
    that notice's kept deadline (``_moment``), read in one round trip."""
    keys = {owner: _key("generation", *owner) for owner in owners}
    deadline_key = _key("deadline", deadline_of)
    found = _cache().get_many([*keys.values(), deadline_key] if deadline_of is not None else keys.values())
    tokens = {owner: found.get(key) or _token(*owner) for owner, key in keys.items()}
    return tokens, found.get(deadline_key)


def _own(notice: int | None) -> tuple:
    return ("notice", notice) if notice is not None else LISTS


def _joined(tokens: dict[tuple, str], own: tuple) -> str:
    return f"{tokens[SHARED]}.{tokens[own]}"


def generation(notice: int | None = None) -> str:
    """The tokens a value is kept under: the shared one, and the notice's (its page and flags) or
    the lists' (search pages and anything else drawn from many notices)."""
    own = _own(notice)
    return _joined(_tokens(SHARED, own)[0], own)


# Windows read from the shared cache, by their key (which holds the lists' generation): within its
# bounds a window cannot change, so a process need not ask Redis for it again at every page.
_windows: dict[str, tuple[float, float]] = {}


def _clock_window(now: datetime, lists_generation: str) -> str:
    """The window between two deadlines that contains ``now``, as a key part: the deadline that
    ends it (the same for every process and every change that moves no deadline)."""
    from seei.tenders.selectors import public_tenders

    cache, key = _cache(), _key("window", lists_generation)
    moment = now.timestamp()
    window = _windows.get(key)
    if window is None or not window[0] <= moment < window[1]:
        window = cache.get(key)
        if window is not None and window[0] <= moment < window[1]:
            if len(_windows) > 100:  # old generations' windows: never asked for again
                _windows.clear()
            _windows[key] = window
        else:
            following = (
                public_tenders()
                .filter(application_deadline__gt=now)
                .aggregate(first=Min("application_deadline"))["first"]
            )
            window = (moment, following.timestamp() if following else math.inf)
            cache.set(key, window, timeout=TIMEOUT)
    return str(window[1])


def _moment(notice: int, token: str, kept, now: datetime) -> str:
    """Whether the notice's own application deadline has passed, as a key part: the only thing the
    clock decides on its pages. Its deadline is kept with the notice's token it was read under
    (``kept``): one read before an erratum moved it is never taken for the new one's."""
    from seei.tenders.models import Tender

    if kept is None or kept[0] != token:
        deadline = Tender.objects.filter(pk=notice).values_list("application_deadline", flat=True).first()
        kept = (token, deadline)
        _cache().set(_key("deadline", notice), kept, timeout=TIMEOUT)
    return "open" if kept[1] is not None and now < kept[1] else "closed"


# The values this process last read from the shared cache, by key. A key holds the generations and
# the window (or the notice's side of its deadline) it was computed in, so its value never changes:
# read again, it need not be fetched and unpickled again. Only values found in the shared cache are
# kept (never with a dummy one). Values are shared by the requests that read them: never changed by
# their readers.
RECENT = 500
_recent: dict[str, object] = {}


def remember(name: str, parts: tuple, now: datetime, compute, notice: int | None = None):
    """The cached value of ``compute()`` for these (hashable, repr-stable) parts, at ``now``;
    ``notice``: the value is one notice's, forgotten with its changes only."""
    cache = _cache()
    if isinstance(cache, DummyCache):  # nothing is kept (no cache every process shares): no key to work out
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    if notice is None:
        tokens, _ = _tokens(SHARED, LISTS)
        generation = _joined(tokens, LISTS)
        key = _key(name, generation, _clock_window(now, generation), digest)
    else:
        own = _own(notice)
        tokens, kept = _tokens(SHARED, own, deadline_of=notice)
        key = _key(name, _joined(tokens, own), _moment(notice, tokens[own], kept, now), digest)
    value = _recent.get(key)
    if value is not None:
        return value
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=TIMEOUT)
    else:  # kept in the shared cache: this key's value can no longer change
        if len(_recent) >= RECENT:
            _recent.clear()
        _recent[key] = value
    return value


def _on_change(sender, **kwargs) -> None:
    bump()


# The notice a saved row belongs to (its page and the lists change; no other notice's).
NOTICE_OF = {
    "tenders.Tender": lambda row: row.pk,
    "tenders.Lot": lambda row: row.tender_id,
    "tenders.Item": lambda row: row.lot.tender_id,
    "tenders.TenderDocument": lambda row: row.tender_id,
    "tenders.Erratum": lambda row: row.tender_id,
    "tenders.Clarification": lambda row: row.tender_id,
    "awards.Award": lambda row: row.lot.tender_id,
    "applications.Examination": lambda row: row.tender_id,  # its close: the red flags' application counts
}


def _on_notice_change(sender, instance, **kwargs) -> None:
    try:
        bump(NOTICE_OF[sender._meta.label](instance))
    except ObjectDoesNotExist:  # a row deleted with its parent: whose notice is gone, so all
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

    for label in NOTICE_OF:
        model = apps.get_model(label)
        post_save.connect(_on_notice_change, sender=model, dispatch_uid=f"portal-cache-{label}")
        post_delete.connect(_on_notice_change, sender=model, dispatch_uid=f"portal-cache-delete-{label}")
    for label in ("tenders.Category", "tenders.Region"):  # names every page may show
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
