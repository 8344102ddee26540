"""New drafts made from an existing notice: a copy used as a template, or the relaunch of an
unsuccessful lot. Everything the buyer wrote is copied (texts, lots, items, documents, auction
rules, required documents); nothing of the procedure is (applications, rooms, errata, questions).
The dates are shifted to the earliest valid schedule from today, keeping the gaps the source had.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from seei.awards.models import Award
from seei.core import audit, clock
from seei.tenders import schedule
from seei.tenders.drafts import require_real
from seei.tenders.errors import TenderError
from seei.tenders.models import Item, Lot, Tender, TenderDocument
from seei.tenders.services import ITEM_FIELDS, LOT_FIELDS, TENDER_FIELDS, _check_reference, _require_buyer

COPIED = [f for f in TENDER_FIELDS if f not in ("reference", "application_deadline")] + ["exchange_rates"]


def _copy(value):
    return dict(value) if isinstance(value, dict) else (list(value) if isinstance(value, list) else value)


def suggested_reference(source: Tender) -> str:
    """A free reference close to the source's: "AO-2026-001-2", "-3"…"""
    base = source.reference[:45]
    for n in range(2, 1000):
        candidate = f"{base}-{n}"
        if not Tender.objects.filter(reference=candidate).exists():
            return candidate
    return ""


def _new_deadline(now):
    # One day more than the legal publicity, to the minute: time to prepare the publication.
    return (schedule.earliest_deadline(now) + schedule.DAY).replace(second=0, microsecond=0)


def _room_opening(source_lot: Lot, source: Tender, deadline):
    minimum = timedelta(days=settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE)
    return deadline + max(source_lot.opens_at - source.application_deadline, minimum)


def _draft_from(membership, source: Tender, reference: str, lots) -> Tender:
    _require_buyer(membership, source)
    require_real(source)
    reference = (reference or "").strip()
    if not reference:
        raise TenderError({"reference": _("Give the reference of the new notice.")})
    if len(reference) > Tender._meta.get_field("reference").max_length:
        raise TenderError({"reference": _("The reference is too long.")})
    _check_reference(reference)
    deadline = _new_deadline(clock.now())
    tender = Tender.objects.create(
        buyer=source.buyer,
        created_by=membership.user,
        reference=reference,
        application_deadline=deadline,
        copied_from=source,
        **{field: _copy(getattr(source, field)) for field in COPIED},
    )
    for number, lot in enumerate(lots, 1):
        new_lot = Lot.objects.create(
            tender=tender,
            number=number,
            opens_at=_room_opening(lot, source, deadline),
            **{field: _copy(getattr(lot, field)) for field in LOT_FIELDS if field != "opens_at"},
        )
        Item.objects.bulk_create(
            Item(lot=new_lot, position=item.position, **{f: _copy(getattr(item, f)) for f in ITEM_FIELDS})
            for item in lot.items.all()
        )
    for document in source.documents.filter(withdrawn_by=None):
        with document.file.open("rb") as handle:
            content = handle.read()
        copy = TenderDocument(
            tender=tender,
            title=document.title,
            original_name=document.original_name,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            uploaded_at=clock.now(),
        )
        copy.file.save(document.original_name, ContentFile(content), save=False)
        copy.save()
    return tender


@transaction.atomic
def copy_tender(membership, source: Tender, reference: str) -> Tender:
    """A new draft with everything of ``source``, to edit and publish as a new notice."""
    tender = _draft_from(membership, source, reference, list(source.lots.prefetch_related("items")))
    audit.record("tender.copied", tender, membership.user, membership.organisation, source=source.pk)
    return tender


def is_unsuccessful(lot: Lot) -> bool:
    award = Award.objects.filter(lot=lot).first()
    return lot.status == Lot.Status.UNSUCCESSFUL or (
        award is not None and award.status == Award.Status.UNSUCCESSFUL
    )


@transaction.atomic
def relaunch_lot(membership, lot: Lot, reference: str) -> Tender:
    """A new draft notice for an unsuccessful lot: its lot, items and documents, linked back to it."""
    lot = Lot.objects.select_for_update().select_related("tender").get(pk=lot.pk)
    _require_buyer(membership, lot.tender)
    require_real(lot.tender)
    if not is_unsuccessful(lot):
        raise TenderError(_("Only an unsuccessful lot can be relaunched."))
    earlier = lot.relaunches.first()
    if earlier is not None:
        raise TenderError(
            _("This lot is already relaunched by notice %(reference)s.") % {"reference": earlier.reference}
        )
    tender = _draft_from(membership, lot.tender, reference, [lot])
    tender.relaunch_of = lot
    tender.save(update_fields=["relaunch_of"])
    audit.record(
        "tender.relaunched",
        tender,
        membership.user,
        membership.organisation,
        source=lot.tender_id,
        lot=lot.pk,
    )
    return tender
