"""An organisation's details, edited by its managers, each change audited with its values before and after.

What identifies a company (its ICE, its country and national registration number) is checked by an
administrator and stays out of reach here, as does a buyer's place in the hierarchy.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from seei.accounts.models import Membership, Organisation
from seei.core import audit

EDITABLE = {
    Organisation.Kind.COMPANY: ("name", "rc", "city"),
    Organisation.Kind.BUYER: ("name", "city"),
}


def editable_fields(organisation: Organisation) -> tuple[str, ...]:
    return EDITABLE.get(organisation.kind, ())


def may_edit(actor: Membership | None) -> bool:
    """A manager edits the details of the organisation they act for (a company's or a buyer's)."""
    return actor is not None and actor.is_manager and bool(editable_fields(actor.organisation))


def update(actor: Membership, values: dict) -> dict:
    """Save the changed details of the actor's organisation; returns {field: [before, after]}."""
    if not may_edit(actor):
        raise ValidationError(_("Only a manager of the organisation may change its details."))
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=actor.organisation_id)
        changes = {}
        for name in editable_fields(organisation):
            if name not in values:
                continue
            after = (values[name] or "").strip()
            before = getattr(organisation, name)
            if after != before:
                changes[name] = [before, after]
                setattr(organisation, name, after)
        if "name" in changes and not organisation.name:
            raise ValidationError({"name": _("The organisation needs a name.")})
        if not changes:
            return {}
        organisation.full_clean(validate_unique=False, validate_constraints=False)
        organisation.save(update_fields=list(changes))
        audit.record(
            "organisation.details_changed",
            organisation,
            actor=actor.user,
            organisation=organisation,
            changes=changes,
        )
    actor.organisation.refresh_from_db()
    return changes
