"""The ASGI entry point: Django for the pages and the API, the live room beside it.

Requests under ``/room/`` (the room's sockets, snapshots, bids and clock) and the API's bids
(``seei.room.api_bids``) go to the lean Starlette app of ``seei.room.app``, which never enters
Django's request cycle; everything else goes to Django. The lifespan belongs to the room app:
it opens the database pool, starts this process's one subscription to the lots' snapshots and,
on the embedded default (no ``REDIS_URL``), runs the task worker in this same process, so one
process is the site.

Serve it with ``python -m seei.room.server`` (or uvicorn with ``--ws-per-message-deflate
false``): broadcast frames are written as they are, never compressed per socket.
"""

import os

from asgiref.sync import markcoroutinefunction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seei.settings")

import django  # noqa: E402

django.setup(set_prefix=False)  # as get_asgi_application: before the room app imports models

from seei.core.uploads import SealedBodyASGIHandler  # noqa: E402

django_application = SealedBodyASGIHandler()  # a large body is spooled encrypted, never in clear

from seei.ops.endpoints import PATHS as OPS_PATHS  # noqa: E402
from seei.room.api_bids import API_BIDS_PATH  # noqa: E402
from seei.room.app import create_app  # noqa: E402

room_application = create_app(django=django_application)  # the API's bids with a token too
ROOM_PREFIX = "/room/"


@markcoroutinefunction  # a dispatcher (seei.room.headers.secured says why)
def application(scope, receive, send):
    # Django serves neither the lifespan nor sockets; the room app answers them (a socket
    # outside /room/ gets its 404 there).
    path = scope["path"] if scope["type"] == "http" else ""
    if (
        scope["type"] != "http"
        or path.startswith(ROOM_PREFIX)
        or path in OPS_PATHS
        or API_BIDS_PATH.fullmatch(path)
    ):
        return room_application(scope, receive, send)
    return django_application(scope, receive, send)
