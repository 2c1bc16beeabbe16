"""Raw access to one database's events table and integrity tables (the backends' shared part)."""
from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Self

from integrity.merkle import CompactRange, merkle_root
from verifier.casetrail_verify import EMPTY_ROOT, format_checkpoint_body

TRACKING_NAME = "casetrail"
# Nodes of levels 1..3 are not stored (they are rebuilt from <= 8 leaves when a proof needs
# them): that is 7/8 fewer node rows for the follower to write.
MIN_STORED_LEVEL = 4

__all__ = ["MIN_STORED_LEVEL", "TRACKING_NAME", "CheckpointRecord", "Store"]


@dataclass
class CheckpointRecord:
    id: int
    tree_size: int
    root: bytes
    issued_at: str
    key_id: str
    signature: bytes

    def body(self, origin: str) -> str:
        return format_checkpoint_body(origin, self.tree_size, self.root, self.issued_at)

    def note(self, origin: str) -> str:
        name, _, hex8 = self.key_id.rpartition("+")
        try:
            kh = bytes.fromhex(hex8)
        except ValueError:
            kh = b"\0\0\0\0"
        sig = base64.b64encode(kh + self.signature).decode()
        return self.body(origin) + "\n" + f"\u2014 {name} {sig}\n"

    def summary(self, origin: str) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size, "root": self.root.hex(),
            "root_b64": base64.b64encode(self.root).decode(), "issued_at": self.issued_at,
            "key_id": self.key_id, "origin": origin, "checkpoint_id": self.id,
        }


_INTEGRITY_TABLES = ("integrity_meta", "integrity_tracking", "integrity_leaves",
                     "integrity_nodes", "integrity_checkpoints")


class Store:
    """Raw access to the events table and the integrity tables of one database."""

    kind = ""
    events: str = ""
    nid_col: str = ""
    url: str = ""
    _has_log = False
    _log_id = ""

    def t(self, name: str) -> str:
        return name

    def q(self, sql: str) -> str:
        return sql

    # --- implemented per backend -----------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def close(self) -> None: ...
    def table_exists(self, name: str) -> bool: ...
    def ensure_tables(self) -> None: ...
    def snapshot(self, import_id: str | None = None) -> Any: ...
    def write_batch(self, expected: tuple[int, int], new: tuple[int, int],
                    leaves: list[tuple], nodes: list[tuple]) -> bool: ...
    def iter_event_batches(self, batch: int, after: int | None = None,
                           before: int | None = None) -> Iterator[list]: ...
    def insert_checkpoint(self, rec: CheckpointRecord) -> int: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- shared queries --------------------------------------------------------------------
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self.execute(self.q(sql), params).fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(self.q(sql), params).fetchone()

    def has_integrity_tables(self) -> bool:
        if not self._has_log:  # tables are never dropped by Casetrail: cache a yes
            self._has_log = all(self.table_exists(t) for t in _INTEGRITY_TABLES)
        return self._has_log

    def meta(self) -> dict[str, str]:
        return dict(self.fetchall(f"SELECT key, value FROM {self.t('integrity_meta')}"))

    def log_id(self) -> str:
        if not self._log_id:
            self._log_id = self.meta().get("log_id", "")
        return self._log_id

    def origin(self) -> str:
        return f"casetrail/{self.log_id()}"

    def tracking(self) -> tuple[int, int]:
        row = self.fetchone(
            f"SELECT notification_id, tree_size FROM {self.t('integrity_tracking')} WHERE name = ?",
            (TRACKING_NAME,))
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def read_events(self, after_nid: int, limit: int) -> list[tuple]:
        return self.fetchall(
            f"SELECT {self.nid_col}, originator_id, originator_version, topic, state "
            f"FROM {self.events} WHERE {self.nid_col} > ? ORDER BY {self.nid_col} LIMIT ?",
            (after_nid, limit))

    def event_by_nid(self, nid: int) -> tuple | None:
        return self.fetchone(
            f"SELECT {self.nid_col}, originator_id, originator_version, topic, state "
            f"FROM {self.events} WHERE {self.nid_col} = ?", (nid,))

    def case_events(self, case_id: str) -> list[tuple]:
        return self.fetchall(
            f"SELECT {self.nid_col}, originator_id, originator_version, topic, state "
            f"FROM {self.events} WHERE originator_id = ? ORDER BY originator_version",
            (self._oid_param(case_id),))

    def _oid_param(self, case_id: str) -> Any:
        return uuid.UUID(str(case_id)).hex

    def nid_of(self, case_id: str, version: int) -> int | None:
        row = self.fetchone(
            f"SELECT {self.nid_col} FROM {self.events} "
            f"WHERE originator_id = ? AND originator_version = ?",
            (self._oid_param(case_id), int(version)))
        return int(row[0]) if row else None

    def leaf_by_nid(self, nid: int) -> tuple[int, bytes] | None:
        row = self.fetchone(
            f"SELECT position, leaf_hash FROM {self.t('integrity_leaves')} WHERE notification_id = ?",
            (nid,))
        return (int(row[0]), bytes(row[1])) if row else None

    def leaves_range(self, start: int, end: int) -> list[tuple]:
        return self.fetchall(
            f"SELECT position, notification_id, leaf_hash, originator_id, originator_version "
            f"FROM {self.t('integrity_leaves')} WHERE position >= ? AND position < ? "
            f"ORDER BY position", (start, end))

    def event_span(self) -> tuple[int, int | None, int | None]:
        row = self.fetchone(
            f"SELECT COUNT(*), MIN({self.nid_col}), MAX({self.nid_col}) FROM {self.events}")
        return int(row[0]), row[1], row[2]

    def nid_at_ordinal(self, k: int) -> int:
        return int(self.fetchone(f"SELECT {self.nid_col} FROM {self.events} "
                                 f"ORDER BY {self.nid_col} LIMIT 1 OFFSET ?", (k,))[0])

    def leaf_hash_blob(self, start: int, end: int) -> bytes:
        """The leaf hashes of positions [start, end) concatenated."""
        return b"".join(bytes(r[0]) for r in self.fetchall(
            f"SELECT leaf_hash FROM {self.t('integrity_leaves')} "
            f"WHERE position >= ? AND position < ? ORDER BY position", (start, end)))

    def export_snapshot(self) -> str | None:
        return None

    def chunk_roots(self, level: int, lo: int, hi: int) -> dict[int, bytes]:
        """Stored roots of the subtrees of ``level`` with lo <= idx < hi."""
        return {int(i): bytes(h) for i, h in self.fetchall(
            f"SELECT idx, hash FROM {self.t('integrity_nodes')} "
            f"WHERE level = ? AND idx >= ? AND idx < ?", (level, lo, hi))}

    def leaf_stats(self) -> tuple[int, int | None]:
        row = self.fetchone(f"SELECT COUNT(*), MAX(position) FROM {self.t('integrity_leaves')}")
        return int(row[0]), (None if row[1] is None else int(row[1]))

    def get_nodes(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Perfect subtree hashes: leaves, stored nodes (level >= MIN_STORED_LEVEL), and the
        low levels in between recomputed from at most 2**(MIN_STORED_LEVEL-1) leaves each.
        One query for the usual proof (a few dozen rows)."""
        low = [(lvl, i) for lvl, i in wanted if lvl < MIN_STORED_LEVEL]
        inner = sorted((lvl, i) for lvl, i in wanted if lvl >= MIN_STORED_LEVEL)
        positions = sorted({p for lvl, i in low for p in range(i << lvl, (i + 1) << lvl)})
        got: dict[tuple[int, int], bytes] = {}
        while positions or inner:
            pos_part, positions = positions[:400], positions[400:]
            in_part, inner = inner[:200], inner[200:]
            for lvl, idx, h in self._fetch_nodes(pos_part, in_part):
                got[(int(lvl), int(idx))] = bytes(h)
        out = {k: v for k, v in got.items() if k in wanted}
        for lvl, i in low:
            hs = [got.get((0, p)) for p in range(i << lvl, (i + 1) << lvl)]
            if all(h is not None for h in hs):
                out[(lvl, i)] = merkle_root(hs)  # type: ignore[arg-type]
        return out

    def _fetch_nodes(self, positions: list[int], nodes: list[tuple[int, int]]) -> list[tuple]:
        queries, params = [], []
        if positions:
            queries.append(f"SELECT 0, position, leaf_hash FROM {self.t('integrity_leaves')} "
                           f"WHERE position IN ({','.join('?' * len(positions))})")
            params += positions
        if nodes:
            cond = " OR ".join(["(level = ? AND idx = ?)"] * len(nodes))
            queries.append(f"SELECT level, idx, hash FROM {self.t('integrity_nodes')} "
                           f"WHERE {cond}")
            params += [v for pair in nodes for v in pair]
        return self.fetchall(" UNION ALL ".join(queries), params)

    def compact_range(self, size: int) -> CompactRange:
        border = CompactRange.border(size)
        nodes = self.get_nodes(set(border))
        missing = [n for n in border if n not in nodes]
        if missing:
            raise LookupError(f"integrity tree nodes missing at size {size}: {missing[:4]}")
        return CompactRange(size, [nodes[n] for n in border])

    def root_at(self, size: int) -> bytes:
        return self.compact_range(size).root() if size else EMPTY_ROOT

    def checkpoints(self) -> list[CheckpointRecord]:
        return [
            CheckpointRecord(int(r[0]), int(r[1]), bytes(r[2]), str(r[3]), str(r[4]), bytes(r[5]))
            for r in self.fetchall(
                f"SELECT id, tree_size, root, issued_at, key_id, signature "
                f"FROM {self.t('integrity_checkpoints')} ORDER BY id")
        ]

    def latest_checkpoint(self, tree_size: int | None = None) -> CheckpointRecord | None:
        where, params = ("WHERE tree_size = ? ", (tree_size,)) if tree_size is not None else ("", ())
        row = self.fetchone(
            f"SELECT id, tree_size, root, issued_at, key_id, signature "
            f"FROM {self.t('integrity_checkpoints')} {where}ORDER BY id DESC LIMIT 1", params)
        if row is None:
            return None
        return CheckpointRecord(int(row[0]), int(row[1]), bytes(row[2]), str(row[3]),
                                str(row[4]), bytes(row[5]))
