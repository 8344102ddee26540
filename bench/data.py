"""The bench's own data in ``seei_bench``, written through SEEI's models and services.

People: companies with one member each and a logged-in Django session (the cookie a browser
would hold). Auctions: a published notice with one lot, its room frozen by
``seei.auctions.services.create_room`` (genesis, pseudonyms) and opened by ``open_room``, with
the flood guard off (``min_bid_interval_seconds = 0``) and a one-cent minimum decrement, so that
thousands of bids in a row are all valid. Notices for the portal: 100,000 rows written by one
``INSERT … SELECT generate_series`` per table, with their search document built in SQL exactly
as ``seei.tenders.search.document_text`` builds it.

Django must be set up (``setup_django``) with DATABASE_URL pointing to the bench database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

STARTING_PRICE = Decimal("100000000.00")  # a long way down in one-cent steps
BENCH_PASSWORD = "bench-password-not-secret"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seei.settings")
    import django

    django.setup()


@dataclass(frozen=True)
class Person:
    organisation_id: int
    user_id: int
    session_key: str  # the value of the ``sessionid`` cookie


@dataclass(frozen=True)
class Base:
    buyer_id: int  # a buyer organisation
    agent: Person  # a buyer agent of it, logged in
    category_id: int
    region_id: int


def _password_hash() -> str:
    # One cheap PBKDF2 hash shared by every bench user: the sessions are bound to it
    # (get_session_auth_hash), and nobody logs in with a password here.
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    return hasher.encode(BENCH_PASSWORD, hasher.salt(), iterations=1000)


def _sessions(users) -> list[str]:
    """A logged-in session per user, as ``django.contrib.auth.login`` would leave it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    expires = timezone.now() + timedelta(days=1)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    rows, keys = [], []
    for user in users:
        store = SessionStore()
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=1000)
    return keys


def people(
    count: int, tag: str, *, kind: str = "company", role: str = "company_member", **org
) -> list[Person]:
    """``count`` organisations of ``kind``, each with one member of ``role``, logged in."""
    from seei.accounts.models import Membership, Organisation, User

    password = _password_hash()
    number = abs(hash(tag)) % 10**5
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                kind=kind,
                name=f"Bench {kind} {tag}-{i}",
                ice=f"{number:05d}{i:010d}" if kind == "company" else None,
                city="Casablanca",
                **org,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    users = User.objects.bulk_create(
        [
            User(email=f"{tag}-{i}@bench.seei.example", password=password, email_verified=True, language="fr")
            for i in range(count)
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=user, organisation=org, role=role)
            for user, org in zip(users, organisations, strict=True)
        ],
        batch_size=1000,
    )
    keys = _sessions(users)
    return [Person(o.pk, u.pk, k) for o, u, k in zip(organisations, users, keys, strict=True)]


def base() -> Base:
    from seei.core.translated import make
    from seei.tenders.models import Category, Region

    category = Category.objects.create(code="B-FOURN", name=make("fr", fr="Fournitures", en="Supplies"))
    region = Region.objects.create(code="B-01", name=make("fr", fr="Rabat-Salé-Kénitra"))
    (agent,) = people(1, "buyer", kind="buyer", role="buyer_agent", buyer_type="ministry")
    return Base(agent.organisation_id, agent, category.pk, region.pk)


@dataclass(frozen=True)
class Closing:
    """When a bench lot closes, and its extensions (``auction(closing=...)``; else it runs for a day)."""

    at: datetime
    window_seconds: int  # a bid this close to the end moves it to the bid's time + extension_seconds
    extension_seconds: int
    cap: int | None


def auction(
    base: Base,
    bidders: list[Person],
    reference: str,
    *,
    public_watch: bool = False,
    closing: Closing | None = None,
) -> int:
    """A running auction on a new lot with these bidders admitted; the lot's id. With ``closing``, the
    lot closes then (its close deferred to the task worker, as ``prepare_room`` does), else in a day."""
    from seei.accounts.models import Organisation
    from seei.auctions import services, tasks
    from seei.core.translated import make
    from seei.tenders.models import Item, Lot, Tender

    now = services.db_now()
    duration = timedelta(days=1)  # no close, no extension during the bench
    opens_at = now - timedelta(seconds=30)
    if closing is not None:  # whole minutes (the lot's unit), the opening in the past
        duration = timedelta(minutes=(closing.at - now) // timedelta(minutes=1) + 1)
        opens_at = closing.at - duration
    tender = Tender.objects.create(
        buyer_id=base.buyer_id,
        reference=reference,
        original_language="fr",
        title=make("fr", fr=f"Banc d'essai {reference}", en=f"Bench {reference}"),
        object=make("fr", fr="Fourniture de matériel pour le banc d'essai", en="Bench supplies"),
        category_id=base.category_id,
        region_id=base.region_id,
        delivery_place="Rabat",
        currency="MAD",
        application_deadline=now - timedelta(days=3),
        status=Tender.Status.PUBLISHED,
        published_at=now - timedelta(days=20),
    )
    lot = Lot.objects.create(
        tender=tender,
        number=1,
        title=make("fr", fr="Lot unique", en="Single lot"),
        estimated_amount=STARTING_PRICE,
        status=Lot.Status.SCHEDULED,
        starting_price=STARTING_PRICE,
        min_decrement_kind=Lot.DecrementKind.AMOUNT,
        min_decrement=Decimal("0.01"),
        max_decrement_kind=Lot.DecrementKind.AMOUNT,
        max_decrement=None,
        decrement_base=Lot.DecrementBase.OWN,
        opens_at=opens_at,
        duration_minutes=duration // timedelta(minutes=1),
        extension_window_seconds=closing.window_seconds if closing else 180,
        extension_seconds=closing.extension_seconds if closing else 180,
        extension_cap=closing.cap if closing else None,
        visibility=Lot.Visibility.BEST,
        refuse_equal_best=True,
        min_bid_interval_seconds=0,  # the flood guard off: each bench bidder bids back to back
        public_watch=public_watch,
    )
    Item.objects.create(
        lot=lot,
        designation=make("fr", fr="Article de test"),
        specification=make("fr", fr="Spécification"),
        quantity=Decimal("1"),
        unit="unité",
    )
    companies = list(Organisation.objects.filter(pk__in=[p.organisation_id for p in bidders]).order_by("pk"))
    room = services.create_room(lot, companies, min(now, opens_at) - timedelta(seconds=60))
    outcome = services.open_room(lot.pk)
    room.refresh_from_db(fields=["status"])
    if room.status != room.Status.OPEN:  # "already": the running worker's own open job came first
        raise RuntimeError(f"room of lot {lot.pk} did not open: {outcome}")
    if closing is not None:
        tasks.schedule_close(lot.pk, room.closes_at)
    return lot.pk


# --- the portal's notices -------------------------------------------------------------------------

WORDS_FR = [
    "fauteuils roulants",
    "lits médicalisés",
    "ordinateurs portables",
    "papier d'impression",
    "carburant",
    "charbon",
    "médicaments",
    "vaccins",
    "fournitures scolaires",
    "mobilier de bureau",
    "véhicules utilitaires",
    "pneumatiques",
    "ciment",
    "câbles électriques",
    "panneaux solaires",
    "climatiseurs",
    "tenues de travail",
    "équipements de laboratoire",
    "réactifs",
    "imprimantes",
]
WORDS_EN = [
    "wheelchairs",
    "hospital beds",
    "laptops",
    "printing paper",
    "fuel",
    "coal",
    "medicines",
    "vaccines",
    "school supplies",
    "office furniture",
    "utility vehicles",
    "tyres",
    "cement",
    "electric cables",
    "solar panels",
    "air conditioners",
    "work clothes",
    "laboratory equipment",
    "reagents",
    "printers",
]
PLACES = [
    "Rabat",
    "Casablanca",
    "Fès",
    "Marrakech",
    "Tanger",
    "Agadir",
    "Oujda",
    "Laâyoune",
    "Meknès",
    "Tétouan",
]

# Each table is filled from a template row written by the ORM (so every column, including any added
# later, gets its model default): the listed columns are computed per row, the others copied.
NOTICE_ROWS = """
SELECT g,
    (%(fr)s::text[])[1 + g %% %(words)s] AS fr,
    (%(en)s::text[])[1 + g %% %(words)s] AS en,
    (%(places)s::text[])[1 + (g / 7) %% %(nplaces)s] AS place,
    now() - make_interval(secs => (g::float8 / %(count)s) * 730 * 86400) AS published
FROM generate_series(1, %(count)s - 1) g
"""
NOTICE_COLUMNS = {
    "reference": "'BP-' || lpad(s.g::text, 6, '0')",
    "title": "jsonb_build_object('orig', 'fr', 'ar', '', 'en', 'Purchase of ' || s.en, 'fr', 'Acquisition de ' || s.fr)",
    "object": "jsonb_build_object('orig', 'fr', 'ar', '', 'en', 'Supply of ' || s.en || ' for ' || s.place, "
    "'fr', 'Fourniture de ' || s.fr || ' pour ' || s.place || ', lot ' || s.g)",
    "delivery_place": "s.place",
    "international": "s.g %% 10 = 0",
    "application_deadline": "s.published + make_interval(days => 12 + s.g %% 30)",
    "published_at": "s.published",
    "created_at": "s.published",
}
LOT_COLUMNS = {
    "tender_id": "t.id",
    "title": "jsonb_build_object('orig', 'fr', 'ar', '', 'en', 'Lot 1: ' || (t.title->>'en'), "
    "'fr', 'Lot 1 : ' || (t.title->>'fr'))",
    "estimated_amount": "100000 + (t.id %% 900) * 1000",
    "starting_price": "100000 + (t.id %% 900) * 1000",
    "status": "CASE WHEN t.application_deadline > now() THEN 'open' ELSE 'closed' END",
    "opens_at": "t.application_deadline + interval '3 days'",
}
ITEM_COLUMNS = {
    "lot_id": "l.id",
    "designation": "jsonb_build_object('orig', 'fr', 'ar', '', 'en', '', 'fr', t.title->>'fr')",
    "specification": "jsonb_build_object('orig', 'fr', 'ar', '', 'en', '', 'fr', "
    "'Conforme au cahier des charges n° ' || t.id)",
    "quantity": "100 + t.id %% 50",
}


def _copy_sql(model, computed: dict[str, str], sources: str, where: str) -> str:
    columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
    values = [computed.get(column, f"tpl.{column}") for column in columns]
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {model._meta.db_table} tpl, {sources} WHERE tpl.id = %(template)s{where}"
    )


# seei.tenders.search.document_text, in SQL: reference, buyer, place, every text of the title and the
# object (ar, fr, en), then each lot's title and each item's designation and specification.
TEXTS = "concat_ws(' ', NULLIF({0}->>'ar', ''), NULLIF({0}->>'fr', ''), NULLIF({0}->>'en', ''))"
SEARCH_SQL = f"""
UPDATE tenders_tender t SET search = to_tsvector('simple'::regconfig, concat_ws(' ',
    t.reference, o.name, t.delivery_place, {TEXTS.format("t.title")}, {TEXTS.format("t.object")},
    (SELECT string_agg(concat_ws(' ', {TEXTS.format("l.title")},
        (SELECT string_agg(concat_ws(' ', {TEXTS.format("i.designation")}, {TEXTS.format("i.specification")}),
                           ' ' ORDER BY i.position, i.id) FROM tenders_item i WHERE i.lot_id = l.id)),
        ' ' ORDER BY l.number) FROM tenders_lot l WHERE l.tender_id = t.id)))
FROM accounts_organisation o
WHERE o.id = t.buyer_id AND t.reference LIKE 'BP-%%'
"""


# The template's releases copied to every generated notice, under the notice's own ocid.
RELEASES_SQL = """
INSERT INTO ocds_release (tender_id, ocid, step, release_id, date, tag, data, stored_at)
SELECT t.id, o.ocid, r.step, replace(r.release_id, r.ocid, o.ocid), t.published_at, r.tag,
       jsonb_set(jsonb_set(r.data, '{ocid}', to_jsonb(o.ocid)), '{id}', to_jsonb(replace(r.release_id, r.ocid, o.ocid))),
       r.stored_at
FROM ocds_release r
JOIN tenders_tender t ON t.reference LIKE 'BP-%%' AND t.id <> r.tender_id
CROSS JOIN LATERAL (SELECT %(prefix)s || '-' || t.id AS ocid) o
WHERE r.tender_id = %(template)s
"""


def notices(base: Base, count: int) -> None:
    """``count`` published notices (one lot, one item each), spread over two years, searchable."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from seei.core.translated import make
    from seei.ocds import publish
    from seei.tenders.models import Item, Lot, Tender

    moment = timezone.now()
    template = Tender.objects.create(
        buyer_id=base.buyer_id,
        reference="BP-000000",
        original_language="fr",
        title=make("fr", fr="Acquisition de fauteuils roulants", en="Purchase of wheelchairs"),
        object=make("fr", fr="Fourniture de fauteuils roulants pour Rabat", en="Supply of wheelchairs"),
        category_id=base.category_id,
        region_id=base.region_id,
        delivery_place="Rabat",
        currency="MAD",
        application_deadline=moment + timedelta(days=12),
        status=Tender.Status.PUBLISHED,
        published_at=moment,
    )
    lot = Lot.objects.create(
        tender=template,
        number=1,
        title=make("fr", fr="Lot 1 : fauteuils roulants"),
        estimated_amount=Decimal("100000"),
        starting_price=Decimal("100000"),
        min_decrement=Decimal("500"),
        max_decrement=Decimal("10"),
        opens_at=moment + timedelta(days=15),
    )
    item = Item.objects.create(
        lot=lot,
        designation=make("fr", fr="Fauteuil roulant"),
        specification=make("fr", fr="Conforme au cahier des charges"),
        quantity=Decimal("100"),
        unit="unité",
    )
    generated = " AND t.reference LIKE 'BP-%%' AND t.id <> %(tender)s"
    params = {
        "count": count,
        "fr": WORDS_FR,
        "en": WORDS_EN,
        "words": len(WORDS_FR),
        "places": PLACES,
        "nplaces": len(PLACES),
        "tender": template.pk,
    }
    with connection.cursor() as cursor:
        sql = _copy_sql(Tender, NOTICE_COLUMNS, f"({NOTICE_ROWS}) s", "")
        cursor.execute(sql, {**params, "template": template.pk})
        sql = _copy_sql(Lot, LOT_COLUMNS, "tenders_tender t", generated)
        cursor.execute(sql, {**params, "template": lot.pk})
        sql = _copy_sql(
            Item, ITEM_COLUMNS, "tenders_lot l JOIN tenders_tender t ON t.id = l.tender_id", generated
        )
        cursor.execute(sql, {**params, "template": item.pk})
        cursor.execute(SEARCH_SQL)
        # Each notice's publication release, as the publication's hook stores it: else the hourly open
        # data sweep (``seei.ocds.publish.sweep``) would find them all missing and publish 100,000
        # releases in the middle of the peak, which a real platform never has to.
        publish.sync(template.pk)
        cursor.execute(RELEASES_SQL, {"template": template.pk, "prefix": settings.SEEI_OCID_PREFIX})
        for table in ("tenders_tender", "tenders_lot", "tenders_item"):
            cursor.execute(f"VACUUM ANALYZE {table}")  # as autovacuum would: visibility map, statistics
