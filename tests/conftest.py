"""Shared fixtures: a real store per test (SQLite file, or a fresh PostgreSQL schema), a settable
clock, the example organisation, and named actors.

PostgreSQL runs whenever CASETRAIL_TEST_POSTGRES_URL is set or the default server answers; in CI
(CI=true) an unreachable server fails the run instead of skipping.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.application import Casetrail
from domain.org_loader import read_spec
from domain.periods import TZ

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CASETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ORG_FILE = ROOT / "examples" / "organisation.yaml"


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        if os.environ.get("CI"):
            raise
        return False


PG_OK = _pg_available()


def new_store_url(kind: str, tmp_path: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/casetrail.db", None
    if not PG_OK:
        pytest.skip("PostgreSQL not reachable (set CASETRAIL_TEST_POSTGRES_URL); CI never skips")
    schema = "t_" + uuid.uuid4().hex[:12]
    return f"{PG_URL}?schema={schema}", schema


def drop_schema(schema: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url, schema = new_store_url(request.param, tmp_path)
    yield url
    if schema:
        drop_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/casetrail.db"


class Clock:
    """A clock the test sets; the application reads recording time only from it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = datetime(*args, tzinfo=TZ)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 9, 0, tzinfo=TZ))


def make_app(url: str, clock: Clock) -> Casetrail:
    app = Casetrail(url, clock=clock)
    app.load_organisation(read_spec(ORG_FILE))
    return app


@pytest.fixture
def app(store_url: str, clock: Clock) -> Iterator[Casetrail]:
    application = make_app(store_url, clock)
    yield application
    application.close()


@pytest.fixture
def sqlite_app(sqlite_url: str, clock: Clock) -> Iterator[Casetrail]:
    application = make_app(sqlite_url, clock)
    yield application
    application.close()


def at(*args: int) -> datetime:
    """A moment in Asia/Shanghai: at(2026, 3, 2, 10) is 10:00 on 2 March 2026."""
    return datetime(*args, tzinfo=TZ)


# Named actors of examples/organisation.yaml
BUREAU = {"unit": "yz-xfj", "person": "wu-min", "post": "petition_officer"}
HOUSING = {"unit": "yz-zjj", "person": "liu-yang", "post": "petition_officer"}
LABOUR = {"unit": "yz-rsj"}
DISTRICT_GOV = {"unit": "yz-gov", "person": "ma-hui", "post": "head"}
CITY_GOV = {"unit": "city-gov"}
CITY_BUREAU = {"unit": "city-xfj"}

GRIEVANCE: dict[str, Any] = {
    "channel": "visit", "matter_type": "grievance", "category": "C03", "location": "dhl-sq1-g1",
    "petitioners": [{"name": "张三", "phone": "13800000000", "id_number": "650502199001011234"}],
    "request": "要求解决住房保障问题", "facts_and_reasons": "申请廉租房三年未获答复",
}


def log_size(app: Casetrail) -> int:
    return app.recorder.max_notification_id() or 0
