"""Reads of the auction that enforce who may see what.

Bidders of the room, the buyer agents of the notice's buyer and the members of its commission
may watch a room; anyone may when the lot is watchable by the public, or once it is closed.
Nobody ever learns which company is behind a pseudonym here.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from seei.auctions import bidding, rules, signing
from seei.auctions.models import LedgerEntry, Room
from seei.tenders.models import Lot
from seei.transparency import selectors as transparency


def room_of(lot_id: int) -> Room:
    room = Room.objects.select_related("lot__tender").filter(lot_id=lot_id).first()
    if room is None:
        raise Http404(_("This lot has no auction room."))
    return room


def watcher_role(membership, room: Room) -> str | None:
    """ "bidder", "buyer", "commission", "public", or None when this person may not watch.

    Decided by ``bidding.access``, the rule of the API and the room app too, for the membership the
    person acts through."""
    access = bidding.access_sync(
        lot_id=room.lot_id,
        user_id=membership.user_id if membership is not None else None,
        membership_id=membership.pk if membership is not None else None,
    )
    return access.role


def watchable_room(membership, lot_id: int) -> tuple[Room, str]:
    """The room and the viewer's role, or 403/404."""
    room = room_of(lot_id)
    role = watcher_role(membership, room)
    if role is None:
        raise PermissionDenied(
            _("Only the bidders, the buyer and the commission of this lot can watch its room.")
        )
    return room, role


def ledger_document(room: Room) -> dict:
    """The anonymised ledger as published (format seei-ledger/1): pseudonyms, amounts, times, hashes,
    and each entry's signature as stored when it was appended; once closed, the proof that its final
    entry is in the transparency log."""
    rows = list(LedgerEntry.objects.filter(room=room).order_by("seq"))
    lot: Lot = room.lot
    document = signing.export(
        [row.as_entry() for row in rows],
        {row.seq: row.signature for row in rows},  # as stored when each entry was appended
        {"ref": room.ref, "id": lot.pk, "notice": lot.tender.reference, "number": lot.number},
    )
    proof = transparency.inclusion(lot.pk)  # under the latest signed head of the log
    if proof is not None:
        document["transparency"] = proof
    return document


def public_ledger(lot_id: int) -> dict:
    """The ledger of a closed lot, for anyone; before the close it stays with the server."""
    room = room_of(lot_id)
    if room.status != Room.Status.CLOSED:
        raise PermissionDenied(_("The ledger of a lot is published once its auction is closed."))
    return ledger_document(room)


def live_card(room: Room) -> dict:
    """A room as the live cards show it to anyone (portal home, practice page): its public figures,
    moved on by live.js over the room's socket."""
    snapshot = bidding.snapshot_sync(room.lot_id)
    return {
        "id": room.lot_id,
        "title": room.lot.title,
        "reference": room.ref,
        "practice": bool(snapshot.get("practice")),
        "status": snapshot["status"],
        "status_label": Room.Status(snapshot["status"]).label,
        "opens_at": room.opens_at,
        "closes_at": rules.parse_time(snapshot["closes_at"]),
        "best_price": snapshot.get("best"),
        "bid_count": snapshot["bids"],
        "currency": snapshot["currency"],
        "watch_url": reverse("auctions:enter", args=[room.lot_id]),
    }


def live_public_rooms(limit: int = 6) -> list[dict]:
    """Real auctions in their room phase that the public may watch, closing first."""
    rooms = (
        Room.objects.filter(status=Room.Status.OPEN, lot__public_watch=True, lot__tender__practice=False)
        .select_related("lot")
        .order_by("closes_at")[:limit]
    )
    return [live_card(room) for room in rooms]
