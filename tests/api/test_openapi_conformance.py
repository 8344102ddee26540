"""Every response of the JSON API matches its OpenAPI document.

schemathesis fuzzes each operation of /api/v1/openapi.json in-process (WSGI) with the token of each
role (a company, a buyer agent, a commission member, an accountant, an administrator) and anonymously,
with valid and invalid data, and checks each answer: no server error, a documented status, content
type, body and headers, and invalid data refused. The world it runs in is real: a live room (bids
accepted and refused), a closed lot whose award is final with its visa (payments possible), a draft
and published notices, the public practice auction; path parameters are drawn from their ids as well
as at random, so operations answer with data, not only 404s. The bid path has its own database
connection, hence a committed (transactional) test database.
"""

import time
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from ninja.openapi.schema import OpenAPISchema
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.hooks import HookDispatcher, HookScope

from tests.api.conftest import ApiClient, token_for
from tests.auctions.conftest import make_auction, open_room
from tests.awards.conftest import close_auction, finalise, grant_visa, ministry_accountant
from tests.conftest import make_member

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# Examples per operation and mode, for each caller: the whole test takes about a minute on 2 cores.
# The company and the buyer act on most operations and get the most; the other roles act on a few
# (the commission, the award, the visa and payments, the suspension) and are refused 403 elsewhere
# whatever they send; an anonymous caller is answered 401 by every operation that needs someone.
EXAMPLES = {
    "company": {POSITIVE: 6, NEGATIVE: 2},
    "buyer": {POSITIVE: 6, NEGATIVE: 2},
    "commission": {POSITIVE: 3, NEGATIVE: 1},
    "accountant": {POSITIVE: 3, NEGATIVE: 1},
    "administrator": {POSITIVE: 2, NEGATIVE: 1},
    "anonymous": {POSITIVE: 2, NEGATIVE: 1},
}
# The same examples on every run (CI reproducible), no example database left behind, no shrinking.
SETTINGS = hypothesis_settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


@pytest.fixture
def world(buyer, draft_tender, category, region, clock, settings):
    """The ids of the objects the operations act on, and the headers of each caller."""
    from seei.accounts.models import Organisation
    from seei.practice import services as practice

    settings.ALLOWED_HOSTS = ["localhost"]  # schemathesis's WSGI client
    closed = close_auction(buyer, category, region, clock, reference="AO-OAS-AWARD")
    accountant = ministry_accountant(buyer.organisation)
    finalise(closed)
    grant_visa(closed, accountant)
    platform = Organisation.objects.create(kind="platform", name="Plateforme SEEI")
    administrator = make_member("admin@seei.example", platform, "administrator")
    live = make_auction(buyer, category, region, clock, reference="AO-OAS-LIVE")
    open_room(live, clock)
    clock.advance(timedelta(seconds=1))
    public_practice = practice.ensure_public()
    ids = {
        "lot_id": [live.lot.pk, closed.lot.pk, public_practice.pk, draft_tender.lots.get().pk],
        "notice_id": [live.lot.tender_id, closed.lot.tender_id, draft_tender.pk],
        "award_id": [closed.lot.award.pk],
    }
    callers = {
        "company": {"Authorization": f"Bearer {token_for(live.bidders[0])}"},
        "buyer": {"Authorization": f"Bearer {token_for(buyer)}"},
        "commission": {"Authorization": f"Bearer {token_for(closed.commission)}"},
        "accountant": {"Authorization": f"Bearer {token_for(accountant)}"},
        "administrator": {"Authorization": f"Bearer {token_for(administrator)}"},
        "anonymous": {},
    }
    return ids, callers


def _known_ids(ids) -> HookDispatcher:
    """For valid data only: each path parameter generated, or the id of an object of the world."""

    def flatmap(context, path_parameters):
        if not path_parameters:
            return st.just(path_parameters)
        known = [
            st.sampled_from(ids[name]).map(lambda value, name=name: {**path_parameters, name: value})
            for name in path_parameters
            if name in ids
        ]
        return st.one_of(st.just(path_parameters), *known)

    hooks = HookDispatcher(scope=HookScope.TEST)
    hooks.register_hook_with_name(flatmap, "flatmap_path_parameters")
    return hooks


def _fuzz(operation, hooks, mode, examples: int, headers: dict, record) -> None:
    """``examples`` cases of one operation sent with ``headers``; ``record(case, response)`` for each."""

    @hypothesis_settings(SETTINGS, max_examples=examples)
    @given(case=operation.as_strategy(mode, hooks=hooks))
    def run(case):
        record(case, case.call(headers=headers))

    try:
        run()
    except Unsatisfiable:
        if mode == POSITIVE:
            raise
        # Nothing the document forbids can be sent: an operation without inputs, or only free text.


@pytest.mark.django_db(transaction=True)
def test_every_response_matches_the_openapi_document(world):
    ids, callers = world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    schema.config.generation.update(with_security_parameters=False)  # each caller sends its own
    known_ids = _known_ids(ids)
    requests, statuses = Counter(), Counter()
    started = time.monotonic()
    failures: dict[tuple, str] = {}

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("x-served-by") == "room":
            continue  # served by the room app, not Django: tests/api/test_room_documents.py checks them
        for caller, headers in callers.items():
            for mode, examples in EXAMPLES[caller].items():
                checks = [*CHECKS, negative_data_rejection] if mode == NEGATIVE else CHECKS

                def record(case, response, caller=caller, headers=headers, checks=checks):
                    requests[caller] += 1
                    statuses[response.status_code] += 1
                    try:
                        case.validate_response(response, checks=checks, headers=headers)
                    except FailureGroup as group:
                        for failure in group.exceptions:
                            key = (case.operation.label, caller, response.status_code, failure.title)
                            failures.setdefault(key, f"{failure.message}\n{case.as_curl_command(headers)}")

                hooks = known_ids if mode == POSITIVE else None
                _fuzz(operation, hooks, mode, examples, headers, record)

    print(
        f"\nschemathesis: {sum(requests.values())} requests ({dict(requests)}), "
        f"statuses {dict(sorted(statuses.items()))}, {len(failures)} failures, "
        f"{time.monotonic() - started:.0f} s"
    )
    assert statuses[201] and statuses[200], "some operations must succeed, not only refuse"
    report = "\n\n".join(
        f"{label} as {caller} -> {status}: {title}\n{detail}"
        for (label, caller, status, title), detail in sorted(failures.items())
    )
    assert not failures, report


# What the fuzzing may or may not happen to send, asserted on purpose -------------------------------


def test_no_two_schemas_of_the_document_share_a_name(monkeypatch):
    """ninja gathers the schemas of every operation into one dict by name: a second schema of the same
    name would silently replace the first (two DocumentOut once made notices break their document)."""
    from seei.api.urls import api

    clashes = set()
    add = OpenAPISchema.add_schema_definitions

    def checked(document, definitions):
        clashes.update(
            name for name, schema in definitions.items() if document.schemas.get(name, schema) != schema
        )
        add(document, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", checked)
    api.get_openapi_schema()

    assert not clashes


def test_errors_have_one_shape_and_are_documented(api, buyer, category, region, clock):
    as_buyer = api(buyer)

    unreadable = as_buyer.client.post(
        "/api/v1/notices", "{not json", content_type="application/json", headers=as_buyer.headers
    )
    nul_query = api().get("/notices", category="\x00")
    surrogate = as_buyer.post("/notices", {"reference": "\ud800"})

    assert unreadable.status_code == 400
    assert unreadable.json() == {
        "detail": "The request body cannot be read.",
        "errors": {"__all__": ["The request body cannot be read."]},
    }
    assert nul_query.status_code == 422
    assert nul_query.json()["errors"] == {
        "category": ["This text contains a character that cannot be recorded."]
    }
    assert surrogate.status_code == 422
    assert surrogate.json()["errors"]["reference"] == [
        "This text contains a character that cannot be recorded."
    ]
    document = api().get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/Error"}
    create = document["paths"]["/api/v1/notices"]["post"]["responses"]
    assert {status: create[status]["content"]["application/json"]["schema"] for status in create} == {
        "201": {"$ref": "#/components/schemas/NoticeDetail"},
        **{status: error for status in ("400", "401", "403", "422", "503")},
    }
    watch = document["paths"]["/api/v1/lots/{lot_id}/snapshot"]["get"]["security"]
    assert {} in watch  # anyone may watch a public room: no credentials needed


def test_a_database_that_does_not_answer_is_a_503_the_client_may_retry(db, monkeypatch):
    from seei.tenders import selectors

    def outage():
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(selectors, "public_tenders", outage)

    response = ApiClient().get("/notices")

    assert response.status_code == 503 and response["Retry-After"] == "3"
    assert response.json() == {
        "detail": "The auction service is briefly unavailable; your request was not handled. "
        "Please try again in a few seconds.",  # the room's answer too (bidding.Unavailable)
        "reason": "unavailable",
    }
