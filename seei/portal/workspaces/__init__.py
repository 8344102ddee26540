"""Each role's workspace: the first page after login, starting with what needs the person now.

One module per role builds the page's context from a few bounded queries (no query per row); the
links to other parts of the site are written in ``links`` so that a new page replaces an old one
in one place. Practice procedures never count as real work: they are left out, or labelled.
"""

from seei.accounts.models import Role
from seei.portal.workspaces import accountant, administrator, buyer, commission, company

BUILDERS = {
    Role.COMPANY_MEMBER: company,
    Role.BUYER_AGENT: buyer,
    Role.COMMISSION_MEMBER: commission,
    Role.ACCOUNTANT: accountant,
    Role.ADMINISTRATOR: administrator,
}


def workspace(membership, now) -> tuple[str, dict] | None:
    """(template, context) of the person's workspace in its current role; None without a role."""
    module = BUILDERS.get(membership.role) if membership is not None else None
    if module is None:
        return None
    return module.TEMPLATE, module.context(membership, now)
