"""Appending to the transparency log: one leaf per closed real lot, and a signed head at each append.

Called inside the close's transaction (``seei.auctions.services.record_close``), so the lot is in the
log exactly when its close is committed. Any number of workers may close lots at once: an advisory
lock held until the transaction ends serialises appends, so each reads the head the last one wrote.
Each head keeps the tree's frontier (``merkle.frontier``): an append reads no other leaf and hashes
O(log n) nodes, however long the log.
"""

from django.db import connection

from seei.auctions import ledger, signing
from seei.auctions.models import Room
from seei.transparency import heads, merkle
from seei.transparency.models import LogLeaf, TreeHead

# pg_advisory_xact_lock's key: "SEEI" + "TL" (transparency log), any constant the site uses once.
LOCK_KEY = 0x5EE1_0071


def append(room: Room, at) -> TreeHead | None:
    """Append the closed room's final entry (``room.seq``, ``room.last_hash``) and sign the new head.

    Practice lots are never in the log (they are not real procedures): kept out here, and only here,
    by what their genesis says. Idempotent: a lot already in the log is left as it is. Must run
    inside a transaction (the close's)."""
    if room.params.get("practice"):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    if LogLeaf.objects.filter(lot_id=room.lot_id).exists():
        return None
    previous = TreeHead.objects.order_by("-size").first()
    size = previous.size if previous else 0
    leaf = merkle.leaf_hash(heads.leaf_data(room.ref, room.seq, room.last_hash))
    LogLeaf.objects.create(
        index=size,
        lot_id=room.lot_id,
        lot_ref=room.ref,
        seq=room.seq,
        ledger_hash=room.last_hash,
        leaf_hash=leaf.hex(),
        appended_at=at,
    )
    frontier = merkle.append_to_frontier(_frontier(previous), size, leaf)
    body = heads.head_body(
        size + 1,
        merkle.frontier_root(frontier),
        at,
        heads.head_hash(previous.as_head()) if previous else heads.FIRST_PREV,
    )
    signed = ledger.sign_document(signing.private_key(), body)
    return TreeHead.objects.create(
        size=body["size"],
        root=body["root"],
        at=at,
        prev=body["prev"],
        signature=signed["signature"],
        frontier=[subtree.hex() for subtree in frontier],
    )


def _frontier(head: TreeHead | None) -> list[bytes]:
    """The frontier of ``head``'s tree: stored with it, or (a head written before it was) computed once
    from its leaves."""
    if head is None:
        return []
    if head.frontier is not None:
        return [bytes.fromhex(subtree) for subtree in head.frontier]
    leaves = LogLeaf.objects.filter(index__lt=head.size).order_by("index").values_list("leaf_hash", flat=True)
    return merkle.frontier([bytes.fromhex(value) for value in leaves])


def append_missing() -> int:
    """Every closed real lot not in the log yet, appended in the order they closed (a database whose
    auctions closed before the log existed; ``append`` leaves the practice ones out). Returns how many."""
    from django.db import transaction

    rooms = Room.objects.filter(status=Room.Status.CLOSED, lot__log_leaf__isnull=True).order_by(
        "closed_at", "pk"
    )
    count = 0
    for room in rooms:
        with transaction.atomic():
            count += append(room, room.closed_at) is not None
    return count
