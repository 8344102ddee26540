"""``/healthz``, ``/readyz`` and ``/metrics``: routes of the room app (every ASGI process), and a
WSGI wrapper giving the page processes (gunicorn) the first two. None enters Django's request cycle,
so they answer while the database is down.

``/readyz`` tells anyone whether the process is ready (its status and ``{"ready": ...}``), but its
report (each dependency, its errors and the job counts) and ``/metrics`` only to a client of
``settings.SEEI_OPS_TRUSTED`` (addresses or networks; loopback by default): they name hosts, ports and
the platform's activity. A request relayed by a proxy is judged by every address it passed through
(``X-Forwarded-For``), so a proxy on this machine does not make the public trusted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from seei.ops import health

NO_STORE = {"Cache-Control": "no-store"}
PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # served beside /room/ (``seei.asgi``)


@lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"SEEI_OPS_TRUSTED: {error}") from error


def _address_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:  # not an address: a unix socket's peer, a name, a port left on
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def trusted(peer: str | None, forwarded_for: str | None = None) -> bool:
    """Whether the client at ``peer`` (and, when relayed, every address of ``forwarded_for``) may read
    the readiness report and the metrics."""
    networks = _networks(tuple(settings.SEEI_OPS_TRUSTED))
    relayed = [address for address in (forwarded_for or "").split(",") if address.strip()]
    return all(_address_trusted(address, networks) for address in [peer or "", *relayed])


def _trusted_request(request: Request) -> bool:
    return trusted(request.client.host if request.client else None, request.headers.get("x-forwarded-for"))


def _readiness_answer(ready: bool, report: dict, full: bool) -> tuple[int, dict]:
    return (200 if ready else 503), (report if full else {"ready": ready})


async def healthz(request: Request) -> Response:
    """Alive: the process answers. Nothing else is touched (a supervisor restarts it when it does not)."""
    return PlainTextResponse("ok", headers=NO_STORE)


async def readyz(request: Request) -> Response:
    status, body = _readiness_answer(*await health.readiness(), full=_trusted_request(request))
    return JSONResponse(body, status, headers=NO_STORE)


async def metrics(request: Request) -> Response:
    from seei.ops import metrics as process_metrics

    if not _trusted_request(request):
        return Response(status_code=403, headers=NO_STORE)
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
            full = trusted(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"))
            # A loop of its own, in this request's thread.
            status, body = _readiness_answer(*asyncio.run(health.readiness()), full=full)
            start_response(
                "200 OK" if status == 200 else "503 Service Unavailable",
                [("Content-Type", "application/json"), *NO_STORE.items()],
            )
            return [json.dumps(body).encode()]
        return application(environ, start_response)

    return wrapped
