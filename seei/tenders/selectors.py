"""Reads that enforce who may see what."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _

from seei.accounts.models import Role
from seei.tenders.models import Clarification, Erratum, Item, Lot, Tender


def public_tenders():
    return (
        Tender.objects.real()
        .filter(status=Tender.Status.PUBLISHED)
        .select_related("buyer", "category", "region")
        .prefetch_related(Prefetch("lots", queryset=Lot.objects.order_by("number")))
    )


_answered = Clarification.objects.filter(answered_at__isnull=False)


def public_tender(pk) -> Tender:
    """A notice at its public address: published, or cancelled (it then says so, with the reason)."""
    visible = [Tender.Status.PUBLISHED, Tender.Status.CANCELLED]
    # Ordered within their parent only: the models' orderings would join up to the notice to sort.
    tender = (
        Tender.objects.real()
        .filter(status__in=visible)
        .defer("search")  # the search document: bulky, and no page shows it
        .select_related("buyer", "category", "region")
        .prefetch_related(
            Prefetch("lots", queryset=Lot.objects.order_by("number")),
            Prefetch("lots__items", queryset=Item.objects.order_by("position", "id")),
            "documents",
        )
        .annotate(answered=Exists(_answered.filter(tender=OuterRef("pk"))))
        .filter(pk=pk)
    )
    try:
        tender = tender.get()  # by its key: no ordering to compile
    except Tender.DoesNotExist:
        raise Http404(_("This notice does not exist or is not published.")) from None
    # An erratum is numbered by the version it makes: a notice still at version 1 has none to read.
    errata = Erratum.objects.order_by("number") if tender.version > 1 else Erratum.objects.none()
    prefetch_related_objects([tender], Prefetch("errata", queryset=errata))
    _link_errata(tender)
    return tender


def _link_errata(tender: Tender) -> None:
    """Each document's erratum (that added it, that withdrew it) from the notice's errata, read
    already: no join bringing two errata (their snapshots of the whole notice) with each document."""
    errata = {erratum.pk: erratum for erratum in tender.errata.all()}
    for document in tender.documents.all():
        for name in ("erratum", "withdrawn_by"):
            if (erratum := errata.get(getattr(document, f"{name}_id"))) is not None:
                setattr(document, name, erratum)


def buyer_tenders(membership):
    if membership is None or membership.role != Role.BUYER_AGENT:
        raise PermissionDenied(_("Only a buyer agent can manage notices."))
    return Tender.objects.filter(buyer=membership.organisation).select_related("category", "region")


def buyer_tender(membership, pk) -> Tender:
    """The notice, if the person is a buyer agent of the organisation that owns it."""
    tender = buyer_tenders(membership).filter(pk=pk).first()
    if tender is None:
        if Tender.objects.filter(pk=pk).exists():
            raise PermissionDenied(_("This notice belongs to another organisation."))
        raise Http404(_("This notice does not exist."))
    return tender
