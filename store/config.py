"""Where events are stored, and how they are encoded.

``CASETRAIL_DATABASE_URL`` selects the store:

* ``sqlite:///path/to/file.db`` (the default is ``sqlite:///casetrail.db`` in the working directory)
* ``postgresql://user:password@host:port/dbname?schema=name``

Events are encoded with orjson (:class:`OrjsonTranscoder`), in the same wire format as the
library's ``JSONTranscoder`` (``{"_type_": ..., "_data_": ...}`` for non-JSON types).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlparse

from domain.errors import InvalidInput

DEFAULT_URL = "sqlite:///casetrail.db"
APP_NAME = "casetrail"


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("CASETRAIL_DATABASE_URL") or DEFAULT_URL


def is_postgres(url: str) -> bool:
    return urlparse(url).scheme.startswith("postgres")


def postgres_conninfo(url: str) -> dict[str, str]:
    """Connection settings of a postgresql:// URL (host, port, dbname, user, password, schema)."""
    u = urlparse(url)
    query = parse_qs(u.query)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": str(u.port or 5432),
        "dbname": (u.path or "/postgres").lstrip("/") or "postgres",
        "user": unquote(u.username or "postgres"),
        "password": unquote(u.password or ""),
        "schema": query.get("schema", ["public"])[0],
    }


def sqlite_path(url: str) -> str:
    u = urlparse(url)
    path = unquote(u.netloc + u.path) if u.netloc else unquote(u.path)
    if path.startswith("/") and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        path = path[1:]  # sqlite:///relative.db -> relative.db ; sqlite:////abs.db -> /abs.db
    return path


def application_env(url: str | None = None) -> dict[str, str]:
    """The eventsourcing settings for the store named by ``url``."""
    url = database_url(url)
    env: dict[str, str] = {
        "TRANSCODER_TOPIC": "store.transcoder:OrjsonTranscoder",
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "IS_SNAPSHOTTING_ENABLED": "n",
    }
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = sqlite_path(url)
        if not path:
            raise InvalidInput("bad_database_url", "数据库地址无效", f"No SQLite path in {url!r}")
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=path,
            SQLITE_LOCK_TIMEOUT="30",
            APPLICATION_RECORDER_TOPIC="store.recorders:SQLiteRecorder",
        )
    elif is_postgres(url):
        c = postgres_conninfo(url)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_HOST=c["host"],
            POSTGRES_PORT=c["port"],
            POSTGRES_DBNAME=c["dbname"],
            POSTGRES_USER=c["user"],
            POSTGRES_PASSWORD=c["password"],
            POSTGRES_SCHEMA=c["schema"],
            POSTGRES_LOCK_TIMEOUT="10",
            POSTGRES_POOL_SIZE="5",
            POSTGRES_MAX_OVERFLOW="10",
            POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT="60",
            APPLICATION_RECORDER_TOPIC="store.recorders:PostgresRecorder",
        )
    else:
        raise InvalidInput("bad_database_url", "数据库地址无效", f"Unsupported database URL {url!r}")
    return env


def ensure_postgres_schema(url: str) -> None:
    """eventsourcing needs the schema to exist before it creates its tables."""
    import psycopg

    c = postgres_conninfo(url)
    if c["schema"] == "public":
        return
    with psycopg.connect(
        host=c["host"], port=c["port"], dbname=c["dbname"], user=c["user"],
        password=c["password"] or None, autocommit=True,
    ) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{c["schema"]}"')


@contextmanager
def ddl_lock(url: str) -> Iterator[None]:
    """Processes that create tables at the same moment take turns (PostgreSQL; a no-op on
    SQLite, whose writers already do). Worker processes (``casetrail serve --workers N``) start
    together: the library's table creation (``CREATE OR REPLACE FUNCTION``…) fails with "tuple
    concurrently updated", and two ``CREATE TABLE IF NOT EXISTS`` of the read models with a
    duplicate-key error, when they run at once."""
    if not is_postgres(url):
        yield
        return
    import psycopg

    c = postgres_conninfo(url)
    with psycopg.connect(host=c["host"], port=c["port"], dbname=c["dbname"], user=c["user"],
                         password=c["password"] or None, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(424243)")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(424243)")
