"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0, section 2.1), pure and small.

leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right); the tree of n leaves splits at k,
the largest power of two below n. Inclusion and consistency proofs are made and checked exactly as
the RFC writes them, so that any RFC 9162 client can check SEEI's log too. Hashes are bytes here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the leaves' hashes."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def frontier(leaves: Sequence[bytes]) -> list[bytes]:
    """The roots of the perfect subtrees the tree of ``leaves`` is made of, largest (leftmost) first:
    one per bit set in ``len(leaves)``. With them a leaf is appended and the root found in O(log n)."""
    out: list[bytes] = []
    for size, leaf in enumerate(leaves):
        out = append_to_frontier(out, size, leaf)
    return out


def append_to_frontier(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier of the tree of ``size`` leaves with ``leaf`` appended: equal subtrees merge as a
    binary counter carries (``size``'s low set bits are the subtrees the new leaf completes)."""
    out = [*frontier, leaf]
    while size & 1:
        right = out.pop()
        out.append(node_hash(out.pop(), right))
        size >>= 1
    return out


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """MTH of the tree whose frontier this is: RFC 9162 splits at the largest power of two, so the
    largest subtree is the left child and the rest, folded from the right, the right child."""
    if not frontier:
        return EMPTY_ROOT
    out = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        out = node_hash(subtree, out)
    return out


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``index`` in the tree of ``leaves``."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"no leaf {index} in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root(leaves[:k])]


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): that the tree of the first ``first`` leaves is a prefix of this one."""
    if not 0 <= first <= len(leaves):
        raise ValueError(f"no tree of {first} leaves before a tree of {len(leaves)}")
    if first in (0, len(leaves)):
        return []
    return _subproof(first, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2 (an empty tree is a prefix of any tree; a tree is consistent with itself)."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: its root is a node of the new tree
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
