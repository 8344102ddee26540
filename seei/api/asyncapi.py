"""The AsyncAPI 3.0 document of the live room's socket, served at /api/v1/asyncapi.json.

What the room sends (``seei.room.app.lot_socket``, ``seei.room.fanout``): the lot's snapshot (the frame
with no ``type``: on connect, then after each change, the same bytes for every viewer), the server time
every few seconds (``type: time``, with ``live: false`` while the process's feed is down: snapshots may
then be stale until it comes back), and the answer to a ping (``type: pong``). What it accepts: the
text ``ping``; anything else is dropped (nobody can talk in the room). The snapshot's schema is the
API's own (``seei.api.auctions.SnapshotOut``): one definition for the HTTP snapshot and the frames.

tests/api/test_room_documents.py checks that every frame type the code emits is described here, that
real frames match the schemas, and the document's AsyncAPI 3.0 structure.
"""

from __future__ import annotations

import json
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from ninja import Router

from seei.api.auctions import SnapshotOut
from seei.room import app as room
from seei.room import fanout, tokens

router = Router(tags=["room"])

REF = "#/components/schemas/"
CLOSE_CODES = {
    room.CLOSE_SESSION_ENDED: "Log in again: the session ended (logout, password change, expiry), or the "
    "token is unknown or was revoked. Do not reconnect with the same credential.",
    room.CLOSE_FORBIDDEN: "You may not watch this room (or no longer: removed from the bidders or the "
    "commission). Do not reconnect. Before the handshake is accepted (another site's Origin, a host the "
    "site does not serve) the upgrade itself is refused with HTTP 403.",
    room.CLOSE_TRY_AGAIN: "The database is unreachable for now: reconnect with a backoff.",
    room.CLOSE_SERVER_ERROR: "A server error: reconnect; the handshake checks your access afresh.",
}


def _snapshot_schemas() -> dict:
    """SnapshotOut and what it refers to, as components (one definition with the OpenAPI document)."""
    schema = SnapshotOut.model_json_schema(ref_template=REF + "{model}")
    definitions = schema.pop("$defs", {})
    schema["description"] = (
        "The lot as every viewer sees it: no `type` field (that tells it from the other frames), "
        "pseudonyms only, amounts as the lot's visibility shows them. A gap in `seq` means a missed "
        "change: ask GET /room/lots/{lot_id}/snapshot. Never `me` on the socket (the same bytes go to all)."
    )
    schema["not"] = {"required": ["type"]}
    return {"SnapshotFrame": schema, **definitions}


def document(site_url: str | None = None) -> dict:
    parts = urlsplit(site_url or settings.SITE_URL)
    secure = parts.scheme == "https"
    security = [
        {"$ref": "#/components/securitySchemes/bearer"},
        {"$ref": "#/components/securitySchemes/bearerSubprotocol"},
        {"$ref": "#/components/securitySchemes/session"},
    ]
    messages = {
        "snapshot": {"$ref": "#/components/messages/snapshot"},
        "time": {"$ref": "#/components/messages/time"},
        "pong": {"$ref": "#/components/messages/pong"},
        "ping": {"$ref": "#/components/messages/ping"},
    }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:seei:room",
        "info": {
            "title": "SEEI live auction room",
            "version": "1",
            "description": (
                "One socket per lot: the snapshot on connect, then every change, and the server time every "
                f"{fanout.TIME_INTERVAL:g} s. Nobody talks in the room: bids go by HTTP "
                "(POST /room/lots/{lot_id}/bids, in the OpenAPI document /api/v1/openapi.json). "
                "Who may watch: the lot's admitted bidders (as their pseudonym), the notice's buyer agents "
                "and commission members, and anyone when the lot is public or the auction closed. "
                "A personal API token acts for its membership exactly as that person's session would; "
                f"a revoked token is refused within {tokens.CACHE_SECONDS:g} s, and an open socket is closed "
                f"at its next check (every {settings.SEEI_ROOM_RECHECK_SECONDS:g} s). Never put a token in "
                "the address: addresses land in access logs and browser history. The operations are the "
                "room's: `send` is what it sends, `receive` what it accepts.\n\nClose codes: "
                + "; ".join(f"{code}: {text}" for code, text in CLOSE_CODES.items())
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "site": {
                "host": parts.netloc or "localhost",
                "protocol": "wss" if secure else "ws",
                "description": "The site's own host: the room is served beside the pages and the API.",
                "security": security,
            }
        },
        "channels": {
            "lot": {
                "address": "/room/lots/{lot_id}/ws",
                "title": "A lot's room",
                "description": "Frames are binary WebSocket messages holding UTF-8 JSON (the server's) or the "
                "text `ping` (the client's, answered by a pong). Close codes: "
                + ", ".join(str(code) for code in CLOSE_CODES),
                "parameters": {"lot_id": {"description": "The lot's id (as in the API)."}},
                "messages": messages,
                "bindings": {
                    "ws": {
                        "bindingVersion": "0.1.0",
                        "method": "GET",
                        "headers": {
                            "type": "object",
                            "properties": {
                                "Authorization": {"type": "string", "description": "`Bearer <key>`."},
                                "Sec-WebSocket-Protocol": {
                                    "type": "string",
                                    "description": f"`{tokens.SUBPROTOCOL}, {tokens.BEARER_SUBPROTOCOL}<key>` "
                                    "where a client cannot set headers (browsers); the server answers "
                                    f"`{tokens.SUBPROTOCOL}`, never the key.",
                                },
                                "X-SEEI-Language": {"type": "string", "enum": ["fr", "ar", "en"]},
                            },
                        },
                    }
                },
                "x-close-codes": {str(code): text for code, text in CLOSE_CODES.items()},
            }
        },
        "operations": {
            "roomFrames": {
                "action": "send",
                "channel": {"$ref": "#/channels/lot"},
                "summary": "The room sends the lot's snapshots, the server time and pongs.",
                "messages": [
                    {"$ref": "#/channels/lot/messages/snapshot"},
                    {"$ref": "#/channels/lot/messages/time"},
                    {"$ref": "#/channels/lot/messages/pong"},
                ],
                "security": security,
            },
            "ping": {
                "action": "receive",
                "channel": {"$ref": "#/channels/lot"},
                "summary": "The room answers a ping with a pong (keep-alive, latency).",
                "messages": [{"$ref": "#/channels/lot/messages/ping"}],
                "reply": {
                    "channel": {"$ref": "#/channels/lot"},
                    "messages": [{"$ref": "#/channels/lot/messages/pong"}],
                },
            },
        },
        "components": {
            "messages": {
                "snapshot": {
                    "name": "snapshot",
                    "title": "The lot's snapshot",
                    "summary": "On connect (unless the feed is down: a `time` frame with `live: false` first), "
                    "then after each change.",
                    "payload": {"$ref": REF + "SnapshotFrame"},
                },
                "time": {
                    "name": "time",
                    "title": "The server time",
                    "summary": "The clock of record; `live: false` while this process's feed is down "
                    "(snapshots may be stale: resync over HTTP once it is back).",
                    "payload": {"$ref": REF + "TimeFrame"},
                },
                "pong": {
                    "name": "pong",
                    "title": "The answer to a ping",
                    "payload": {"$ref": REF + "PongFrame"},
                },
                "ping": {
                    "name": "ping",
                    "title": "A ping",
                    "contentType": "text/plain",
                    "payload": {"type": "string", "const": "ping"},
                },
            },
            "schemas": {
                **_snapshot_schemas(),
                "TimeFrame": {
                    "type": "object",
                    "required": ["type", "live"],
                    "properties": {
                        "type": {"type": "string", "const": "time"},
                        "server_time": {"type": "string", "description": "Absent while the feed is down."},
                        "live": {"type": "boolean"},
                    },
                },
                "PongFrame": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"type": "string", "const": "pong"}},
                },
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (POST /api/v1/tokens), on the handshake.",
                },
                "bearerSubprotocol": {
                    "type": "httpApiKey",
                    "in": "header",
                    "name": "Sec-WebSocket-Protocol",
                    "description": f"The token as the subprotocol `{tokens.BEARER_SUBPROTOCOL}<key>`, offered "
                    f"beside `{tokens.SUBPROTOCOL}` (which the server picks).",
                },
                "session": {
                    "type": "httpApiKey",
                    "in": "cookie",
                    "name": settings.SESSION_COOKIE_NAME,
                    "description": "The site's session, from a page of the site only (its Origin is checked).",
                },
            },
        },
    }


@cache
def _encoded(site_url: str) -> bytes:
    return json.dumps(document(site_url), ensure_ascii=False, indent=1).encode()


@router.get("/asyncapi.json", include_in_schema=False, auth=None)
def asyncapi_json(request):
    """The AsyncAPI document (not an operation of the OpenAPI document: it is the socket's)."""
    return HttpResponse(_encoded(settings.SITE_URL), content_type="application/json")
