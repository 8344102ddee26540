"""Who the statistics are about: a buyer organisation with every organisation under it."""

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from seei.accounts.models import Organisation, Role

# The people who act for a buyer organisation and may read its own figures.
BUYER_ROLES = (Role.BUYER_AGENT, Role.COMMISSION_MEMBER)


def organisation_tree(root_id: int) -> list[int]:
    """The organisation and all its sub-organisations, at any depth (one recursive query)."""
    table = Organisation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE tree(id) AS (
                SELECT id FROM {table} WHERE id = %s
                UNION
                SELECT child.id FROM {table} child JOIN tree ON child.parent_id = tree.id
            )
            SELECT id FROM tree
            """,
            [root_id],
        )
        return [row[0] for row in cursor.fetchall()]


def buyer_scope(membership) -> list[int]:
    """The organisations whose figures the person may read on its dashboard."""
    if membership is None or membership.role not in BUYER_ROLES:
        raise PermissionDenied(
            _("The statistics of an organisation are reserved to its buyer agents and commission.")
        )
    return organisation_tree(membership.organisation_id)


def buyer_choices(scope: list[int] | None = None):
    """The buyers one may filter on: those with a published notice (and the organisations above
    them), within ``scope`` when given."""
    from seei.tenders.models import Tender

    publishers = Tender.objects.real().filter(status=Tender.Status.PUBLISHED).values("buyer")
    buyers = Organisation.objects.filter(kind=Organisation.Kind.BUYER).filter(
        Q(pk__in=publishers) | Q(children__in=publishers)
    )
    if scope is not None:
        buyers = buyers.filter(pk__in=scope)
    return buyers.select_related("parent").distinct().order_by("name")
