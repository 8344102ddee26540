# ruff: noqa: F811
"""The room in the API's documents: its HTTP routes in the OpenAPI document (the room's real answers
match the documented schemas), and its socket in the AsyncAPI 3.0 document, which describes every
frame type the code emits (found in the code itself) and which real frames match.

No package on PyPI ships the official AsyncAPI 3.0 JSON schema, so its required structure is checked
here (the fields the specification requires, every reference resolving, every payload a valid JSON
Schema); the payloads themselves are validated with jsonschema.
"""

import ast
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

import seei.room
from seei.room import fanout, tokens
from seei.room.app import create_app
from tests.api.conftest import ApiClient, token_for

# The room's fixtures, shared with this module (pytest finds imported fixtures; ruff sees redefinitions).
from tests.room.conftest import lot, open_room, room  # noqa: F401

ROOM_SOURCES = Path(seei.room.__file__).parent


def validator(document: dict, name: str) -> Draft202012Validator:
    """A validator of ``#/components/schemas/<name>`` with the document's other schemas resolvable."""
    return Draft202012Validator(
        {"components": document["components"], "$ref": f"#/components/schemas/{name}"}
    )


def resolve(document: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


# --- OpenAPI --------------------------------------------------------------------------------------


@pytest.fixture
def openapi(db):
    return ApiClient().get("/openapi.json").json()


def test_the_room_routes_and_their_header_are_in_the_openapi_document(openapi):
    paths = openapi["paths"]
    bid = paths["/room/lots/{lot_id}/bids"]["post"]

    assert {"/room/time", "/room/lots/{lot_id}/snapshot", "/room/lots/{lot_id}/history"} <= set(paths)
    assert "/room/lots/{lot_id}/ws" in paths
    header = next(p for p in bid["parameters"] if p["in"] == "header" and p["name"].lower() == "x-seei-room")
    assert header["required"] is True
    assert bid["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RoomBidIn"
    }
    assert set(bid["responses"]) == {"201", "400", "401", "403", "404", "409", "422", "429", "503"}
    assert {"TokenAuth": []} in bid["security"]
    for ref in refs(openapi):
        resolve(openapi, ref)  # every reference of the document resolves, the room's included
    assert "asyncapi.json" in openapi["info"]["description"]  # the docs page links the socket's document


@pytest.mark.django_db(transaction=True)
def test_the_rooms_real_answers_match_the_documented_schemas(open_room, lot, company, settings):
    from seei.api.urls import api

    settings.REDIS_URL = ""
    tokens.forget_all()
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    key = token_for(company)
    bearer = {"authorization": f"Bearer {key}"}
    with TestClient(create_app(in_process_worker=False), base_url="http://testserver") as client:
        answers = {
            ("RoomTime", 200): client.get("/room/time"),
            ("SnapshotOut", 200): client.get(f"/room/lots/{lot.pk}/snapshot", headers=bearer),
            ("RoomHistory", 200): client.get(f"/room/lots/{lot.pk}/history", headers=bearer),
            ("RoomBidOut", 201): client.post(
                f"/room/lots/{lot.pk}/bids",
                json={"amount": "590000", "request_id": "doc-1"},
                headers={**bearer, "x-seei-room": "bid"},
            ),
            ("RoomBidOut", 422): client.post(
                f"/room/lots/{lot.pk}/bids",
                json={"amount": "700000", "request_id": "doc-2"},
                headers={**bearer, "x-seei-room": "bid"},
            ),
            ("RoomRefusal", 403): client.post(
                f"/room/lots/{lot.pk}/bids", json={"amount": "1", "request_id": "doc-3"}, headers=bearer
            ),
            ("RoomRefusal", 401): client.get(
                f"/room/lots/{lot.pk}/snapshot", headers={"authorization": "Bearer wrong"}
            ),
        }
    for (name, status), response in answers.items():
        assert response.status_code == status, (name, response.text)
        documented = document["paths"]
        assert any(
            str(status) in operation.get("responses", {})
            for item in documented.values()
            for operation in item.values()
            if isinstance(operation, dict) and operation.get("x-served-by") == "room"
        )
        errors = [error.message for error in validator(document, name).iter_errors(response.json())]
        assert not errors, (name, status, errors)


# --- AsyncAPI -------------------------------------------------------------------------------------


@pytest.fixture
def asyncapi(db):
    response = ApiClient().get("/asyncapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def frame_types_in_the_code() -> set[str]:
    """The ``type`` of every JSON frame the room's code writes: dict literals with a constant ``type``
    (``{"type": "time", ...}``) and encoded frames (``b'{"type":"pong"}'``). ASGI's own messages
    (``websocket.send``, ``http.response.start``: dotted) are not frames."""
    found = set()
    for source in ROOM_SOURCES.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "type"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and "." not in value.value
                    ):
                        found.add(value.value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, bytes):
                found.update(t.decode() for t in re.findall(rb'"type":"([a-z_]+)"', node.value))
    return found


def documented_types(asyncapi: dict) -> set[str]:
    types = set()
    for message in asyncapi["components"]["messages"].values():
        payload = message["payload"]
        if "$ref" in payload:
            payload = resolve(asyncapi, payload["$ref"])
        kind = payload.get("properties", {}).get("type", {}).get("const")
        if kind:
            types.add(kind)
    return types


def test_every_frame_type_the_code_emits_is_described(asyncapi):
    emitted = frame_types_in_the_code()

    assert {"time", "pong"} <= emitted  # the scan finds them (a scan that finds nothing proves nothing)
    assert emitted <= documented_types(asyncapi)


@pytest.mark.django_db(transaction=True)
def test_real_frames_match_exactly_one_message_the_room_sends(
    asyncapi, open_room, lot, company, settings, clock
):
    settings.REDIS_URL = ""
    tokens.forget_all()
    key = token_for(company)
    with TestClient(create_app(in_process_worker=False), base_url="http://testserver") as client:
        with client.websocket_connect(
            f"/room/lots/{lot.pk}/ws", headers={"authorization": f"Bearer {key}"}
        ) as ws:
            snapshot = ws.receive_bytes()
            ws.send_text("ping")
            pong = ws.receive_bytes()
            while json.loads(pong).get("type") != "pong":
                pong = ws.receive_bytes()
    frames = [snapshot, pong, fanout.FEED_DOWN, fanout.time_frame(clock.now()), fanout.PONG.data]
    sent = asyncapi["operations"]["roomFrames"]
    assert sent["action"] == "send"
    schemas = {}
    for ref in sent["messages"]:
        message = resolve(asyncapi, ref["$ref"])
        if "$ref" in message:
            message = resolve(asyncapi, message["$ref"])
        payload = message["payload"]
        schemas[message["name"]] = Draft202012Validator({"components": asyncapi["components"], **payload})
    for frame in frames:
        data = json.loads(frame)
        matching = [name for name, check in schemas.items() if check.is_valid(data)]
        assert len(matching) == 1, (data, matching)
    assert [name for name, check in schemas.items() if check.is_valid(json.loads(snapshot))] == ["snapshot"]


def test_the_document_has_the_structure_of_asyncapi_3(asyncapi):
    assert asyncapi["asyncapi"] == "3.0.0"
    assert asyncapi["info"]["title"] and asyncapi["info"]["version"]
    for server in asyncapi["servers"].values():
        assert server["host"] and server["protocol"] in ("ws", "wss")
        assert "://" not in server["host"]  # 3.0: host and protocol apart, no URL
    for channel in asyncapi["channels"].values():
        assert channel["address"].startswith("/")
        for name in re.findall(r"{(\w+)}", channel["address"]):
            assert name in channel["parameters"]  # every parameter of the address is described
    for operation in asyncapi["operations"].values():
        assert operation["action"] in ("send", "receive")
        channel = resolve(asyncapi, operation["channel"]["$ref"])
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")  # the channel's own
    for ref in refs(asyncapi):
        resolve(asyncapi, ref)
    for message in asyncapi["components"]["messages"].values():
        payload = message["payload"]
        Draft202012Validator.check_schema(
            payload if "$ref" not in payload else resolve(asyncapi, payload["$ref"])
        )
    for scheme in asyncapi["components"]["securitySchemes"].values():
        assert scheme["type"] in {
            "userPassword",
            "apiKey",
            "X509",
            "symmetricEncryption",
            "asymmetricEncryption",
            "httpApiKey",
            "http",
            "oauth2",
            "openIdConnect",
            "plain",
            "scramSha256",
            "scramSha512",
            "gssapi",
        }
        if scheme["type"] == "httpApiKey":
            assert scheme["in"] in ("query", "header", "cookie") and scheme["name"]
    assert channel["messages"]
