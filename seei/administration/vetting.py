"""Vetting of self-registered companies: the queue, what is checked about each, and the decision.

Approval is ``accounts.services.approve_company`` (the one way a company stops being pending, audited
there); this module checks first, records the decision and tells the company's people by email, in
their own language. A rejected company stays pending (it may log in, never apply) and is told the
reason by email; an administrator may still approve it later from the rejected list.

The ICE is checked for its format (15 digits) and against the companies already checked (the database
refuses two checked companies with one ICE: ``unique_checked_ice``). No check-digit rule is applied:
none is documented for the ICE.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from seei.accounts import services as accounts
from seei.accounts.models import Organisation, Role
from seei.administration.models import RegistrationReview
from seei.core import audit, clock

ICE_FORMAT = re.compile(r"^[0-9]{15}$")
MAX_REASON = 2000


def _rejected():
    return RegistrationReview.objects.filter(
        organisation=OuterRef("pk"), decision=RegistrationReview.Decision.REJECTED
    )


def pending_companies():
    """The registrations waiting for a check, oldest first."""
    return (
        Organisation.objects.filter(kind=Organisation.Kind.COMPANY, pending=True)
        .exclude(Exists(_rejected()))
        .order_by("created_at", "pk")
    )


def rejected_companies():
    return (
        Organisation.objects.filter(kind=Organisation.Kind.COMPANY, pending=True)
        .filter(Exists(_rejected()))
        .order_by("-created_at", "-pk")
    )


@dataclass
class Check:
    """What the administrator sees about one registration's identifier."""

    organisation: Organisation
    ice_well_formed: bool | None  # None: no ICE (a foreign company, identified by its national number)
    duplicates: list = field(default_factory=list)  # checked companies with the same ICE
    review: RegistrationReview | None = None  # the last decision, if any

    @property
    def approvable(self) -> bool:
        return self.ice_well_formed is not False and not self.duplicates


def duplicates_of(organisation: Organisation) -> list[Organisation]:
    if not organisation.ice:
        return []
    return list(
        Organisation.objects.filter(ice=organisation.ice, pending=False)
        .exclude(pk=organisation.pk)
        .order_by("pk")
    )


def check(organisation: Organisation) -> Check:
    return Check(
        organisation=organisation,
        ice_well_formed=bool(ICE_FORMAT.match(organisation.ice)) if organisation.ice else None,
        duplicates=duplicates_of(organisation),
        review=organisation.registration_reviews.first(),
    )


def approve(membership, organisation: Organisation) -> None:
    """Approve the registration; refused, with the reason, when the ICE is malformed or already taken."""
    if organisation.kind != Organisation.Kind.COMPANY or not organisation.pending:
        raise ValidationError(_("%(name)s is not waiting for a check.") % {"name": organisation.name})
    found = check(organisation)
    if found.ice_well_formed is False:
        raise ValidationError(
            _("%(name)s: the ICE %(ice)s is not made of 15 digits; it cannot be approved.")
            % {"name": organisation.name, "ice": organisation.ice}
        )
    if found.duplicates:
        raise ValidationError(
            _(
                "%(name)s cannot be approved: the ICE %(ice)s already belongs to the checked company "
                "%(other)s. Reject this registration, or correct the ICE first."
            )
            % {"name": organisation.name, "ice": organisation.ice, "other": found.duplicates[0].name}
        )
    with transaction.atomic():
        accounts.approve_company(organisation, membership.user)  # audited; refuses a duplicate too
        _decide(membership, organisation, RegistrationReview.Decision.APPROVED, "")


def reject(membership, organisation: Organisation, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the registration is rejected: the company will be told.")}
        )
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"reason": _("The reason is too long (at most %(max)s characters).") % {"max": MAX_REASON}}
        )
    if organisation.kind != Organisation.Kind.COMPANY or not organisation.pending:
        raise ValidationError(_("%(name)s is not waiting for a check.") % {"name": organisation.name})
    with transaction.atomic():
        audit.record(
            "company.rejected",
            organisation,
            actor=membership.user,
            organisation=organisation,
            reason=reason,
            ice=organisation.ice or "",
            national_registration=organisation.national_registration,
        )
        _decide(membership, organisation, RegistrationReview.Decision.REJECTED, reason)


def _decide(membership, organisation, decision, reason) -> None:
    review = RegistrationReview.objects.create(
        organisation=organisation,
        decision=decision,
        reason=reason,
        decided_by=membership.user,
        decided_at=clock.now(),
    )
    _tell_members(review)


def _tell_members(review: RegistrationReview) -> None:
    """Each of the company's people is told, in their language, once the decision is committed."""
    members = review.organisation.memberships.filter(role=Role.COMPANY_MEMBER).select_related("user")
    for membership in members:
        user = membership.user
        with translation.override(user.language):
            context = {
                "user": user,
                "organisation": review.organisation,
                "review": review,
                "approved": review.decision == RegistrationReview.Decision.APPROVED,
                "login": settings.SITE_URL + reverse("accounts:login"),
                "contact": settings.SITE_URL + reverse("help:contact"),
            }
            subject = "".join(
                render_to_string("administration/registration_decision_subject.txt", context).splitlines()
            )
            body = render_to_string("administration/registration_decision_email.txt", context)
        transaction.on_commit(
            lambda subject=subject, body=body, to=user.email: send_mail(
                subject, body, settings.DEFAULT_FROM_EMAIL, [to]
            )
        )
