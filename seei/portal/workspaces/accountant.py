"""An accountant's workspace: the final awards of its perimeter waiting for a visa or for payments."""

from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from seei.awards.models import Payment, Visa
from seei.awards.selectors import accountant_awards
from seei.portal.workspaces import links
from seei.portal.workspaces.items import Todo

TEMPLATE = "portal/workspaces/accountant.html"
LIMIT = 50


def awards(membership):
    """Awards of the perimeter (real, final) with their visa and what has been paid, in SQL."""
    granted = Visa.objects.filter(award=OuterRef("pk"), decision=Visa.Decision.GRANTED)
    refused = Visa.objects.filter(award=OuterRef("pk"), decision=Visa.Decision.REFUSED)
    paid = (
        Payment.objects.filter(award=OuterRef("pk"))
        .order_by()
        .values("award")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=20, decimal_places=2)
    return (
        accountant_awards(membership)
        .prefetch_related(None)
        .annotate(
            granted=Exists(granted),
            refused=Exists(refused),
            paid=Coalesce(Subquery(paid, output_field=money), Value(Decimal(0)), output_field=money),
        )
    )


def context(membership, now) -> dict:
    rows = awards(membership)
    waiting_visa = list(rows.filter(granted=False).order_by("final_at", "pk")[:LIMIT])
    to_pay = [
        award
        for award in rows.filter(granted=True).order_by("final_at", "pk")[: LIMIT * 4]
        if award.amount is not None and award.paid < award.amount
    ][:LIMIT]
    todos = [
        Todo(
            label=_("Give the visa"),
            url=links.accountant_award(award.pk),
            subject=f"{award.lot.tender.reference} / {award.lot.number} — {award.company}",
        )
        for award in waiting_visa
        if not award.refused  # refused: the buyer's move
    ] + [
        Todo(
            label=_("Record the payments"),
            url=links.accountant_award(award.pk),
            subject=f"{award.lot.tender.reference} / {award.lot.number} — {award.company}",
        )
        for award in to_pay
    ]
    return {"now": now, "todos": todos, "waiting_visa": waiting_visa, "to_pay": to_pay}
