"""Verify's scan: re-hash every event (in parallel partitions on a large store), compare with the
leaf table chunk by chunk, and compute the tree roots at the sizes that checkpoints name."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from integrity.backends import open_store
from integrity.hashing import leaf_hashes
from integrity.merkle import CompactRange
from integrity.store import MIN_STORED_LEVEL, Store
from verifier.casetrail_verify import EMPTY_ROOT

__all__ = ["CHUNK", "CHUNK_LEVEL", "PARALLEL_MIN_EVENTS", "Hashed", "Partition",
           "altered_chunks", "hash_partition", "hash_partitions", "plan_partitions", "roots_at"]

CHUNK_LEVEL = 13
CHUNK = 1 << CHUNK_LEVEL  # leaves per perfect subtree that a verify worker hands back whole
PARALLEL_MIN_EVENTS = 200_000


@dataclass
class Partition:
    start: int  # ordinal of the first event (a multiple of CHUNK)
    lo: int | None  # notification ids lo <= nid < hi
    hi: int | None
    count: int


@dataclass
class Hashed:
    """What one verify worker hands back for its run of events."""

    start: int
    count: int
    chunk_roots: list[bytes]  # roots of the complete CHUNK-leaf subtrees, in order
    chunk_leaves: dict[int, bytes]  # all leaf hashes of chunks that contain a needed tree size
    tail: bytes  # leaf hashes after the last complete chunk
    mismatch: tuple[int, int] | None  # first (position, notification id) differing from the log
    bad_nodes: list[int]  # chunks whose stored subtree root was altered (events are fine)


def _first_difference(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n
    while hi - lo > 64:  # binary search on slices: C-speed comparisons
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    for i in range(lo, hi):
        if a[i] != b[i]:
            return i
    return hi


def hash_partition(store: Store, part: Partition, batch: int, leaf_count: int,
                   targets: Sequence[int], thorough: bool = False) -> Hashed:
    """Hash the events of one partition, reduce every complete CHUNK of leaves to its subtree
    root, and compare with the log: a complete logged chunk by its stored root (one lookup per
    CHUNK leaves; leaf by leaf only if it differs), the rest - or everything, if ``thorough`` -
    leaf by leaf."""
    thorough = thorough or CHUNK_LEVEL < MIN_STORED_LEVEL  # chunk roots must be stored ones
    want = {t // CHUNK for t in targets if t % CHUNK}
    roots: list[bytes] = []
    kept: dict[int, bytes] = {}
    pending: list[bytes] = []
    pending_nids: list[int] = []
    sha = hashlib.sha256
    pos = part.start
    found: list[tuple[int, int]] = []
    bad_nodes: list[int] = []
    logged_chunks = leaf_count // CHUNK  # chunks whose root the follower has stored
    stored_roots = {} if thorough else store.chunk_roots(
        CHUNK_LEVEL, part.start // CHUNK,
        min(logged_chunks, (part.start + part.count) // CHUNK + 1))
    leafwise_from = 0 if thorough else logged_chunks * CHUNK
    after = None if part.lo is None else part.lo - 1

    def compare(start: int, hs: Sequence[bytes], nids: Sequence[int]) -> bool:
        stored = store.leaf_hash_blob(start, start + len(hs))
        mine = b"".join(hs)
        if stored == mine:
            return True
        i = _first_difference(stored, mine) // 32
        found.append((start + i, int(nids[min(i, len(nids) - 1)])))
        return False

    for rows in store.iter_event_batches(batch, after=after, before=part.hi):
        hs = leaf_hashes(rows)
        nids = [r[0] for r in rows]
        m = len(hs)
        a, b = max(pos, leafwise_from), min(pos + m, leaf_count)
        if a < b and not any(f[0] < a for f in found):
            compare(a, hs[a - pos:b - pos], nids[a - pos:b - pos])
        pending.extend(hs)
        pending_nids.extend(nids)
        pos += m
        while len(pending) >= CHUNK:
            level = pending[:CHUNK]
            level_nids = pending_nids[:CHUNK]
            del pending[:CHUNK], pending_nids[:CHUNK]
            j = part.start // CHUNK + len(roots)
            if j in want:
                kept[j] = b"".join(level)
            leaves = level
            while len(level) > 1:
                level = [sha(b"\x01" + x + y).digest() for x, y in zip(level[0::2], level[1::2])]
            roots.append(level[0])
            earliest = min(found)[0] if found else pos
            if (j in stored_roots and stored_roots[j] != level[0] and j * CHUNK < earliest
                    and compare(j * CHUNK, leaves, level_nids)):
                bad_nodes.append(j)  # events and leaves agree: the node row was altered
    mismatch = min(found) if found else None
    if not thorough:
        limit = mismatch[0] if mismatch else pos
        bad_nodes.extend(j for j in range(part.start // CHUNK, part.start // CHUNK + len(roots))
                         if j < logged_chunks and j not in stored_roots and j * CHUNK < limit)
    return Hashed(part.start, pos - part.start, roots, kept, b"".join(pending), mismatch,
                   bad_nodes)


def _partition_worker(url: str, snapshot: str | None, part: Partition, batch: int,
                      leaf_count: int, targets: list[int], thorough: bool) -> Hashed:
    with open_store(url, readonly=True) as st, st.snapshot(import_id=snapshot):
        return hash_partition(st, part, batch, leaf_count, targets, thorough)


def plan_partitions(n: int, lo: int | None, hi: int | None, store: Store,
                    workers: int) -> list[Partition]:
    if workers < 2 or n < PARALLEL_MIN_EVENTS or lo is None or hi is None:
        return [Partition(0, None, None, n)]
    per = max(CHUNK, (n // workers) // CHUNK * CHUNK)
    starts = list(range(0, n, per))[:workers]
    bounds = [lo] + [store.nid_at_ordinal(k) for k in starts[1:]] + [hi + 1]
    return [
        Partition(k, bounds[i], bounds[i + 1],
                   (starts[i + 1] if i + 1 < len(starts) else n) - k)
        for i, k in enumerate(starts)
    ]


def hash_partitions(store: Store, parts: list[Partition], batch: int, leaf_count: int,
                    targets: list[int], thorough: bool = False) -> list[Hashed] | None:
    """Partition 0 is hashed here, the others in forked worker processes (same snapshot on
    PostgreSQL; on SQLite, bounded by notification id, which only ever grows)."""
    if len(parts) == 1:
        return [hash_partition(store, parts[0], batch, leaf_count, targets, thorough)]
    import multiprocessing as mp

    try:
        ctx = mp.get_context("fork")
    except ValueError:
        ctx = mp.get_context("spawn")
    snapshot = store.export_snapshot()
    with ctx.Pool(len(parts) - 1) as pool:
        pending = [pool.apply_async(_partition_worker,
                                    (store.url, snapshot, p, batch, leaf_count, targets,
                                     thorough))
                   for p in parts[1:]]
        first = hash_partition(store, parts[0], batch, leaf_count, targets, thorough)
        rest = [r.get() for r in pending]
    results = [first, *rest]
    if any(r.count != p.count for r, p in zip(results, parts)):
        return None
    return results


def altered_chunks(results: list[Hashed],
                   diverged: tuple[int, int | None] | None) -> list[tuple[int, int]]:
    """(first, last) positions of each chunk whose stored subtree root was altered or removed
    while its events match their leaves, before the first position where the events diverge."""
    return [(j * CHUNK, (j + 1) * CHUNK - 1) for r in results for j in r.bad_nodes
            if diverged is None or j * CHUNK < diverged[0]]


def roots_at(results: list[Hashed], sizes: list[int], targets: list[int]) -> dict[int, bytes]:
    """The tree roots at ``targets`` (sizes the scan reached, ascending), and at 0 if wanted."""
    roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in sizes else {}
    cr = CompactRange()
    ti = 0

    def reached() -> None:
        nonlocal ti
        while ti < len(targets) and targets[ti] == cr.size:
            roots[targets[ti]] = cr.root()
            ti += 1

    def feed(blob: bytes) -> None:
        a, total = 0, len(blob) // 32
        while a < total:
            b = total
            if ti < len(targets) and targets[ti] - cr.size <= total - a:
                b = a + targets[ti] - cr.size
            cr.append([blob[i:i + 32] for i in range(32 * a, 32 * b, 32)])
            a = b
            reached()

    for r in results:
        for i, chunk_root in enumerate(r.chunk_roots):
            j = r.start // CHUNK + i
            if j in r.chunk_leaves:
                feed(r.chunk_leaves[j])
            else:
                cr.append_node(CHUNK_LEVEL, chunk_root)
                reached()
        feed(r.tail)
    return roots
