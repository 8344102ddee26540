"""A logged-in person changes their password: this session stays, every other one ends.

Django binds each session to a hash of the password (``get_session_auth_hash``): once the
password changes, every other session of the person is refused, by the site's pages, the API
and the room alike (``seei/room/auth.py`` checks the same hash). ``PasswordChangeView`` keeps
the current one (``update_session_auth_hash``), with a new session key. Both ways of changing a
password are audited.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from seei.core import audit


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        audit.record("account.password_changed", user, actor=user, address=audit.client_address(self.request))
        messages.success(
            self.request, _("Your password is changed. Your other sessions, on any device, are closed.")
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("account.password_reset", form.user, address=audit.client_address(self.request))
        return response
