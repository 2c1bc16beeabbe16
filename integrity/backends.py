"""The two backends of the integrity store (a SQLite file, a PostgreSQL schema) and open_store."""
from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from integrity.config import database_url, now_text
from integrity.errors import StoreUnavailable
from integrity.store import TRACKING_NAME, CheckpointRecord, Store

__all__ = ["PostgresStore", "SQLiteStore", "open_store"]

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


class _Conflict(Exception):
    pass


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
            c.execute("INSERT OR IGNORE INTO integrity_meta VALUES ('log_id', ?)",
                      (uuid.uuid4().hex,))
            c.execute("INSERT OR IGNORE INTO integrity_meta VALUES ('leaf_format', '1')")
            c.execute("INSERT OR IGNORE INTO integrity_meta VALUES ('created_at', ?)",
                      (now_text(),))
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
            for k, v in (("log_id", uuid.uuid4().hex), ("leaf_format", "1"),
                         ("created_at", now_text())):
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

