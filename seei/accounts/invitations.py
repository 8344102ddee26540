"""Invitations by email to act for an organisation in a role.

A manager (or an administrator) invites an address with a role its organisation's kind allows
(``people.grantable_roles``). The email carries a one-time link, valid ``VALID_FOR``; only the key's hash
is stored. Whoever opens it: a new person sets their name and password and gets an account (the link
proved the mailbox: the email is verified) with the membership; the owner of an existing account with
that address accepts once logged in. Pending invitations can be revoked. Everything is audited.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from seei.accounts import people
from seei.accounts.api_auth import hash_key
from seei.accounts.models import MemberInvitation, Membership, Organisation, User
from seei.core import audit, clock

VALID_FOR = timedelta(days=7)


def pending(actor: Membership, organisation: Organisation | None = None):
    """The invitations not yet accepted, revoked or expired that ``actor`` may see."""
    selected = MemberInvitation.objects.filter(
        organisation__in=people.organisations_managed(actor),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
    ).select_related("organisation", "invited_by")
    if organisation is not None:
        selected = selected.filter(organisation=organisation)
    return selected


def invite(
    actor: Membership, organisation: Organisation, email: str, role: str, language: str
) -> MemberInvitation:
    """Invite ``email`` to act for ``organisation`` as ``role``, and send the link (after the commit)."""
    people._check(actor, organisation)
    email = User.objects.normalize_email((email or "").strip()).lower()
    if role not in people.grantable_roles(actor, organisation):
        raise ValidationError({"role": _("This role cannot be given in this organisation.")})
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if Membership.objects.filter(user=existing, organisation=organisation, role=role).exists():
            raise ValidationError({"email": _("This person already has this role in the organisation.")})
        if people.other_separated_role(existing, organisation, role):
            raise ValidationError({"role": separation_message()})
        language = existing.language  # the person's own language, whoever invites them
    if pending(actor, organisation).filter(email__iexact=email, role=role).exists():
        raise ValidationError(
            {"email": _("This person is already invited with this role: revoke that invitation first.")}
        )
    key = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        invitation = MemberInvitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            language=language,
            invited_by=actor.user,
            key_hash=hash_key(key),
            created_at=now,
            expires_at=now + VALID_FOR,
        )
        audit.record(
            "people.invited",
            invitation,
            actor=actor.user,
            organisation=organisation,
            email=email,
            role=role,
        )
        _send(invitation, key)
    return invitation


def separation_message() -> str:
    return _(
        "A person cannot be both a buyer agent and a commission member of the same "
        "organisation: the buyer must never know who applies or bids."
    )


def link(invitation: MemberInvitation, key: str) -> str:
    with translation.override(invitation.language):
        return settings.SITE_URL + reverse("accounts:invitation", kwargs={"key": key})


def _send(invitation: MemberInvitation, key: str) -> None:
    context = {
        "invitation": invitation,
        "inviter": invitation.invited_by,
        "link": link(invitation, key),
        "site_url": settings.SITE_URL,
        "days": VALID_FOR.days,
    }
    with translation.override(invitation.language):
        context["role"] = invitation.get_role_display()
        subject = "".join(render_to_string("accounts/invitation_email_subject.txt", context).splitlines())
        body = render_to_string("accounts/invitation_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email]))


def revoke(actor: Membership, invitation_id) -> MemberInvitation:
    invitation = pending(actor).filter(pk=invitation_id).first() if str(invitation_id).isdigit() else None
    if invitation is None:
        raise ValidationError(_("This invitation does not exist, or is no longer pending."))
    invitation.revoked_at = clock.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        "people.invitation_revoked",
        invitation,
        actor=actor.user,
        organisation=invitation.organisation,
        email=invitation.email,
        role=invitation.role,
    )
    return invitation


def by_key(key: str) -> MemberInvitation | None:
    """The pending invitation a link's key opens, or None (wrong, expired, revoked or used)."""
    if not key:
        return None
    invitation = (
        MemberInvitation.objects.select_related("organisation", "invited_by")
        .filter(key_hash=hash_key(key))
        .first()
    )
    if invitation is None or not invitation.is_pending(clock.now()):
        return None
    return invitation


def invitee(invitation: MemberInvitation) -> User | None:
    """The existing account with the invitation's address, if any."""
    return User.objects.filter(email__iexact=invitation.email).first()


def accept_existing(invitation: MemberInvitation, user: User) -> Membership:
    """The logged-in owner of the invited address accepts: the membership is theirs."""
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation was sent to another email address."))
    return _accept(invitation, user)


def accept_new(
    invitation: MemberInvitation, *, first_name: str, last_name: str, password: str, language: str
) -> Membership:
    """A new person accepts: their account (email verified by the link) and the membership."""
    if invitee(invitation) is not None:
        raise ValidationError(_("An account already exists with this address: log in to accept."))
    user = User(email=invitation.email, first_name=first_name.strip(), last_name=last_name.strip())
    password_validation.validate_password(password, user)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                invitation.email,
                password,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                language=language if language in dict(settings.LANGUAGES) else invitation.language,
                email_verified=True,
                is_active=True,
            )
            return _accept(invitation, user)
    except IntegrityError:  # the same address registered meanwhile
        raise ValidationError(_("An account already exists with this address: log in to accept.")) from None


def _accept(invitation: MemberInvitation, user: User) -> Membership:
    with transaction.atomic():
        # Locked and read again: a link used twice at the same moment gives one membership.
        invitation = (
            MemberInvitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
        )
        if not invitation.is_pending(clock.now()):
            raise ValidationError(_("This invitation is no longer valid."))
        if people.other_separated_role(user, invitation.organisation, invitation.role):
            raise ValidationError(separation_message())
        membership, _created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, role=invitation.role
        )
        invitation.accepted_at = clock.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            "people.invitation_accepted",
            invitation,
            actor=user,
            organisation=invitation.organisation,
            email=invitation.email,
            role=invitation.role,
            membership=membership.pk,
        )
    return membership
