"""Every route of SEEI (the site's URL patterns, the API's operations, the room's HTTP and WebSocket
routes), for each of the ten kinds of people and each stage of a procedure, against the one table of
``tests/security/permissions.py``.

The world (``world.build``) is built once for the module and committed (the room reads it through its
own connections); every request of the site and the API runs inside a transaction rolled back after
it, so an allowed change (publishing a draft, confirming an award…) leaves the world as it was, and a
refused change is also checked to have written nothing. The bids the room refuses write nothing by
design; the one allowed bid sent (above the starting price) is turned down by the rules.
"""

import copy
import functools
import re
from http.cookies import SimpleCookie

import pytest
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from seei.room import app as room_app
from tests.conftest import Client, database_for_module
from tests.security import permissions
from tests.security.bodies import example_body
from tests.security.world import KINDS, STAGES, build, log_in

# Each test runs in a transaction rolled back after it, over the world its module committed first.
pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# What a refused change must not have written to (an API token's last use is written on every call).
WATCHED_TABLES = [
    "accounts_organisation",
    "accounts_membership",
    "alerts_watchprofile",
    "tenders_tender",
    "tenders_lot",
    "tenders_item",
    "tenders_tenderdocument",
    "tenders_erratum",
    "tenders_clarification",
    "applications_application",
    "applications_applicationdocument",
    "applications_commissionmember",
    "applications_examination",
    "applications_decision",
    "applications_minutes",
    "auctions_room",
    "auctions_bidder",
    "auctions_ledgerentry",
    "auctions_suspension",
    "awards_award",
    "awards_awardstep",
    "awards_awarddocument",
    "awards_visa",
    "awards_payment",
    "practice_practicelot",
]
# The rows this transaction inserted, updated or deleted in them so far (rolled back ones included).
WRITES_SQL = """
SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables
WHERE relname = ANY(%s)
"""


# --- the routes there are ------------------------------------------------------------------------


def _walk(resolver, namespace="", parameters=(), prefix=""):
    """(name, its URL parameters, its path) of every pattern under ``resolver``."""
    for pattern in resolver.url_patterns:
        found = (*parameters, *pattern.pattern.regex.groupindex)
        path = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from _walk(pattern, inner, found, path)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or f"<unnamed {pattern.pattern}>"
            yield f"{namespace}:{name}".strip(":"), found, path


def site_routes() -> dict[str, tuple]:
    """URL name -> its parameters, for every pattern of the site."""
    return {name: parameters for name, parameters, _path in _walk(get_resolver())}


def api_paths() -> dict[str, str]:
    """URL name -> path in the OpenAPI document's spelling, for the API's patterns."""
    spelled = re.compile(r"<(?:\w+:)?(\w+)>")
    return {
        name: "/" + spelled.sub(r"{\1}", path)
        for name, _parameters, path in _walk(get_resolver())
        if name.startswith("api:")
    }


def site_names() -> set[str]:
    return set(site_routes())


@functools.cache
def api_operations() -> dict[str, dict]:
    """'METHOD /api/v1/path' -> the operation, from the API's OpenAPI document."""
    from seei.api.urls import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return {
        f"{method.upper()} {path}": {**operation, "_schema": schema}
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("x-served-by") != "room"  # the room's routes, documented there: in ROOM
    }


CONVERTER = re.compile(r":\w+}")


def room_routes() -> set[str]:
    app = room_app.create_app(in_process_worker=False)
    found = {
        f"{method} {CONVERTER.sub('}', route.path)}"
        for route in app.routes
        for method in set(route.methods) - {"HEAD"}
    }
    # Served outside the router (the hot paths): their patterns are the app's own.
    found.add("POST " + room_app.BIDS_PATH.pattern.replace(r"(\d+)", "{lot_id}"))
    found.add("WEBSOCKET " + room_app.SOCKET_PATH.pattern.replace(r"(\d+)", "{lot_id}"))
    return found


# The admin site's own pages (not a model's): its index, login, the catch-all that redirects a missing
# slash or answers 404 (each staff only, or the login page for anyone).
ADMIN_SITE_NAMES = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
    "<unnamed (?P<url>.*)$>",
    "<unnamed <path:object_id>/>",
    "auth_user_password_change",  # the user admin's own page (Django names it after auth.User)
}


def admin_models() -> set[str]:
    from django.contrib import admin

    return {model._meta.label_lower for model in admin.site._registry}


def _admin_covered(name: str) -> bool:
    """An admin route: one of the site's pages, or one of a model the table lists."""
    return name in ADMIN_SITE_NAMES or any(
        name.startswith(model.replace(".", "_") + "_") for model in permissions.ADMIN_MODELS
    )


def test_every_route_is_in_the_table_and_every_row_is_a_route():
    names = site_names()
    operations = api_operations()
    paths = api_paths()
    operation_paths = {key.split(" ", 1)[1] for key in operations}
    untabled = sorted(
        name
        for name in names
        if name not in permissions.SITE
        and not (name.startswith("api:") and paths[name] in operation_paths)
        and not (name.startswith("admin:") and _admin_covered(name[6:]))
    )
    assert untabled == [], "routes missing from the permission table"
    assert sorted(set(permissions.SITE) - names) == [], "rows of the table that are no route"
    assert sorted(permissions.ADMIN_MODELS ^ admin_models()) == [], "admin models not in the table, or gone"
    assert sorted(set(operations) ^ set(permissions.API)) == [], "API operations not in the table, or gone"
    assert sorted(room_routes() ^ set(permissions.ROOM)) == [], "room routes not in the table, or gone"


# --- the world ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_and_mail(settings, media):
    """The world's files stay where the world was built (the suite's own fixture makes a new directory)."""
    settings.MEDIA_ROOT = media
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media):
    from django.core.management import call_command
    from django.test.utils import override_settings
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from seei.accounts.tokens import email_verification_token
    from seei.alerts import unsubscribe
    from seei.core import clock
    from seei.core.translated import make
    from seei.help import guides
    from seei.ocds.models import Release
    from seei.tenders.models import Category, Region
    from tests.api.conftest import token_for
    from tests.conftest import clear_tasks

    with (
        database_for_module(django_db_blocker),
        override_settings(
            MEDIA_ROOT=media, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", REDIS_URL=""
        ),
    ):
        try:
            clock.reset()
            category = Category.objects.create(code="T-SANTE", name=make("fr", fr="Santé"))
            region = Region.objects.create(code="T-01", name=make("fr", fr="Rabat"))
            built = build(category, region)
            release = Release.objects.order_by("pk").first()
            company = built.people["company"].user
            built.common.update(
                uidb64=urlsafe_base64_encode(force_bytes(company.pk)),
                token=email_verification_token.make_token(company),
                guide=guides.GUIDES[0].slug,
                year=clock.now().year,
                release=release.release_id,
                ocid=release.ocid,
                unsubscribe=unsubscribe.token(built.people["company"].user.pk),
                # the administration's pages: an organisation, a post, an announcement already ended
                kind="buyer",
                organisation=built.people["other_company"].organisation_id,
                accountant_post=built.people["other_accountant"].organisation_id,
                announcement=ended_announcement(built.people["administrator"].user).pk,
            )
            for kind in KINDS:
                client = Client()
                if kind != "anonymous":
                    log_in(client, built.people[kind])
                    built.tokens[kind] = token_for(built.people[kind])
                built.clients[kind] = client
            built.common["api_token"] = built.people["company"].api_tokens.get().pk
            with TestClient(room_app.create_app(in_process_worker=False), base_url=ORIGIN) as room:
                built.room = room
                yield built
        finally:
            clock.reset()
            call_command("flush", interactive=False, verbosity=0)
            clear_tasks()


# --- one request, its outcome --------------------------------------------------------------------

LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


def ended_announcement(author):
    """An announcement of the administrators that no page shows any more (the world's pages stay as they are)."""
    from datetime import timedelta

    from seei.administration.models import Announcement
    from seei.core import clock
    from seei.core.translated import make

    start = clock.now() - timedelta(days=2)
    return Announcement.objects.create(
        title=make("fr", fr="Maintenance"),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        created_by=author,
    )


def outcome(status: int, location: str = "", refused_to: str = "") -> str:
    """ok, refused (who you are), rejected (what you sent, or when), or error."""
    if status >= 500:
        return "error"
    elsewhere = (*LOGIN_PAGES, refused_to) if refused_to else LOGIN_PAGES
    if status in (401, 403, 404) or (300 <= status < 400 and any(page in location for page in elsewhere)):
        return "refused"
    if status >= 400:
        return "rejected"
    return "ok"


def writes() -> int:
    with connection.cursor() as cursor:
        cursor.execute(WRITES_SQL, [WATCHED_TABLES])
        return cursor.fetchone()[0]


def _django_request(
    world, kind, method, url, *, body=None, multipart=None, api=False
) -> tuple[int, str, bool]:
    """A request of the site or the API, inside a transaction rolled back after it; a refused change
    must have written nothing (checked by the caller through ``changed``)."""
    client = world.clients[kind]
    cookies = copy.deepcopy(client.cookies)  # a logout must not log the shared client out
    headers = {"Accept-Language": "en"}
    if api and kind != "anonymous":
        headers["Authorization"] = f"Bearer {world.tokens[kind]}"
    changed = False
    with transaction.atomic():
        before = writes() if method in UNSAFE else None
        call = getattr(client, method.lower())
        if multipart is not None:
            response = call(url, multipart, headers=headers)
        elif body is not None:
            response = call(url, body, content_type="application/json", headers=headers)
        else:
            response = call(url, headers=headers)
        if before is not None:
            changed = writes() != before
        transaction.set_rollback(True)
    client.cookies = SimpleCookie(cookies)
    return response.status_code, response.get("Location", ""), changed


def _room_request(world, kind, method, path) -> tuple[int, str, bool]:
    headers = {"origin": ORIGIN, "x-seei-language": "en"}
    if kind != "anonymous":
        headers["cookie"] = f"sessionid={world.clients[kind].cookies['sessionid'].value}"
    if method == "WEBSOCKET":
        try:
            with world.room.websocket_connect(path, headers=headers) as ws:
                ws.receive_bytes()
        except WebSocketDisconnect:
            return 403, "", False
        return 200, "", False
    if method == "POST":
        # Above the starting price: the rules turn it down, so even an admitted bidder changes nothing.
        headers["x-seei-room"] = "bid"
        response = world.room.post(
            path, json={"amount": "99999999.00", "request_id": "perm-check"}, headers=headers
        )
    else:
        response = world.room.get(path, headers=headers)
    return response.status_code, "", False


def _resolved_args(route, parameters) -> dict:
    """URL parameter -> object name, for the parameters the route's path has."""
    return {name: route.args.get(name, permissions.ARGS.get(name, name)) for name in parameters}


def _values(world, objects: dict, stage) -> dict | None:
    """The parameters' values at ``stage``; None when the stage's procedure has no such object."""
    values = {}
    for parameter, name in objects.items():
        source = world.ids[stage] if stage is not None and name in world.ids[stage] else world.common
        if name not in source:
            return None
        values[parameter] = source[name]
    return values


PROCEDURE_OBJECTS = {
    "tender",
    "lot",
    "award",
    "clarification",
    "application",
    "application_document",
    "receipt",
    "document_request",
    "tender_document",
    "award_document",
    "bid_entry",
}


def _cases(world, objects: dict):
    """(stage, parameter values) at which to check a route."""
    if not PROCEDURE_OBJECTS & set(objects.values()):
        yield None, _values(world, objects, None)
        return
    for stage in STAGES:
        values = _values(world, objects, stage)
        if values is not None:
            yield stage, values


def _expected(route, kind, stage) -> str:
    return "allowed" if route.allowed.allows(kind, stage) else "refused"


def _agrees(route, expected, got, status) -> bool:
    if expected == "allowed" and status in route.answers:
        return True
    if got == "error":
        return False
    if expected == "refused":
        return got == "refused"
    return got == "ok" or (route.method in UNSAFE and got == "rejected")


def _check(world, route, make_request, objects) -> list[str]:
    cases = list(_cases(world, objects))
    if not cases:  # else a route naming an object the world never makes would pass unchecked
        return [f"no stage of the world has {sorted(objects.values())}"]
    differences = []
    for stage, values in cases:
        for kind in KINDS:
            status, location, changed = make_request(kind, values)
            got = outcome(status, location, route.refused_to)
            expected = _expected(route, kind, stage)
            if not _agrees(route, expected, got, status):
                differences.append(
                    f"{kind} at {stage or '-'}: expected {expected}, got {status} {location}".strip()
                )
            elif expected == "refused" and changed:
                differences.append(f"{kind} at {stage or '-'}: refused ({status}) but the database changed")
    return differences


# --- the checks ------------------------------------------------------------------------------------


# A change whose harmless form is not an empty one.
FORMS = {
    # acting for one's own membership (another's is refused as not one's own)
    "accounts:switch": lambda world, kind: (
        {"membership": world.people[kind].pk} if kind in world.people else {}
    ),
}


@pytest.mark.parametrize("name", sorted(permissions.SITE))
def test_site(world, name):
    route = permissions.SITE[name]
    parameters = site_routes()[name]
    objects = _resolved_args(route, parameters)

    def request(kind, values):
        url = reverse(name, kwargs=values)
        body = FORMS[name](world, kind) if name in FORMS else {}
        return _django_request(
            world, kind, route.method, url, multipart=body if route.method in UNSAFE else None
        )

    differences = _check(world, route, request, objects)
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("key", sorted(permissions.API))
def test_api(world, key):
    route = permissions.API[key]
    operation = api_operations()[key]
    method, path = key.split(" ", 1)
    parameters = re.findall(r"{(\w+)}", path)
    objects = _resolved_args(route, parameters)
    query = "".join(
        f"&{p['name']}={world.common['year']}"
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    )

    def request(kind, values):
        url = path.format(**values) + ("?" + query[1:] if query else "")
        body, multipart = example_body(operation, operation["_schema"])  # files are read once: anew each time
        return _django_request(world, kind, method, url, body=body, multipart=multipart, api=True)

    differences = _check(world, route, request, objects)
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("key", sorted(permissions.ROOM))
def test_room(world, key):
    route = permissions.ROOM[key]
    method, path = key.split(" ", 1)
    objects = _resolved_args(route, re.findall(r"{(\w+)}", path))

    def request(kind, values):
        return _room_request(world, kind, method, path.format(**values))

    differences = _check(world, route, request, objects)
    assert not differences, "\n".join(differences)


def test_admin(world):
    """Every model's list, and the admin's index, for the platform's staff only."""
    route = permissions.Route("GET", permissions.grant(permissions.ADMIN))
    urls = [reverse("admin:index")] + [
        reverse(f"admin:{model.replace('.', '_')}_changelist") for model in sorted(permissions.ADMIN_MODELS)
    ]
    differences = []
    for url in urls:
        differences += [
            f"{url}: {line}"
            for line in _check(
                world, route, lambda kind, _values, url=url: _django_request(world, kind, "GET", url), {}
            )
        ]
    assert not differences, "\n".join(differences)
