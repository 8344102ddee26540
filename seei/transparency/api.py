"""The transparency log in the JSON API (public, no authentication), at stable URLs:

- ``GET /transparency/heads/latest``: the latest signed tree head;
- ``GET /transparency/heads/{size}``: the signed head of the log of ``size`` leaves;
- ``GET /transparency/lots/{lot_id}/inclusion?size=``: the proof that a closed lot's final ledger entry
  is in the log, under the head of ``size`` leaves (the latest by default);
- ``GET /transparency/consistency?first=&second=``: the proof that the log of ``first`` leaves is a
  prefix of the log of ``second`` leaves;
- ``GET /transparency/leaves?start=&end=``: the leaves, for monitors that rebuild the tree.

Hashes are hex; the Merkle tree is RFC 9162's (``seei.transparency.merkle``).
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from seei.api.schemas import Error
from seei.transparency import selectors

router = Router(tags=["transparency log"])
MAX_LEAVES = 1000


class Head(Schema):
    format: str = Field(description="seei-tree-head/1")
    size: int = Field(description="Number of leaves (closed real lots) in the log.")
    root: str = Field(description="RFC 9162 Merkle tree root, hex.")
    at: str
    prev: str = Field(description="SHA-256 of the previous head's canonical JSON without its signature.")
    signature: str = Field(description="Ed25519 by the platform's ledger key over the canonical JSON.")


class Inclusion(Schema):
    leaf_index: int
    tree_size: int
    proof: list[str]
    head: Head


class Consistency(Schema):
    first: Head
    second: Head
    proof: list[str]


class Leaf(Schema):
    index: int
    lot: str
    seq: int
    hash: str = Field(description="The lot's final ledger entry hash.")
    leaf_hash: str


class SizeQuery(Schema):
    size: int | None = Field(None, ge=1, description="The head's size; the latest by default.")


class ConsistencyQuery(Schema):
    first: int = Field(ge=1)
    second: int = Field(ge=1)


class LeavesQuery(Schema):
    start: int = Field(0, ge=0)
    end: int = Field(ge=1)


@router.get("/transparency/heads/latest", response={200: Head, 404: Error}, auth=None)
def latest_head(request):
    """The latest signed tree head of the log of every closed real auction's final ledger hash."""
    return selectors.latest_head().as_head()


@router.get("/transparency/heads/{size}", response={200: Head, 404: Error}, auth=None)
def head(request, size: int):
    """The signed tree head of the log when it had ``size`` leaves."""
    return selectors.head_of_size(size).as_head()


@router.get("/transparency/lots/{lot_id}/inclusion", response={200: Inclusion, 404: Error}, auth=None)
def inclusion(request, lot_id: int, query: Query[SizeQuery]):
    """The proof that the lot's final ledger entry is in the log (RFC 9162 audit path), with the head."""
    proof = selectors.inclusion(lot_id, query.size)
    if proof is None:
        raise Http404(_("This lot is not in the transparency log (a practice lot, or not closed yet)."))
    return proof


@router.get("/transparency/consistency", response={200: Consistency, 400: Error, 404: Error}, auth=None)
def consistency(request, query: Query[ConsistencyQuery]):
    """The proof that the log of ``first`` leaves is a prefix of the log of ``second`` (RFC 9162)."""
    if query.first > query.second:
        raise ValidationError({"first": [_("The first size must not exceed the second.")]})
    return selectors.consistency(query.first, query.second)


@router.get("/transparency/leaves", response={200: list[Leaf], 400: Error}, auth=None)
def leaves(request, query: Query[LeavesQuery]):
    """The leaves ``start`` to ``end`` (excluded), at most 1,000 at a time."""
    if not query.start < query.end <= query.start + MAX_LEAVES:
        raise ValidationError({"end": [_("Ask for 1 to 1,000 leaves: start < end ≤ start + 1000.")]})
    return selectors.leaves(query.start, query.end)
