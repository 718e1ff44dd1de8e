"""RFC 6962 / RFC 9162 Merkle trees: leaf and node hashing, roots, inclusion and consistency proofs
built from full-subtree hashes, and their verification. Pure: storage is a ``NodeSource``."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    pass


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """The reference RFC 6962 Merkle Tree Hash over leaf hashes."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


class NodeSource(Protocol):
    def full_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]: ...


def _range_keys(start: int, end: int) -> list[tuple[int, int]]:
    """Decompose leaves [start, end) into maximal full subtrees, left to right (start aligned as in RFC 6962)."""
    keys = []
    while start < end:
        # Largest power of two that is aligned at start and fits.
        size = start & -start if start else 1 << (end - 1).bit_length()
        while size > end - start:
            size >>= 1
        level = size.bit_length() - 1
        keys.append((level, start >> level))
        start += size
    return keys


def _fold(hashes: list[bytes]) -> bytes:
    """Hash of a range from its full subtrees: they fold right to left (the right edge is smallest)."""
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


def root_hash(src: NodeSource, size: int) -> bytes:
    if size < 0:
        raise ProofError(f"no tree of size {size}")
    if size == 0:
        return EMPTY_ROOT
    return _fold(src.full_nodes(_range_keys(0, size)))


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The sibling ranges of an RFC 6962 audit path, from the leaf upwards."""
    out = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index - lo < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo = lo + k
    out.reverse()
    return out


def _inclusion_ranges_many(indices: list[int], size: int) -> dict[int, list[tuple[int, int]]]:
    """``_inclusion_ranges`` of several sorted, distinct indices, walking the shared part of their paths once."""
    out: dict[int, list[tuple[int, int]]] = {}

    def walk(lo: int, hi: int, idx: list[int], above: list[tuple[int, int]]) -> None:
        if hi - lo == 1:
            out[idx[0]] = above[::-1]
            return
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        mid = lo + k
        cut = bisect.bisect_left(idx, mid)
        if cut:
            walk(lo, mid, idx[:cut], [*above, (mid, hi)])
        if cut < len(idx):
            walk(mid, hi, idx[cut:], [*above, (lo, mid)])

    if indices:
        walk(0, size, indices, [])
    return out


def _consistency_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """RFC 6962 SUBPROOF(m, D[0:n], true) as leaf ranges, in proof order."""
    out: list[tuple[int, int]] = []

    def sub(m: int, lo: int, hi: int, whole: bool) -> None:
        if m == hi - lo:
            if not whole:
                out.append((lo, hi))
            return
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if m <= k:
            sub(m, lo, lo + k, whole)
            out.append((lo + k, hi))
        else:
            sub(m - k, lo + k, hi, False)
            out.append((lo, lo + k))

    sub(m, 0, n, True)
    return out


def _ranges_hashes(src: NodeSource, ranges: list[tuple[int, int]]) -> list[bytes]:
    parts = [_range_keys(a, b) for a, b in ranges]
    flat = [k for p in parts for k in p]
    got = src.full_nodes(flat) if flat else []
    out, pos = [], 0
    for p in parts:
        out.append(_fold(got[pos : pos + len(p)]))
        pos += len(p)
    return out


def inclusion_proof(src: NodeSource, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    return _ranges_hashes(src, _inclusion_ranges(index, size))


def inclusion_proofs(src: NodeSource, indices: Sequence[int], size: int) -> list[list[bytes]]:
    """The inclusion proofs of several leaves in one tree of ``size``, as ``inclusion_proof`` gives each: the
    nodes of all of them fetched in one call and each sibling range folded once (a batch's receipts share
    most of their paths)."""
    for index in indices:
        if not 0 <= index < size:
            raise ProofError(f"index {index} is outside a tree of size {size}")
    by_index = _inclusion_ranges_many(sorted(set(indices)), size)
    paths = [by_index[index] for index in indices]
    unique = list(dict.fromkeys(r for path in paths for r in path))
    hashes = dict(zip(unique, _ranges_hashes(src, unique), strict=True))
    return [[hashes[r] for r in path] for path in paths]


def consistency_proof(src: NodeSource, size1: int, size2: int) -> list[bytes]:
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from {size1} to {size2}")
    if size1 == size2:
        return []
    return _ranges_hashes(src, _consistency_ranges(size1, size2))


def _check(h: bytes, name: str) -> None:
    if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_SIZE:
        raise ProofError(f"{name} must be {HASH_SIZE} bytes")


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check(leaf, "leaf hash")
    inner, border = _decomp(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"wrong proof length {len(proof)}, want {inner + border}")
    h = leaf
    for i, p in enumerate(proof):
        _check(p, "proof hash")
        if i < inner and not (index >> i) & 1:
            h = node_hash(h, p)
        else:
            h = node_hash(p, h)
    return h


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    _check(root, "root")
    if root_from_inclusion(leaf, index, size, proof) != root:
        raise ProofError("inclusion proof does not lead to the root")


def _decomp(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    if size1 < 0:
        raise ProofError("negative tree size")
    if size2 < size1:
        raise ProofError("the second tree is smaller than the first")
    if size1 == 0:
        raise ProofError("no consistency proof from an empty tree")
    # Equal sizes compare the roots as given (the transparency-dev vectors use short dummy roots).
    if size1 == size2:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if root1 != root2:
            raise ProofError("equal sizes with different roots")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    _check(root1, "first root")
    _check(root2, "second root")
    for p in proof:
        _check(p, "proof hash")
    inner, border = _decomp(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    # The proof starts with the root of the subtree of size 2^shift, unless that is the whole first tree.
    seed, start = (root1, 0) if size1 == 1 << shift else (proof[0], 1)
    if len(proof) != start + inner + border:
        raise ProofError(f"wrong proof length {len(proof)}, want {start + inner + border}")
    rest = proof[start:]
    mask = (size1 - 1) >> shift
    h1 = h2 = seed
    for i, p in enumerate(rest[:inner]):
        if (mask >> i) & 1:
            h1 = node_hash(p, h1)
            h2 = node_hash(p, h2)
        else:
            h2 = node_hash(h2, p)
    for p in rest[inner:]:
        h1 = node_hash(p, h1)
        h2 = node_hash(p, h2)
    if h1 != root1:
        raise ProofError("consistency proof does not lead to the first root")
    if h2 != root2:
        raise ProofError("consistency proof does not lead to the second root")


def appended_nodes(src: NodeSource, index: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """The level >= 1 nodes completed by appending ``leaf`` at ``index``, lowest level first."""
    if index < 0:
        raise ProofError("negative leaf index")
    # Each trailing one bit of the index completes one node; its left siblings all exist already,
    # so they are fetched together (one query for a database source).
    height = (index ^ (index + 1)).bit_length() - 1
    if height == 0:
        return []
    lefts = src.full_nodes([(level, (index >> level) - 1) for level in range(height)])
    out = []
    h = leaf
    for level, left in enumerate(lefts, 1):
        h = node_hash(left, h)
        out.append((level, index >> level, h))
    return out


class MemoryTree:
    """Every full node of every level in lists: for tests, benchmarks and clients."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> int:
        index = self.size
        self.levels[0].append(leaf)
        for level, _, h in appended_nodes(self, index, leaf):
            if len(self.levels) <= level:
                self.levels.append([])
            self.levels[level].append(h)
        return index

    def full_nodes(self, keys: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.levels[lv][i] for lv, i in keys]

    def root(self, size: int | None = None) -> bytes:
        if size is None:
            size = self.size
        if not 0 <= size <= self.size:
            raise ProofError(f"no tree of size {size}: the tree has {self.size} leaves")
        return root_hash(self, size)
