"""The versioned JSON API, mounted at /api/v1/ by seei/urls.py.

Each part of the procedure brings its own Router; add new ones here.
OpenAPI document: /api/v1/openapi.json, interactive docs: /api/v1/docs.
"""

from ninja import NinjaAPI

from seei.api import (
    applications,
    asyncapi,
    auctions,
    awards,
    errors,
    practice,
    room_docs,
    statistics,
    tenders,
    tokens,
)

api = NinjaAPI(
    title="SEEI API",
    version="1",
    urls_namespace="api",
    description=(
        "Public procurement by electronic reverse auction. Public operations need no authentication; "
        "the others accept a personal token (`Authorization: Bearer <key>`) or the site's session "
        "(with the CSRF token for unsafe methods). Messages follow `Accept-Language` (fr, ar, en)."
    ),
)
errors.install(api)

api.add_router("", tenders.router)
api.add_router("", applications.router)
api.add_router("", auctions.router)
api.add_router("", awards.router)
api.add_router("", statistics.router)
api.add_router("", practice.router)
api.add_router("", tokens.router)
api.add_router("", asyncapi.router)
api.add_router("", "seei.alerts.api.router")
api.add_router("", "seei.redflags.api.router")
api.add_router("", "seei.ocds.api.router")
api.add_router("", "seei.transparency.api.router")

# Last, once every router is added: the errors of every operation, documented with one schema.
errors.document(api)
room_docs.install(api)  # the room's routes (served by seei.room.app) in the same document
