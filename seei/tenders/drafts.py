"""A draft's own removal and its documents' removal: a draft is nobody's business but its buyer's,
so it goes without an erratum and without trace on the portal (the audit keeps it)."""

from django.db import transaction
from django.utils.translation import gettext as _

from seei.core import audit
from seei.tenders.errors import TenderError
from seei.tenders.models import Tender, TenderDocument
from seei.tenders.services import _require_buyer


def require_real(tender: Tender) -> None:
    """The buyer's everyday actions leave practice notices to the practice pages (seei.practice)."""
    if tender.practice:
        raise TenderError(_("A practice notice is managed from the practice pages."))


def _require_draft(tender: Tender, message: str) -> None:
    if tender.status != Tender.Status.DRAFT:
        raise TenderError(message)


@transaction.atomic
def delete_draft(membership, tender: Tender) -> None:
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    _require_buyer(membership, tender)
    require_real(tender)
    _require_draft(tender, _("Only a draft can be deleted; a published notice can be cancelled."))
    files = [document.file for document in tender.documents.all()]
    audit.record(
        "tender.deleted", tender, membership.user, membership.organisation, reference=tender.reference
    )
    tender.delete()
    # The files go once the rows are gone for good.
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


@transaction.atomic
def remove_document(membership, document: TenderDocument) -> None:
    tender = Tender.objects.select_for_update().get(pk=document.tender_id)
    _require_buyer(membership, tender)
    require_real(tender)
    _require_draft(tender, _("A document of a published notice can only be withdrawn by an erratum."))
    audit.record(
        "tender.document_removed",
        tender,
        membership.user,
        membership.organisation,
        title=document.title,
        sha256=document.sha256,
    )
    file = document.file
    document.delete()
    transaction.on_commit(lambda: file.delete(save=False))
