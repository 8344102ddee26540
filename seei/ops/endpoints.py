"""``/healthz``, ``/readyz`` and ``/metrics``: routes of the room app (every ASGI process), and a
WSGI wrapper giving the page processes (gunicorn) the first two. None enters Django's request cycle,
so they answer while the database is down."""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from seei.ops import health

NO_STORE = {"Cache-Control": "no-store"}
PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # served beside /room/ (``seei.asgi``)


async def healthz(request: Request) -> Response:
    """Alive: the process answers. Nothing else is touched (a supervisor restarts it when it does not)."""
    return PlainTextResponse("ok", headers=NO_STORE)


async def readyz(request: Request) -> Response:
    ready, report = await health.readiness()
    return JSONResponse(report, 200 if ready else 503, headers=NO_STORE)


async def metrics(request: Request) -> Response:
    from seei.ops import metrics as process_metrics

    _check, figures = await health.check_database()
    body, content_type = process_metrics.render(figures, request.headers.get("accept"))
    return Response(body, headers={**NO_STORE, "Content-Type": content_type})


ROUTES = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]


def with_health(application):
    """The WSGI application, with ``/healthz`` and ``/readyz`` answered before Django (page processes)."""

    def wrapped(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), *NO_STORE.items()])
            return [b"ok"]
        if path == "/readyz":
            ready, report = asyncio.run(health.readiness())  # a loop of its own, in this request's thread
            status = "200 OK" if ready else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), *NO_STORE.items()])
            return [json.dumps(report).encode()]
        return application(environ, start_response)

    return wrapped
