"""Organisations as the administrators keep them: reads for their list, audited creation and change,
and the accountant posts' perimeters. Every change is audited with what it was and what it became."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from seei.accounts.models import Organisation
from seei.core import audit

# The kinds an administrator creates here (the platform and practice ones come with the installation).
MANAGED_KINDS = (Organisation.Kind.BUYER, Organisation.Kind.ACCOUNTANT_POST, Organisation.Kind.COMPANY)
FIELDS = ("name", "buyer_type", "parent_id", "ice", "rc", "city", "country", "national_registration")


def listed(*, kind: str = "", search: str = ""):
    selected = Organisation.objects.select_related("parent").order_by("name", "pk")
    if kind:
        selected = selected.filter(kind=kind)
    if search:
        selected = selected.filter(
            Q(name__icontains=search)
            | Q(ice__startswith=search)
            | Q(rc__icontains=search)
            | Q(national_registration__icontains=search)
        )
    return selected


def descendants(organisation: Organisation) -> set[int]:
    """The primary keys of the organisations under this one, at any depth (never its parent)."""
    found, frontier = set(), {organisation.pk}
    while frontier:
        frontier = (
            set(Organisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    return found


def snapshot(organisation: Organisation) -> dict:
    return {name: getattr(organisation, name) for name in FIELDS}


def save(membership, organisation: Organisation) -> Organisation:
    """Create or change an organisation the form has filled in (audited with before and after)."""
    creating = organisation.pk is None
    before = {} if creating else snapshot(Organisation.objects.get(pk=organisation.pk))
    try:
        with transaction.atomic():
            organisation.save()
            after = snapshot(organisation)
            changed = {name for name in FIELDS if before.get(name) != after[name]}
            if creating or changed:
                audit.record(
                    "organisation.created" if creating else "organisation.updated",
                    organisation,
                    actor=membership.user,
                    organisation=organisation,
                    kind=organisation.kind,
                    before={name: before[name] for name in changed} if not creating else {},
                    after={name: after[name] for name in (FIELDS if creating else changed)},
                )
    except IntegrityError as error:
        if creating:
            organisation.pk = None
        if "unique_checked_ice" not in str(error):
            raise
        # Another administrator approved a company with this ICE meanwhile (the form checked before).
        raise ValidationError({"ice": _("Another checked company already has this ICE.")}) from None
    return organisation


@transaction.atomic
def set_perimeter(membership, post: Organisation, buyers) -> None:
    """The buyers whose spending this accountant post controls (audited with before and after)."""
    if post.kind != Organisation.Kind.ACCOUNTANT_POST:
        raise ValidationError(_("Only an accountant post has a perimeter."))
    buyers = list(buyers)
    if any(buyer.kind != Organisation.Kind.BUYER for buyer in buyers):
        raise ValidationError(_("A perimeter is made of public buyers only."))
    before = sorted(post.perimeter.values_list("pk", flat=True))
    after = sorted(buyer.pk for buyer in buyers)
    if before == after:
        return
    post.perimeter.set(buyers)
    audit.record(
        "organisation.perimeter_changed",
        post,
        actor=membership.user,
        organisation=post,
        before=before,
        after=after,
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
    )
