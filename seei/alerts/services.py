"""Notify people in-app and by email, each in their own language."""

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime

from seei.alerts.models import Notification
from seei.auctions.reasons import format_amount
from seei.core import clock


class LocalTime:
    """A moment written in the language active when it becomes text: each recipient's own."""

    def __init__(self, moment):
        self.moment = moment

    def __str__(self):
        return date_format(localtime(self.moment), "DATETIME_FORMAT")


class LocalAmount:
    """An amount written for the language active when it becomes text."""

    def __init__(self, amount, currency: str):
        self.amount, self.currency = amount, currency

    def __str__(self):
        return format_amount(Decimal(self.amount), self.currency, translation.get_language())


def in_language(user, subject, body, params: dict) -> tuple[str, str]:
    """``subject`` and ``body`` (lazy translatable strings with ``{name}`` placeholders) as text in the
    user's language, the values of ``params`` too."""
    with translation.override(user.language):
        values = {key: str(value) for key, value in params.items()}
        return str(subject).format(**values), str(body).format(**values)


def can_receive_mail(user) -> bool:
    # A simulated company's person (practice) has an address in a reserved domain: no mail can reach it.
    return not user.email.endswith(".invalid")


def notify(users: Iterable, subject, body, url: str = "", **params) -> list[Notification]:
    """Each user gets ``subject`` and ``body`` in their language (``in_language``), in-app and by
    email. Emails leave only if the transaction commits."""
    created = []
    for user in {u.pk: u for u in users}.values():
        text_subject, text_body = in_language(user, subject, body, params)
        created.append(
            Notification.objects.create(
                user=user, subject=text_subject[:255], body=text_body, url=url, created_at=clock.now()
            )
        )
        if not can_receive_mail(user):
            continue
        email_body = f"{text_body}\n\n{settings.SITE_URL}{url}" if url else text_body
        transaction.on_commit(
            lambda s=text_subject, b=email_body, to=user.email: send_mail(
                s, b, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False
            )
        )
    return created


def company_users(companies):
    from seei.accounts.models import Role, User

    return User.objects.filter(
        is_active=True, memberships__organisation__in=companies, memberships__role=Role.COMPANY_MEMBER
    ).distinct()
