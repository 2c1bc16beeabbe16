"""RFC 6962 Merkle tree: proof generation and the incremental (compact range) tree builder.

Pure functions, no I/O. Hashing and proof *verification* live in the standalone verifier
(:mod:`verifier.casetrail_verify`) and are re-exported here, so the project and an auditor's
offline tool share one implementation.

Indexing: a *perfect node* ``(level, idx)`` is the root of the complete subtree over leaves
``[idx * 2**level, (idx + 1) * 2**level)``; level 0 are the leaf hashes themselves. Every
subtree that appears in an RFC 6962 proof is a range ``[start, end)`` that decomposes into
perfect nodes of strictly decreasing size (:func:`perfect_subtrees`), whose hash is the right
fold of those nodes (:func:`fold`). The integrity follower stores every perfect node, so any
proof for any tree size is O(log n) lookups.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat

from verifier.casetrail_verify import (
    EMPTY_ROOT,
    HASH_SIZE,
    hash_children,
    hash_leaf,
    merkle_root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeRow",
    "consistency_proof",
    "consistency_proof_ranges",
    "fold",
    "hash_children",
    "hash_leaf",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "merkle_root",
    "perfect_subtrees",
    "proof_from_nodes",
    "root_from_inclusion_proof",
    "split_point",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256
NodeRow = tuple[int, int, bytes]  # (level, idx, hash)


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2): RFC 6962's k."""
    if n < 2:
        raise ValueError("split_point needs n >= 2")
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees ``[start, end)`` of PATH(index, D[0:size]), leaf to root (RFC 6962 2.1.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    out: list[tuple[int, int]] = []
    stack: list[tuple[int, int]] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = split_point(end - start)
        if m < k:
            stack.append((start + k, end))
            end = start + k
        else:
            stack.append((start, start + k))
            start, m = start + k, m - k
    while stack:
        out.append(stack.pop())
    return out


def consistency_proof_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The subtrees of PROOF(size1, D[0:size2]) (RFC 6962 2.1.2); empty for 0 or equal sizes."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == 0 or size1 == size2:
        return []
    stack: list[tuple[int, int]] = []
    start, end, m, b = 0, size2, size1, True
    while True:
        n = end - start
        if m == n:
            if not b:
                stack.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            stack.append((start + k, end))
            end = start + k
        else:
            stack.append((start, start + k))
            start, m, b = start + k, m - k, False
    stack.reverse()
    return stack


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Decompose ``[start, end)`` into aligned perfect nodes ``(level, idx)``, left to right."""
    out = []
    s = start
    while s < end:
        size = (s & -s) if s else 1 << ((end - s).bit_length() - 1)
        while s + size > end:
            size >>= 1
        level = size.bit_length() - 1
        out.append((level, s >> level))
        s += size
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a subtree given its perfect nodes left to right (right fold)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = hash_children(h, acc)
    return acc


def _range_hash_in_memory(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    return merkle_root(leaves[start:end])


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """In-memory inclusion proof (for tests and small trees)."""
    size = len(leaf_hashes) if size is None else size
    return [_range_hash_in_memory(leaf_hashes, a, b) for a, b in inclusion_proof_ranges(index, size)]


def consistency_proof(leaf_hashes: Sequence[bytes], size1: int, size2: int | None = None) -> list[bytes]:
    size2 = len(leaf_hashes) if size2 is None else size2
    return [_range_hash_in_memory(leaf_hashes, a, b)
            for a, b in consistency_proof_ranges(size1, size2)]


def proof_from_nodes(
    ranges: Iterable[tuple[int, int]], get_nodes: Callable[[set[tuple[int, int]]], dict]
) -> list[bytes]:
    """Materialise proof ranges with one batched lookup of the perfect nodes they need."""
    ranges = list(ranges)
    parts = [perfect_subtrees(a, b) for a, b in ranges]
    wanted = {node for p in parts for node in p}
    nodes = get_nodes(wanted) if wanted else {}
    missing = wanted - nodes.keys()
    if missing:
        raise LookupError(f"tree nodes missing: {sorted(missing)[:5]}")
    return [fold([nodes[n] for n in p]) for p in parts]


class CompactRange:
    """The right border of a growing tree: one perfect node per set bit of ``size``.

    ``append`` adds leaf hashes block by block (each block hashed level-wise with list
    comprehensions, which is what makes it fast in CPython) and reports every new perfect
    node of level >= 1 to ``emit`` so the follower can store it.
    """

    __slots__ = ("hashes", "levels", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        self.size = size
        self.levels = [lvl for lvl in range(size.bit_length() - 1, -1, -1) if size >> lvl & 1]
        self.hashes = list(hashes)
        if len(self.hashes) != len(self.levels):
            raise ValueError("a compact range needs one hash per set bit of its size")

    @staticmethod
    def border(size: int) -> list[tuple[int, int]]:
        """The perfect nodes ``(level, idx)`` that make up a tree of ``size`` leaves."""
        return perfect_subtrees(0, size)

    def copy(self) -> CompactRange:
        c = CompactRange.__new__(CompactRange)
        c.size, c.levels, c.hashes = self.size, list(self.levels), list(self.hashes)
        return c

    def root(self) -> bytes:
        return fold(self.hashes)

    def append_node(self, level: int, h: bytes) -> None:
        """Append a whole perfect subtree (``size`` must be a multiple of its width)."""
        if self.size & ((1 << level) - 1):
            raise ValueError(f"a level-{level} node cannot start at leaf {self.size}")
        levels, hashes = self.levels, self.hashes
        self.size += 1 << level
        while levels and levels[-1] == level:
            levels.pop()
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            level += 1
        levels.append(level)
        hashes.append(h)

    def append(self, leaves: Sequence[bytes], emit: list[NodeRow] | None = None,
               emit_min_level: int = 1) -> None:
        sha = _sha256
        i, total = 0, len(leaves)
        levels, hashes = self.levels, self.hashes
        while i < total:
            n = self.size
            k = (total - i).bit_length() - 1
            if n:
                k = min(k, (n & -n).bit_length() - 1)
            width = 1 << k
            block = leaves[i:i + width]
            for lvl in range(1, k + 1):
                block = [sha(b"\x01" + a + b).digest() for a, b in zip(block[0::2], block[1::2])]
                if emit is not None and lvl >= emit_min_level:
                    emit.extend(zip(repeat(lvl), range(n >> lvl, (n >> lvl) + len(block)), block))
            h = block[0]
            self.size = n = n + width
            lvl = k
            while levels and levels[-1] == lvl:
                levels.pop()
                h = sha(b"\x01" + hashes.pop() + h).digest()
                lvl += 1
                if emit is not None and lvl >= emit_min_level:
                    emit.append((lvl, (n >> lvl) - 1, h))
            levels.append(lvl)
            hashes.append(h)
            i += width
