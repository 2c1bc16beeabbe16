"""The follower: appends every new event to the Merkle log and issues checkpoints by policy.

It follows the events table like a projection: it reads new rows outside any write lock,
hashes them, and then, in ONE short write transaction, inserts the leaves, every new perfect
subtree node and advances its tracking row with a compare-and-set. A batch is therefore applied
exactly once, and a crash or a concurrent follower simply resumes from the tracking row.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from integrity.backends import open_store
from integrity.checkpoints import issue_checkpoint_in
from integrity.config import database_url
from integrity.errors import StoreUnavailable
from integrity.hashing import leaf_hashes, oid_text
from integrity.keys import KeyStore, Signer
from integrity.merkle import CompactRange
from integrity.store import MIN_STORED_LEVEL, CheckpointRecord, Store

__all__ = ["FollowResult", "IntegrityFollower", "catch_up", "issue_checkpoint"]


@dataclass
class FollowResult:
    leaves_added: int = 0
    tree_size: int = 0
    last_notification_id: int = 0
    batches: int = 0
    conflicts: int = 0
    checkpoints: list[CheckpointRecord] = field(default_factory=list)
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["checkpoints"] = [{"tree_size": c.tree_size, "root": c.root.hex()} for c in self.checkpoints]
        return d


class IntegrityFollower:
    """Follows the events table, appends leaves and nodes, issues checkpoints by policy."""

    def __init__(
        self,
        url: str | None = None,
        keys: str | os.PathLike[str] | KeyStore | None = None,
        *,
        batch_size: int = 5000,
        checkpoint_every: int | None = 10_000,
        checkpoint_interval: float | None = 60.0,
        store: Store | None = None,
    ) -> None:
        self.url = database_url(url)
        self.keystore = keys if isinstance(keys, KeyStore) else KeyStore(keys)
        self.batch_size = batch_size
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval
        self._store = store
        self._own_store = store is None
        self._range: CompactRange | None = None
        self._tracking: tuple[int, int] | None = None
        self._ready = False
        self._signer: Signer | None | bool = False  # False: not loaded yet
        self._last_cp: tuple[int, float] | None = None  # (tree size, monotonic time)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.url)
        return self._store

    def close(self) -> None:
        if self._store is not None and self._own_store:
            self._store.close()
            self._store = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def signer(self) -> Signer | None:
        if self._signer is False:
            self._signer = self.keystore.signer()
        return self._signer or None

    def _prepare(self) -> bool:
        if not self._ready:
            if not self.store.table_exists("casetrail_events" if self.store.kind == "postgres"
                                           else "stored_events"):
                return False
            self.store.ensure_tables()
            self._ready = True
            if self.signer() is not None:
                self._load_last_checkpoint()
        return True

    def catch_up(self, max_events: int | None = None) -> FollowResult:
        """Append every event not yet in the tree; returns what was done."""
        t0 = time.perf_counter()
        res = FollowResult()
        if not self._prepare():
            return res
        store = self.store
        while max_events is None or res.leaves_added < max_events:
            tracking = store.tracking()
            if self._tracking != tracking or self._range is None:
                self._range = store.compact_range(tracking[1])
                self._tracking = tracking
            limit = self.batch_size
            if max_events is not None:
                limit = min(limit, max_events - res.leaves_added)
            if self.checkpoint_every and self._last_cp is not None and self.signer() is not None:
                # end the batch exactly where the next checkpoint is due
                due_in = self._last_cp[0] + self.checkpoint_every - tracking[1]
                if due_in > 0:
                    limit = min(limit, due_in)
            rows = store.read_events(tracking[0], limit)
            if not rows:
                break
            hashes = leaf_hashes(rows)
            size = tracking[1]
            oids: dict[Any, str] = {}
            leaves = [
                (size + i, r[0], oids.get(r[1]) or oids.setdefault(r[1], oid_text(r[1])),
                 r[2] if type(r[2]) is int else None, h)
                for i, (r, h) in enumerate(zip(rows, hashes))
            ]
            new_range = self._range.copy()
            nodes: list[tuple[int, int, bytes]] = []
            new_range.append(hashes, nodes, MIN_STORED_LEVEL)
            new_tracking = (int(rows[-1][0]), new_range.size)
            if not store.write_batch(tracking, new_tracking, leaves, nodes):
                res.conflicts += 1
                self._range = None
                continue
            self._range, self._tracking = new_range, new_tracking
            res.leaves_added += len(rows)
            res.batches += 1
            self._maybe_checkpoint(res)
            if len(rows) < limit:
                break
        self._maybe_checkpoint(res)
        if self._tracking is not None:
            res.last_notification_id, res.tree_size = self._tracking
        res.elapsed = time.perf_counter() - t0
        return res

    def sign_tail(self, res: FollowResult) -> None:
        """After a one-shot catch-up: sign the tree head if events were logged since the last
        checkpoint (with a key), so that a verify right after covers every logged event."""
        if self.signer() is None or self._tracking is None:
            return
        self._load_last_checkpoint()
        assert self._last_cp is not None
        if self._tracking[1] > self._last_cp[0]:
            res.checkpoints.append(self.checkpoint())

    def _maybe_checkpoint(self, res: FollowResult) -> None:
        if self.signer() is None or self._tracking is None:
            return
        size = self._tracking[1]
        self._load_last_checkpoint()
        assert self._last_cp is not None
        last_size, last_time = self._last_cp
        if size <= last_size:
            return
        due = (self.checkpoint_every is not None and size - last_size >= self.checkpoint_every)
        due = due or (self.checkpoint_interval is not None
                      and time.monotonic() - last_time >= self.checkpoint_interval)
        if due:
            res.checkpoints.append(self.checkpoint())

    def _load_last_checkpoint(self) -> None:
        if self._last_cp is None:
            latest = self.store.latest_checkpoint()
            self._last_cp = (latest.tree_size if latest else 0, time.monotonic())
            if latest is None:
                self._last_cp = (0, float("-inf"))

    def checkpoint(self) -> CheckpointRecord:
        """Sign the current tree head now (after checking it against earlier checkpoints)."""
        signer = self.signer()
        if signer is None:
            raise FileNotFoundError(
                f"no signing key in {self.keystore.dir} (run: casetrail integrity keygen)")
        if not self._prepare():
            raise StoreUnavailable("no events table in this store")
        rec = issue_checkpoint_in(self.store, signer, self.keystore)
        self._last_cp = (rec.tree_size, time.monotonic())
        return rec

    def run_forever(self, stop: threading.Event | None = None, poll: float = 0.5,
                    on_batch: Any = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            res = self.catch_up()
            if on_batch is not None and (res.leaves_added or res.checkpoints):
                on_batch(res)
            if res.leaves_added < self.batch_size:
                stop.wait(poll)


def catch_up(
    url: str | None = None,
    keys: str | os.PathLike[str] | None = None,
    *,
    batch_size: int = 5000,
    checkpoint_every: int | None = 10_000,
    checkpoint_interval: float | None = 60.0,
    max_events: int | None = None,
) -> FollowResult:
    """Bring the integrity log up to date with the events table once (idempotent, resumable).

    Checkpoints are issued by policy when a signing key is present in ``keys``.
    """
    with IntegrityFollower(url, keys, batch_size=batch_size, checkpoint_every=checkpoint_every,
                           checkpoint_interval=checkpoint_interval) as f:
        return f.catch_up(max_events=max_events)


def issue_checkpoint(url: str | None = None, keys: str | os.PathLike[str] | None = None,
                     *, follow: bool = True) -> CheckpointRecord:
    """Catch up (unless ``follow=False``) and sign a checkpoint of the whole tree now."""
    with IntegrityFollower(url, keys, checkpoint_every=None, checkpoint_interval=None) as f:
        if follow:
            f.catch_up()
        return f.checkpoint()

