"""A company's watch profiles: the one place that checks and saves them, for the page and the API.

Every function raises ``ValidationError`` with a message for the user; nothing is saved when it does.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from seei.accounts.models import Role
from seei.alerts.models import WatchProfile

FIELDS = ["name", "keywords", "currency", "amount_min", "amount_max", "frequency"]
CHOICES = ["categories", "regions", "buyers"]  # many-to-many: lists of objects


def require_company(membership):
    if membership is None or membership.role != Role.COMPANY_MEMBER:
        raise PermissionDenied(_("Only a company member can manage watch profiles."))
    return membership.organisation


def company_profiles(membership):
    return require_company(membership).watch_profiles.prefetch_related("categories", "regions", "buyers")


def company_profile(membership, pk) -> WatchProfile:
    profile = company_profiles(membership).filter(pk=pk).first()
    if profile is None:
        raise Http404(_("This watch profile does not exist."))
    return profile


@transaction.atomic
def save_profile(membership, values: dict, pk: int | None = None) -> WatchProfile:
    """Create a profile for the membership's company, or change its profile ``pk`` (a full
    replacement); the profile saved. The changes are made to an instance of its own: a refusal leaves
    the caller's copy as it was."""
    company = require_company(membership)
    profile = WatchProfile(company=company) if pk is None else company_profile(membership, pk)
    for name in FIELDS:
        value = values.get(name)
        setattr(profile, name, (value or "").strip() if name in ("name", "keywords") else value)
    profile.currency = profile.currency or ""
    profile.frequency = profile.frequency or WatchProfile.Frequency.IMMEDIATE
    errors = {}
    try:
        profile.full_clean(exclude=["company"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    clash = WatchProfile.objects.filter(company=company, name__iexact=profile.name).exclude(pk=profile.pk)
    if profile.name and clash.exists():
        errors.setdefault("name", []).append(_("Your company already has a watch profile with this name."))
    if errors:
        raise ValidationError(errors)
    profile.save()
    for name in CHOICES:
        getattr(profile, name).set(values.get(name) or [])
    profile.refresh_from_db()  # as stored: the amounts with their two decimals
    return profile


def delete_profile(membership, pk: int) -> WatchProfile:
    """Delete the company's profile ``pk``; the profile deleted (its name, for the message)."""
    profile = company_profile(membership, pk)
    profile.delete()
    return profile
