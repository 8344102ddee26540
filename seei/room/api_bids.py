"""The API's ``POST /api/v1/lots/{lot_id}/bids`` on the room's path: a bid sent with a personal token
is placed by the room app (its pool, the lot's batch, the flood guard: ``seei.room.bids``), never
through Django's request cycle nor a connection of its own.

The contract is the API's (``seei.api.auctions.place_bid``, which documents it): the same answers,
in the language ``LocaleMiddleware`` would pick (``Accept-Language``, the language cookie), from the
same ``bid_answer``. Only a well-formed bid by a valid token of a company member is served here;
anything else (the session's bids with their CSRF check, no or a bad token, another role, a body the
schema refuses, a blank request id, another method, an unknown host) goes on to Django with its body,
so those answers are Django's own by construction.
"""

from __future__ import annotations

import json
import logging
import re
from types import SimpleNamespace

from asgiref.sync import markcoroutinefunction
from django.utils import translation
from pydantic import ValidationError
from starlette.requests import ClientDisconnect, cookie_parser
from starlette.responses import Response

from seei.room import origins, tokens

API_BIDS_PATH = re.compile(r"/api/v1/lots/(\d+)/bids")
MAX_BODY = 64 * 1024  # far more than a bid: a longer body goes to Django, which applies its own limit

log = logging.getLogger(__name__)


def serving(room, django):
    """``room`` (an ASGI app) that also serves the API's bids, handing Django what it does not serve.
    Its security headers are the room's (``seei.room.headers``); Django adds its own."""
    from seei.room import headers

    secure = headers.sender()

    @markcoroutinefunction  # a dispatcher (seei.room.headers.secured says why)
    def app(scope, receive, send):
        if scope["type"] == "http" and (bid := API_BIDS_PATH.fullmatch(scope["path"])):
            return endpoint(scope, receive, send, int(bid[1]), django=django, secure=secure)
        return room(scope, receive, send)

    app.routes = getattr(room, "routes", [])
    return app


async def endpoint(scope, receive, send, lot_id: int, *, django, secure) -> None:
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    key = tokens.offered(headers)
    if scope["method"] != "POST" or key is None or not origins.host_allowed(headers):
        await django(scope, receive, send)
        return
    try:
        body, complete = await _read(receive)
    except ClientDisconnect:
        return
    replay = _replaying(body, complete, receive)
    bid = _bid(body) if complete else None
    response = await _answer(headers, lot_id, key, bid) if bid is not None else None
    if response is None:
        await django(scope, replay, send)
    else:
        await response(scope, replay, secure(scope, send))


async def _answer(headers: dict[str, str], lot_id: int, key: str, bid: tuple[str, str]) -> Response | None:
    """The API's answer to a bid by the token ``key``, or None when Django must answer it (a token that
    opens nothing, or not a company member's: Django's 401 or 403, or the session behind it)."""
    from seei.accounts.models import Role
    from seei.api.auctions import bid_answer
    from seei.auctions import bidding
    from seei.room import bids

    language = _language(headers)
    try:
        pool = bidding.pool()
        person = await tokens.person_in(pool, key)
        if person is None or person.role != Role.COMPANY_MEMBER:
            return None
        outcome = await bids.place(
            pool,
            lot_id=lot_id,
            user_id=person.user_id,
            membership_id=person.membership_id,
            amount=bid[0],
            request_id=bid[1],
            language=language,
            audit_outsiders=True,
            practice=True,
        )
        with translation.override(language):
            status, body = bid_answer(outcome)
    except Exception as error:
        return _failed(error, lot_id, language)
    # As LocaleMiddleware says it on Django's answers.
    response = Response(
        body,
        status,
        media_type="application/json",
        headers={"Content-Language": language, "Vary": "Accept-Language"},
    )
    if outcome.status == bids.THROTTLED:
        response.headers["Retry-After"] = str(outcome.error.retry_after)
    return response


def _failed(error: Exception, lot_id: int, language: str) -> Response:
    """A failure of the database (503, as ``seei.api.errors.unavailable`` answers it), else a 500."""
    from seei.auctions import bidding

    failure = bidding.unavailable(error)
    if failure is None:
        log.exception("API bid on lot %s failed", lot_id)
        return Response("Internal Server Error", 500, media_type="text/plain")
    log.warning("API bid: %s on lot %s (%s)", failure.reason, lot_id, error)
    with translation.override(language):
        body = {"detail": failure.message(), "reason": failure.reason}
    answer = Response(json.dumps(body, ensure_ascii=False), 503, media_type="application/json")
    answer.headers["Retry-After"] = str(failure.retry_after)
    return answer


def _language(headers: dict[str, str]) -> str:
    """The language ``LocaleMiddleware`` activates for an API request (no language in its path)."""
    cookies = cookie_parser(headers["cookie"]) if "cookie" in headers else {}
    request = SimpleNamespace(
        COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": headers.get("accept-language", "")}
    )
    return translation.get_language_from_request(request)


def _bid(body: bytes) -> tuple[str, str] | None:
    """(amount, request id) of a body the operation's schema (``BidIn``) accepts with a request id
    that is not blank; None for any other (Django answers it: 400 or 422, with its field errors)."""
    from seei.api.auctions import BidIn
    from seei.auctions import bidding

    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        payload = BidIn.model_validate(data)
    except ValidationError:
        return None
    if not bidding.valid_request_id(payload.request_id):
        return None
    return payload.amount, payload.request_id


async def _read(receive) -> tuple[bytes, bool]:
    """The body, read no further than MAX_BODY; False: there is more (left to Django)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body"):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replaying(body: bytes, complete: bool, receive):
    """A ``receive`` that gives the body read so far again, then what remains of the request."""
    given = False

    async def replay():
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay
