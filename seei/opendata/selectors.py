"""Who the statistics are about: a buyer organisation with every organisation under it, and the
filters the statistics and the red flags share (a buyer's tree, a code), checked the same way."""

from django.core.exceptions import PermissionDenied, ValidationError
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


def buyer_tree(buyer_id: int | None, scope: list[int] | None = None) -> list[int] | None:
    """The organisations a selection by buyer stands for: the buyer and those under it, within
    ``scope`` when given; ``scope`` itself when no buyer is chosen. An id of no buyer is refused."""
    if buyer_id is None:
        return scope
    if not Organisation.objects.filter(pk=buyer_id, kind=Organisation.Kind.BUYER).exists():
        raise ValidationError({"buyer": [_("There is no buyer organisation with this id.")]})
    tree = organisation_tree(buyer_id)
    return tree if scope is None else [pk for pk in tree if pk in scope]


def by_code(model, field: str, code: str | None) -> int | None:
    """The id of the ``model`` row (a category, a region) with this code; None for no code. An
    unknown code is refused on ``field``."""
    if not code:
        return None
    found = model.objects.filter(code=code).values_list("pk", flat=True).first()
    if found is None:
        raise ValidationError({field: [_("Unknown code “%(code)s”.") % {"code": code}]})
    return found


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
