"""The help desk: a message from the contact page, kept, told to the administrators and mailed to the desk.

The administrators get it in-app and by email, each in their language (``notify``); the help desk's
mailbox (``SEEI_HELPDESK_EMAIL``) gets a copy it can answer directly (Reply-To: the sender). Both
emails leave only if the request is stored.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seei.accounts.models import Role, User
from seei.alerts.services import notify
from seei.core import clock
from seei.help.models import HelpRequest

HOURLY_LIMIT = 5  # messages per person (account or browser session) and hour

SUBJECT = gettext_lazy("Help request: {topic}")
BODY = gettext_lazy("{name} ({email}) wrote to the help desk:\n\n{message}")


class TooManyRequests(ValidationError):
    """The sender has reached the hourly limit: nothing is stored."""


def sender_key(user, session_key: str) -> str:
    """Who sends, as the rate limit counts them: the account, else the browser session (hashed:
    the session key opens the session, it is never stored)."""
    who = f"user:{user.pk}" if user is not None and user.is_authenticated else f"session:{session_key}"
    return hashlib.sha256(who.encode()).hexdigest()


def administrators():
    return User.objects.filter(is_active=True, memberships__role=Role.ADMINISTRATOR).distinct()


def submit(*, name: str, email: str, subject: str, message: str, sender: str, user=None, language: str):
    """Store a request for the help desk and tell the administrators; refuse past the hourly limit."""
    now = clock.now()
    with transaction.atomic():
        recent = HelpRequest.objects.filter(sender=sender, created_at__gt=now - timedelta(hours=1)).count()
        if recent >= HOURLY_LIMIT:
            raise TooManyRequests(
                _(
                    "You have already sent several messages within the hour. Please wait a little, "
                    "or call the help desk."
                ),
                code="too_many",
            )
        request = HelpRequest.objects.create(
            name=name,
            email=email,
            subject=subject,
            message=message,
            user=user if user is not None and user.is_authenticated else None,
            language=language,
            sender=sender,
            created_at=now,
        )
        texts = {"name": name, "email": email, "topic": subject, "message": message}  # notify takes "subject"
        notify(
            administrators(),
            SUBJECT,
            BODY,
            url=reverse("admin:help_helprequest_change", args=[request.pk]),
            **texts,
        )
        if settings.SEEI_HELPDESK_EMAIL:
            transaction.on_commit(lambda: _mail_desk(texts))
    return request


def _mail_desk(texts: dict) -> None:
    """The desk's copy, in the platform's language, to answer the sender straight from the mailbox."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(SUBJECT).format(**texts)[:255]
        body = str(BODY).format(**texts)
    EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [settings.SEEI_HELPDESK_EMAIL], reply_to=[texts["email"]]
    ).send()
