"""The API's own tables, beside the event store: tokens, the read-access log, idempotency records.

They are not events of any case, but they are kept in the same database (the same PostgreSQL
schema, the same SQLite file) and every table is append-only: triggers refuse UPDATE and DELETE,
so a revocation is a new row, never an edit. One small connection pool per application.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from store.config import database_url, is_postgres, postgres_conninfo, sqlite_path

TABLES = ("api_tokens", "api_token_revocations", "api_access_log", "api_idempotency")

_DDL = """
CREATE TABLE IF NOT EXISTS api_tokens (
  token_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, subject TEXT NOT NULL,
  kind TEXT NOT NULL, person TEXT, post TEXT, unit TEXT NOT NULL, scope_unit TEXT NOT NULL,
  include_subunits INTEGER NOT NULL, roles TEXT NOT NULL, issued_at TEXT NOT NULL,
  expires_at TEXT NOT NULL, issued_by TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_token_revocations (
  token_id TEXT PRIMARY KEY, revoked_at TEXT NOT NULL, revoked_by TEXT NOT NULL,
  reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_access_log (
  entry_id {serial} PRIMARY KEY, at TEXT NOT NULL, token_id TEXT NOT NULL, subject TEXT NOT NULL,
  unit TEXT NOT NULL, person TEXT, roles TEXT NOT NULL, method TEXT NOT NULL,
  endpoint TEXT NOT NULL, case_no TEXT NOT NULL, revealed TEXT NOT NULL, withheld TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS api_access_log_case ON api_access_log (case_no, entry_id);
CREATE TABLE IF NOT EXISTS api_idempotency (
  token_id TEXT NOT NULL, idem_key TEXT NOT NULL, fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL, body TEXT NOT NULL, headers TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (token_id, idem_key));
"""

_SQLITE_GUARD = """
CREATE TRIGGER IF NOT EXISTS {t}_append_only_u BEFORE UPDATE ON {t}
BEGIN SELECT RAISE(ABORT, 'append-only table {t}'); END;
CREATE TRIGGER IF NOT EXISTS {t}_append_only_d BEFORE DELETE ON {t}
BEGIN SELECT RAISE(ABORT, 'append-only table {t}'); END;
"""

_PG_GUARD_FN = """
CREATE OR REPLACE FUNCTION api_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'append-only table %', TG_TABLE_NAME; END $$;
"""
_PG_GUARD = """CREATE OR REPLACE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t}
FOR EACH ROW EXECUTE FUNCTION api_append_only()"""


class SideStore:
    """Parameterised SQL with ``?`` placeholders on SQLite or PostgreSQL."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.postgres = is_postgres(self.url)
        self._lock = threading.Lock()
        self.token_cache: dict[str, tuple[Any, float]] = {}  # see api.auth.TokenStore.verify
        if self.postgres:
            from psycopg_pool import ConnectionPool

            c = postgres_conninfo(self.url)
            self._pool = ConnectionPool(
                kwargs={"host": c["host"], "port": c["port"], "dbname": c["dbname"],
                        "user": c["user"], "password": c["password"] or None,
                        "autocommit": True,
                        "options": f"-c search_path={c['schema']}"},
                min_size=1, max_size=8, open=True)
        else:
            self._conn = sqlite3.connect(sqlite_path(self.url), check_same_thread=False,
                                         isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._create()

    def _create(self) -> None:
        if self.postgres:
            ddl = _DDL.format(serial="BIGSERIAL")
            with self._pool.connection() as conn:
                conn.execute("SELECT pg_advisory_lock(424242)")
                try:
                    for stmt in filter(str.strip, ddl.split(";")):
                        conn.execute(stmt)
                    conn.execute(_PG_GUARD_FN)
                    for t in TABLES:
                        conn.execute(_PG_GUARD.format(t=t))
                finally:
                    conn.execute("SELECT pg_advisory_unlock(424242)")
        else:
            ddl = _DDL.format(serial="INTEGER")
            with self._lock:
                self._conn.executescript(ddl + "".join(_SQLITE_GUARD.format(t=t) for t in TABLES))

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self.postgres:
            with self._pool.connection() as conn:
                yield conn.cursor()
        else:
            with self._lock:
                yield self._conn.cursor()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement; the number of rows it touched."""
        with self._cursor() as cur:
            cur.execute(self._sql(sql), params)
            return int(cur.rowcount or 0)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            cur.execute(self._sql(sql), params)
            return list(cur.fetchall())

    def insert_ignore(self, table: str, row: dict[str, Any]) -> bool:
        """Insert unless the key exists; True if this call inserted it."""
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        verb = "INSERT" if self.postgres else "INSERT OR IGNORE"
        tail = " ON CONFLICT DO NOTHING" if self.postgres else ""
        return self.execute(f"{verb} INTO {table} ({cols}) VALUES ({marks}){tail}",
                            tuple(row.values())) == 1

    def close(self) -> None:
        if self.postgres:
            self._pool.close()
        else:
            with self._lock:
                self._conn.close()
