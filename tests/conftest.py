"""Shared fixtures: organisations, people, a notice ready to publish, and the test clock."""

import asyncio
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import NoReturn

import pytest
from django.test import Client as DjangoClient

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# tests around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config):
    import signal

    from django.conf import settings

    # A SIGTERM (a CI timeout, `kill`) ends the run as Ctrl-C does: fixtures torn down, children stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    settings.SEEI_TEST_CLOCK = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests


@pytest.fixture(autouse=True)
def _english():
    """Tests read English messages and reverse English URLs; other languages are tested explicitly."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_portal_cache():
    """A new generation of the public pages' cache per test: a rolled-back test's pages (in the
    shared Redis) must not serve the next one."""
    from seei.administration import announcements
    from seei.portal import cache

    cache.new_generation()
    announcements.forget()  # nor the announcements (in the default cache) of a rolled-back test


@pytest.fixture(autouse=True)
def _own_config_dir(tmp_path, monkeypatch):
    """seei verify's trust file and remembered log head (~/.config/seei/) are each test's own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(autouse=True)
def _fresh_flood_guard():
    """No bid counter or admitted set of another test (seei.auctions.flood keeps them per process)."""
    from seei.auctions import flood

    flood.forget()


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# procrastinate's tables (in the order their foreign keys allow deleting): its models are unmanaged,
# so the flush after a transactional test, which empties every other table, leaves them as they are.
TASK_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)


def clear_tasks() -> None:
    """No job and no worker left in the test database."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TASK_TABLES:
            cursor.execute(f"DELETE FROM {table}")


def _transactional(request) -> bool:
    """pytest-django's rule: the test runs as a TransactionTestCase, its writes committed."""
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames))


@contextlib.contextmanager
def database_for_module(django_db_blocker):
    """The database for a fixture of module scope, its connection closed when the fixture ends. Once a
    browser test has run an event loop in the test thread, Django keeps a connection per context: the
    session's teardown reaches another one, and one left open here kept the test database from being
    dropped."""
    from django.db import connection

    with django_db_blocker.unblock():
        try:
            yield
        finally:
            connection.close()


@pytest.fixture(autouse=True)
def _no_task_left(request, django_db_blocker):
    """A transactional test's jobs and workers go with its other rows: the next test starts with none."""
    yield
    if _transactional(request):
        from django.db import connection

        if connection.settings_dict["NAME"] == connection.settings_dict["TEST"]["NAME"]:  # never another
            with django_db_blocker.unblock():
                clear_tasks()


# People log in with their second factor ------------------------------------------------------


def authenticator(user):
    """The person's authenticator (a confirmed TOTP device), enrolled if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def authenticator_code(user) -> str:
    """The code the person's authenticator app shows now (enrolled if need be)."""
    from seei.accounts.twofactor import services

    return services.next_code(authenticator(user))


def give_second_factor(session, user) -> None:
    """What the second-factor page does to a session once the code is right, for a person whose role
    (or choice) requires it: the session is verified by their authenticator."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from seei.accounts.twofactor import PENDING_SESSION_KEY, services

    if services.owed(user):
        session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
        session.pop(PENDING_SESSION_KEY, None)
        session.save()


class Client(DjangoClient):
    """The test client, whose logins are complete: after the password (``login``) or without it
    (``force_login``), a person who owes a second factor gives it, as on the second-factor page.
    The one way tests log people in; the second factor itself is tested with Django's own client."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        give_second_factor(self.session, user)

    def login(self, **credentials):
        from django.contrib.auth import SESSION_KEY

        from seei.accounts.models import User

        logged_in = super().login(**credentials)
        if logged_in:
            give_second_factor(self.session, User.objects.get(pk=self.session[SESSION_KEY]))
        return logged_in


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def clock(db):
    """The one clock of SEEI, moved by the test: ``clock.advance(timedelta(days=11))``."""
    from seei.core import clock as seei_clock

    seei_clock.reset()
    yield seei_clock
    seei_clock.reset()


@pytest.fixture
def fresh_token_cache():
    """The room's cache of API tokens emptied around the test (it lives as long as the process)."""
    from seei.room import tokens

    tokens.forget_all()
    yield
    tokens.forget_all()


@pytest.fixture
def category(db):
    from seei.core.translated import make
    from seei.tenders.models import Category

    return Category.objects.get_or_create(
        code="T-SANTE", defaults={"name": make("fr", fr="Santé", en="Health")}
    )[0]


@pytest.fixture
def region(db):
    from seei.core.translated import make
    from seei.tenders.models import Region

    return Region.objects.get_or_create(code="T-01", defaults={"name": make("fr", fr="Rabat-Salé-Kénitra")})[
        0
    ]


def off_loop(call, *args):
    """``call`` in a thread of its own: ``asyncio.run`` and ``async_to_sync`` refuse a thread where an
    event loop runs, and Playwright's runs in the main thread once a browser test has run."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(call, *args).result()


def run_async(coroutine):
    """``asyncio.run`` off Playwright's event loop (see ``off_loop``): whatever ran before."""
    return off_loop(asyncio.run, coroutine)


def run_after_close_jobs() -> int:
    """What the worker does with the follow-ups the closes queued (``seei.auctions.tasks.after_close``),
    in order; returns how many ran."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    from seei.auctions import tasks

    jobs = ProcrastinateJob.objects.filter(task_name="seei.auctions.after_close", status="todo").order_by(
        "id"
    )
    for job in jobs:
        tasks.after_close(**job.args)
        ProcrastinateJob.objects.filter(pk=job.pk).delete()
    return len(jobs)


def make_member(email, organisation, role, manager=False, **extra):
    from seei.accounts.models import Membership, User

    extra.setdefault("language", "en")  # notifications reach test users in English
    user = User.objects.create_user(email, PASSWORD, email_verified=True, **extra)
    membership = Membership.objects.create(
        user=user, organisation=organisation, role=role, is_manager=manager
    )
    return membership


@pytest.fixture
def buyer_org(db):
    from seei.accounts.models import Organisation

    ministry = Organisation.objects.create(kind="buyer", name="Ministère de la Santé", buyer_type="ministry")
    return Organisation.objects.create(
        kind="buyer", name="Direction des Hôpitaux", buyer_type="public_body", parent=ministry
    )


@pytest.fixture
def other_buyer_org(db):
    from seei.accounts.models import Organisation

    return Organisation.objects.create(kind="buyer", name="Commune de Fès", buyer_type="local_authority")


@pytest.fixture
def buyer(buyer_org):
    """A buyer agent's membership."""
    return make_member("agent@sante.gov.ma", buyer_org, "buyer_agent", first_name="Amina", last_name="Buyer")


@pytest.fixture
def other_buyer(other_buyer_org):
    return make_member("agent@fes.gov.ma", other_buyer_org, "buyer_agent")


def make_company(name, ice, email, **extra):
    from seei.accounts.models import Organisation

    company = Organisation.objects.create(
        kind="company", name=name, ice=ice, rc="RC-" + ice[-5:], city="Casablanca", **extra
    )
    # A company's first person manages its people, as at registration.
    return make_member(
        email, company, "company_member", first_name=name.split()[0], last_name="Owner", manager=True
    )


@pytest.fixture
def company(db):
    """A company member's membership."""
    return make_company("Atlas Médical SARL", "001234567000089", "contact@atlas-medical.ma")


@pytest.fixture
def other_company(db):
    return make_company("Sahara Equipements SA", "002345678000012", "contact@sahara-eq.ma")


def lot_values(now, number=1, **overrides):
    from seei.core.translated import make

    values = {
        "title": make("fr", fr=f"Lot {number} : fauteuils roulants", en=f"Lot {number}: wheelchairs"),
        "estimated_amount": Decimal("600000.00"),
        "starting_price": Decimal("600000.00"),
        "min_decrement_kind": "amount",
        "min_decrement": Decimal("1000.00"),
        "max_decrement_kind": "percent",
        "max_decrement": Decimal("10"),
        "decrement_base": "own",
        "opens_at": now + timedelta(days=14),
        "duration_minutes": 30,
        "extension_window_seconds": 180,
        "extension_seconds": 180,
        "visibility": "best",
        "refuse_equal_best": True,
        "min_bid_interval_seconds": 5,
    }
    values.update(overrides)
    return values


def item_values(**overrides):
    from seei.core.translated import make

    values = {
        "designation": make("fr", fr="Fauteuil roulant manuel pliable", en="Folding manual wheelchair"),
        "specification": make(
            "fr",
            fr="Châssis acier, largeur d'assise 45 cm, charge 120 kg",
            en="Steel frame, 45 cm seat, 120 kg load",
        ),
        "quantity": Decimal("500"),
        "unit": "unité",
    }
    values.update(overrides)
    return values


@pytest.fixture
def draft_tender(buyer, category, region, clock):
    """A draft notice with one lot and one item, whose schedule is valid for publication now."""
    from seei.core.translated import make
    from seei.tenders import services

    now = clock.now()
    tender = services.create_tender(
        buyer,
        {
            "reference": "AO-2026-001",
            "original_language": "fr",
            "title": make(
                "fr",
                fr="Acquisition de fauteuils roulants",
                en="Purchase of wheelchairs",
                ar="اقتناء كراسي متحركة",
            ),
            "object": make(
                "fr",
                fr="Fourniture de fauteuils roulants pour les hôpitaux régionaux",
                en="Supply of wheelchairs for regional hospitals",
            ),
            "category": category,
            "region": region,
            "delivery_place": "Rabat, magasin central",
            "delivery_terms": make("fr", fr="Livraison sous 60 jours"),
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    services.save_lot(buyer, tender, lot_values(now), [item_values()])
    return tender


@pytest.fixture
def published_tender(draft_tender, buyer):
    from seei.tenders import services

    return services.publish(buyer, draft_tender)


# Browsers -----------------------------------------------------------------------------
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: test tools cannot download browsers on these machines."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


# Services and processes ------------------------------------------------------------------
MACHINE_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def machine_redis() -> str:
    """The machine's Redis, for the tests of what crosses processes. Its absence skips them on a
    newcomer's machine, and fails them where SEEI_TESTS_NEED_REDIS is set (CI): never a silent skip."""
    import redis

    try:
        redis.Redis.from_url(MACHINE_REDIS, socket_connect_timeout=2).ping()
    except redis.ConnectionError as error:
        missing_redis(f"no Redis at {MACHINE_REDIS}: {error}")
    return MACHINE_REDIS


def missing_redis(reason: str) -> NoReturn:
    """Redis, or its server program, is not on this machine: skip the test on a newcomer's machine,
    fail it where SEEI_TESTS_NEED_REDIS is set (CI)."""
    if os.environ.get("SEEI_TESTS_NEED_REDIS"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """After every fixture is torn down: stop the embedded PostgreSQL if this run started it, and fail
    the run if any process it started is still alive (each is then stopped)."""
    from seei import embedded
    from seei.core import children

    embedded.stop_if_started_here()
    left = children.leftovers()
    if left:
        children.stop_all()
        session.config.get_terminal_writer().line(
            "Processes started by the tests were still alive at the end: " + ", ".join(left), red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
