"""SEEI's permission table: every route of the site, of the API and of the room, who may use it, and at
which stage of the procedure. ``test_permissions`` holds the code to it, request by request.

It is a declaration kept apart from the code on purpose: the views, the services and the room decide
with their own rules (``role_required``, the selectors, ``bidding.access``); this table says what those
rules must give, so that a check removed or loosened anywhere shows up as a difference, and a new route
cannot ship without someone writing down who may use it.

How a route answers:
- *allowed*: the person gets past every check of who they are. A page read (GET) answers 2xx or 3xx
  (not to the login page); a change (POST, PUT, PATCH, DELETE, sent with a harmless body) may also be
  turned down for what it says or for the procedure's state (400, 405, 409, 422, with a message), which
  is not a matter of permission.
- *refused*: the login page for an anonymous visitor of the site (302 to ``/accounts/login/`` or to the
  admin's login), 401 on the API and the room for an anonymous caller, 403 for a wrong role, 404 for an
  object the person may not know of (another buyer's draft, another company's document), a socket
  closed with 4403 (or 1000 after a 404-like refusal). A refused change writes nothing.

Kinds of people (``world.KINDS``): see ``tests/security/world.py`` for who each one is. Stages
(``world.STAGES``): draft, open, sealed, admitted, live, closed, awarded. A route whose path names an
object of a procedure (notice, lot, application, award…) is checked at every stage where the object
exists; the other routes once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.security.world import KINDS, STAGES

ANYONE = frozenset(KINDS)
SIGNED_IN = ANYONE - {"anonymous"}
COMPANIES = frozenset({"company", "other_company"})
BUYERS = frozenset({"buyer", "other_buyer"})
COMMISSIONS = frozenset({"commission", "other_commission"})
ACCOUNTANTS = frozenset({"accountant", "other_accountant"})
ADMIN = frozenset({"administrator"})
# The people of the procedure itself: its buyer, its commission, its applicant.
BUYER, COMMISSION, COMPANY, ACCOUNTANT = (
    frozenset({k}) for k in ("buyer", "commission", "company", "accountant")
)

EVERY_STAGE = frozenset(STAGES)
PUBLISHED = EVERY_STAGE - {"draft"}
OPEN = frozenset({"open"})
AFTER_DEADLINE = PUBLISHED - OPEN
EXAMINED = AFTER_DEADLINE - {"sealed"}  # admission done: rooms prepared
LIVE = frozenset({"live"})
CLOSED = frozenset({"closed", "awarded"})
AWARDED = frozenset({"awarded"})


class Grants(dict):
    """kind -> the stages at which that kind is allowed; ``a | b`` adds both."""

    def __or__(self, other: Grants) -> Grants:
        merged = Grants(self)
        for kind, stages in other.items():
            merged[kind] = merged.get(kind, frozenset()) | stages
        return merged

    def allows(self, kind: str, stage: str | None) -> bool:
        stages = self.get(kind)
        return stages is not None and (stage is None or stage in stages)


def grant(kinds, at=EVERY_STAGE) -> Grants:
    return Grants({kind: frozenset(at) for kind in kinds})


NOBODY = Grants()


@dataclass(frozen=True)
class Route:
    method: str  # the request the test makes: GET, POST, PUT, PATCH, DELETE or WEBSOCKET
    allowed: Grants
    # URL parameter -> the object it names (a key of the stage's objects or of the world's common ones);
    # the usual names are in ARGS.
    args: dict = field(default_factory=dict)
    # How this route refuses besides 401/403/404 and the login page: a redirect to the page the person
    # may see instead (the room's page sends a watcher to the watch page, and the reverse).
    refused_to: str = ""
    # Answers that count as allowed besides 2xx/3xx (a health check's "not ready" is no refusal).
    answers: frozenset = frozenset()


def page(allowed, refused_to="", **args) -> Route:
    return Route("GET", allowed, args, refused_to)


def post(allowed, refused_to="", **args) -> Route:
    return Route("POST", allowed, args, refused_to)


# The objects the URL parameters name, unless a route says otherwise.
ARGS = {
    "notice_id": "tender",
    "lot_id": "lot",
    "lot_pk": "lot",
    "award_id": "award",
    "clarification_id": "clarification",
    "application_id": "application",
    "application_pk": "application",
    "receipt_id": "receipt",
    "document_id": "application_document",
    "profile_id": "profile",
    "uidb64": "uidb64",
    "token": "token",
    "slug": "guide",
    "year": "year",
    "release_id": "release",
    "ocid": "ocid",
}

T = {"pk": "tender"}  # the site's pages of a notice
A = {"pk": "award"}  # of an award

# The site (Django URL names; ``admin:`` routes are in ADMIN_MODELS below).
SITE: dict[str, Route] = {
    "set_language": post(grant(ANYONE)),
    "api:api-root": page(NOBODY),  # django-ninja's root: nothing there (404), the API is under it
    "api:openapi-json": page(grant(ANYONE)),
    "api:openapi-view": page(grant(ANYONE)),
    # API routes left out of its OpenAPI document (files of the open data)
    "api:ocds_bulk_compiled": page(grant(ANYONE)),
    "api:ocds_bulk_packages": page(grant(ANYONE)),
    "api:ocds_extension": page(grant(ANYONE)),
    "api:ocds_extension_schema": page(grant(ANYONE)),
    "api:ocds_extension_readme": page(grant(ANYONE)),
    "api:asyncapi_json": page(grant(ANYONE)),  # the room's socket, described (AsyncAPI)
    # portal
    "portal:home": page(grant(ANYONE)),
    "portal:tenders": page(grant(ANYONE)),
    "portal:tender": page(grant(ANYONE, PUBLISHED), **T),
    "portal:document": page(grant(ANYONE, PUBLISHED), **T, document_pk="tender_document"),
    "portal:ask": post(grant(COMPANIES, PUBLISHED), **T),
    "portal:results": page(grant(ANYONE)),
    "portal:dashboard": page(grant(SIGNED_IN)),
    "portal:notifications": page(grant(SIGNED_IN)),
    # accounts
    "accounts:register": page(grant(ANYONE)),
    # the link of an address already verified (the world's company): the same 400 page for anyone
    "accounts:verify": Route("GET", grant(ANYONE), answers=frozenset({400})),
    "accounts:login": page(grant(ANYONE)),
    "accounts:logout": post(grant(ANYONE)),
    "accounts:profile": page(grant(SIGNED_IN)),
    "accounts:switch": post(grant(SIGNED_IN)),
    "accounts:tokens": page(grant(SIGNED_IN)),
    # a company's first person manages its people; a buyer's only if an administrator lets it
    "accounts:people": page(grant(COMPANIES | ADMIN)),
    "accounts:organisation": page(grant(COMPANIES)),  # its managers' page
    "accounts:invitation": Route("GET", grant(ANYONE), {"key": "token"}, answers=frozenset({400})),
    "accounts:password_reset": page(grant(ANYONE)),
    "accounts:password_reset_done": page(grant(ANYONE)),
    "accounts:password_reset_confirm": page(grant(ANYONE)),
    "accounts:password_reset_complete": page(grant(ANYONE)),
    "accounts:password_change": page(grant(SIGNED_IN)),
    # the second factor: everyone signed in may reach its pages (a verified session is sent on, a company
    # may turn it on); which of them apply to whom is the second factor's own tests' business
    "accounts:second_factor": page(grant(SIGNED_IN)),
    "accounts:second_factor_setup": page(grant(SIGNED_IN)),
    "accounts:recovery_codes": page(grant(SIGNED_IN)),
    "accounts:second_factor_off": post(grant(COMPANIES)),  # the staff roles must keep it
    "audit_log": page(grant(ADMIN)),
    # the administration (the role alone, never is_staff)
    "administration:home": page(grant(ADMIN)),
    "administration:organisations": page(grant(ADMIN)),
    "administration:organisation_create": page(grant(ADMIN)),
    "administration:organisation_edit": page(grant(ADMIN), pk="organisation"),
    "administration:perimeter": page(grant(ADMIN), pk="accountant_post"),
    "administration:registrations": page(grant(ADMIN)),
    "administration:approve": post(grant(ADMIN), pk="organisation"),
    "administration:reject": post(grant(ADMIN), pk="organisation"),
    "administration:announcements": page(grant(ADMIN)),
    "administration:announcement_create": page(grant(ADMIN)),
    "administration:announcement_edit": page(grant(ADMIN), pk="announcement"),
    "administration:announcement_end": post(grant(ADMIN), pk="announcement"),
    "administration:announcement_dismiss": post(grant(ANYONE), pk="announcement"),  # for one's own session
    "ledger_key_pem": page(grant(ANYONE)),  # seei verify --site
    # the buyer's notices
    "tenders:list": page(grant(BUYERS)),
    "tenders:create": page(grant(BUYERS)),
    "tenders:manage": page(grant(BUYER), **T),
    "tenders:edit": page(grant(BUYER), **T),
    "tenders:lot_create": page(grant(BUYER), **T),
    "tenders:lot_edit": page(grant(BUYER), **T),
    "tenders:lot_delete": post(grant(BUYER), **T),
    "tenders:document_add": page(grant(BUYER), **T),
    "tenders:publish": post(grant(BUYER), **T),
    "tenders:erratum": page(grant(BUYER), **T),
    "tenders:clarifications": page(grant(BUYER), **T),
    "tenders:answer": post(grant(BUYER), pk="clarification"),
    "tenders:delete": page(grant(BUYER), **T),
    "tenders:document_remove": post(grant(BUYER), **T, document_pk="tender_document"),
    "tenders:preview": page(grant(BUYER), **T),
    "tenders:cancel": page(grant(BUYER), **T),
    "tenders:exchange_rates": page(grant(BUYER), **T),
    "tenders:copy": page(grant(BUYER), **T),
    "tenders:relaunch": page(grant(BUYER), **T, lot_pk="lot"),
    # applications and admission
    "applications:mine": page(grant(COMPANIES)),
    "applications:apply": page(grant(COMPANIES, PUBLISHED), **T),
    # a company without an application is sent back to the notice's application page, told why
    "applications:withdraw": post(grant(COMPANIES, PUBLISHED), **T),
    "applications:document": page(grant(COMPANY), pk="application_document"),
    "applications:receipt": page(grant(COMPANY), pk="receipt"),
    "applications:supply": page(grant(COMPANY), pk="document_request"),
    "applications:receipt_pdf": page(grant(COMPANY), pk="receipt"),
    "applications:commission": page(grant(BUYER), **T),
    "applications:commission_list": page(grant(COMMISSIONS)),
    # the commission named on a notice sees its examination page from the start; the applications stay
    # sealed (403) until it opens them after the deadline
    "applications:examination": page(grant(COMMISSION), **T),
    "applications:declare": post(grant(COMMISSION), **T),
    "applications:open": post(grant(COMMISSION), **T),
    "applications:request_document": post(grant(COMMISSION, EXAMINED), **T),
    "applications:approve": post(grant(COMMISSION), **T),
    "applications:decide": post(grant(COMMISSION, EXAMINED), **T),
    "applications:close": post(grant(COMMISSION), **T),
    "applications:sealed_document": page(
        grant(COMMISSION, EXAMINED), **T, document_pk="application_document"
    ),
    "applications:minutes": page(grant(BUYER | COMMISSION, EXAMINED), **T),
    # the auction
    "auctions:enter": page(grant(COMPANY | BUYER | COMMISSION, EXAMINED) | grant(ANYONE, CLOSED)),
    "auctions:room": page(grant(COMPANY, EXAMINED), refused_to="/watch/"),
    "auctions:watch": page(
        grant(BUYER | COMMISSION, EXAMINED) | grant(ANYONE - COMPANY, CLOSED), refused_to="/room/"
    ),
    "auctions:replay": page(grant(ANYONE, CLOSED)),
    "auctions:public_key": page(grant(ANYONE)),
    "auctions:incident": page(grant(ADMIN)),
    "auctions:suspend": post(grant(ADMIN)),
    "auctions:resume": post(grant(ADMIN)),
    # the award and the accountant
    "awards:list": page(grant(SIGNED_IN)),
    "awards:detail": page(grant(BUYER | COMMISSION | COMPANY), refused_to="/awards/accountant/", **A),
    "awards:submit": post(grant(COMPANY), **A),
    "awards:document": page(grant(COMMISSION | COMPANY), **A, document_pk="award_document"),
    "awards:confirm": post(grant(COMMISSION), **A),
    "awards:fail": post(grant(COMMISSION), **A),
    "awards:minutes": page(grant(BUYER | COMMISSION) | grant(ANYONE, AWARDED), **A),  # public once final
    "awards:result": page(grant(ANYONE, CLOSED)),  # the ranking by pseudonym, the companies once final
    "awards:accountant": page(grant(ACCOUNTANTS)),
    "awards:accountant_award": page(grant(ACCOUNTANT, AWARDED), **A),
    "awards:ledger": page(grant(ACCOUNTANT, AWARDED), **A),
    "awards:verify": post(grant(ACCOUNTANT, AWARDED), **A),
    "awards:visa": post(grant(ACCOUNTANT, AWARDED), **A),
    "awards:payment": post(grant(ACCOUNTANT, AWARDED), **A),
    "awards:reversal": post(grant(ACCOUNTANT, AWARDED), **A),
    "awards:accountant_document": page(grant(ACCOUNTANT, AWARDED), **A, document_pk="award_document"),
    "awards:accountant_admission_minutes": page(grant(ACCOUNTANT, AWARDED), **A),
    "awards:accountant_csv": page(grant(ACCOUNTANTS)),
    "awards:accountant_statistics": page(grant(ACCOUNTANTS)),
    # open data, red flags, practice, help, watch
    "opendata:statistics": page(grant(ANYONE)),
    "opendata:csv": page(grant(ANYONE)),
    "opendata:mine": page(grant(BUYERS | COMMISSIONS)),  # the people of a buyer organisation
    "opendata:mine_csv": page(grant(BUYERS | COMMISSIONS)),
    "redflags:list": page(grant(ANYONE)),
    "practice:home": page(grant(ANYONE)),
    "practice:start": post(grant(COMPANIES)),
    "practice:join": post(grant(COMPANIES)),
    "practice:start_procedure": post(grant(BUYERS)),
    "help:index": page(grant(ANYONE)),
    "help:contact": page(grant(ANYONE)),
    "help:guide": page(grant(ANYONE)),
    "alerts:profiles": page(grant(COMPANIES)),
    "alerts:profile_new": page(grant(COMPANIES)),
    "alerts:profile_edit": page(grant(COMPANY), pk="profile"),
    "alerts:profile_delete": post(grant(COMPANY), pk="profile"),
    "alerts:resume_emails": post(grant(COMPANIES)),
    "alerts:unsubscribe": page(grant(ANYONE), token="unsubscribe"),
    "alerts:feed": page(grant(ANYONE)),
    # the company's workspace: followed notices, receipts and documents, its admission
    "companies:followed": page(grant(COMPANIES)),
    "companies:follow": post(grant(COMPANIES, PUBLISHED), **T),  # a published real notice only
    "companies:documents": page(grant(COMPANIES)),
    "companies:bid_receipt": page(grant(COMPANY), pk="bid_entry"),
    "companies:admission": page(grant(COMPANY), pk="application"),  # sealed until the close: says so
}

# Django's admin: every route of every registered model is the platform's staff's alone; the others
# are sent to the admin's login. (What staff may change there is the admin's own business.)
ADMIN_MODELS = {
    "accounts.apitoken",
    "accounts.organisation",
    "accounts.user",
    "alerts.alert",
    "alerts.emailoptout",
    "alerts.notification",
    "alerts.watchprofile",
    "auctions.bidattempt",
    "auctions.bidder",
    "auctions.ledgerentry",
    "auctions.room",
    "auctions.suspension",
    "auth.group",
    "awards.award",
    "awards.commitment",
    "awards.payment",
    "awards.visa",
    "core.auditevent",
    "help.helprequest",
    "otp_static.staticdevice",
    "otp_totp.totpdevice",
    "procrastinate.procrastinatejob",
    "tenders.category",
    "tenders.clarification",
    "tenders.erratum",
    "tenders.interest",
    "tenders.lot",
    "tenders.region",
    "tenders.tender",
    "tenders.tenderdocument",
}

# The API (/api/v1/, its OpenAPI document's operations).
API: dict[str, Route] = {
    "GET /api/v1/categories": page(grant(ANYONE)),
    "GET /api/v1/regions": page(grant(ANYONE)),
    "GET /api/v1/notices": page(grant(ANYONE)),
    "POST /api/v1/notices": post(grant(BUYERS)),
    "GET /api/v1/notices/{notice_id}": page(grant(ANYONE, PUBLISHED)),
    "PATCH /api/v1/notices/{notice_id}": Route("PATCH", grant(BUYER)),
    "GET /api/v1/buyer/notices": page(grant(BUYERS)),
    "GET /api/v1/buyer/notices/{notice_id}": page(grant(BUYER)),
    "POST /api/v1/notices/{notice_id}/lots": post(grant(BUYER)),
    "PUT /api/v1/notices/{notice_id}/lots/{lot_id}": Route("PUT", grant(BUYER)),
    "DELETE /api/v1/notices/{notice_id}/lots/{lot_id}": Route("DELETE", grant(BUYER)),
    "POST /api/v1/notices/{notice_id}/documents": post(grant(BUYER)),
    "POST /api/v1/notices/{notice_id}/publish": post(grant(BUYER)),
    "POST /api/v1/notices/{notice_id}/errata": post(grant(BUYER)),
    "GET /api/v1/notices/{notice_id}/clarifications": page(grant(BUYER)),
    "POST /api/v1/notices/{notice_id}/clarifications": post(grant(COMPANIES, PUBLISHED)),
    "POST /api/v1/clarifications/{clarification_id}/answer": post(grant(BUYER)),
    "POST /api/v1/notices/{notice_id}/application": post(grant(COMPANIES, PUBLISHED)),
    # a company without an application is told so (400), as on the site
    "POST /api/v1/notices/{notice_id}/application/changes": post(grant(COMPANIES, PUBLISHED)),
    "POST /api/v1/notices/{notice_id}/application/withdrawal": post(grant(COMPANIES, PUBLISHED)),
    "GET /api/v1/applications": page(grant(COMPANIES)),
    "GET /api/v1/applications/invitations": page(grant(COMPANIES)),
    "GET /api/v1/applications/documents/{document_id}": page(grant(COMPANY)),
    "GET /api/v1/applications/receipts/{receipt_id}": page(grant(COMPANY)),
    "GET /api/v1/applications/receipts/{receipt_id}/pdf": page(grant(COMPANY)),
    "GET /api/v1/buyer/notices/{notice_id}/applications": page(grant(BUYER)),
    "GET /api/v1/buyer/commission-members": page(grant(BUYERS)),
    "GET /api/v1/buyer/notices/{notice_id}/commission": page(grant(BUYER)),
    "PUT /api/v1/buyer/notices/{notice_id}/commission": Route("PUT", grant(BUYER)),
    "GET /api/v1/commission/notices": page(grant(COMMISSIONS)),
    "POST /api/v1/commission/notices/{notice_id}/examination": post(grant(COMMISSION)),
    "GET /api/v1/commission/notices/{notice_id}/examination": page(grant(COMMISSION, EXAMINED)),
    "GET /api/v1/commission/notices/{notice_id}/documents/{document_id}": page(grant(COMMISSION, EXAMINED)),
    "POST /api/v1/commission/notices/{notice_id}/applications/{application_id}/decisions": post(
        grant(COMMISSION, EXAMINED)
    ),
    "POST /api/v1/commission/notices/{notice_id}/declaration": post(grant(COMMISSION)),
    "POST /api/v1/commission/notices/{notice_id}/minutes/approval": post(grant(COMMISSION)),
    "POST /api/v1/commission/notices/{notice_id}/examination/close": post(grant(COMMISSION)),
    "GET /api/v1/notices/{notice_id}/minutes": page(grant(BUYER | COMMISSION, EXAMINED)),
    "GET /api/v1/lots/{lot_id}/snapshot": page(
        grant(COMPANY | BUYER | COMMISSION, EXAMINED) | grant(ANYONE, CLOSED)
    ),
    "POST /api/v1/lots/{lot_id}/bids": post(grant(COMPANY, EXAMINED)),
    "GET /api/v1/lots/{lot_id}/ledger": page(grant(ANYONE, CLOSED)),
    "GET /api/v1/ledger/public-key": page(grant(ANYONE)),
    "POST /api/v1/auctions/suspension": post(grant(ADMIN)),
    "POST /api/v1/auctions/suspension/end": post(grant(ADMIN)),
    "GET /api/v1/awards": page(grant(SIGNED_IN)),
    "GET /api/v1/awards/{award_id}": page(grant(BUYER | COMMISSION | COMPANY) | grant(ACCOUNTANT, AWARDED)),
    "POST /api/v1/awards/{award_id}/documents": post(grant(COMPANY)),
    "POST /api/v1/awards/{award_id}/confirm": post(grant(COMMISSION)),
    "POST /api/v1/awards/{award_id}/fail": post(grant(COMMISSION)),
    "GET /api/v1/awards/{award_id}/minutes": page(grant(BUYER | COMMISSION) | grant(ANYONE, AWARDED)),
    "GET /api/v1/awards/{award_id}/verification": page(grant(ACCOUNTANT, AWARDED)),
    "POST /api/v1/awards/{award_id}/visa": post(grant(ACCOUNTANT, AWARDED)),
    "GET /api/v1/awards/{award_id}/payments": page(grant(BUYER) | grant(ACCOUNTANT, AWARDED)),
    "POST /api/v1/awards/{award_id}/payments": post(grant(ACCOUNTANT, AWARDED)),
    "GET /api/v1/lots/{lot_id}/award": page(grant(ANYONE, CLOSED)),
    "GET /api/v1/statistics": page(grant(ANYONE)),
    "GET /api/v1/buyer/statistics": page(grant(BUYERS | COMMISSIONS)),
    "GET /api/v1/practice/lots": page(grant(ANYONE)),
    "POST /api/v1/practice/lots": post(grant(COMPANIES)),
    "POST /api/v1/practice/lots/{lot_id}/join": post(NOBODY),  # a procedure's lot is no practice lot
    "POST /api/v1/practice/procedures": post(grant(BUYERS)),
    "GET /api/v1/watch-profiles": page(grant(COMPANIES)),
    "POST /api/v1/watch-profiles": post(grant(COMPANIES)),
    "GET /api/v1/watch-profiles/{profile_id}": page(grant(COMPANY)),
    "PUT /api/v1/watch-profiles/{profile_id}": Route("PUT", grant(COMPANY)),
    "DELETE /api/v1/watch-profiles/{profile_id}": Route("DELETE", grant(COMPANY)),
    "GET /api/v1/notifications": page(grant(SIGNED_IN)),
    "GET /api/v1/red-flags": page(grant(ANYONE)),
    # personal tokens: created after a login (the session here; a token alone cannot make one)
    "POST /api/v1/tokens": post(grant(SIGNED_IN)),
    "GET /api/v1/tokens": page(grant(SIGNED_IN)),
    "DELETE /api/v1/tokens/{token_id}": Route("DELETE", grant(COMPANY), {"token_id": "api_token"}),
    "GET /api/v1/ocds/releases": page(grant(ANYONE)),
    "GET /api/v1/ocds/releases/{release_id}": page(grant(ANYONE)),
    "GET /api/v1/ocds/records/{ocid}": page(grant(ANYONE)),
    # the transparency log is public; a head, a lot or a range not (yet) in it is a 404 or 400 for anyone
    **{
        f"GET /api/v1/transparency/{path}": Route("GET", grant(ANYONE), answers=frozenset({400, 404}))
        for path in ("heads/latest", "heads/{size}", "lots/{lot_id}/inclusion", "consistency", "leaves")
    },
}

# The room (seei/room/app.py), HTTP and WebSocket; a room exists once the admission is done.
IN_THE_ROOM = grant(COMPANY | BUYER | COMMISSION, EXAMINED) | grant(ANYONE, CLOSED)
ROOM: dict[str, Route] = {
    "GET /room/time": page(grant(ANYONE)),
    "GET /room/lots/{lot_id}/snapshot": page(IN_THE_ROOM),
    "GET /room/lots/{lot_id}/history": page(IN_THE_ROOM),
    "POST /room/lots/{lot_id}/bids": post(grant(COMPANY, EXAMINED)),
    "WEBSOCKET /room/lots/{lot_id}/ws": Route("WEBSOCKET", IN_THE_ROOM),
    "GET /healthz": page(grant(ANYONE)),
    "GET /readyz": Route("GET", grant(ANYONE), answers=frozenset({503})),  # no worker beats in the test
    "GET /metrics": page(NOBODY),  # for the monitoring's address or token only
}
