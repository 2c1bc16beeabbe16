"""The read-model tables (prefix ``pv_``) and a thin connection wrapper for SQLite and PostgreSQL.

Why our own connection and not the library's pool: each batch writes its rows *and* the tracking
position in one transaction, and on PostgreSQL the bulk inserts use COPY.

Portable types only: TEXT, INTEGER/BIGINT. Instants are TEXT in UTC with a fixed width
(``2026-03-02T02:00:00.000000Z``) so that text order is time order; dates are ``YYYY-MM-DD``.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any

from store.config import is_postgres, postgres_conninfo, sqlite_path

# table -> (columns with types, key columns that identify one case's rows)
TABLES: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "pv_cases": ((
        ("case_id", "TEXT NOT NULL"), ("case_no", "TEXT NOT NULL"), ("status", "TEXT NOT NULL"),
        ("stage", "TEXT NOT NULL"), ("holder", "TEXT"), ("handler", "TEXT"),
        ("registering_unit", "TEXT"), ("location", "TEXT"), ("category", "TEXT"),
        ("matter_type", "TEXT"), ("channel", "TEXT"), ("track", "TEXT"),
        ("registered_at", "TEXT"), ("last_event_at", "TEXT"), ("version", "INTEGER NOT NULL"),
        ("concluded", "INTEGER NOT NULL"), ("next_last_day", "TEXT"), ("closed_at", "TEXT"),
    ), "case_id"),
    "pv_clocks": ((
        ("case_id", "TEXT NOT NULL"), ("clock", "TEXT NOT NULL"), ("step", "TEXT NOT NULL"),
        ("unit", "TEXT"), ("informational", "INTEGER NOT NULL"), ("start_at", "TEXT NOT NULL"),
        ("start_version", "INTEGER NOT NULL"), ("last_day", "TEXT NOT NULL"),
        ("due_at", "TEXT NOT NULL"), ("provisional", "INTEGER NOT NULL"),
        ("extension_days", "INTEGER NOT NULL"), ("paused_days", "INTEGER NOT NULL"),
        ("stop_at", "TEXT"), ("stop_kind", "TEXT"), ("outcome", "TEXT NOT NULL"),
        ("days_late", "INTEGER"), ("policy_version", "TEXT NOT NULL"),
        ("calendar_version", "TEXT NOT NULL"),
    ), "case_id"),
    "pv_clock_terms": ((
        ("case_id", "TEXT NOT NULL"), ("clock", "TEXT NOT NULL"), ("seq", "INTEGER NOT NULL"),
        ("from_at", "TEXT NOT NULL"), ("to_at", "TEXT"), ("last_day", "TEXT NOT NULL"),
        ("due_at", "TEXT NOT NULL"), ("provisional", "INTEGER NOT NULL"),
        ("reason", "TEXT NOT NULL"),
    ), "case_id"),
    "pv_clock_pauses": ((
        ("case_id", "TEXT NOT NULL"), ("clock", "TEXT NOT NULL"), ("seq", "INTEGER NOT NULL"),
        ("from_at", "TEXT NOT NULL"), ("to_at", "TEXT"),
    ), "case_id"),
    "pv_clock_days": ((
        ("case_id", "TEXT NOT NULL"), ("clock", "TEXT NOT NULL"), ("seg", "INTEGER NOT NULL"),
        ("unit", "TEXT"), ("handler", "TEXT"), ("from_at", "TEXT NOT NULL"), ("to_at", "TEXT"),
        ("days", "INTEGER"),
    ), "case_id"),
    "pv_segments": ((
        ("case_id", "TEXT NOT NULL"), ("seg", "INTEGER NOT NULL"), ("from_at", "TEXT NOT NULL"),
        ("to_at", "TEXT"), ("unit", "TEXT"), ("handler", "TEXT"), ("cause", "TEXT NOT NULL"),
    ), "case_id"),
    "pv_segment_people": ((
        ("case_id", "TEXT NOT NULL"), ("seg", "INTEGER NOT NULL"), ("role", "TEXT NOT NULL"),
        ("unit", "TEXT"), ("person", "TEXT NOT NULL"),
    ), "case_id"),
}
# Read models of the organisation alone (no case): the post holders of every unit, and the
# territorial chain of every unit taken as a case location, each over all time in intervals
# [from_at, to_at). A case's segment names its unit and start, its row names its location: the
# queries join, so a change of office holders is stored once, not once per case.
ORG_TABLES: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "pv_unit_people": ((
        ("unit", "TEXT NOT NULL"), ("from_at", "TEXT NOT NULL"), ("to_at", "TEXT"),
        ("post", "TEXT NOT NULL"), ("person", "TEXT NOT NULL"),
    ), "unit"),
    "pv_territory_chain": ((
        ("location", "TEXT NOT NULL"), ("from_at", "TEXT NOT NULL"), ("to_at", "TEXT"),
        ("depth", "INTEGER NOT NULL"), ("unit", "TEXT NOT NULL"), ("level", "TEXT"),
        ("post", "TEXT"), ("person", "TEXT"),  # both NULL: the unit itself (even if vacant)
    ), "location"),
}
DERIVED = tuple(TABLES)  # one case's rows (first column: case_id)
ORG_DERIVED = tuple(ORG_TABLES)
TABLES.update(ORG_TABLES)
# bumped when the tables change shape or what their rows mean: an older layout is dropped and
# replayed (3: an art. 34 extension runs from the rolled expiry; a notice meets its own unit's clock;
# 4: every unit of a territorial chain has a row, holders or not; hearing days are not a holder's;
# a 包案 assignment replaces the last and names its leader only while in a leadership post;
# 5: from a request for 复查/复核 on, the review organ holds the case)
LAYOUT = "5"
INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS pv_cases_pk ON pv_cases (case_id)",
    "CREATE INDEX IF NOT EXISTS pv_cases_no ON pv_cases (case_no)",
    "CREATE INDEX IF NOT EXISTS pv_cases_holder ON pv_cases (holder, status)",
    "CREATE INDEX IF NOT EXISTS pv_clocks_case ON pv_clocks (case_id, clock)",
    "CREATE INDEX IF NOT EXISTS pv_clocks_unit ON pv_clocks (unit, last_day)",
    "CREATE INDEX IF NOT EXISTS pv_clocks_open ON pv_clocks (stop_at, last_day)",
    "CREATE INDEX IF NOT EXISTS pv_clock_terms_case ON pv_clock_terms (case_id, clock)",
    "CREATE INDEX IF NOT EXISTS pv_clock_pauses_case ON pv_clock_pauses (case_id, clock)",
    "CREATE INDEX IF NOT EXISTS pv_clock_days_case ON pv_clock_days (case_id)",
    "CREATE INDEX IF NOT EXISTS pv_segments_case ON pv_segments (case_id, from_at)",
    "CREATE INDEX IF NOT EXISTS pv_segments_unit ON pv_segments (unit)",
    "CREATE INDEX IF NOT EXISTS pv_segment_people_case ON pv_segment_people (case_id, seg)",
    "CREATE INDEX IF NOT EXISTS pv_unit_people_unit ON pv_unit_people (unit, from_at)",
    "CREATE INDEX IF NOT EXISTS pv_territory_chain_loc ON pv_territory_chain (location, from_at)",
)
_PG_TYPES = {name: ["int8" if t.startswith("BIGINT") else "int4" if t.startswith("INTEGER")
                     else "text" for _c, t in cols] for name, (cols, _key) in TABLES.items()}
TRACKING = "pv_tracking"
LAYOUT_KEY = "casetrail_views:layout"
OLD_TABLES = ("pv_case_state", "pv_territory")  # earlier layouts


MULTI_ROW = 50  # rows per INSERT statement on SQLite (at most 999 parameters)
_TS: dict[datetime, str] = {}


def ts(dt: datetime | None) -> str | None:
    """An aware instant as fixed-width UTC text (sortable as text)."""
    if dt is None:
        return None
    text = _TS.get(dt)
    if text is None:
        if len(_TS) > 200_000:
            _TS.clear()
        text = _TS[dt] = (dt.astimezone(UTC).replace(tzinfo=None)
                          .isoformat(timespec="microseconds") + "Z")
    return text


_PREVIOUS_DAY: dict[str, str] = {}


def utc_text(local: str) -> str | None:
    """:func:`ts` of the instant written ``local`` (ISO 8601 at +08:00, as the store writes
    business times), by moving the text 8 hours back: formatting a datetime costs several
    times more here, and a rebuild formats one per event. None for any other spelling."""
    n = len(local)
    if n == 25:
        fraction = ".000000"
    elif n == 32 and local[19] == ".":
        fraction = local[19:26]
    else:
        return None
    if local[19 if n == 25 else 26:] != "+08:00" or local[10] != "T":
        return None
    hour, day_text = int(local[11:13]) - 8, local[:10]
    if hour < 0:
        hour += 24
        previous = _PREVIOUS_DAY.get(day_text)
        if previous is None:
            previous = _PREVIOUS_DAY[day_text] = (date.fromisoformat(day_text)
                                                  - timedelta(days=1)).isoformat()
        day_text = previous
    return f"{day_text}T{hour:02d}{local[13:19]}{fraction}Z"


def from_ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


_DAY: dict[date, str] = {}


def day(d: date | None) -> str | None:
    if d is None:
        return None
    text = _DAY.get(d)
    if text is None:
        if len(_DAY) > 100_000:
            _DAY.clear()
        text = _DAY[d] = d.isoformat()
    return text


class ViewDB:
    """One connection to the store's read-model tables (same schema as the events on PG)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = is_postgres(url)
        if self.pg:
            import psycopg

            c = postgres_conninfo(url)
            self.schema = c["schema"]
            self.conn: Any = psycopg.connect(
                host=c["host"], port=c["port"], dbname=c["dbname"], user=c["user"],
                password=c["password"] or None, autocommit=True)
            self.conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            self.conn.execute(f'SET search_path TO "{self.schema}"')
        else:
            self.schema = ""
            self.conn = sqlite3.connect(sqlite_path(url), isolation_level=None,
                                        check_same_thread=False, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ViewDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.pg else text

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(self.sql(text), params)
        return list(cur.fetchall())

    def execute(self, text: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(self.sql(text), params)

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - nothing to roll back
            pass

    # --- schema ----------------------------------------------------------------------------------
    def create_tables(self, indexes: bool = True) -> None:
        bigint = "BIGINT" if self.pg else "INTEGER"
        if self.layout() not in (None, LAYOUT):
            self.drop_tables()  # an older layout: replayed from the start by the runner
        for name, (cols, _key) in TABLES.items():
            body = ", ".join(f"{c} {t}" for c, t in cols)
            self.execute(f"CREATE TABLE IF NOT EXISTS {name} ({body})")
        self.execute(f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, "
                     f"position {bigint} NOT NULL, calendar_version TEXT NOT NULL)")
        self.set_position(LAYOUT_KEY, int(LAYOUT), "")
        if indexes:
            self.create_indexes()

    def layout(self) -> str | None:
        """The layout of the existing tables (None: no tables yet)."""
        if self.pg:
            found = self.query("SELECT 1 FROM information_schema.tables WHERE table_schema = ? "
                               "AND table_name = ?", (self.schema, TRACKING))
        else:
            found = self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (TRACKING,))
        if not found:
            return None
        rows = self.query(f"SELECT position FROM {TRACKING} WHERE name = ?", (LAYOUT_KEY,))
        return str(rows[0][0]) if rows else "1"

    def create_indexes(self) -> None:
        for ddl in INDEXES:
            self.execute(ddl)

    def drop_tables(self) -> None:
        for name in (*TABLES, *OLD_TABLES, TRACKING):
            self.execute(f"DROP TABLE IF EXISTS {name}")

    # --- writes inside a transaction -------------------------------------------------------------
    def delete_cases(self, table: str, case_ids: list[str]) -> None:
        if not case_ids:
            return
        if self.pg:
            self.conn.execute(f"DELETE FROM {table} WHERE case_id = ANY(%s)", (case_ids,))
        else:
            self.conn.executemany(f"DELETE FROM {table} WHERE case_id = ?",
                                  [(c,) for c in case_ids])

    def insert(self, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
        rows = list(rows)
        if not rows:
            return
        cols = [c for c, _t in TABLES[table][0]]
        if self.pg:
            # binary COPY: half the client's and less of the server's work than text
            with self.conn.cursor().copy(
                    f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(_PG_TYPES[table])
                write = cp.write_row
                for row in rows:
                    write(row)
        else:
            marks = f"({', '.join('?' * len(cols))})"
            k = MULTI_ROW if len(cols) * MULTI_ROW <= 999 else 999 // len(cols)
            whole = len(rows) - len(rows) % k
            if whole and os.environ.get("RB_MULTI", "1") == "1":
                # k rows per statement: SQLite's per-statement cost is paid once per k rows
                flat = chain.from_iterable
                self.conn.executemany(f"INSERT INTO {table} VALUES {', '.join([marks] * k)}",
                                      [tuple(flat(rows[i:i + k])) for i in range(0, whole, k)])
                rows = rows[whole:]
            if rows:
                self.conn.executemany(f"INSERT INTO {table} VALUES {marks}", rows)

    def set_position(self, name: str, position: int, calendar_version: str) -> None:
        self.execute(f"INSERT INTO {TRACKING} (name, position, calendar_version) VALUES (?, ?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                     "calendar_version = excluded.calendar_version",
                     (name, position, calendar_version))

    def position(self, name: str) -> int:
        rows = self.query(f"SELECT position FROM {TRACKING} WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every read-model row, sorted (for the rebuild == incremental comparison)."""
        out = {}
        for name in TABLES:
            rows = self.query(f"SELECT * FROM {name}")
            out[name] = sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))
        return out
