"""The administrator's workspace: companies to vet, incidents, the audit log."""

from django.utils.translation import gettext as _

from seei.accounts.models import Organisation
from seei.auctions.models import Suspension
from seei.portal.workspaces import links
from seei.portal.workspaces.items import Todo

TEMPLATE = "portal/workspaces/administrator.html"
LIMIT = 20


def pending_companies():
    return Organisation.objects.filter(kind=Organisation.Kind.COMPANY, pending=True).order_by(
        "created_at", "pk"
    )


def context(membership, now) -> dict:
    pending = list(pending_companies()[:LIMIT])
    incidents = list(Suspension.objects.order_by("-started_at", "-pk")[:5])
    todos = [
        Todo(
            label=_("Platform suspended: resume the rooms once the incident is over"),
            url=links.incidents(),
            due=None,
        )
        for suspension in incidents
        if suspension.ended_at is None
    ][:1] + [
        Todo(
            label=_("Check the company's identifier"), url=links.vet_company(company.pk), subject=company.name
        )
        for company in pending
    ]
    return {
        "now": now,
        "todos": todos,
        "pending": pending,
        "more_pending": len(pending) == LIMIT,
        "pending_url": links.pending_companies(),
        "incidents": incidents,
        "incidents_url": links.incidents(),
        "audit_url": links.audit_log(),
    }
