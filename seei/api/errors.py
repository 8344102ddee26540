"""Every error as the same small JSON object (``schemas.Error``), in the request's language, and
documented once for every operation.

``{"detail": "...", "errors": {field: [messages]}}`` for invalid data (400 when a rule of the
procedure refuses it or the body cannot be read, 422 when the request does not have the documented
shape), ``{"detail": "..."}`` for 401, 403 and 404, and ``{"detail": "...", "reason": ...}`` with a
503 when the database cannot answer for now. Messages are turned into text here, while the language
chosen by LocaleMiddleware from Accept-Language is active.
"""

from functools import partial

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.params.models import PathModel
from psycopg import Error as PsycopgError

from seei.api.schemas import Error
from seei.auctions import bidding

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _refusal(api, request, status: int, detail: str, **extra):
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def _invalid(api, request, errors: dict[str, list[str]], status: int, detail: str = ""):
    messages = [message for field_messages in errors.values() for message in field_messages]
    detail = detail or " ".join(messages) or _("The data is not valid.")
    return _refusal(api, request, status, detail, errors=errors)


def rule_refused(api: NinjaAPI, request, exc: DjangoValidationError):
    """TenderError and any Django ValidationError: the procedure's rules said no."""
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    else:
        errors = {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}
    return _invalid(api, request, errors, status=400)


def _location(loc) -> str:
    # ("body", "payload", "lots", 0, "title") -> "lots.0.title"; ("query", "page") -> "page"
    parts = [str(part) for part in loc[1:]]
    if loc and loc[0] in ("body", "form", "file") and len(parts) > 1:
        parts = parts[1:]  # the name of the Python parameter means nothing to the client
    return ".".join(parts) or NON_FIELD_ERRORS


def malformed_request(api: NinjaAPI, request, exc: RequestValidationError):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_location(error.get("loc", ())), []).append(error.get("msg", ""))
    return _invalid(
        api, request, errors, status=422, detail=_("The request does not have the expected shape.")
    )


def forbidden(api: NinjaAPI, request, exc: PermissionDenied):
    return _refusal(api, request, 403, str(exc) or _("You are not allowed to do this."))


def not_found(api: NinjaAPI, request, exc: Http404):
    return _refusal(api, request, 404, str(exc) or _("Not found."))


def unauthenticated(api: NinjaAPI, request, exc: AuthenticationError):
    response = _refusal(api, request, 401, _("Authentication required: send a valid API token or log in."))
    response["WWW-Authenticate"] = "Bearer"
    return response


def unreadable(api: NinjaAPI, request, exc: Exception):
    """A body that is not JSON, or a form Django cannot parse (or too large)."""
    detail = _("The request body cannot be read.")
    return _invalid(api, request, {NON_FIELD_ERRORS: [detail]}, status=400, detail=detail)


def too_large(api: NinjaAPI, request, exc: RequestDataTooBig):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: the API's JSON error, saying the limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    detail = _("The request body is too large: at most %(size)s bytes.") % {"size": limit}
    return _invalid(api, request, {NON_FIELD_ERRORS: [detail]}, status=400, detail=detail)


def ninja_refused(api: NinjaAPI, request, exc: HttpError):
    """django-ninja's own refusals: a body that is not JSON (400), the session's CSRF check (403)."""
    if exc.status_code == 400:
        return unreadable(api, request, exc)
    if exc.status_code == 403:  # ninja's message is English only
        detail = _("The CSRF check failed: send the X-CSRFToken header with the session cookie.")
        return _refusal(api, request, 403, detail)
    return _refusal(api, request, exc.status_code, str(exc))


def unavailable(api: NinjaAPI, request, exc: Exception):
    """The database did not answer (an outage, a lot locked by a holder gone silent): a 503 the client
    may retry (a bid's request id is never counted twice); any other database error stays a 500."""
    failure = bidding.unavailable(exc) or bidding.unavailable(exc.__cause__)  # Django wraps psycopg
    if failure is None:
        raise exc
    response = _refusal(api, request, 503, failure.message(), reason=failure.reason)
    response["Retry-After"] = str(failure.retry_after)  # the same answer as the room's
    return response


def install(api: NinjaAPI) -> None:
    handlers = {
        DjangoValidationError: rule_refused,  # TenderError included
        RequestValidationError: malformed_request,
        PermissionDenied: forbidden,
        Http404: not_found,
        AuthenticationError: unauthenticated,
        HttpError: ninja_refused,
        BadRequest: unreadable,
        MultiPartParserError: unreadable,
        RequestDataTooBig: too_large,
        TooManyFieldsSent: unreadable,
        TooManyFilesSent: unreadable,
        bidding.Unavailable: unavailable,
        PsycopgError: unavailable,
        DatabaseError: unavailable,
    }
    for exception, handler in handlers.items():
        api.add_exception_handler(exception, partial(handler, api))


# Documentation -----------------------------------------------------------------------------------------


def possible_errors(operation) -> list[int]:
    """The error statuses an operation can answer, from what it takes and who may call it."""
    statuses = []
    if operation.models or UNSAFE_METHODS.intersection(operation.methods):
        statuses.append(400)  # a rule of the procedure refused, or the body could not be read
    if operation.auth_callbacks:
        statuses += [401, 403]
    if any(issubclass(model, PathModel) for model in operation.models):
        statuses.append(404)
    if operation.models:
        statuses.append(422)
    statuses.append(503)
    return statuses


def document(api: NinjaAPI) -> None:
    """Declare on every operation of ``api`` (its routers added) the errors it can answer, all with the
    one ``Error`` schema (an operation's own declaration of a status, the bid's 400, is kept), and
    which operations anyone may call without credentials. Uses ninja's bound operations (1.x)."""
    for router in api._get_bound_routers():
        for view in router.path_operations.values():
            for operation in view.operations:
                error = operation._create_response_model(Error)
                for status in possible_errors(operation):
                    operation.response_models.setdefault(status, error)
                operation.response_models = dict(sorted(operation.response_models.items(), key=_status))
                if any(not hasattr(auth, "openapi_security_schema") for auth in operation.auth_callbacks):
                    # A plain function among the authentications (auctions.WATCH_AUTH) lets anyone in:
                    # ninja adds this `{}` (no credentials) to the operation's security requirements.
                    operation.openapi_extra = {**(operation.openapi_extra or {}), "security": [{}]}


def _status(item) -> int:
    status = item[0]
    return status if isinstance(status, int) else 999
