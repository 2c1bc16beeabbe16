"""Tamper evidence: a verifiable Merkle log over every stored event, signed checkpoints, proofs.

How it fits together
--------------------
* **Leaves.** Every row of the application's events table (SQLite ``stored_events``, PostgreSQL
  ``<schema>.casetrail_events``) becomes one leaf, in notification-id order. The leaf commits
  to the row *as stored* (notification id, originator id, version, topic and the encoded and,
  if enabled, encrypted state bytes); see :func:`verifier.casetrail_verify.encode_leaf`.
  Notification ids may have gaps on PostgreSQL, so a leaf's *position* is its own counter.
* **Follower.** :class:`IntegrityFollower` follows the events table like a projection: it reads
  new rows outside any write lock, hashes them, and then, in ONE short write transaction,
  inserts the leaves, every new perfect subtree node and advances its tracking row with a
  compare-and-set. A batch is therefore applied exactly once, and a crash or a concurrent
  follower simply resumes from the tracking row. Commands never wait for it.
* **Checkpoints.** ``(origin, tree size, root, time)`` signed with Ed25519 as a C2SP
  tlog-checkpoint note, issued every ``checkpoint_every`` events or ``checkpoint_interval``
  seconds (when the tree grew) and on demand. Before signing, the signer proves to itself that
  the new tree is consistent with the previous checkpoint in the database *and* with the last
  checkpoint it issued (kept in the keys directory), so it refuses to bless a rolled-back or
  rewritten database.
* **Verify.** :func:`run_verify` re-reads every raw row, recomputes every leaf and the root at
  every checkpoint size, checks signatures against the published keys and compares with
  witness-held checkpoint files. It needs no domain code, so it works with any topic and with
  encrypted state.

Tables (in the same database as the events: the SQLite file or the PostgreSQL schema):
``integrity_meta``, ``integrity_tracking``, ``integrity_leaves``, ``integrity_nodes``,
``integrity_checkpoints``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import sqlite3
import struct
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, urlparse, urlunparse

from integrity.merkle import (
    CompactRange,
    consistency_proof_ranges,
    inclusion_proof_ranges,
    merkle_root,
    proof_from_nodes,
)
from verifier.casetrail_verify import (
    BUNDLE_FORMAT,
    CONSISTENCY_FORMAT,
    EMPTY_ROOT,
    INCLUSION_FORMAT,
    LEAF_V1,
    ROTATION_HEADER,
    Checkpoint,
    PublicKey,
    encode_leaf,
    event_leaf_hash,
    format_checkpoint_body,
    load_public_keys,
    parse_checkpoint,
    signature_line,
    verify_checkpoint,
    verify_consistency,
    verify_note,
)

log = logging.getLogger("casetrail.integrity")

DEFAULT_URL = "sqlite:///casetrail.db"
DEFAULT_KEYS_DIR = "keys"
TRACKING_NAME = "casetrail"
# Nodes of levels 1..3 are not stored (they are rebuilt from <= 8 leaves when a proof needs
# them): that is 7/8 fewer node rows for the follower to write.
MIN_STORED_LEVEL = 4
EXIT_INTACT, EXIT_TAMPERED, EXIT_UNREADABLE = 0, 1, 2

__all__ = [
    "CheckpointRecord",
    "FollowResult",
    "IntegrityFollower",
    "KeyStore",
    "LogTampered",
    "Signer",
    "build_bundle",
    "catch_up",
    "consistency_proof",
    "database_url",
    "export_checkpoint",
    "inclusion_proof",
    "issue_checkpoint",
    "keys_dir",
    "latest_checkpoint",
    "latest_checkpoint_summary",
    "leaf_hashes",
    "open_store",
    "run_verify",
    "verify_store",
]


class LogTampered(Exception):
    """The database contradicts a checkpoint that was signed earlier; nothing was signed."""


class StoreUnavailable(Exception):
    """The store cannot be opened or has no events table."""


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("CASETRAIL_DATABASE_URL") or DEFAULT_URL


def keys_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    return Path(directory or os.environ.get("CASETRAIL_KEYS_DIR") or DEFAULT_KEYS_DIR)


def _masked(url: str) -> str:
    u = urlparse(url)
    if u.password:
        netloc = u.netloc.replace(f":{u.password}@", ":***@")
        return urlunparse(u._replace(netloc=netloc))
    return url


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------------------------
# Leaf hashing (hot path)
# --------------------------------------------------------------------------------------------

def leaf_hashes(rows: Sequence[tuple[Any, Any, Any, Any, Any]]) -> list[bytes]:
    """Leaf hashes of raw rows ``(notification_id, originator_id, version, topic, state)``.

    Same result as :func:`verifier.casetrail_verify.event_leaf_hash` row by row, with a fast
    path for rows of the standard types (originator id as SQLite's 32-hex text or as 16 bytes).
    """
    sha = hashlib.sha256
    pack = LEAF_V1.pack
    fromhex = bytes.fromhex
    topics: dict[str, bytes] = {}
    out: list[bytes] = []
    append = out.append
    last_s: str | None = None  # a case's events are usually next to each other in the log
    last_b = b""
    for nid, oid, ver, topic, state in rows:
        try:
            if type(oid) is str:
                if oid == last_s:
                    ob = last_b
                else:
                    ob = fromhex(oid)
                    if len(ob) != 16 or ob.hex() != oid:
                        raise ValueError
                    last_s, last_b = oid, ob
            elif type(oid) is bytes and len(oid) == 16:
                ob = oid
            else:
                raise ValueError
            tb = topics.get(topic)
            if tb is None:
                tb = topic.encode("utf-8", "surrogatepass")  # AttributeError if not str
                topics[topic] = tb
            if type(nid) is not int or type(ver) is not int or type(state) is not bytes:
                raise ValueError
            append(sha(pack(0, 1, nid, ver, ob, len(tb), len(state)) + tb + state).digest())
        except (ValueError, TypeError, AttributeError, struct.error):
            append(event_leaf_hash(nid, oid, ver, topic, state))
    return out


def _oid_text(oid: Any) -> str:
    if type(oid) is str:
        return oid
    if type(oid) is bytes and len(oid) == 16:
        return oid.hex()
    return repr(oid)


def _case_id(oid_text: Any) -> str:
    """A stored originator id as a UUID string when it is one."""
    s = _oid_text(oid_text) if not isinstance(oid_text, str) else oid_text
    try:
        return str(uuid.UUID(s))
    except (ValueError, TypeError, AttributeError):
        return str(s)


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

class Signer:
    def __init__(self, name: str, seed: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = PublicKey(name, raw)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def skey(self) -> str:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return (f"PRIVATE+KEY+{self.key_id}+"
                f"{base64.b64encode(bytes([1]) + seed).decode()}")

    @classmethod
    def generate(cls, name: str = "casetrail") -> Signer:
        if not name or "+" in name or any(c.isspace() for c in name):
            raise ValueError("a key name must be non-empty without spaces or '+'")
        return cls(name, os.urandom(32))

    @classmethod
    def from_skey(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise ValueError("not a Casetrail/note private key")
        raw = base64.b64decode(parts[4], validate=True)
        if len(raw) != 33 or raw[0] != 1:
            raise ValueError("not an Ed25519 private key")
        signer = cls(parts[2], raw[1:])
        if signer.key_id != f"{parts[2]}+{parts[3]}":
            raise ValueError("private key id does not match the key")
        return signer


class KeyStore:
    """Signing keys in a directory.

    ``<hex>.key`` (mode 0600): the private key; ``<hex>.pub``: the verifier key to publish;
    ``active``: the key id used to sign; ``rotations/``: hand-over statements signed by the old
    and the new key; ``issued/<log id>.checkpoint``: the last checkpoint this signer issued for
    each log (the signer's own witness: a database restored from a backup cannot roll it back).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.dir = keys_dir(directory)

    def _hex(self, key_id: str) -> str:
        return key_id.rsplit("+", 1)[-1]

    def active_key_id(self) -> str | None:
        try:
            return (self.dir / "active").read_text().strip() or None
        except FileNotFoundError:
            return None

    def signer(self) -> Signer | None:
        kid = self.active_key_id()
        if not kid:
            return None
        try:
            text = (self.dir / f"{self._hex(kid)}.key").read_text()
        except FileNotFoundError:
            return None
        signer = Signer.from_skey(text)
        if signer.key_id != kid:
            raise ValueError(f"active key {kid} does not match its key file")
        return signer

    def public_keys(self) -> list[PublicKey]:
        keys: list[PublicKey] = []
        if self.dir.is_dir():
            for p in sorted(self.dir.glob("*.pub")):
                keys.extend(load_public_keys(p.read_text()))
        return keys

    def _write_private(self, signer: Signer) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.dir, 0o700)
        except OSError:
            pass
        path = self.dir / f"{self._hex(signer.key_id)}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(signer.skey() + "\n")
        os.chmod(path, 0o600)
        (self.dir / f"{self._hex(signer.key_id)}.pub").write_text(signer.public.vkey() + "\n")
        return path

    def _activate(self, key_id: str) -> None:
        tmp = self.dir / "active.tmp"
        tmp.write_text(key_id + "\n")
        os.replace(tmp, self.dir / "active")

    def generate(self, name: str = "casetrail", *, force: bool = False) -> Signer:
        current = self.signer()
        if current is not None and not force:
            raise FileExistsError(
                f"a signing key already exists ({current.key_id}); use rotate-key")
        signer = Signer.generate(name)
        self._write_private(signer)
        self._activate(signer.key_id)
        return signer

    def rotate(self, *, keep_old: bool = False, name: str | None = None) -> tuple[Signer, Signer, Path]:
        old = self.signer()
        if old is None:
            raise FileNotFoundError(f"no active signing key in {self.dir}; run keygen")
        new = Signer.generate(name or old.public.name)
        self._write_private(new)
        body = (f"{ROTATION_HEADER}\nold {old.public.vkey()}\nnew {new.public.vkey()}\n"
                f"time {_now()}\n")
        msg = body.encode()
        note = (body + "\n" + signature_line(old.public, old.sign(msg))
                + signature_line(new.public, new.sign(msg)))
        rot = self.dir / "rotations"
        rot.mkdir(exist_ok=True)
        path = rot / f"{self._hex(old.key_id)}-to-{self._hex(new.key_id)}.txt"
        path.write_text(note)
        self._activate(new.key_id)
        if not keep_old:
            # The old public key stays published (old checkpoints remain verifiable); the
            # old private key is destroyed so it can no longer sign anything.
            (self.dir / f"{self._hex(old.key_id)}.key").unlink()
        return old, new, path

    def record_issued(self, log_id: str, note: str) -> None:
        d = self.dir / "issued"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f"{log_id}.checkpoint.tmp"
        tmp.write_text(note)
        os.replace(tmp, d / f"{log_id}.checkpoint")

    def issued(self, log_id: str) -> str | None:
        try:
            return (self.dir / "issued" / f"{log_id}.checkpoint").read_text()
        except FileNotFoundError:
            return None


# --------------------------------------------------------------------------------------------
# Storage access (raw SQL; SQLite file or PostgreSQL schema)
# --------------------------------------------------------------------------------------------

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


_SQLITE_DDL = [
    "CREATE TABLE IF NOT EXISTS integrity_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ("CREATE TABLE IF NOT EXISTS integrity_tracking (name TEXT PRIMARY KEY, "
    "notification_id INTEGER NOT NULL, tree_size INTEGER NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS integrity_leaves (position INTEGER PRIMARY KEY, "
    "notification_id INTEGER NOT NULL UNIQUE, originator_id TEXT NOT NULL, "
    "originator_version INTEGER, leaf_hash BLOB NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS integrity_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
    "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID"),
    ("CREATE TABLE IF NOT EXISTS integrity_checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "tree_size INTEGER NOT NULL, root BLOB NOT NULL, issued_at TEXT NOT NULL, "
    "key_id TEXT NOT NULL, signature BLOB NOT NULL)"),
]

_PG_DDL = [
    "CREATE TABLE IF NOT EXISTS {s}.integrity_meta (key text PRIMARY KEY, value text NOT NULL)",
    ("CREATE TABLE IF NOT EXISTS {s}.integrity_tracking (name text PRIMARY KEY, "
    "notification_id bigint NOT NULL, tree_size bigint NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS {s}.integrity_leaves (position bigint PRIMARY KEY, "
    "notification_id bigint NOT NULL UNIQUE, originator_id text NOT NULL, "
    "originator_version bigint, leaf_hash bytea NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS {s}.integrity_nodes (level smallint NOT NULL, "
    "idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (level, idx))"),
    ("CREATE TABLE IF NOT EXISTS {s}.integrity_checkpoints (id bigserial PRIMARY KEY, "
    "tree_size bigint NOT NULL, root bytea NOT NULL, issued_at text NOT NULL, "
    "key_id text NOT NULL, signature bytea NOT NULL)"),
]

_INTEGRITY_TABLES = ("integrity_meta", "integrity_tracking", "integrity_leaves",
                     "integrity_nodes", "integrity_checkpoints")


class _Conflict(Exception):
    pass


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

    def chunk_roots(self, lo: int, hi: int) -> dict[int, bytes]:
        """Stored roots of the CHUNK_LEVEL subtrees lo <= idx < hi."""
        return {int(i): bytes(h) for i, h in self.fetchall(
            f"SELECT idx, hash FROM {self.t('integrity_nodes')} "
            f"WHERE level = ? AND idx >= ? AND idx < ?", (CHUNK_LEVEL, lo, hi))}

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


class SQLiteStore(Store):
    kind = "sqlite"
    events = "stored_events"
    nid_col = "rowid"

    def __init__(self, path: str, *, readonly: bool = False) -> None:
        if not os.path.exists(path):
            raise StoreUnavailable(f"SQLite database {path!r} does not exist")
        mode = "ro" if readonly else "rw"
        uri = f"file:{quote(Path(path).resolve().as_posix())}?mode={mode}"
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30,
                                        check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                # The log is derived data, re-derivable from the events: in WAL mode NORMAL
                # keeps it consistent (tracking commits with its leaves) and only risks the
                # last batches on power loss. Checkpoints are committed with FULL.
                self.conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot open {path!r}: {e}") from e
        self.path = path

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()

    def table_exists(self, name: str) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone() is not None

    def ensure_tables(self) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _SQLITE_DDL:
                c.execute(stmt)
            c.execute("INSERT OR IGNORE INTO integrity_meta VALUES ('log_id', ?)", (uuid.uuid4().hex,))
            c.execute("INSERT OR IGNORE INTO integrity_meta VALUES ('leaf_format', '1')")
            c.execute("INSERT OR IGNORE INTO integrity_meta VALUES ('created_at', ?)", (_now(),))
            c.execute("INSERT OR IGNORE INTO integrity_tracking VALUES (?, 0, 0)", (TRACKING_NAME,))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self, import_id: str | None = None) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            # Touch the database so the read transaction (and its WAL snapshot) starts now.
            self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            yield
        finally:
            self.conn.execute("ROLLBACK")

    def write_batch(self, expected: tuple[int, int], new: tuple[int, int],
                    leaves: list[tuple], nodes: list[tuple]) -> bool:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            cur = c.execute(
                "UPDATE integrity_tracking SET notification_id = ?, tree_size = ? "
                "WHERE name = ? AND notification_id = ? AND tree_size = ?",
                (new[0], new[1], TRACKING_NAME, expected[0], expected[1]))
            if cur.rowcount != 1:
                c.execute("ROLLBACK")
                return False
            c.executemany("INSERT INTO integrity_leaves VALUES (?, ?, ?, ?, ?)", leaves)
            c.executemany("INSERT INTO integrity_nodes VALUES (?, ?, ?)", nodes)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return True

    def insert_checkpoint(self, rec: CheckpointRecord) -> int:
        c = self.conn
        c.execute("PRAGMA synchronous = FULL")
        c.execute("BEGIN IMMEDIATE")
        try:
            cur = c.execute(
                "INSERT INTO integrity_checkpoints (tree_size, root, issued_at, key_id, signature) "
                "VALUES (?, ?, ?, ?, ?)",
                (rec.tree_size, rec.root, rec.issued_at, rec.key_id, rec.signature))
            rid = int(cur.lastrowid)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        finally:
            c.execute("PRAGMA synchronous = NORMAL")
        return rid

    def iter_event_batches(self, batch: int, after: int | None = None,
                           before: int | None = None) -> Iterator[list]:
        sql = "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events"
        where, params = _range_where("rowid", after, before, "?")
        cur = self.conn.execute(sql + where + " ORDER BY rowid", params)
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield rows


class PostgresStore(Store):
    kind = "postgres"
    nid_col = "notification_id"

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        import psycopg
        from psycopg.adapt import Loader
        from psycopg.pq import Format

        from store.config import postgres_conninfo

        class _UUIDBytes(Loader):
            format = Format.BINARY

            def load(self, data: Any) -> bytes:
                return bytes(data)

        c = postgres_conninfo(url)
        self.schema = c["schema"]
        self.s = '"' + self.schema.replace('"', '""') + '"'
        self.events = f"{self.s}.casetrail_events"
        try:
            self.conn = psycopg.connect(
                host=c["host"], port=c["port"], dbname=c["dbname"], user=c["user"],
                password=c["password"] or None, autocommit=True, connect_timeout=10,
                application_name="casetrail-integrity",
            )
        except psycopg.Error as e:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {e}") from e
        self.conn.adapters.register_loader("uuid", _UUIDBytes)
        self._psycopg = psycopg
        self._lock = threading.RLock()

    def t(self, name: str) -> str:
        return f"{self.s}.{name}"

    def q(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.conn.cursor(binary=True)
        cur.execute(sql, tuple(params) or None)
        return cur

    def _oid_param(self, case_id: str) -> Any:
        return uuid.UUID(str(case_id))

    def close(self) -> None:
        self.conn.close()

    def table_exists(self, name: str) -> bool:
        full = self.events if name == "casetrail_events" else self.t(name)
        row = self.conn.execute("SELECT to_regclass(%s)", (full,)).fetchone()
        return row is not None and row[0] is not None

    def ensure_tables(self) -> None:
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('casetrail_integrity_ddl'))")
            for stmt in _PG_DDL:
                self.conn.execute(stmt.format(s=self.s))
            meta = self.t("integrity_meta")
            for k, v in (("log_id", uuid.uuid4().hex), ("leaf_format", "1"), ("created_at", _now())):
                self.conn.execute(
                    f"INSERT INTO {meta} VALUES (%s, %s) ON CONFLICT (key) DO NOTHING", (k, v))
            self.conn.execute(
                f"INSERT INTO {self.t('integrity_tracking')} VALUES (%s, 0, 0) "
                f"ON CONFLICT (name) DO NOTHING", (TRACKING_NAME,))

    @contextmanager
    def snapshot(self, import_id: str | None = None) -> Iterator[None]:
        from psycopg import sql

        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if import_id:
                self.conn.execute(
                    sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(import_id)))
            yield

    def export_snapshot(self) -> str | None:
        return str(self.conn.execute("SELECT pg_export_snapshot()").fetchone()[0])

    def _fetch_nodes(self, positions: list[int], nodes: list[tuple[int, int]]) -> list[tuple]:
        # one constant statement text, so psycopg prepares it and the planner runs once
        return self.conn.execute(
            f"SELECT 0::int2, position, leaf_hash FROM {self.t('integrity_leaves')} "
            f"WHERE position = ANY(%s::int8[]) UNION ALL "
            f"SELECT n.level, n.idx, n.hash FROM {self.t('integrity_nodes')} n "
            f"JOIN unnest(%s::int2[], %s::int8[]) AS w(l, i) ON n.level = w.l AND n.idx = w.i",
            (positions, [lvl for lvl, _ in nodes], [i for _, i in nodes])).fetchall()

    def leaf_hash_blob(self, start: int, end: int) -> bytes:
        row = self.conn.execute(
            f"SELECT string_agg(leaf_hash, ''::bytea ORDER BY position) "
            f"FROM {self.t('integrity_leaves')} WHERE position >= %s AND position < %s",
            (start, end)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    def write_batch(self, expected: tuple[int, int], new: tuple[int, int],
                    leaves: list[tuple], nodes: list[tuple]) -> bool:
        try:
            with self.conn.transaction():
                cur = self.conn.execute(
                    f"UPDATE {self.t('integrity_tracking')} SET notification_id = %s, "
                    f"tree_size = %s WHERE name = %s AND notification_id = %s AND tree_size = %s",
                    (new[0], new[1], TRACKING_NAME, expected[0], expected[1]))
                if cur.rowcount != 1:
                    raise _Conflict
                with self.conn.cursor() as c:
                    with c.copy(
                        f"COPY {self.t('integrity_leaves')} (position, notification_id, "
                        f"originator_id, originator_version, leaf_hash) FROM STDIN (FORMAT BINARY)"
                    ) as cp:
                        cp.set_types(["int8", "int8", "text", "int8", "bytea"])
                        for row in leaves:
                            cp.write_row(row)
                    with c.copy(
                        f"COPY {self.t('integrity_nodes')} (level, idx, hash) "
                        f"FROM STDIN (FORMAT BINARY)"
                    ) as cp:
                        cp.set_types(["int2", "int8", "bytea"])
                        for row in nodes:
                            cp.write_row(row)
        except _Conflict:
            return False
        return True

    def insert_checkpoint(self, rec: CheckpointRecord) -> int:
        row = self.conn.execute(
            f"INSERT INTO {self.t('integrity_checkpoints')} "
            f"(tree_size, root, issued_at, key_id, signature) VALUES (%s, %s, %s, %s, %s) "
            f"RETURNING id",
            (rec.tree_size, rec.root, rec.issued_at, rec.key_id, rec.signature)).fetchone()
        return int(row[0])

    def iter_event_batches(self, batch: int, after: int | None = None,
                           before: int | None = None) -> Iterator[list]:
        sql = (f"SELECT notification_id, originator_id, originator_version, topic, state "
               f"FROM {self.events}")
        where, params = _range_where("notification_id", after, before, "%s")
        sql += where + " ORDER BY notification_id"
        in_tx = self.conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE
        if not in_tx:
            # a server-side cursor needs a transaction; fall back to keyset pagination
            last = after if after is not None else -(2**63)
            while True:
                rows = [r for r in self.read_events(last, batch) if before is None or r[0] < before]
                if not rows:
                    return
                yield rows
                last = rows[-1][0]
        cur = self.conn.cursor(name=f"ct_events_{uuid.uuid4().hex[:8]}", binary=True)
        cur.itersize = batch
        try:
            cur.execute(sql, params or None)
            while True:
                rows = cur.fetchmany(batch)
                if not rows:
                    return
                yield rows
        finally:
            cur.close()


def _range_where(col: str, after: int | None, before: int | None, ph: str) -> tuple[str, tuple]:
    conds, params = [], []
    if after is not None:
        conds.append(f"{col} > {ph}")
        params.append(after)
    if before is not None:
        conds.append(f"{col} < {ph}")
        params.append(before)
    return (" WHERE " + " AND ".join(conds) if conds else ""), tuple(params)


def open_store(url: str | None = None, *, readonly: bool = False) -> Store:
    """Open the store named by a ``sqlite:///`` or ``postgresql://`` URL."""
    from store.config import is_postgres, sqlite_path

    url = database_url(url)
    store: Store
    if is_postgres(url):
        store = PostgresStore(url, readonly=readonly)
    elif urlparse(url).scheme == "sqlite":
        path = sqlite_path(url)
        if not path:
            raise StoreUnavailable(f"no SQLite path in {url!r}")
        store = SQLiteStore(path, readonly=readonly)
    else:
        raise StoreUnavailable(f"unsupported database URL {url!r}")
    store.url = url
    return store


# --------------------------------------------------------------------------------------------
# The follower
# --------------------------------------------------------------------------------------------

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
                (size + i, r[0], oids.get(r[1]) or oids.setdefault(r[1], _oid_text(r[1])),
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


def issue_checkpoint_in(store: Store, signer: Signer, keystore: KeyStore) -> CheckpointRecord:
    origin = store.origin()
    with store.snapshot():
        size = store.tracking()[1]
        root = store.root_at(size)
        prev = store.latest_checkpoint()
        checks: list[tuple[str, int, bytes]] = []
        if prev is not None:
            checks.append(("the latest checkpoint in the database", prev.tree_size, prev.root))
        issued = keystore.issued(store.log_id())
        if issued:
            try:
                cp = parse_checkpoint(issued)
                checks.append(("the last checkpoint this signer issued", cp.tree_size, cp.root))
            except ValueError:
                log.warning("unreadable record of the last issued checkpoint; ignored")
        for what, psize, proot in checks:
            if psize > size:
                raise LogTampered(
                    f"refusing to sign: {what} covers {psize} events but the tree now has "
                    f"only {size} (database rolled back or truncated)")
            proof = proof_from_nodes(consistency_proof_ranges(psize, size), store.get_nodes)
            if not verify_consistency(psize, size, proot, root, proof):
                raise LogTampered(
                    f"refusing to sign: the tree at size {size} is not an extension of {what} "
                    f"(size {psize}); history was rewritten")
    rec = CheckpointRecord(0, size, root, _now(), signer.key_id, b"")
    rec.signature = signer.sign(rec.body(origin).encode("utf-8"))
    rec.id = store.insert_checkpoint(rec)
    keystore.record_issued(store.log_id(), rec.note(origin))
    return rec


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


# --------------------------------------------------------------------------------------------
# Reading checkpoints, proofs, bundles
# --------------------------------------------------------------------------------------------

def latest_checkpoint(url: str | None = None) -> tuple[CheckpointRecord, str] | None:
    """(the latest signed checkpoint, the log's origin), or None."""
    with open_store(url, readonly=True) as store:
        if not store.has_integrity_tables():
            return None
        rec = store.latest_checkpoint()
        return (rec, store.origin()) if rec else None


def latest_checkpoint_summary(url: str | None = None) -> dict[str, Any] | None:
    """What a report or dossier states it was built from: tree size, root hash, time, key.

    ``{"tree_size", "root" (hex), "root_b64", "issued_at", "key_id", "origin",
    "checkpoint_id"}``, or None when no checkpoint exists or the store cannot be read.
    """
    try:
        found = latest_checkpoint(url)
    except Exception as e:  # noqa: BLE001 - a report must render even without an integrity log
        log.warning("latest_checkpoint_summary: %s", e)
        return None
    if found is None:
        return None
    rec, origin = found
    return rec.summary(origin)


def export_checkpoint(url: str | None = None, tree_size: int | None = None) -> str:
    """The signed checkpoint note (text) for a witness to keep."""
    with open_store(url, readonly=True) as store:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store (run: casetrail integrity follow)")
        rec = store.latest_checkpoint(tree_size)
        if rec is None:
            raise LookupError("no checkpoint" + (f" of size {tree_size}" if tree_size else ""))
        return rec.note(store.origin())


def _event_doc(row: tuple) -> dict[str, Any]:
    nid, oid, ver, topic, state = row
    doc: dict[str, Any] = {
        "notification_id": nid, "originator_id": _case_id(oid), "originator_version": ver,
        "topic": topic,
        "state_b64": None if state is None else base64.b64encode(bytes(state)).decode(),
    }
    if encode_leaf(*row)[0] != 1:  # a non-standard row: give the exact leaf data
        doc["leaf_data_b64"] = base64.b64encode(encode_leaf(*row)).decode()
    return doc


def _readable_state(state: Any) -> Any:
    if not isinstance(state, bytes):
        return None
    try:
        return json.loads(state)
    except (ValueError, UnicodeDecodeError):
        return None  # compressed or encrypted


def _require_checkpoint(store: Store, tree_size: int | None) -> CheckpointRecord:
    rec = store.latest_checkpoint(tree_size)
    if rec is None:
        raise LookupError("no signed checkpoint" + (
            f" of tree size {tree_size}" if tree_size is not None else "; issue one first"))
    return rec


def _inclusion_in(store: Store, nid: int, rec: CheckpointRecord, origin: str) -> dict[str, Any]:
    found = store.leaf_by_nid(nid)
    if found is None:
        raise LookupError(f"event {nid} is not in the integrity log yet (follower behind)")
    pos, leaf = found
    if pos >= rec.tree_size:
        raise LookupError(f"event {nid} (position {pos}) is after checkpoint size {rec.tree_size}")
    proof = proof_from_nodes(inclusion_proof_ranges(pos, rec.tree_size), store.get_nodes)
    return {"position": pos, "leaf_hash": leaf.hex(), "proof": [p.hex() for p in proof]}


def inclusion_proof(
    url: str | None = None,
    *,
    notification_id: int | None = None,
    case_id: str | None = None,
    version: int | None = None,
    tree_size: int | None = None,
    store: Store | None = None,
) -> dict[str, Any]:
    """Proof that one stored event is in the log under a signed checkpoint (latest by default)."""
    own = store is None
    store = store or open_store(url, readonly=True)
    try:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store")
        if notification_id is None:
            if case_id is None or version is None:
                raise ValueError("give notification_id, or case_id and version")
            notification_id = store.nid_of(case_id, version)
            if notification_id is None:
                raise LookupError(f"no event version {version} of case {case_id}")
        row = store.event_by_nid(int(notification_id))
        if row is None:
            raise LookupError(f"no event with notification id {notification_id}")
        rec = _require_checkpoint(store, tree_size)
        origin = store.origin()
        part = _inclusion_in(store, int(notification_id), rec, origin)
        ev = _event_doc(row)
        doc = {
            "format": INCLUSION_FORMAT, "tree_size": rec.tree_size, **part, "event": ev,
            "checkpoint": rec.note(origin), "root": rec.root.hex(),
        }
        if event_leaf_hash(*row).hex() != part["leaf_hash"]:
            doc["warning"] = "the stored event no longer matches its leaf: it was modified"
        return doc
    finally:
        if own:
            store.close()


def consistency_proof(
    url: str | None = None,
    first: int = 0,
    second: int | None = None,
    *,
    store: Store | None = None,
) -> dict[str, Any]:
    """Proof that the checkpoint of size ``second`` (latest by default) extends ``first``."""
    own = store is None
    store = store or open_store(url, readonly=True)
    try:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store")
        b = _require_checkpoint(store, second)
        a = _require_checkpoint(store, first) if first else None
        size1 = a.tree_size if a else 0
        if size1 > b.tree_size:
            raise ValueError(f"first ({size1}) must not be larger than second ({b.tree_size})")
        origin = store.origin()
        proof = proof_from_nodes(consistency_proof_ranges(size1, b.tree_size), store.get_nodes)
        return {
            "format": CONSISTENCY_FORMAT,
            "first": {"tree_size": size1, "root": (a.root if a else EMPTY_ROOT).hex(),
                      "checkpoint": a.note(origin) if a else None},
            "second": {"tree_size": b.tree_size, "root": b.root.hex(),
                       "checkpoint": b.note(origin)},
            "proof": [p.hex() for p in proof],
        }
    finally:
        if own:
            store.close()


def build_bundle(
    url: str | None,
    case_id: str,
    keys: str | os.PathLike[str] | None = None,
    *,
    issue: bool = True,
) -> dict[str, Any]:
    """A case bundle for a review body: every event of the case, an inclusion proof for each,
    and the signed checkpoint they are proven against. Verifiable offline with
    ``verifier/casetrail_verify.py``.

    With ``issue`` and a signing key, the log is brought up to date and a fresh checkpoint is
    signed if the latest one does not cover all of the case's events yet.
    """
    case_id = str(uuid.UUID(str(case_id)))
    keystore = KeyStore(keys)
    if issue and keystore.signer() is not None:
        with IntegrityFollower(url, keystore, checkpoint_every=None,
                               checkpoint_interval=None) as f:
            f.catch_up()
            store = f.store
            positions = [store.leaf_by_nid(int(r[0])) for r in store.case_events(case_id)]
            latest = store.latest_checkpoint()
            need = max((p[0] + 1 for p in positions if p), default=0)
            if need and (latest is None or latest.tree_size < need):
                f.checkpoint()
    with open_store(url, readonly=True) as store:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store")
        rows = store.case_events(case_id)
        if not rows:
            raise LookupError(f"no events for case {case_id}")
        rec = _require_checkpoint(store, None)
        origin = store.origin()
        events, left_out, altered = [], [], []
        for row in rows:
            found = store.leaf_by_nid(int(row[0]))
            if found is None or found[0] >= rec.tree_size:
                left_out.append(row[2])
                continue
            part = _inclusion_in(store, int(row[0]), rec, origin)
            if event_leaf_hash(*row).hex() != part["leaf_hash"]:
                altered.append(row[2])
            ev = _event_doc(row)
            ev.update(position=part["position"], leaf_hash=part["leaf_hash"],
                      inclusion_proof=part["proof"], state_json=_readable_state(row[4]))
            events.append(ev)
        if altered:
            raise LogTampered(
                f"case {case_id}: version(s) {altered} no longer match the log (modified after "
                f"they were logged); run casetrail verify")
        return {
            "format": BUNDLE_FORMAT,
            "case_id": case_id,
            "generated_at": _now(),
            "checkpoint": rec.note(origin),
            "checkpoint_summary": rec.summary(origin),
            "public_keys": [k.vkey() for k in keystore.public_keys()],
            "events": events,
            "versions_not_yet_covered": left_out,
            "how_to_verify": "python casetrail_verify.py THIS_FILE --pubkey PUBLISHED_KEY.pub",
        }


# --------------------------------------------------------------------------------------------
# Verify
# --------------------------------------------------------------------------------------------

@dataclass
class Problem:
    kind: str
    detail: str
    position: int | None = None
    notification_id: int | None = None
    case_id: str | None = None
    originator_version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


CHUNK_LEVEL = 13
CHUNK = 1 << CHUNK_LEVEL  # leaves per perfect subtree that a verify worker hands back whole
PARALLEL_MIN_EVENTS = 200_000


@dataclass
class _Partition:
    start: int  # ordinal of the first event (a multiple of CHUNK)
    lo: int | None  # notification ids lo <= nid < hi
    hi: int | None
    count: int


@dataclass
class _Hashed:
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


def _hash_partition(store: Store, part: _Partition, batch: int, leaf_count: int,
                    targets: Sequence[int], thorough: bool = False) -> _Hashed:
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
        part.start // CHUNK, min(logged_chunks, (part.start + part.count) // CHUNK + 1))
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
    return _Hashed(part.start, pos - part.start, roots, kept, b"".join(pending), mismatch,
                   bad_nodes)


def _partition_worker(url: str, snapshot: str | None, part: _Partition, batch: int,
                      leaf_count: int, targets: list[int], thorough: bool) -> _Hashed:
    with open_store(url, readonly=True) as st, st.snapshot(import_id=snapshot):
        return _hash_partition(st, part, batch, leaf_count, targets, thorough)


def _plan_partitions(n: int, lo: int | None, hi: int | None, store: Store,
                     workers: int) -> list[_Partition]:
    if workers < 2 or n < PARALLEL_MIN_EVENTS or lo is None or hi is None:
        return [_Partition(0, None, None, n)]
    per = max(CHUNK, (n // workers) // CHUNK * CHUNK)
    starts = list(range(0, n, per))[:workers]
    bounds = [lo] + [store.nid_at_ordinal(k) for k in starts[1:]] + [hi + 1]
    return [
        _Partition(k, bounds[i], bounds[i + 1],
                   (starts[i + 1] if i + 1 < len(starts) else n) - k)
        for i, k in enumerate(starts)
    ]


def _hash_partitions(store: Store, parts: list[_Partition], batch: int, leaf_count: int,
                     targets: list[int], thorough: bool = False) -> list[_Hashed] | None:
    """Partition 0 is hashed here, the others in forked worker processes (same snapshot on
    PostgreSQL; on SQLite, bounded by notification id, which only ever grows)."""
    if len(parts) == 1:
        return [_hash_partition(store, parts[0], batch, leaf_count, targets, thorough)]
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
        first = _hash_partition(store, parts[0], batch, leaf_count, targets, thorough)
        rest = [r.get() for r in pending]
    results = [first, *rest]
    if any(r.count != p.count for r, p in zip(results, parts)):
        return None
    return results


class _Verifier:
    MAX_PROBLEMS = 200

    def __init__(self, store: Store, keys: list[PublicKey],
                 witnesses: list[tuple[str, str]], batch: int, workers: int = 1,
                 thorough: bool = False) -> None:
        self.store, self.keys, self.witnesses, self.batch = store, keys, witnesses, batch
        self.workers = workers
        self.thorough = thorough
        self.problems: list[Problem] = []
        self.more_problems = 0
        self.warnings: list[str] = []
        self.unreadable: list[str] = []
        self.info: dict[str, Any] = {}
        self.verified_upto = 0  # events before this position match a trusted signed root

    def problem(self, p: Problem) -> None:
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(p)
        else:
            self.more_problems += 1

    # ----------------------------------------------------------------------------------
    def run(self) -> None:
        st = self.store
        events_table = "casetrail_events" if st.kind == "postgres" else "stored_events"
        with st.snapshot():
            has_events = st.table_exists(events_table)
            has_log = st.has_integrity_tables()
            if not has_events and not has_log:
                self.unreadable.append("no events table and no integrity log: not a Casetrail store")
                return
            if not has_events:
                self.problem(Problem("events_table_missing",
                                     "the integrity log exists but the events table is gone"))
                return
            origin = st.origin() if has_log else None
            tracking = st.tracking() if has_log else (0, 0)
            leaf_count, leaf_max = st.leaf_stats() if has_log else (0, None)
            checkpoints = st.checkpoints() if has_log else []
            self.info.update(origin=origin, tree_size=leaf_count,
                             last_followed_notification_id=tracking[0],
                             checkpoints=len(checkpoints))
            if not has_log:
                if st.event_span()[0]:
                    self.unreadable.append(
                        "events but no integrity log in this store: nothing to verify them "
                        "against (the follower never ran, or its tables were dropped)")
            elif tracking[1] != leaf_count or (leaf_count and leaf_max != leaf_count - 1):
                self.problem(Problem(
                    "integrity_tables_inconsistent",
                    f"tracking says {tracking[1]} leaves, the leaf table has {leaf_count} "
                    f"(max position {leaf_max})"))
            cps = self._check_checkpoint_signatures(checkpoints, origin)
            wits = self._load_witnesses(origin)
            sizes = sorted({c.tree_size for c in cps} | {w[1].tree_size for w in wits}
                           | {leaf_count})
            roots, n_events = self._scan(sizes, leaf_count, tracking[0], has_log)
        self.info["events"] = n_events
        self._compare_roots(cps, wits, roots, n_events)
        if has_log and not checkpoints:
            self.warnings.append("no signed checkpoint yet: only the leaf table vouches for the "
                                 "log (run: casetrail integrity checkpoint)")
        elif checkpoints:
            last = max(c.tree_size for c in checkpoints)
            if leaf_count > last:
                self.warnings.append(f"{leaf_count - last} logged events are newer than the "
                                     "latest signed checkpoint")
        if n_events > leaf_count:
            self.warnings.append(f"{n_events - leaf_count} events are not yet in the integrity "
                                 "log (follower behind)")

    def _check_checkpoint_signatures(self, checkpoints: list[CheckpointRecord],
                                     origin: str | None) -> list[CheckpointRecord]:
        good = []
        if checkpoints and not self.keys:
            # Roots are still compared (a mismatch is evidence either way), but unsigned
            # checkpoints cannot vouch for anything, so the result is at best "cannot read".
            self.unreadable.append("no public key to check checkpoint signatures with "
                                   "(give the directory holding the published key: --keys DIR)")
            return list(checkpoints)
        prev_size = -1
        for c in checkpoints:
            ok, _, why = verify_note(c.note(origin or ""), self.keys)
            if not ok:
                kind = ("checkpoint_unknown_key" if "trusted key" in why
                        else "checkpoint_bad_signature")
                self.problem(Problem(kind, f"checkpoint #{c.id} (tree size {c.tree_size}, "
                                           f"key {c.key_id}): {why}", position=c.tree_size))
                continue
            if c.tree_size < prev_size:
                self.problem(Problem(
                    "checkpoint_sequence", f"checkpoint #{c.id} has tree size {c.tree_size}, "
                    f"smaller than an earlier checkpoint ({prev_size})", position=c.tree_size))
            prev_size = max(prev_size, c.tree_size)
            good.append(c)
        return good

    def _load_witnesses(self, origin: str | None) -> list[tuple[str, Checkpoint]]:
        out = []
        for label, text in self.witnesses:
            cp, why = verify_checkpoint(text, self.keys)
            if cp is None or why:
                self.unreadable.append(f"witness {label}: {why or 'unreadable'}")
                continue
            if origin is not None and cp.origin != origin:
                self.problem(Problem(
                    "witness_origin_mismatch",
                    f"witness {label} holds a checkpoint of log {cp.origin}, but this database "
                    f"is log {origin} (the log was recreated, or the wrong file was given)"))
                continue
            out.append((label, cp))
        return out

    def _scan(self, sizes: list[int], leaf_count: int, last_nid: int,
              has_log: bool) -> tuple[dict[int, bytes], int]:
        """Hash every event; roots at ``sizes``; compare with the leaf table."""
        st = self.store
        n, lo, hi = st.event_span()
        targets = [x for x in sizes if 0 < x]
        lc = leaf_count if has_log else 0
        parts = _plan_partitions(n, lo, hi, st, self.workers)
        results = _hash_partitions(st, parts, self.batch, lc, targets, self.thorough)
        if results is None:
            # the store changed between counting and reading: read it again, in one process
            results = [_hash_partition(st, _Partition(0, None, None, 0), self.batch, lc, targets,
                                       self.thorough)]
        n = sum(r.count for r in results)
        self.info["partitions"] = len(results)

        # 1. the first position where the events and the leaf table disagree
        diverged = next((r.mismatch for r in results if r.mismatch is not None), None)
        for j in (j for r in results for j in r.bad_nodes):
            if diverged is None or j * CHUNK < diverged[0]:
                self.problem(Problem(
                    "node_table_modified",
                    f"the stored subtree hash over positions {j * CHUNK}..{(j + 1) * CHUNK - 1} "
                    f"was altered or removed (the events there match their leaves)",
                    position=j * CHUNK))
        if diverged is None and has_log and n < leaf_count:
            diverged = (n, None)  # the events table ends before the log does
        if diverged is not None:
            self._diagnose(diverged[0], diverged[1], leaf_count, last_nid)

        # 2. roots at every size a checkpoint or witness needs
        roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in sizes else {}
        targets = [x for x in targets if x <= n]
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
        return roots, n

    def _diagnose(self, start_pos: int, start_nid: int | None, leaf_count: int,
                  last_nid: int) -> None:
        """Merge events and stored leaves by notification id from ``start_pos`` on."""
        st = self.store

        def events() -> Iterator[tuple[int, int, bytes, tuple]]:
            ordinal = start_pos
            after = None if start_nid is None else start_nid - 1
            if start_nid is None:
                return
            for rows in st.iter_event_batches(self.batch, after=after):
                for r, h in zip(rows, leaf_hashes(rows)):
                    yield ordinal, r[0], h, r
                    ordinal += 1

        def leaves() -> Iterator[tuple]:
            pos = start_pos
            while pos < leaf_count:
                rows = st.leaves_range(pos, min(pos + self.batch, leaf_count))
                if not rows:
                    return
                yield from rows
                pos = int(rows[-1][0]) + 1

        ev_it, lf_it = events(), leaves()
        e = next(ev_it, None)
        lf = next(lf_it, None)
        while e is not None or lf is not None:
            if lf is None:
                ordinal, nid, h, r = e
                if nid <= last_nid:
                    self.problem(Problem(
                        "event_inserted", f"event {nid} is not in the log but lies before the "
                        f"last logged event {last_nid}: it was inserted afterwards",
                        position=ordinal, notification_id=nid, case_id=_case_id(r[1]),
                        originator_version=r[2]))
                    e = next(ev_it, None)
                    continue
                break  # the rest are events the follower has not reached yet
            lpos, lnid, lhash, loid, lver = int(lf[0]), int(lf[1]), bytes(lf[2]), lf[3], lf[4]
            if e is None or e[1] > lnid:
                self.problem(Problem(
                    "event_deleted" if e is not None else "event_deleted_tail",
                    f"event {lnid} (case {_case_id(loid)} version {lver}) was logged at "
                    f"position {lpos} but is no longer in the events table",
                    position=lpos, notification_id=lnid, case_id=_case_id(loid),
                    originator_version=lver))
                lf = next(lf_it, None)
                continue
            ordinal, nid, h, r = e
            if nid < lnid:
                self.problem(Problem(
                    "event_inserted", f"event {nid} (case {_case_id(r[1])} version {r[2]}) is "
                    f"not in the log; it was inserted before logged event {lnid}",
                    position=ordinal, notification_id=nid, case_id=_case_id(r[1]),
                    originator_version=r[2]))
                e = next(ev_it, None)
                continue
            if h != lhash:
                what: list[str] = []
                if _oid_text(r[1]) != loid:
                    what.append(f"originator changed from {_case_id(loid)} to {_case_id(r[1])}")
                if r[2] != lver:
                    what.append(f"version changed from {lver} to {r[2]}")
                if not what:
                    what.append("topic or stored state changed")
                self.problem(Problem(
                    "event_modified", f"event {nid} at position {lpos}: " + "; ".join(what),
                    position=lpos, notification_id=nid, case_id=_case_id(loid),
                    originator_version=lver))
            e = next(ev_it, None)
            lf = next(lf_it, None)

    def _compare_roots(self, cps: list[CheckpointRecord], wits: list[tuple[str, Checkpoint]],
                       roots: dict[int, bytes], n_events: int) -> None:
        good_sizes = [0]
        for c in sorted(cps, key=lambda c: c.tree_size):
            if c.tree_size > n_events:
                self.problem(Problem(
                    "checkpoint_beyond_log",
                    f"checkpoint #{c.id} signed a tree of {c.tree_size} events but the store "
                    f"holds only {n_events}: events were deleted or the tail truncated",
                    position=n_events))
            elif roots.get(c.tree_size) != c.root:
                lo = max(s for s in good_sizes if s <= c.tree_size)
                self.problem(Problem(
                    "checkpoint_root_mismatch",
                    f"checkpoint #{c.id} (size {c.tree_size}, signed {c.issued_at}) does not "
                    f"match the events: something in positions {lo}..{c.tree_size - 1} was "
                    f"changed, deleted or inserted", position=lo))
            else:
                good_sizes.append(c.tree_size)
                if self.keys:
                    self.verified_upto = max(self.verified_upto, c.tree_size)
        for label, w in wits:
            if w.tree_size > n_events:
                self.problem(Problem(
                    "rolled_back",
                    f"witness {label} holds a signed checkpoint of {w.tree_size} events "
                    f"({w.issued_at}), but the store has only {n_events}: the database was "
                    f"rolled back (restored from an older backup) or truncated",
                    position=n_events))
            elif roots.get(w.tree_size) != w.root:
                self.problem(Problem(
                    "witness_root_mismatch",
                    f"witness {label} (size {w.tree_size}, {w.issued_at}) does not match the "
                    f"events: history before position {w.tree_size} was rewritten",
                    position=max([s for s in good_sizes if s <= w.tree_size], default=0)))
            else:
                self.verified_upto = max(self.verified_upto, w.tree_size)
        self.info["witnesses_checked"] = len(wits)
        self.info["checkpoints_verified"] = len(cps)

    def report(self) -> dict[str, Any]:
        for p in self.problems:
            # The events agree with a trusted signed root, so it is the leaf table that changed.
            if p.kind == "event_modified" and (p.position or 0) < self.verified_upto:
                p.kind = "leaf_table_modified"
                p.detail = (f"integrity_leaves row {p.position} was altered; the event itself "
                            f"matches the signed checkpoint of size {self.verified_upto}")
        if self.problems:
            status, code = "tampered", EXIT_TAMPERED
        elif self.unreadable:
            status, code = "cannot read", EXIT_UNREADABLE
        else:
            status, code = "intact", EXIT_INTACT
        probs = sorted(self.problems, key=lambda p: (
            not p.kind.startswith(("event_", "leaf_", "node_")), p.position is None,
            p.position or 0))
        first = next((p for p in probs if p.kind.startswith("event_")), None) or (
            probs[0] if probs else None)
        return {
            "status": status, "exit_code": code, **self.info,
            "first_bad": first.as_dict() if first else None,
            "problems": [p.as_dict() for p in probs],
            "more_problems": self.more_problems,
            "warnings": self.warnings, "errors": self.unreadable,
        }


def verify_store(
    url: str | None = None,
    *,
    public_keys: Sequence[PublicKey] = (),
    witnesses: Sequence[tuple[str, str]] = (),
    batch: int = 20_000,
    workers: int | None = None,
    thorough: bool = False,
) -> dict[str, Any]:
    """Re-read the whole store and check it against the log, checkpoints and witnesses."""
    t0 = time.perf_counter()
    url = database_url(url)
    try:
        store = open_store(url, readonly=True)
    except StoreUnavailable as e:
        return {"status": "cannot read", "exit_code": EXIT_UNREADABLE, "errors": [str(e)],
                "problems": [], "warnings": [], "first_bad": None, "database": _masked(url)}
    try:
        if workers is None:
            workers = min(4, os.cpu_count() or 1)
        v = _Verifier(store, list(public_keys), list(witnesses), batch, workers, thorough)
        try:
            v.run()
        except Exception as e:  # a read failure half-way is "cannot read", never "intact"
            log.exception("verify failed")
            v.unreadable.append(f"error while reading the store: {type(e).__name__}: {e}")
            v.info["aborted"] = True
        rep = v.report()
        if v.info.get("aborted") and rep["exit_code"] == EXIT_INTACT:
            rep["status"], rep["exit_code"] = "cannot read", EXIT_UNREADABLE
    finally:
        store.close()
    rep["database"] = _masked(url)
    rep["elapsed_s"] = round(time.perf_counter() - t0, 3)
    if rep.get("events"):
        rep["events_per_s"] = int(rep["events"] / max(rep["elapsed_s"], 1e-9))
    return rep


def run_verify(
    url: str | None = None,
    witness_files: Sequence[str | os.PathLike[str]] = (),
    keys_dir: str | os.PathLike[str] | None = None,
    *,
    thorough: bool = False,
) -> tuple[int, dict[str, Any]]:
    """``casetrail verify``: (exit code, report). 0 intact, 1 tampered, 2 cannot read.

    Trusted keys are the ``*.pub`` files in ``keys_dir`` (an auditor needs only those). The
    signer's own record of the last checkpoint it issued, if present in ``keys_dir``, is used
    as one more witness.
    """
    ks = KeyStore(keys_dir)
    errors: list[str] = []
    try:
        keys = ks.public_keys()
    except (OSError, ValueError) as e:
        keys, errors = [], [f"cannot read public keys in {ks.dir}: {e}"]
    witnesses: list[tuple[str, str]] = []
    for wf in witness_files:
        try:
            witnesses.append((str(wf), Path(wf).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as e:
            errors.append(f"cannot read witness file {wf}: {e}")
    issued_dir = ks.dir / "issued"
    if issued_dir.is_dir():
        for p in sorted(issued_dir.glob("*.checkpoint")):
            witnesses.append((f"signer record {p.name}", p.read_text(encoding="utf-8")))
    rep = verify_store(url, public_keys=keys, witnesses=_only_this_log(url, witnesses),
                       thorough=thorough)
    if errors:
        rep["errors"] = errors + rep.get("errors", [])
        if rep["exit_code"] == EXIT_INTACT:
            rep["status"], rep["exit_code"] = "cannot read", EXIT_UNREADABLE
    return rep["exit_code"], rep


def _only_this_log(url: str | None, witnesses: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Signer records are kept per log; only the one for this database's log applies."""
    try:
        with open_store(url, readonly=True) as st:
            log_id = st.log_id() if st.has_integrity_tables() else None
    except Exception:  # noqa: BLE001 - verify_store itself reports why the store is unreadable
        return witnesses
    return [(label, text) for label, text in witnesses
            if not label.startswith("signer record ") or (log_id and log_id in label)]
