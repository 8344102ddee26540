"""Every refusal as the same small JSON object, in the request's language.

``{"detail": "...", "errors": {field: [messages]}}`` for invalid data (400 when a rule of the
procedure refuses it, 422 when the request does not even have the documented shape), and
``{"detail": "..."}`` for 401, 403 and 404. Messages are turned into text here, while the
language chosen by LocaleMiddleware from Accept-Language is active.
"""

from functools import partial

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as RequestValidationError


def _invalid(api, request, errors: dict[str, list[str]], status: int, detail: str = ""):
    messages = [message for field_messages in errors.values() for message in field_messages]
    detail = detail or " ".join(messages) or _("The data is not valid.")
    return api.create_response(request, {"detail": detail, "errors": errors}, status=status)


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
    detail = str(exc) or _("You are not allowed to do this.")
    return api.create_response(request, {"detail": detail}, status=403)


def not_found(api: NinjaAPI, request, exc: Http404):
    detail = str(exc) or _("Not found.")
    return api.create_response(request, {"detail": detail}, status=404)


def unauthenticated(api: NinjaAPI, request, exc: AuthenticationError):
    response = api.create_response(
        request, {"detail": _("Authentication required: send a valid API token or log in.")}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def install(api: NinjaAPI) -> None:
    handlers = {
        DjangoValidationError: rule_refused,  # TenderError included
        RequestValidationError: malformed_request,
        PermissionDenied: forbidden,
        Http404: not_found,
        AuthenticationError: unauthenticated,
    }
    for exception, handler in handlers.items():
        api.add_exception_handler(exception, partial(handler, api))
