"""The live room's HTTP routes in the API's OpenAPI document, although the room app (Starlette,
``seei.room.app``) serves them and not django-ninja: an integrator finds every address of the platform,
its required header and its answers in one document. The socket's frames are in the AsyncAPI document
(``seei.api.asyncapi``), linked from the API's description.

The room's routes carry the tag ``room`` and the extension ``x-served-by: room``: the API's fuzzing
(tests/api/test_openapi_conformance.py) leaves them out (it calls Django only), and
tests/api/test_room_documents.py checks the room's real answers against these schemas instead.
"""

from __future__ import annotations

from copy import deepcopy
from functools import wraps

from seei.room.app import BID_HEADER, LANGUAGE_HEADER, MAX_BODY

SERVED_BY = "room"
TAG = {
    "name": "room",
    "description": "The live auction room (served beside the API, same host): snapshots, history and bids "
    "over HTTP; the socket `/room/lots/{lot_id}/ws` is described by the AsyncAPI document "
    "`/api/v1/asyncapi.json`. Authenticated by a personal token (`Authorization: Bearer <key>`) or the "
    "site's session cookie (then only from a page of the site: the `Origin` must be the site's).",
}

REF = "#/components/schemas/"
LOT_ID = {
    "name": "lot_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "title": "Lot Id"},
}
LANGUAGE = {
    "name": LANGUAGE_HEADER,
    "in": "header",
    "required": False,
    "description": "The language of the messages (fr, ar, en); else the person's, else the site's.",
    "schema": {"type": "string", "enum": ["fr", "ar", "en"]},
}
ROOM_HEADER = {
    "name": BID_HEADER,
    "in": "header",
    "required": True,
    "description": "Any value (the room's page sends `bid`). A custom header that a cross-site form or a "
    "simple cross-origin request cannot send: required on every bid, whatever the authentication. "
    "Idempotency is the body's `request_id`.",
    "schema": {"type": "string", "minLength": 1},
}

SCHEMAS = {
    "RoomRefusal": {
        "title": "RoomRefusal",
        "description": "Every refusal of the room that is not a bid's decision, in the asked language.",
        "type": "object",
        "required": ["accepted", "reason", "message"],
        "properties": {
            "accepted": {"type": "boolean", "const": False},
            "reason": {
                "type": "string",
                "description": "`not_authenticated`, `bad_token`, `forbidden`, `cross_site`, `bad_request`, "
                "`no_room`, `not_admitted`, `request_id_reused`, `too_many_bids` / `too_soon` (429), "
                "`unavailable` / `busy` (503), `bad_host`.",
            },
            "message": {"type": "string"},
        },
    },
    "RoomBidIn": {
        "title": "RoomBidIn",
        "type": "object",
        "required": ["amount", "request_id"],
        "properties": {
            "amount": {
                "anyOf": [{"type": "string", "maxLength": 1000}, {"type": "integer"}],
                "description": "As typed (`1234.50`, `1 234,50`, Arabic-Indic digits); never a float.",
            },
            "request_id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "Your idempotency key: the same key again returns the first answer.",
            },
        },
    },
    "RoomBidOut": {
        "title": "RoomBidOut",
        "description": "A bid's decision: 201 accepted (with the signed receipt), 422 refused by the rules "
        "(the reason and a message; nothing changes). A replayed request returns its first answer.",
        "type": "object",
        "required": ["accepted", "reason", "message", "replayed", "extended"],
        "properties": {
            "accepted": {"type": "boolean"},
            "reason": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "message": {"type": "string"},
            "receipt": {"anyOf": [{"type": "object"}, {"type": "null"}]},
            "snapshot": {"anyOf": [{"$ref": REF + "SnapshotOut"}, {"type": "null"}]},
            "me": {"anyOf": [{"$ref": REF + "Me"}, {"type": "null"}]},
            "allowed": {"anyOf": [{"type": "object"}, {"type": "null"}]},
            "replayed": {"type": "boolean"},
            "extended": {"type": "boolean"},
        },
    },
    "RoomHistory": {
        "title": "RoomHistory",
        "type": "object",
        "required": ["lot", "history"],
        "properties": {
            "lot": {"type": "integer"},
            "history": {
                "type": "array",
                "items": {"type": "object"},
                "description": "The ledger's events as the lot's visibility shows them to you.",
            },
        },
    },
    "RoomTime": {
        "title": "RoomTime",
        "type": "object",
        "required": ["type", "server_time"],
        "properties": {"type": {"type": "string", "const": "time"}, "server_time": {"type": "string"}},
    },
}


def _json(schema_name: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF + schema_name}}},
    }


def _refusals(*statuses: int) -> dict:
    texts = {
        400: "The body is not the JSON of a bid, or the host is not the site's.",
        401: "No login, or a token that is unknown or revoked (`WWW-Authenticate: Bearer`).",
        403: "You may not see this room, or bid in it (`not_admitted`), or the bid lacks the room's header "
        "or came from another site (`cross_site`).",
        404: "The lot has no room yet.",
        409: "This request id was used for another amount.",
        429: "Too many attempts, or one too soon (`Retry-After`).",
        503: "The database cannot answer for now: nothing was decided; send the same request again "
        "(`Retry-After`).",
    }
    return {str(status): _json("RoomRefusal", texts[status]) for status in statuses}


def _operation(operation_id: str, summary: str, description: str, **extra) -> dict:
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": ["room"],
        "x-served-by": SERVED_BY,
        **extra,
    }


def paths(security: list[dict]) -> dict:
    """The room's routes as OpenAPI path items."""
    watched = {"parameters": [LOT_ID, LANGUAGE], "security": [*security, {}]}
    return {
        "/room/time": {
            "get": _operation(
                "room_time",
                "The server time of record",
                "To measure your clock's offset; anyone may ask.",
                security=[{}],
                responses={"200": _json("RoomTime", "The server time.")},
            )
        },
        "/room/lots/{lot_id}/snapshot": {
            "get": _operation(
                "room_snapshot",
                "The lot's snapshot",
                "The same snapshot as the socket's frames (resync after a gap); a bidder also gets `me`, "
                "its rank and allowed range. Identities are never in it: pseudonyms only.",
                **watched,
                responses={
                    "200": _json("SnapshotOut", "The snapshot."),
                    **_refusals(400, 401, 403, 404, 503),
                },
            )
        },
        "/room/lots/{lot_id}/history": {
            "get": _operation(
                "room_history",
                "The lot's events so far",
                "As the lot's visibility shows them to you.",
                **watched,
                responses={"200": _json("RoomHistory", "The history."), **_refusals(400, 401, 403, 404, 503)},
            )
        },
        "/room/lots/{lot_id}/bids": {
            "post": _operation(
                "room_bid",
                "Bid (an admitted bidder)",
                f"One bid, one short transaction: the same rules and ledger as `POST /api/v1/lots/{{lot_id}}/bids`. "
                f"Requires the `{BID_HEADER}` header; a body of at most {MAX_BODY} bytes. With the session "
                "cookie, only from a page of the site (its `Origin`).",
                parameters=[LOT_ID, ROOM_HEADER, LANGUAGE],
                security=security,
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": REF + "RoomBidIn"}}},
                },
                responses={
                    "201": _json("RoomBidOut", "Accepted: the signed receipt, your rank, the new snapshot."),
                    "422": _json("RoomBidOut", "Refused by the rules: the reason and the message."),
                    **_refusals(400, 401, 403, 404, 409, 429, 503),
                },
            )
        },
        "/room/lots/{lot_id}/ws": {
            "get": _operation(
                "room_socket",
                "The lot's socket (WebSocket)",
                "Upgrade to a WebSocket: the snapshot on connect, then each change and the server time. "
                "Frames, authentication (also the `seei.bearer.<key>` subprotocol beside `seei.room.v1`) and "
                "close codes (4401, 4403, 1013, 1011): see /api/v1/asyncapi.json.",
                parameters=[LOT_ID, LANGUAGE],
                security=[*security, {}],
                responses={"101": {"description": "Switching Protocols: the socket is open."}},
            )
        },
    }


def extend(document: dict) -> dict:
    """The document with the room's routes, schemas and tag added (a copy)."""
    document = deepcopy(document)
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes.setdefault("TokenAuth", {"type": "http", "scheme": "bearer"})
    schemes["RoomSession"] = {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
        "description": "The site's session, from a page of the site only (its Origin is checked).",
    }
    security = [{"TokenAuth": []}, {"RoomSession": []}]
    document["paths"].update(paths(security))
    document["components"].setdefault("schemas", {}).update(deepcopy(SCHEMAS))
    tags = document.setdefault("tags", [])
    if not any(tag.get("name") == "room" for tag in tags):
        tags.append(TAG)
    return document


def install(api) -> None:
    """Serve the room's routes in ``api``'s OpenAPI document, and link the AsyncAPI document from its
    description (the docs page shows it)."""
    produce = api.get_openapi_schema

    @wraps(produce)
    def with_room(*args, **kwargs):
        return extend(produce(*args, **kwargs))

    api.get_openapi_schema = with_room
    api.description += (
        " The live room's HTTP routes are listed under the tag `room`; its socket's frames are described "
        "by the AsyncAPI document [/api/v1/asyncapi.json](/api/v1/asyncapi.json)."
    )
