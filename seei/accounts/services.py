"""State changes of accounts: company registration, email verification, API tokens.

Every function checks its rules and raises ``ValidationError`` with a message for the
user (keyed by form field where there is one); nothing is changed when it does.
Emails leave only if the transaction commits.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from seei.accounts import throttle
from seei.accounts.api_auth import hash_key
from seei.accounts.models import ApiToken, Membership, Organisation, Role, User, ice_validator
from seei.accounts.tokens import email_verification_token
from seei.core import audit

NATIONAL_COUNTRY = "MA"


def check_registration(company: dict, person: dict) -> None:
    """The rules a new company and its first person must meet (values may be missing when
    their form field was already refused).

    Whether the ICE or the email is already registered is never said (no one learns who has an
    account): the same ICE makes one more company awaiting the administrator's check, the same
    email an email to that address's owner."""
    errors = {}
    country = company.get("country") or NATIONAL_COUNTRY
    ice = company.get("ice") or ""
    if ice:
        try:
            ice_validator(ice)
        except ValidationError:
            errors["ice"] = _("The ICE is made of exactly 15 digits.")
    elif country == NATIONAL_COUNTRY:
        errors["ice"] = _("The ICE is required for a company registered in Morocco.")
    if country != NATIONAL_COUNTRY and not (company.get("national_registration") or "").strip():
        errors["national_registration"] = _(
            "The national registration number is required for a foreign company."
        )
    if errors:
        raise ValidationError(errors)


def register_company(*, company: dict, person: dict, password: str) -> Membership | None:
    """Create the company (pending until an administrator checks its identifier), its first person
    (inactive until the email is verified) and their membership, all or nothing, and send the
    verification email. If the email already has an account, nothing is created and its owner is
    told by email instead (None): the registrant sees the same answer either way."""
    check_registration(company, person)
    if _email_taken(person["email"]):
        User().set_password(password)  # the work of a new account: the answer's delay tells nothing
        _tell_registered_owner(person["email"])
        return None
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                kind=Organisation.Kind.COMPANY,
                pending=True,
                name=company["name"].strip(),
                ice=company.get("ice") or None,
                rc=(company.get("rc") or "").strip(),
                city=(company.get("city") or "").strip(),
                country=company.get("country") or NATIONAL_COUNTRY,
                national_registration=(company.get("national_registration") or "").strip(),
            )
            user = User.objects.create_user(
                person["email"],
                password,
                first_name=person["first_name"].strip(),
                last_name=person["last_name"].strip(),
                language=person.get("language") or settings.LANGUAGE_CODE,
                is_active=False,
                email_verified=False,
            )
            # The company's first person manages its people (invites colleagues).
            membership = Membership.objects.create(
                user=user, organisation=organisation, role=Role.COMPANY_MEMBER, is_manager=True
            )
            audit.record("company.registered", organisation, actor=user, organisation=organisation)
            send_verification_email(user)
    except IntegrityError:
        # Another registration took the same email meanwhile (an ICE is unique only once checked).
        if not _email_taken(person["email"]):
            raise
        _tell_registered_owner(person["email"])
        return None
    return membership


def _email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def _tell_registered_owner(email: str) -> None:
    """Someone registered again with an address that has an account: tell its owner, not them."""
    user = User.objects.get(email__iexact=email)
    context = {"user": user, "login": settings.SITE_URL + _in_language(user, "accounts:login")}
    context["reset"] = settings.SITE_URL + _in_language(user, "accounts:password_reset")
    with translation.override(user.language):
        subject = "".join(render_to_string("accounts/already_registered_subject.txt", context).splitlines())
        body = render_to_string("accounts/already_registered_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))


def _in_language(user: User, name: str) -> str:
    with translation.override(user.language):
        return reverse(name)


def approve_company(organisation: Organisation, actor: User) -> None:
    """An administrator has checked the company's identifier: it may now apply (audited). Refused
    when another checked company has the same ICE."""
    if not organisation.pending:
        return
    try:
        with transaction.atomic():
            organisation.pending = False
            organisation.save(update_fields=["pending"])
            audit.record(
                "company.approved",
                organisation,
                actor=actor,
                organisation=organisation,
                ice=organisation.ice or "",
                national_registration=organisation.national_registration,
            )
    except IntegrityError:
        # The constraint unique_checked_ice decides, so that two administrators approving two
        # registrants of one ICE at the same moment get this answer too, not an error page.
        organisation.pending = True
        raise ValidationError(
            _("%(name)s: another company is already approved with the ICE %(ice)s.")
            % {"name": organisation.name, "ice": organisation.ice}
        ) from None


def verification_link(user: User) -> str:
    """The absolute verification link, in the person's language."""
    with translation.override(user.language):
        path = reverse(
            "accounts:verify",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": email_verification_token.make_token(user),
            },
        )
    return settings.SITE_URL + path


def send_verification_email(user: User) -> None:
    """Send the link, unless the person already got a few lately (raises ``throttle.Throttled``)."""
    throttle.verification_email(user)
    context = {"user": user, "link": verification_link(user), "site_url": settings.SITE_URL}
    with translation.override(user.language):
        subject = "".join(render_to_string("accounts/verification_email_subject.txt", context).splitlines())
        body = render_to_string("accounts/verification_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))


def confirm_email(uidb64: str, token: str) -> User | None:
    """Activate the account a verification link is for; None if the link is wrong, expired or used."""
    try:
        user = User.objects.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, User.DoesNotExist, ValidationError):
        return None
    if user.email_verified or not email_verification_token.check_token(user, token):
        return None
    user.email_verified = True
    user.is_active = True
    user.save(update_fields=["email_verified", "is_active"])
    audit.record("account.email_verified", user, actor=user)
    return user


def create_api_token(membership: Membership, name: str, **audit_data) -> tuple[ApiToken, str]:
    """A new personal token for the membership; the key is returned once and never stored.
    ``audit_data`` goes into the audit record (how it was asked: the API, from which address)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    throttle.token_creation(membership.user)
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(membership=membership, name=name, key_hash=hash_key(key), prefix=key[:8])
    audit.record(
        "api_token.created",
        token,
        actor=membership.user,
        organisation=membership.organisation,
        prefix=token.prefix,
        **audit_data,
    )
    return token, key


def revoke_api_token(membership: Membership, token_id, **audit_data) -> None:
    token = (
        ApiToken.objects.filter(pk=token_id, membership=membership).first()
        if str(token_id).isdigit()
        else None
    )
    if token is None:
        raise ValidationError(_("This token does not exist or belongs to someone else."))
    audit.record(
        "api_token.revoked",
        token,
        actor=membership.user,
        organisation=membership.organisation,
        prefix=token.prefix,
        **audit_data,
    )
    token.delete()
