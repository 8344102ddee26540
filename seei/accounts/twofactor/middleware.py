from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from seei.accounts.twofactor import services

# What a person who still owes the second factor may reach: the second factor's own pages, logging
# out and the language switcher. The API answers such a session 401 itself (seei/api/auth.py); its
# personal tokens are not sessions and are not affected.
OPEN_URL_NAMES = ("second_factor", "second_factor_setup", "logout")


class SecondFactorMiddleware:
    """Sends a logged-in person who owes a second factor (by role, or by choice) to give it, or to
    enrol, before any other page, /admin/ included. After django-otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not self._open(request) and services.pending(request):
            target = (
                "accounts:second_factor"
                if services.enrolled(request.user)
                else "accounts:second_factor_setup"
            )
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(request) -> bool:
        path = request.path_info
        if path.startswith(("/api/", "/static/")) or path == reverse("set_language"):
            return True
        match = getattr(request, "resolver_match", None)
        if match is None:
            from django.urls import Resolver404, resolve

            try:
                match = resolve(path)
            except Resolver404:
                return False
        return match.namespace == "accounts" and match.url_name in OPEN_URL_NAMES
