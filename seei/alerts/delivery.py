"""The watch alerts: who is told of an event, and sending it, in-app and by email.

``record`` turns an event (a notice published, an erratum, an answer) into one ``Alert`` row per
company concerned, inserted under the unique (company, key): a retried or duplicated job inserts
nothing more. ``deliver`` and ``send_digests`` send the rows still unsent, a batch per transaction:
the rows are locked (SKIP LOCKED, so several workers share the work), each company's people get the
alert in their own language, and a row is marked sent in the transaction that wrote its in-app
notifications, after its emails left.

An email the mail server cannot take (a refused address, a refused message) is logged and skipped:
it would fail the same way at every retry, and the alert still reaches the company in-app. A failure
to reach the server stops the batch: what was sent is marked, the rest waits for the job's retry.
Emails are sent at least once, not exactly once: when the server goes away in the middle of a
company's emails, the retry sends that company's alert again to the people who already had it.
"""

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, ngettext

from seei.accounts.models import Membership, Role
from seei.alerts import unsubscribe
from seei.alerts.matching import profiles_matching
from seei.alerts.models import Alert, Notification, WatchProfile
from seei.alerts.services import LocalTime, can_receive_mail, in_language
from seei.core import clock
from seei.tenders.models import Clarification, Erratum, Interest, Tender
from seei.tenders.selectors import public_tenders

log = logging.getLogger(__name__)

BATCH = 100  # alerts per transaction
# What the server says of one email, not of itself: the same email fails the same way at every retry.
UNDELIVERABLE = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPDataError,
    ValueError,  # an address or header the message cannot carry (sanitize_address)
)

# Recording ---------------------------------------------------------------------------------------------


def _notice_rows(tender_id: int, now: datetime) -> list[Alert]:
    tender = public_tenders().filter(pk=tender_id).first()
    if tender is None:
        return []
    matched: dict[int, list[WatchProfile]] = defaultdict(list)
    for profile in profiles_matching(tender):
        matched[profile.company_id].append(profile)
    return [
        Alert(
            company_id=company_id,
            key=f"notice:{tender.pk}",
            kind=Alert.Kind.NOTICE,
            tender=tender,
            profiles=[profile.pk for profile in profiles],
            # A company told at once by one of its profiles is not told again in a digest by another.
            digest=all(profile.frequency == WatchProfile.Frequency.DAILY for profile in profiles),
            created_at=now,
        )
        for company_id, profiles in matched.items()
    ]


def _followers(tender_id: int) -> list[int]:
    """The companies that follow the notice: downloaded its file, asked a question or applied."""
    return list(Interest.objects.filter(tender_id=tender_id).values_list("company_id", flat=True).distinct())


def _follower_rows(kind: Alert.Kind, event, now: datetime, **extra) -> list[Alert]:
    """The alerts of an event on a notice (an erratum, an answer; None: nothing to tell) to the
    companies that follow the notice."""
    if event is None:
        return []
    return [
        Alert(
            company_id=company_id,
            key=f"{kind}:{event.pk}",
            kind=kind,
            tender_id=event.tender_id,
            created_at=now,
            **extra,
        )
        for company_id in _followers(event.tender_id)
    ]


def _erratum_rows(erratum_id: int, now: datetime) -> list[Alert]:
    erratum = Erratum.objects.filter(pk=erratum_id, tender__in=Tender.objects.real()).first()
    return _follower_rows(Alert.Kind.ERRATUM, erratum, now, erratum=erratum)


def _answer_rows(clarification_id: int, now: datetime) -> list[Alert]:
    clarification = Clarification.objects.filter(
        pk=clarification_id, answered_at__isnull=False, tender__in=Tender.objects.real()
    ).first()
    return _follower_rows(Alert.Kind.ANSWER, clarification, now)


def _cancellation_rows(tender_id: int, now: datetime) -> list[Alert]:
    tender = Tender.objects.real().filter(pk=tender_id, status=Tender.Status.CANCELLED).first()
    if tender is None:
        return []
    return [
        Alert(
            company_id=company_id,
            key=f"{Alert.Kind.CANCELLATION}:{tender.pk}",
            kind=Alert.Kind.CANCELLATION,
            tender=tender,
            created_at=now,
        )
        for company_id in _followers(tender.pk)
    ]


ROWS = {
    Alert.Kind.NOTICE: _notice_rows,
    Alert.Kind.ERRATUM: _erratum_rows,
    Alert.Kind.ANSWER: _answer_rows,
    Alert.Kind.CANCELLATION: _cancellation_rows,
}


def record(kind: str, object_id: int) -> int:
    """The alerts of an event, one per company concerned; the number of companies concerned."""
    rows = ROWS[Alert.Kind(kind)](object_id, clock.now())
    Alert.objects.bulk_create(rows, ignore_conflicts=True)  # already recorded: a retry, a second worker
    return len(rows)


# Texts -----------------------------------------------------------------------------------------------

SUBJECTS = {
    Alert.Kind.NOTICE: gettext_lazy("New notice in your field: {reference}"),
    Alert.Kind.ERRATUM: gettext_lazy("Erratum {number} to notice {reference}"),
    Alert.Kind.ANSWER: gettext_lazy("A question on {reference} was answered"),
    Alert.Kind.CANCELLATION: gettext_lazy("Notice {reference} was cancelled"),
}
BODIES = {
    Alert.Kind.NOTICE: gettext_lazy("{buyer} published “{title}”. Applications close on {deadline}."),
    Alert.Kind.ERRATUM: gettext_lazy(
        "The notice “{title}” was amended: {reason}\nApplication deadline: {deadline}."
    ),
    Alert.Kind.ANSWER: gettext_lazy("An answer was published on the notice “{title}”."),
    Alert.Kind.CANCELLATION: gettext_lazy("{buyer} cancelled the notice “{title}”."),
}
DIGEST_LINE = gettext_lazy("{reference} — {title} ({buyer}). Applications close on {deadline}.")
DIGEST_INTRO = gettext_lazy("New notices matching your watch profiles:")
WHY_PROFILE = gettext_lazy(
    "You receive this email because of your watch profile “{profile}”. "
    "To receive no more emails of this profile: {link}"
)
WHY_FOLLOWED = gettext_lazy("You receive this email because your company follows this notice.")
STOP_ALL = gettext_lazy("To receive no more watch emails at all: {link}")


def _say(user, message, params: dict | None = None) -> str:
    """One translatable text, in the person's language."""
    return in_language(user, message, "", params or {})[0]


def _params(alert: Alert) -> dict:
    tender = alert.tender
    params = {"reference": tender.reference, "title": tender.title, "buyer": tender.buyer.name}
    if alert.kind == Alert.Kind.ERRATUM:
        params |= {"number": alert.erratum.number, "reason": alert.erratum.reason}
        params["deadline"] = LocalTime(alert.erratum.deadline_after)
    else:
        params["deadline"] = LocalTime(tender.application_deadline)
    return params


def _path(alert: Alert, language: str) -> str:
    with translation.override(language):
        path = reverse("portal:tender", args=[alert.tender_id])
    return path + "#clarifications" if alert.kind == Alert.Kind.ANSWER else path


def _footer(user, profiles: Iterable[WatchProfile], followed: bool) -> str:
    lines = [
        _say(user, WHY_PROFILE, {"profile": p.name, "link": unsubscribe.link(user, p)}) for p in profiles
    ]
    if followed:
        lines.append(_say(user, WHY_FOLLOWED))
    lines.append(_say(user, STOP_ALL, {"link": unsubscribe.link(user)}))
    return "\n".join(lines)


def _email(user, subject: str, body: str, profiles: list[WatchProfile]) -> EmailMessage:
    """The email of an alert due to ``profiles`` (none: a notice the company follows)."""
    footer = _footer(user, profiles, followed=not profiles)
    stop = unsubscribe.link(user, profiles[0] if len(profiles) == 1 else None)
    return EmailMessage(
        subject,
        f"{body}\n\n-- \n{footer}",
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        # One click from the mail reader (RFC 8058): a POST to the same link, which needs no login.
        headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


# Sending -------------------------------------------------------------------------------------------


@dataclass
class Outgoing:
    """What one company's alerts become: they are marked sent once all of it has gone."""

    alerts: list[Alert]
    notifications: list[Notification] = field(default_factory=list)
    emails: list[EmailMessage] = field(default_factory=list)


def _people(company_ids) -> dict[int, list]:
    people = defaultdict(list)
    memberships = Membership.objects.filter(
        organisation_id__in=set(company_ids), role=Role.COMPANY_MEMBER, user__is_active=True
    ).select_related("user")
    for membership in memberships.order_by("user_id"):
        people[membership.organisation_id].append(membership.user)
    return people


@dataclass
class Recipients:
    """What a batch needs to know of the people it tells."""

    people: dict[int, list]  # company: its people
    opted_out: set  # (person, profile or None for all)
    profiles: dict[int, WatchProfile]  # the profiles the alerts name, by id (a deleted one is missing)

    @classmethod
    def of(cls, alerts: list[Alert]) -> "Recipients":
        people = _people(alert.company_id for alert in alerts)
        users = [user.pk for members in people.values() for user in members]
        ids = {pk for alert in alerts for pk in alert.profiles}
        return cls(people, unsubscribe.opted_out(users), WatchProfile.objects.in_bulk(ids))

    def emailed(self, user, alert: Alert) -> list[WatchProfile] | None:
        """The alert's profiles whose emails the person still wants ([] for a followed notice's
        alert); None when the person gets no email of it."""
        if not can_receive_mail(user) or (user.pk, None) in self.opted_out:
            return None
        if alert.kind != Alert.Kind.NOTICE:
            return []
        wanted = [
            self.profiles[pk]
            for pk in alert.profiles
            if pk in self.profiles and (user.pk, pk) not in self.opted_out
        ]
        return wanted or None


def _one_alert(alert: Alert, recipients: Recipients, now: datetime) -> Outgoing:
    out = Outgoing([alert])
    params = _params(alert)
    for user in recipients.people[alert.company_id]:
        subject, body = in_language(user, SUBJECTS[alert.kind], BODIES[alert.kind], params)
        path = _path(alert, user.language)
        out.notifications.append(
            Notification(user=user, subject=subject[:255], body=body, url=path, created_at=now)
        )
        profiles = recipients.emailed(user, alert)
        if profiles is not None:
            out.emails.append(_email(user, subject, f"{body}\n{settings.SITE_URL}{path}", profiles))
    return out


def _digest(alerts: list[Alert], recipients: Recipients, now: datetime) -> Outgoing:
    out = Outgoing(alerts)
    for user in recipients.people[alerts[0].company_id]:
        with translation.override(user.language):
            subject = ngettext(
                "Your watch digest: {count} new notice", "Your watch digest: {count} new notices", len(alerts)
            ).format(count=len(alerts))
            dashboard = reverse("portal:dashboard")
        intro = _say(user, DIGEST_INTRO)
        lines = [_say(user, DIGEST_LINE, _params(alert)) for alert in alerts]
        body = "\n".join([intro, *(f"• {line}" for line in lines)])
        out.notifications.append(
            Notification(user=user, subject=subject, body=body, url=dashboard, created_at=now)
        )
        # By email, the notices of the profiles whose emails the person still wants.
        emailed = [
            (alert, line, recipients.emailed(user, alert)) for alert, line in zip(alerts, lines, strict=True)
        ]
        emailed = [(alert, line, profiles) for alert, line, profiles in emailed if profiles]
        if emailed:
            text = "\n\n".join(
                [
                    intro,
                    *(
                        f"• {line}\n{settings.SITE_URL}{_path(alert, user.language)}"
                        for alert, line, _ in emailed
                    ),
                ]
            )
            profiles = list({p.pk: p for _, _, named in emailed for p in named}.values())
            out.emails.append(_email(user, subject, text, profiles))
    return out


def _send_one(connection, message: EmailMessage, group: Outgoing) -> None:
    try:
        connection.send_messages([message])
    except UNDELIVERABLE as error:
        alerts = [alert.pk for alert in group.alerts]
        log.warning("Watch email of alerts %s not sent, not to be retried: %r", alerts, error)


def _send(groups: list[Outgoing], now: datetime) -> tuple[list[Outgoing], Exception | None]:
    """Inside the caller's transaction: emails first, one by one, then the notifications and the mark,
    group by group. An email the server cannot take is skipped (``UNDELIVERABLE``); any other failure
    (the server unreachable or gone) stops here, raised after the caller commits what was sent."""
    sent: list[Outgoing] = []
    failure = None
    with get_connection() as connection:  # one connection for the batch
        for group in groups:
            try:
                for message in group.emails:
                    _send_one(connection, message, group)
            except Exception as error:  # noqa: BLE001 - the transport failed: keep what left, retry the rest
                failure = error
                break
            sent.append(group)
    Notification.objects.bulk_create([n for group in sent for n in group.notifications])
    Alert.objects.filter(pk__in=[a.pk for group in sent for a in group.alerts]).update(sent_at=now)
    return sent, failure


def _locked(queryset) -> list[Alert]:
    related = ("tender__buyer", "erratum")
    return list(queryset.select_for_update(skip_locked=True, of=("self",)).select_related(*related))


def deliver_batch() -> int:
    """Send at most ``BATCH`` alerts that go at once; the number sent."""
    now = clock.now()
    with transaction.atomic():
        alerts = _locked(Alert.objects.filter(sent_at=None, digest=False).order_by("id")[:BATCH])
        recipients = Recipients.of(alerts)
        groups = [_one_alert(alert, recipients, now) for alert in alerts]
        sent, failure = _send(groups, now)
    if failure is not None:
        raise failure
    return len(sent)


def deliver() -> int:
    """Every alert that goes at once, batch after batch; the number sent."""
    total = 0
    while sent := deliver_batch():
        total += sent
    return total


def start_of_day(moment: datetime) -> datetime:
    """Midnight of the moment's day, where the platform is (its time zone)."""
    local = timezone.localtime(moment)
    return timezone.make_aware(datetime.combine(local.date(), time()), local.tzinfo)


def send_digests() -> int:
    """Each company's digest of the alerts recorded before today; the number of digests sent. A
    company's alerts of a day wait for the day's end, then go in one message per person."""
    now = clock.now()
    waiting = Alert.objects.filter(sent_at=None, digest=True, created_at__lt=start_of_day(now))
    companies = list(waiting.order_by("company_id").values_list("company_id", flat=True).distinct())
    digests = 0
    for start in range(0, len(companies), BATCH):
        chunk = companies[start : start + BATCH]
        with transaction.atomic():
            alerts = _locked(waiting.filter(company_id__in=chunk).order_by("company_id", "created_at", "id"))
            by_company = defaultdict(list)
            for alert in alerts:
                by_company[alert.company_id].append(alert)
            recipients = Recipients.of(alerts)
            groups = [_digest(rows, recipients, now) for rows in by_company.values()]
            sent, failure = _send(groups, now)
            digests += len(sent)
        if failure is not None:
            raise failure
    return digests
