"""Signed, expiring links that prove a person controls their email address."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from seei.core import clock


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Like Django's password-reset tokens (valid PASSWORD_RESET_TIMEOUT seconds), but the hash
    covers ``email_verified``: a link stops working once used, or if the email changes."""

    key_salt = "seei.accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified}{timestamp}"

    def _now(self):
        # The one clock of SEEI (naive, as Django's generator expects), so tests can expire links.
        return clock.now().replace(tzinfo=None)


email_verification_token = EmailVerificationTokenGenerator()
