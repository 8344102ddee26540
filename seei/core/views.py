"""View pieces shared by the apps: refusals explained to the visitor, private downloads."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _


def explained(view):
    """A refusal (PermissionDenied) is a 403 page that says why, in the visitor's language."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as refusal:
            message = str(refusal) or _("You are not allowed to see this page.")
            return render(request, "portal/forbidden.html", {"message": message}, status=403)

    return wrapped


def flash_refusal(request, error: ValidationError, about: str = ""):
    """Each message of a service's refusal at the top of the next page; ``about`` names what it
    concerns when the page shows several things (e.g. the company whose decision was refused)."""
    for message in error.messages:
        messages.error(request, f"{about}: {message}" if about else message)


def private_file(name: str, content_type: str, content: bytes) -> HttpResponse:
    """A download kept out of shared caches: sealed documents, receipts, minutes, ledgers."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response
