"""RFC 9162's Merkle tree: roots, inclusion and consistency proofs against a naive computation."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seei.transparency import merkle


def naive_root(leaves):
    """MTH by the RFC's definition, level by level: pair up, carry an odd last node up unchanged."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    while len(level) > 1:
        paired = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def leaves_of(n):
    return [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def test_hashing_is_rfc_9162s():
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert merkle.root([]) == hashlib.sha256(b"").digest()
    a, b, c = leaves_of(3)
    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)


def test_a_known_vector():
    """The empty-leaf tree of RFC 6962's reference tests (certificate-transparency-go)."""
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 70), data=st.data())
def test_inclusion_proofs_check_and_nothing_else_does(n, data):
    leaves = leaves_of(n)
    root = merkle.root(leaves)
    assert root == naive_root(leaves)
    index = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(index, leaves)
    assert len(proof) <= n.bit_length()
    assert merkle.verify_inclusion(index, n, leaves[index], proof, root)
    other = data.draw(st.integers(0, n - 1))
    if other != index:
        assert not merkle.verify_inclusion(other, n, leaves[index], proof, root)
        assert not merkle.verify_inclusion(index, n, leaves[other], proof, root)
    assert not merkle.verify_inclusion(index, n, leaves[index], proof, merkle.leaf_hash(b"another root"))
    if proof:
        bent = list(proof)
        bent[data.draw(st.integers(0, len(proof) - 1))] = merkle.leaf_hash(b"bent")
        assert not merkle.verify_inclusion(index, n, leaves[index], bent, root)
        assert not merkle.verify_inclusion(index, n, leaves[index], proof[:-1], root)
    assert not merkle.verify_inclusion(index, n, leaves[index], [*proof, root], root)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 70), data=st.data())
def test_consistency_proofs_check_and_a_rewritten_prefix_does_not(n, data):
    leaves = leaves_of(n)
    m = data.draw(st.integers(0, n))
    old_root, new_root = merkle.root(leaves[:m]), merkle.root(leaves)
    assert old_root == naive_root(leaves[:m])
    proof = merkle.consistency_proof(m, leaves)
    assert merkle.verify_consistency(m, n, old_root, new_root, proof)
    if 0 < m < n:
        rewritten = list(leaves)
        rewritten[data.draw(st.integers(0, m - 1))] = merkle.leaf_hash(b"rewritten")
        forged = merkle.consistency_proof(m, rewritten)
        assert not merkle.verify_consistency(m, n, old_root, merkle.root(rewritten), forged)
        assert not merkle.verify_consistency(m, n, old_root, new_root, proof[:-1])
        assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"x"), new_root, proof)


def test_bad_arguments():
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, leaves_of(3))
    with pytest.raises(ValueError):
        merkle.consistency_proof(4, leaves_of(3))
    assert not merkle.verify_inclusion(-1, 3, b"", [], b"")
    assert not merkle.verify_consistency(3, 2, b"", b"", [])


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 300))
def test_the_frontier_gives_the_root_of_every_size(n):
    leaves = leaves_of(n)
    frontier = merkle.frontier(leaves)
    assert len(frontier) == n.bit_count()
    assert merkle.frontier_root(frontier) == merkle.root(leaves) == naive_root(leaves)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 100), more=st.integers(1, 40))
def test_appending_to_a_frontier_is_recomputing_it(n, more):
    leaves = leaves_of(n + more)
    frontier = merkle.frontier(leaves[:n])
    for size in range(n, n + more):
        frontier = merkle.append_to_frontier(frontier, size, leaves[size])
        assert merkle.frontier_root(frontier) == merkle.root(leaves[: size + 1])
    assert frontier == merkle.frontier(leaves)
