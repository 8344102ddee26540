"""Cancelling a published notice, with a reason, before any of its auctions opened.

A cancellation stops the whole procedure: applications close, the rooms still scheduled never open
(``seei.auctions.services`` skips a cancelled lot), and every company that followed the notice
(downloaded its file, asked, applied, was invited) is alerted as for an erratum. Once a room has
opened, bids exist and a ranking will follow: cancelling then would need the lot stopped and the
bidders told, a procedure of its own, so it is refused, as it is once a lot is awarded.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from seei.alerts import events as alerts
from seei.auctions.models import Room
from seei.core import audit, clock
from seei.ocds import hooks as ocds
from seei.tenders.drafts import require_real
from seei.tenders.errors import TenderError
from seei.tenders.models import Lot, Tender
from seei.tenders.services import _check_lengths, _require_buyer

# The lots whose procedure is over or under way in a room: their notice cannot be cancelled.
STARTED = {Lot.Status.RUNNING, Lot.Status.CLOSED, Lot.Status.AWARDED}


def refusal(tender: Tender) -> str | None:
    """Why the notice cannot be cancelled now, or None."""
    if tender.status == Tender.Status.CANCELLED:
        return _("This notice is already cancelled.")
    if tender.status != Tender.Status.PUBLISHED:
        return _("Only a published notice can be cancelled; a draft can simply be deleted.")
    for lot in tender.lots.all():
        room_started = Room.objects.filter(lot=lot).exclude(status=Room.Status.SCHEDULED).exists()
        if lot.status in STARTED or room_started or hasattr(lot, "award"):
            return _(
                "The auction of lot %(number)s has already opened: a notice cannot be cancelled once bids "
                "may have been made. The lot goes on to its award or is declared unsuccessful."
            ) % {"number": lot.number}
    return None


@transaction.atomic
def cancel(membership, tender: Tender, reason: str) -> Tender:
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    _require_buyer(membership, tender)
    require_real(tender)
    refused = refusal(tender)
    if refused:
        raise TenderError(refused)
    reason = (reason or "").strip()
    if not reason:
        raise TenderError({"reason": _("Give the reason for the cancellation.")})
    _check_lengths(reason=reason)
    now = clock.now()
    tender.status = Tender.Status.CANCELLED
    tender.cancelled_at = now
    tender.cancellation_reason = reason
    tender.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
    # An unsuccessful lot keeps its outcome; every other lot is cancelled with the notice.
    for lot in tender.lots.exclude(status=Lot.Status.UNSUCCESSFUL):
        lot.status = Lot.Status.CANCELLED
        lot.save(update_fields=["status"])
    audit.record("tender.cancelled", tender, membership.user, membership.organisation, reason=reason)
    ocds.step_happened(tender.pk)
    alerts.notice_cancelled(tender)
    return tender
