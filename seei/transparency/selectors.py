"""Reads of the transparency log, for anyone: heads, inclusion and consistency proofs (hex hashes)."""

from django.http import Http404
from django.utils.translation import gettext as _

from seei.transparency import merkle
from seei.transparency.models import LogLeaf, TreeHead


def _leaves(size: int | None = None) -> list[bytes]:
    rows = LogLeaf.objects.order_by("index")
    if size is not None:
        rows = rows[:size]
    return [bytes.fromhex(value) for value in rows.values_list("leaf_hash", flat=True)]


def latest_head() -> TreeHead:
    head = TreeHead.objects.order_by("-size").first()
    if head is None:
        raise Http404(_("The transparency log is empty: no auction has closed yet."))
    return head


def head_of_size(size: int) -> TreeHead:
    head = TreeHead.objects.filter(size=size).first()
    if head is None:
        raise Http404(_("The transparency log has no head of this size."))
    return head


def inclusion(lot_id: int, size: int | None = None) -> dict | None:
    """The proof that the lot's final ledger entry is in the log under the head of ``size`` leaves
    (the latest by default), with that head; None when the lot is not in the log."""
    leaf = LogLeaf.objects.filter(lot_id=lot_id).first()
    if leaf is None:
        return None
    head = latest_head() if size is None else head_of_size(size)
    if leaf.index >= head.size:
        raise Http404(_("This lot entered the transparency log after that head."))
    proof = merkle.inclusion_proof(leaf.index, _leaves(head.size))
    return {
        "leaf_index": leaf.index,
        "tree_size": head.size,
        "proof": [value.hex() for value in proof],
        "head": head.as_head(),
    }


def consistency(first: int, second: int) -> dict:
    """The proof that the log of ``first`` leaves is a prefix of the log of ``second`` leaves
    (``first`` ≤ ``second``, checked by the caller)."""
    old, new = head_of_size(first), head_of_size(second)
    proof = merkle.consistency_proof(first, _leaves(second))
    return {"first": old.as_head(), "second": new.as_head(), "proof": [value.hex() for value in proof]}


def leaves(start: int, end: int) -> list[dict]:
    """The leaves ``start`` to ``end`` (excluded) as logged, for monitors that rebuild the tree."""
    rows = LogLeaf.objects.filter(index__gte=start, index__lt=end).order_by("index")
    return [
        {"index": r.index, "lot": r.lot_ref, "seq": r.seq, "hash": r.ledger_hash, "leaf_hash": r.leaf_hash}
        for r in rows
    ]
