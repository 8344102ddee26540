"""Notify people in-app and by email, each in their own language."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

from seei.alerts.models import Notification
from seei.core import clock


def notify(users: Iterable, subject, body, url: str = "", **params) -> list[Notification]:
    """``subject`` and ``body`` are lazy translatable strings with ``{name}`` placeholders;
    each user gets them in their language. Emails leave only if the transaction commits."""
    created = []
    for user in {u.pk: u for u in users}.values():
        with translation.override(user.language):
            values = {key: str(value) for key, value in params.items()}
            text_subject = str(subject).format(**values)
            text_body = str(body).format(**values)
        created.append(
            Notification.objects.create(
                user=user, subject=text_subject[:255], body=text_body, url=url, created_at=clock.now()
            )
        )
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
