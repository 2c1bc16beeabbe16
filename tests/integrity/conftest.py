"""Fixtures for the tamper-evidence tests: a real store per test (a SQLite temp file, or a
fresh PostgreSQL schema ``it_<random>`` dropped afterwards), a minimal eventsourcing application
named ``casetrail`` that writes the same tables as the real one, raw SQL access for tampering,
and signing keys.
"""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from integrity.keys import KeyStore
from store.config import application_env, ensure_postgres_schema, postgres_conninfo, sqlite_path
from tests.conftest import PG_OK, PG_URL, drop_schema, new_store_url  # noqa: F401


class Matter(Aggregate):
    """A trivial case aggregate."""

    @event("Opened")
    def __init__(self, title: str) -> None:
        self.title = title

    @event("Noted")
    def note(self, text: str) -> None:
        self.last = text


class TrailApp(Application[uuid.UUID]):
    name = "casetrail"


class Trail:
    """One store: the application that writes events plus raw SQL for the attacker."""

    def __init__(self, url: str, env: dict[str, str] | None = None) -> None:
        self.url = url
        self.kind = "postgres" if url.startswith("postgres") else "sqlite"
        if self.kind == "postgres":
            ensure_postgres_schema(url)
            self.schema = postgres_conninfo(url)["schema"]
        self.app = TrailApp(env={**application_env(url), **(env or {})})

    # --- writing events through the library -----------------------------------------------
    def add_cases(self, n: int, events_per_case: int = 4) -> list[uuid.UUID]:
        cases = []
        for i in range(n):
            m = Matter(f"信访事项 {i}")
            for j in range(events_per_case - 1):
                m.note(f"第{j}次办理记录")
            cases.append(m)
        self.app.save(*cases)
        return [m.id for m in cases]

    def add_events(self, case_id: uuid.UUID, k: int = 1) -> None:
        m = self.app.repository.get(case_id)
        for j in range(k):
            m.note(f"追加 {j}")
        self.app.save(m)

    def close(self) -> None:
        self.app.close()

    # --- raw SQL ------------------------------------------------------------------------------
    @property
    def events(self) -> str:
        return "stored_events" if self.kind == "sqlite" else f'"{self.schema}".casetrail_events'

    @property
    def nid(self) -> str:
        return "rowid" if self.kind == "sqlite" else "notification_id"

    def table(self, name: str) -> str:
        return name if self.kind == "sqlite" else f'"{self.schema}".{name}'

    def sql(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement (``{events}``, ``{nid}`` and ``{t:name}`` are filled in)."""
        statement = statement.replace("{events}", self.events).replace("{nid}", self.nid)
        for name in ("integrity_leaves", "integrity_nodes", "integrity_checkpoints",
                     "integrity_tracking", "integrity_meta"):
            statement = statement.replace("{t:" + name + "}", self.table(name))
        if self.kind == "sqlite":
            conn = sqlite3.connect(sqlite_path(self.url))
            try:
                cur = conn.execute(statement, tuple(params))
                rows = cur.fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            cur = conn.execute(statement.replace("?", "%s"), tuple(params))
            return cur.fetchall() if cur.description else []

    def oid_param(self, case_id: uuid.UUID) -> Any:
        return case_id.hex if self.kind == "sqlite" else case_id

    def nid_of(self, case_id: uuid.UUID, version: int) -> int:
        rows = self.sql("SELECT {nid} FROM {events} WHERE originator_id = ? "
                        "AND originator_version = ?", (self.oid_param(case_id), version))
        return int(rows[0][0])

    def nids(self) -> list[int]:
        return [int(r[0]) for r in self.sql("SELECT {nid} FROM {events} ORDER BY {nid}")]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def it_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url, schema = new_store_url(request.param, tmp_path)
    yield url
    if schema:
        drop_schema(schema)


@pytest.fixture
def trail(it_url: str) -> Iterator[Trail]:
    t = Trail(it_url)
    yield t
    t.close()


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    d = tmp_path / "keys"
    KeyStore(d).generate()
    return d


@pytest.fixture
def auditor_keys(tmp_path: Path, keys: Path) -> Path:
    """What an auditor holds: only the published public key(s), no private key, no records."""
    d = tmp_path / "auditor"
    d.mkdir()
    for p in keys.glob("*.pub"):
        (d / p.name).write_text(p.read_text())
    return d
