"""The live room: a lean Starlette app beside Django (no Django request cycle on the hot path).

    WS   /room/lots/{lot_id}/ws        the lot's snapshot on connect, then every pushed frame,
                                       and the server time every few seconds
    GET  /room/lots/{lot_id}/snapshot  the same snapshot over HTTP (resync after a gap or sleep);
                                       a bidder also gets its own rank and allowed range ("me")
    GET  /room/lots/{lot_id}/history   the events so far, as the lot's visibility shows them
    POST /room/lots/{lot_id}/bids      {"amount", "request_id"}: one bid, one short transaction
                                       (``bid_endpoint``, served outside the router: the hot path)
    GET  /room/time                    the server time of record, to measure the clock offset

Everything goes through psycopg's async pool (``seei.auctions.bidding.pool()``) and the
Django session cookie (``seei.room.auth``) or a personal API token (``seei.room.tokens``: the
``Authorization: Bearer`` header, or the ``seei.bearer.<key>`` subprotocol of a socket). Nobody can
talk in the room: the socket ignores whatever a client sends, except a ping.

Described for integrators in the API's OpenAPI document (``seei.api.room_docs``: the HTTP routes)
and in its AsyncAPI document (``seei.api.asyncapi``: the socket and its frames).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg
from asgiref.sync import markcoroutinefunction, sync_to_async
from django.conf import settings
from django.db import connections
from django.utils import translation
from django.utils.translation import gettext as _
from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.requests import ClientDisconnect, HTTPConnection, Request, cookie_parser
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket, WebSocketDisconnect

from seei.ops import endpoints as ops
from seei.ops import metrics
from seei.room import api_bids, auth, headers, history, origins, tokens
from seei.room.fanout import FEED_DOWN, PONG, Frame, Subscriber, hub, iso, local_socket
from seei.room.rechecks import Rechecks

if TYPE_CHECKING:
    from seei.auctions.bidding import Unavailable

log = logging.getLogger(__name__)

BID_HEADER = "x-seei-room"  # a custom header: a cross-site form or a simple request cannot send it
LANGUAGE_HEADER = "x-seei-language"
MAX_BODY = 4096
MAX_AMOUNT_TEXT = 1000  # longer than any amount: the rules refuse a huge one with its own message
CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4401  # the login behind a socket ended (logout, password change, expiry),
# or its API token is unknown or revoked (tokens.CLOSE_BAD_TOKEN)
CLOSE_TRY_AGAIN = 1013  # the database is unreachable for now
CLOSE_SERVER_ERROR = 1011  # the page reconnects
BIDS_PATH = re.compile(r"/room/lots/(\d+)/bids")
SOCKET_PATH = re.compile(r"/room/lots/(\d+)/ws")
NO_STORE = {"Cache-Control": "no-store"}


def _pool():
    from seei.auctions import bidding

    return bidding.pool()


# --- the server clock ---------------------------------------------------------------------------


async def server_now(conn) -> datetime:
    """PostgreSQL's clock (the clock of record), with the test offset when the test clock is on."""
    from seei.auctions import bidding

    cursor = await conn.execute(f"SELECT {bidding.now_sql()}")
    return (await cursor.fetchone())[0]


async def clock() -> datetime:
    async with _pool().connection() as conn:
        return await server_now(conn)


# --- snapshots ----------------------------------------------------------------------------------


async def snapshot_frame(lot_id: int) -> bytes | None:
    """A fresh frame for a lot (on connect; after Redis came back, frames may have been lost)."""
    from seei.auctions import bidding, events

    async with _pool().connection() as conn:
        try:
            return events.encode(await bidding.room_snapshot(conn, lot_id))
        except bidding.RoomNotFound:
            return None


async def ledger_entries(conn, lot_id: int) -> tuple[str, str, list[dict]] | None:
    """(visibility, room status, entries) of the lot's room, or None without a room."""
    from seei.auctions.models import LedgerEntry, Room

    cursor = await conn.execute(
        f"SELECT id, params->>'visibility', status FROM {Room._meta.db_table} WHERE lot_id = %s", (lot_id,)
    )
    room = await cursor.fetchone()
    if room is None:
        return None
    cursor = await conn.execute(
        f"SELECT seq, type, at, data FROM {LedgerEntry._meta.db_table} WHERE room_id = %s ORDER BY seq",
        (room[0],),
    )
    entries = [
        {"seq": seq, "type": kind, "at": at, "data": data} for seq, kind, at, data in await cursor.fetchall()
    ]
    return room[1], room[2], entries


# --- request helpers ----------------------------------------------------------------------------


def same_origin(connection: HTTPConnection | BidRequest) -> bool:
    """The request comes from a page of this site (CSRF, cross-site WebSocket hijacking), on one of its
    hosts (DNS rebinding): ``seei.room.origins``."""
    return origins.same_site(connection.headers)


def trusted(connection: HTTPConnection | BidRequest, token: str | None) -> bool:
    """``same_origin`` for a request carried by the cookie. A request that offers a token carries no
    ambient credential (another site cannot know the key, and its cookie is then ignored), so an
    integrator's server, which sends no ``Origin``, needs only to name a host the site serves."""
    if token is not None:
        return origins.host_allowed(connection.headers)
    return same_origin(connection)


class BadToken(Exception):
    """The request offers an API token that is unknown, revoked, or whose person is inactive."""


def offered_token(connection: HTTPConnection | BidRequest) -> str | None:
    socket = isinstance(connection, HTTPConnection) and connection.scope["type"] == "websocket"
    return tokens.offered(connection.headers, socket=socket)


async def caller(conn, connection: HTTPConnection | BidRequest) -> auth.Person | None:
    """Who asks: the token's person (acting as its membership) when a token is offered, else the
    session cookie's. Raises BadToken for a token that opens nothing (never taken for a visitor)."""
    key = offered_token(connection)
    if key is None:
        return await auth.person_from_cookies(conn, connection.cookies)
    person = await tokens.person_of(conn, key)
    if person is None:
        raise BadToken()
    return person


def bad_token_message() -> str:
    return _("This API token is not valid: it is unknown or was revoked.")


def _site_language(code: str | None) -> str | None:
    """``code`` (or its generic language) if the site speaks it: Django's own, cached, check."""
    try:
        return translation.get_supported_language_variant(code.lower()) if code else None
    except LookupError:
        return None


def asked_language(connection: HTTPConnection | BidRequest) -> str | None:
    """The language the page asks for (header, else ?lang=), if it is one of the site's."""
    return _site_language(connection.headers.get(LANGUAGE_HEADER) or connection.query_params.get("lang"))


def language_of(connection: HTTPConnection | BidRequest, person_language: str | None) -> str:
    """The page's language, else the person's, else the site's."""
    return asked_language(connection) or _site_language(person_language) or settings.LANGUAGE_CODE


async def viewer(conn, connection: HTTPConnection, lot_id: int):
    """(person or None, bidding.Access) of a request. A session that owes a second factor is nobody
    (``auth.person_from_cookies``), as on the site's pages; a bad token raises BadToken."""
    from seei.auctions import bidding

    person = await caller(conn, connection)
    access = await bidding.access(
        conn,
        lot_id=lot_id,
        user_id=person.user_id if person else None,
        membership_id=person.membership_id if person else None,
    )
    return person, access


def refusal(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"accepted": False, "reason": code, "message": message}, status, headers=NO_STORE)


def unavailable_answer(
    connection: HTTPConnection | BidRequest, failure: Unavailable, error: BaseException
) -> JSONResponse:
    """The 503, in the page's language, of a failure of the database, not of the request
    (``bidding.unavailable(error)``: an outage, a lot locked by a holder gone silent). Nothing was
    decided: the page may send the same request again (a bid's request id is never counted twice)."""
    log.warning("room: %s on %s (%s)", failure.reason, connection.path_params, error)
    with translation.override(language_of(connection, None)):
        response = refusal(503, failure.message(), failure.reason)
    response.headers["Retry-After"] = str(failure.retry_after)
    return response


async def _unavailable_handler(request: Request, error: Exception) -> Response:
    """The routed views (snapshot, history, time) during a database outage: a 503, not a 500."""
    from seei.auctions import bidding

    failure = bidding.unavailable(error)
    if failure is None:
        raise error
    return unavailable_answer(request, failure, error)


def _not_allowed(request: Request, person, access) -> JSONResponse:
    """Why this viewer gets nothing of the room, in its language."""
    with translation.override(language_of(request, person and person.language)):
        if not access.exists:
            return refusal(404, _("The room of this lot is not ready yet."), "no_room")
        return refusal(403, _("You may not see this room."), "forbidden")


async def _bad_token_handler(request: Request, error: Exception) -> Response:
    """The routed views (snapshot, history) asked with a token that opens nothing: 401."""
    with translation.override(language_of(request, None)):
        response = refusal(401, bad_token_message(), "bad_token")
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _unknown_host(request: Request) -> JSONResponse:
    """A request naming a host outside ALLOWED_HOSTS (Django answers it the same way: 400)."""
    with translation.override(language_of(request, None)):
        return refusal(400, _("This site is not served at this address."), "bad_host")


# --- the endpoints ------------------------------------------------------------------------------


async def time_view(request: Request) -> Response:
    return JSONResponse({"type": "time", "server_time": iso(await clock())}, headers=NO_STORE)


async def snapshot_view(request: Request) -> Response:
    from seei.auctions import bidding, events

    lot_id = request.path_params["lot_id"]
    async with _pool().connection() as conn:
        person, access = await viewer(conn, request, lot_id)
        if not access.allowed:
            return _not_allowed(request, person, access)
        # A bidder also gets "me": its rank and the range its next bid may take.
        if access.role == "bidder":
            current = await bidding.room_snapshot(
                conn, lot_id, user_id=person.user_id, membership_id=person.membership_id
            )
        else:
            current = await bidding.room_snapshot(conn, lot_id)
    return Response(events.encode(current), media_type="application/json", headers=NO_STORE)


async def history_view(request: Request) -> Response:
    lot_id = request.path_params["lot_id"]
    async with _pool().connection() as conn:
        person, access = await viewer(conn, request, lot_id)
        if not access.allowed:
            return _not_allowed(request, person, access)
        visibility, status, entries = await ledger_entries(conn, lot_id)
    items = history.history(entries, visibility, viewer=access.pseudonym, closed=status == "closed")
    return JSONResponse({"lot": lot_id, "history": items}, headers=NO_STORE)


def _read_bid(body: bytes, content_type: str) -> tuple[str, str] | None:
    from seei.auctions import bidding

    if content_type.split(";")[0].strip() != "application/json" or len(body) > MAX_BODY:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    amount, request_id = data.get("amount"), data.get("request_id")
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = str(amount)  # a float is refused: prices are never binary floating point
    if not isinstance(amount, str) or not isinstance(request_id, str):
        return None
    if not bidding.valid_request_id(request_id) or len(amount) > MAX_AMOUNT_TEXT:
        return None
    return amount, request_id


async def bid_view(request: BidRequest) -> Response:
    """One bid. A login this process has decoded before is re-validated inside the bid's transaction
    (session row, expiry, data, active user, password hash: one round trip for everything); otherwise
    the session is read on a short checkout of a connection first. The bid then waits for the lot's
    turn holding no connection (``place_bid`` takes one from the pool when its turn comes). There is
    no separate permission query: the bid transaction refuses whoever is not an admitted bidder of
    the lot (and, for the room, writes nothing then)."""
    from seei.auctions import bidding
    from seei.room import bids

    lot_id = request.path_params["lot_id"]
    token = offered_token(request)
    if request.headers.get(BID_HEADER) is None or not trusted(request, token):
        with translation.override(language_of(request, None)):
            return request.refuse(403, _("This request did not come from the room's page."), "cross_site")
    bid = _read_bid(await request.body(), request.headers.get("content-type", ""))
    pool = _pool()
    if token is not None:
        return await _bid_with_token(request, pool, token, bid)
    known = auth.known_login(request.cookies) if bid is not None else None
    if known is not None:
        # A login this process decoded before: it is re-validated inside the bid's own transaction.
        asked = asked_language(request)
        try:
            outcome = await bids.place(
                pool,
                lot_id=lot_id,
                user_id=known.user_id,
                membership_id=known.membership_id,
                amount=bid[0],
                request_id=bid[1],
                language=asked,
                audit_outsiders=False,
                session_check=known,
            )
        except bidding.SessionRefused:
            outcome = None  # answered below, the long way: the session read and checked on its own
        if outcome is not None and outcome.status != bids.NO_ROOM:  # no room: said to a checked login only
            return _bid_answer(
                request, outcome, asked or _site_language(known.language) or settings.LANGUAGE_CODE
            )
    async with pool.connection() as conn:
        person = await auth.person_from_cookies(conn, request.cookies)
    language = language_of(request, person and person.language)
    if person is None:
        with translation.override(language):
            return request.refuse(401, _("Please log in to bid."), "not_authenticated")
    return await _place(request, pool, person, bid, language)


async def _bid_with_token(request: BidRequest, pool, token: str, bid) -> Response:
    """A bid of an integrator: the token's person acting as its membership, looked up once per
    ``tokens.CACHE_SECONDS`` per process (no round trip of its own on the hot path otherwise)."""
    person = await tokens.person_in(pool, token)
    if person is None:
        with translation.override(language_of(request, None)):
            response = request.refuse(401, bad_token_message(), "bad_token")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return await _place(request, pool, person, bid, language_of(request, person.language))


async def _place(request: BidRequest, pool, person: auth.Person, bid, language: str) -> Response:
    """The bid of a known person (its login or token checked), in one short transaction."""
    from seei.room import bids

    if bid is None:
        with translation.override(language):
            return request.refuse(
                400, _("The bid must be sent as JSON with an amount and a request id."), "bad_request"
            )
    amount, request_id = bid
    outcome = await bids.place(
        pool,
        lot_id=request.path_params["lot_id"],
        user_id=person.user_id,
        membership_id=person.membership_id,
        amount=amount,
        request_id=request_id,
        language=language,
        audit_outsiders=False,
    )
    return _bid_answer(request, outcome, language)


def _bid_answer(request: BidRequest, outcome, language: str) -> Response:
    """The room's answer to a bid's outcome (``seei.room.bids``): the transaction's own JSON when the
    rules decided (201, 422); else a short refusal in the person's language, with Retry-After for
    too many attempts or one too soon (429: ``flood``)."""
    from seei.room import bids

    if outcome.status in (bids.ACCEPTED, bids.REFUSED):
        request.reason = outcome.result.reason
        return Response(
            outcome.result.encode(), outcome.status, media_type="application/json", headers=NO_STORE
        )
    error = outcome.error
    with translation.override(language):
        if outcome.status == bids.NOT_ADMITTED:
            return request.refuse(403, _("Only the admitted bidders of this lot can bid."), "not_admitted")
        if outcome.status == bids.NO_ROOM:
            return request.refuse(404, _("The room of this lot is not ready yet."), "no_room")
        response = request.refuse(outcome.status, error.message(), error.reason)  # 409, 429
    if outcome.status == bids.THROTTLED:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


NO_QUERY = QueryParams("")


class BidRequest:
    """What ``bid_view`` reads of a request, straight from the ASGI scope: the headers in a plain dict
    (looked up several times per bid), the body read no further than MAX_BODY. It keeps the code of
    its answer (``reason``) for the metrics."""

    __slots__ = ("_receive", "_scope", "headers", "path_params", "reason")

    def __init__(self, scope, receive, lot_id: int):
        self._scope, self._receive = scope, receive
        self.headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        self.path_params = {"lot_id": lot_id}
        self.reason: str | None = None  # None: accepted

    def refuse(self, status: int, message: str, code: str) -> JSONResponse:
        self.reason = code
        return refusal(status, message, code)

    @property
    def query_params(self) -> QueryParams:
        query = self._scope["query_string"]
        return QueryParams(query) if query else NO_QUERY  # a bid's address has none: not parsed each time

    @property
    def cookies(self) -> dict[str, str]:
        return cookie_parser(self.headers.get("cookie", ""))

    async def body(self) -> bytes:
        chunks, size = [], 0
        while size <= MAX_BODY:
            message = await self._receive()
            if message["type"] != "http.request":
                raise ClientDisconnect()
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body"):
                break
        return b"".join(chunks)  # longer than MAX_BODY when cut short: refused as such


async def bid_endpoint(scope, receive, send, lot_id: int) -> None:
    """``POST /room/lots/{lot_id}/bids`` as a bare ASGI app: the hot path skips Starlette's router and
    middleware layers (``create_app`` sends it here), which cost more per bid than the bid itself.
    Each answer is counted (``metrics.BIDS``): its time, its outcome and its code."""
    from seei.auctions import bidding

    if scope["method"] != "POST":
        await Response(status_code=405, headers={"Allow": "POST"})(scope, receive, send)
        return
    started = time.perf_counter()
    request = BidRequest(scope, receive, lot_id)
    try:
        response = await bid_view(request)
    except ClientDisconnect:
        return
    except Exception as error:
        failure = bidding.unavailable(error)
        if failure is None:
            log.exception("bid on lot %s failed", lot_id)
            request.reason = "server_error"
            response = Response("Internal Server Error", 500, media_type="text/plain")
        else:
            request.reason = failure.reason
            response = unavailable_answer(request, failure, error)
    await response(scope, receive, send)
    metrics.BIDS.record(time.perf_counter() - started, response.status_code, request.reason)


async def lot_socket(websocket: WebSocket) -> None:
    """A viewer's socket, served outside Starlette's router like the bids (``create_app``): thousands
    stay open, and each would keep the router's and middlewares' frames alive for its whole life."""
    lot_id = websocket.path_params["lot_id"]
    if not trusted(websocket, offered_token(websocket)):
        await websocket.close(CLOSE_FORBIDDEN)  # before accept: the handshake gets a 403
        return
    # Never the bearer subprotocol: the key is not echoed back (a browser needs one offered echoed).
    subprotocol = tokens.answered_subprotocol(websocket.headers)
    try:
        async with _pool().connection() as conn:
            person, access = await viewer(conn, websocket, lot_id)
    except BadToken:
        await websocket.accept(subprotocol)  # then closed with a code the client sees
        await websocket.close(tokens.CLOSE_BAD_TOKEN, "bad token")
        return
    except Exception as error:
        from seei.auctions import bidding

        if bidding.unavailable(error) is None:
            raise
        await websocket.accept(
            subprotocol
        )  # then closed with a code the page sees (a refused handshake has none)
        await websocket.close(CLOSE_TRY_AGAIN)  # the page reconnects (with backoff)
        return
    await websocket.accept(subprotocol)
    if not access.allowed:
        await websocket.close(CLOSE_FORBIDDEN)  # the page stops reconnecting on this code
        return
    forget_unchecked_headers(websocket.scope)
    subscriber = Subscriber(local_socket(websocket.scope, websocket.send_bytes))
    rechecks.add(subscriber, websocket, lot_id, person)
    try:
        # Joined (subscribed) before reading the snapshot: a change committed after the read is pushed to us.
        await hub.join(lot_id, subscriber)
        if not hub.live():  # said before the snapshot: the page must not take it for a live feed
            subscriber.push_control(Frame(FEED_DOWN))
        await push_first_snapshot(subscriber, lot_id)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") == "ping" or message.get("bytes") == b"ping":
                subscriber.push_control(PONG)
            # Anything else is dropped: nobody can talk in the room.
    except WebSocketDisconnect:
        pass
    finally:
        rechecks.discard(subscriber)
        hub.leave(lot_id, subscriber)
        await subscriber.close()


# What ``recheck_access`` reads again; a browser's other headers would stay a KiB per viewer.
RECHECKED_HEADERS = frozenset({b"cookie", b"authorization", b"sec-websocket-protocol"})


def forget_unchecked_headers(scope) -> None:
    headers = scope["headers"]  # in place: Starlette's Headers of the socket share this list
    headers[:] = [header for header in headers if header[0] in RECHECKED_HEADERS]


async def push_first_snapshot(subscriber, lot_id: int) -> None:
    """In a call of its own: a local of ``lot_socket`` would keep the frame (a KiB) while the socket lives."""
    first = await snapshot_frame(lot_id)
    if first is not None:
        subscriber.push(Frame(first))  # never replaces a newer frame waiting meanwhile


async def recheck_access(
    subscriber, websocket: WebSocket, lot_id: int, person: auth.Person | None, *, reads: dict
) -> None:
    """Read the socket's login and its right to the room again (``rechecks``, every
    SEEI_ROOM_RECHECK_SECONDS): a logout, a password change, an expired session, a removal from the
    commission or from the bidders closes the socket (4401: log in again; 4403: no longer allowed),
    and no frame follows. The sockets of a round with the same lot and credentials share one read."""
    from seei.auctions import bidding

    credentials = (lot_id, tuple(websocket.scope["headers"]))  # only the headers the check reads are kept
    read = reads.get(credentials)
    if read is None:
        read = reads[credentials] = asyncio.ensure_future(_read_viewer(websocket, lot_id))
    try:
        # Shielded: a check cancelled (the process stops) leaves the shared read to the others.
        now, access = await asyncio.shield(read)
    except BadToken:  # revoked since (or its person deactivated)
        code, reason = CLOSE_SESSION_ENDED, "token revoked"
    except Exception as error:
        if bidding.unavailable(error) is not None:
            return  # an outage is no reason to drop a viewer: checked again next time
        # Never left open unchecked: the page reconnects, and its handshake checks afresh.
        log.exception("room: re-checking a socket of lot %s failed", lot_id)
        code, reason = CLOSE_SERVER_ERROR, "server error"
    else:
        if person is not None and (now is None or now.user_id != person.user_id):
            code, reason = CLOSE_SESSION_ENDED, "session ended"
        elif not access.allowed:
            code, reason = CLOSE_FORBIDDEN, "no longer allowed"
        else:
            return
    rechecks.discard(subscriber)
    hub.leave(lot_id, subscriber)  # before the close: not one more frame
    log.info("room: socket of lot %s closed (%s)", lot_id, reason)
    with contextlib.suppress(Exception):  # the client may be gone already
        await websocket.close(code, reason)


async def _read_viewer(websocket: WebSocket, lot_id: int):
    async with _pool().connection() as conn:
        return await viewer(conn, websocket, lot_id)


rechecks = Rechecks(recheck_access)


# --- the process's lifespan ---------------------------------------------------------------------


async def run_worker() -> None:
    """The task worker in this process (embedded default: one process runs everything)."""
    from seei.core import worker

    await worker.run("seei-web")


def create_app(*, in_process_worker: bool | None = None, django=None):
    """The room app (an ASGI callable). ``in_process_worker`` defaults to the embedded set-up (no
    ``REDIS_URL``). With ``django`` (Django's ASGI app), it also serves the API's bids with a token
    (``seei.room.api_bids``), handing Django the requests it does not serve there."""
    if in_process_worker is None:
        in_process_worker = not settings.REDIS_URL

    @contextlib.asynccontextmanager
    async def lifespan(app):
        pool = _pool()
        await pool.open()
        await hub.start(redis_url=settings.REDIS_URL, clock=clock, resync=snapshot_frame)
        from seei.auctions import watchdog  # heartbeats; no bid before an outage is recorded

        watcher = await watchdog.start(watchdog.ROOM)
        worker = asyncio.create_task(run_worker()) if in_process_worker else None
        try:
            yield
        finally:
            await watcher.stop()
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker
            await hub.stop()
            await pool.close()
            # Django's pages (and the periodic deferrer) used a connection in asgiref's thread.
            await sync_to_async(connections.close_all)()

    routed = Starlette(
        routes=[
            Route("/room/time", time_view),
            Route("/room/lots/{lot_id:int}/snapshot", snapshot_view),
            Route("/room/lots/{lot_id:int}/history", history_view),
            *ops.ROUTES,  # /healthz, /readyz, /metrics
        ],
        exception_handlers={psycopg.Error: _unavailable_handler, BadToken: _bad_token_handler},
        lifespan=lifespan,
    )

    @markcoroutinefunction  # a dispatcher (seei.room.headers.secured says why)
    def app(scope, receive, send):
        if scope["type"] == "http" and (bids := BIDS_PATH.fullmatch(scope["path"])):
            return bid_endpoint(scope, receive, send, int(bids[1]))
        if scope["type"] == "websocket" and (socket := SOCKET_PATH.fullmatch(scope["path"])):
            scope["path_params"] = {"lot_id": int(socket[1])}
            return lot_socket(WebSocket(scope, receive, send))
        if (
            scope["type"] == "http"
            and scope["path"].startswith("/room/")
            and not origins.host_allowed(Headers(scope=scope))
        ):
            return _unknown_host(Request(scope, receive))(scope, receive, send)
        return routed(scope, receive, send)

    secured = headers.secured(app)
    secured.routes = (
        routed.routes
    )  # with BIDS_PATH and SOCKET_PATH: every route (the permission table's test)
    return secured if django is None else api_bids.serving(secured, django)
