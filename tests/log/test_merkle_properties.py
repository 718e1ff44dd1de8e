"""Merkle tree properties: every generated proof verifies, any change to it or to its index, sizes or
roots makes it fail; roots match the reference MTH; each proof is one node fetch; proofs are fast."""

from __future__ import annotations

import hashlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.log import merkle

N = 600
LEAVES = [merkle.leaf_hash(b"leaf %d" % i) for i in range(N)]
TREE = merkle.MemoryTree()
for _leaf in LEAVES:
    TREE.append(_leaf)


class CountingSource:
    def __init__(self, inner: merkle.NodeSource) -> None:
        self.inner, self.calls = inner, 0

    def full_nodes(self, keys):
        self.calls += 1
        return self.inner.full_nodes(keys)


def flip(proof: list[bytes], bit: int) -> list[bytes]:
    i, b = divmod(bit % (len(proof) * 256), 256)
    bad = list(proof)
    bad[i] = bytes(x ^ (1 << (b % 8)) if j == b // 8 else x for j, x in enumerate(bad[i]))
    return bad


sizes_and_index = st.integers(1, N).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1)))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, N))
def test_root_hash_equals_reference_mth(size):
    assert merkle.root_hash(TREE, size) == merkle.mth(LEAVES[:size]) == TREE.root(size)


@settings(max_examples=150, deadline=None)
@given(sizes_and_index, st.integers(0, 1 << 20), st.integers(1, N))
def test_inclusion_proof_verifies_and_any_change_fails(case, bit, other):
    size, index = case
    root = merkle.mth(LEAVES[:size])
    src = CountingSource(TREE)
    proof = merkle.inclusion_proof(src, index, size)
    assert src.calls == (1 if size > 1 else 0)
    merkle.verify_inclusion(LEAVES[index], index, size, proof, root)
    if proof:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(LEAVES[index], index, size, flip(proof, bit), root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(LEAVES[index], index, size, proof, flip([root], bit)[0])
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(flip([LEAVES[index]], bit)[0], index, size, proof, root)
    other_index = other % size
    if other_index != index:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(LEAVES[index], other_index, size, proof, root)
    if other != size:
        # Against the other size's own root the proof fails (unless it is that size's proof too).
        if index < other and merkle.inclusion_proof(TREE, index, other) != proof:
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(LEAVES[index], index, other, proof, merkle.mth(LEAVES[:other]))
        # An RFC 6962 root does not commit to the size (the checkpoint does), so only a size whose
        # audit path has another shape is certain to fail against the same root.
        if index >= other or len(merkle.inclusion_proof(TREE, index, other)) != len(proof):
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(LEAVES[index], index, other, proof, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(LEAVES[index], index, size, [*proof, root], root)
    if proof:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(LEAVES[index], index, size, proof[:-1], root)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, N).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))), st.integers(0, 1 << 20),
       st.integers(1, N))
def test_consistency_proof_verifies_and_any_change_fails(case, bit, other):
    a, b = case
    ra, rb = merkle.mth(LEAVES[:a]), merkle.mth(LEAVES[:b])
    src = CountingSource(TREE)
    proof = merkle.consistency_proof(src, a, b)
    assert src.calls == (1 if a < b else 0)
    merkle.verify_consistency(a, b, proof, ra, rb)
    if a == b:
        assert proof == []
        return
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(a, b, flip(proof, bit), ra, rb)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(a, b, proof, flip([ra], bit)[0], rb)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(a, b, proof, ra, flip([rb], bit)[0])
    # As for inclusion: against the other sizes' own roots the proof fails unless it is theirs too, and
    # against the same roots whenever the other sizes' proofs have another length.
    ro = merkle.mth(LEAVES[:other])
    if other != a:
        if not 0 < other <= b or len(merkle.consistency_proof(TREE, other, b)) != len(proof):
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(other, b, proof, ra, rb)
        if 0 < other < b and merkle.consistency_proof(TREE, other, b) != proof:
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(other, b, proof, ro, rb)
    if other != b:
        if other < a or len(merkle.consistency_proof(TREE, a, other)) != len(proof):
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(a, other, proof, ra, rb)
        if other > a and merkle.consistency_proof(TREE, a, other) != proof:
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(a, other, proof, ra, ro)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(a, b, proof[:-1], ra, rb)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(a, b, [*proof, ra], ra, rb)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, N - 1))
def test_appended_nodes_fetch_once_and_match_the_tree(index):
    t = merkle.MemoryTree()
    for leaf in LEAVES[:index]:
        t.append(leaf)
    src = CountingSource(t)
    nodes = merkle.appended_nodes(src, index, LEAVES[index])
    assert src.calls <= 1
    assert [lv for lv, _, _ in nodes] == list(range(1, len(nodes) + 1))
    for level, i, h in nodes:
        assert h == merkle.mth(LEAVES[i << level:(i + 1) << level])
        assert TREE.full_nodes([(level, i)]) == [h]


def test_root_hash_is_one_fetch():
    for size in (1, 2, 3, 255, 256, 257, 599, 600):
        src = CountingSource(TREE)
        merkle.root_hash(src, size)
        assert src.calls == 1


def test_bad_arguments():
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(TREE, 5, 5)
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(TREE, -1, 5)
    for a, b in ((0, 5), (6, 5), (-1, 3)):
        with pytest.raises(merkle.ProofError):
            merkle.consistency_proof(TREE, a, b)
    with pytest.raises(merkle.ProofError):
        TREE.root(N + 1)
    with pytest.raises(merkle.ProofError):
        merkle.root_hash(TREE, -1)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(-1, 3, [LEAVES[0]], LEAVES[0], LEAVES[1])
    assert merkle.root_hash(TREE, 0) == merkle.EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert merkle.mth([]) == merkle.EMPTY_ROOT


class SyntheticSource:
    """Stands in for a dict-backed store of a 10^6-leaf tree: a hash per node key."""

    def __init__(self) -> None:
        self.d: dict[tuple[int, int], bytes] = {}

    def full_nodes(self, keys):
        d = self.d
        out = []
        for k in keys:
            h = d.get(k)
            if h is None:
                h = d[k] = hashlib.sha256(b"%d/%d" % k).digest()
            out.append(h)
        return out


def test_inclusion_proof_of_a_million_leaf_tree_is_well_under_a_millisecond():
    size = 1_000_000
    src = SyntheticSource()
    indexes = [(i * 7919) % size for i in range(2000)]
    for i in indexes:  # warm the dict, as a populated store would be
        merkle.inclusion_proof(src, i, size)
    t0 = time.perf_counter()
    for i in indexes:
        assert merkle.inclusion_proof(src, i, size)
    mean = (time.perf_counter() - t0) / len(indexes)
    assert mean < 1e-3, f"{mean * 1e6:.0f} µs per proof"
