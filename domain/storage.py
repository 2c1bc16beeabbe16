"""Where events are stored, and how they are encoded.

``CASETRAIL_DATABASE_URL`` selects the store:

* ``sqlite:///path/to/file.db`` (the default is ``sqlite:///casetrail.db`` in the working directory)
* ``postgresql://user:password@host:port/dbname?schema=name``

Events are encoded with orjson (:class:`OrjsonTranscoder`), in the same wire format as the
library's ``JSONTranscoder`` (``{"_type_": ..., "_data_": ...}`` for non-JSON types).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Transcoder,
    Transcoding,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry

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
        "TRANSCODER_TOPIC": "domain.storage:OrjsonTranscoder",
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
            APPLICATION_RECORDER_TOPIC="domain.storage:SQLiteRecorder",
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
            APPLICATION_RECORDER_TOPIC="domain.storage:PostgresRecorder",
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


# --- rows written in the events' transaction ----------------------------------------------------
# ``app.save(..., side_rows=f)``: after the events are inserted, and before the commit, ``f(ids)``
# (the new notification ids, in the order of the events) returns ``[(table, {column: value})]``
# to insert in the same transaction, e.g. the API's idempotency records. A unique key violated
# by such a row rolls the whole transaction back (``IntegrityError``), like a version conflict.
SideRows = Callable[[Sequence[int]], list[tuple[str, dict[str, Any]]]]


class SQLiteRecorder(SQLiteApplicationRecorder):
    """The library's recorder, plus ``side_rows`` (same file, same transaction)."""

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        side_rows: SideRows | None = kwargs.get("side_rows")
        if side_rows is not None:
            for table, row in side_rows(ids or []):
                c.execute(f"INSERT INTO {table} ({', '.join(row)}) "
                          f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
        return ids


class PostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder (table lock and all), plus ``side_rows`` (same schema, same
    transaction: the rows are sent once the ids are known, while the table lock is held).

    Its statements are rendered to text once: psycopg renders a composed statement (quoting
    each identifier) on every execution, about a tenth of the client's work per command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from psycopg.sql import SQL, Identifier

        def text(statement: Any) -> Any:
            return SQL(statement.as_string())  # type: ignore[arg-type]

        self.insert_events_statement = text(self.insert_events_statement)
        self.select_events_statement = text(self.select_events_statement)
        self.max_notification_id_statement = text(self.max_notification_id_statement)
        self.lock_table_statements = [text(s) for s in self.lock_table_statements]
        self._notify_statement = text(SQL("NOTIFY {0}").format(Identifier(self.channel_name)))
        self._prelude = SQL("; ".join(  # type: ignore[arg-type]
            [s.as_string() for s in self.lock_table_statements]
            + [self._notify_statement.as_string()]))
        self._side_statements: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._select_statements: dict[tuple[bool, bool, bool, bool], Any] = {}

    def _notify_channel(self, curs: Any) -> None:
        curs.execute(self._notify_statement)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """The library's transaction — lock timeout, EXCLUSIVE table lock, NOTIFY, the insert
        returning the notification ids, then the side rows — without psycopg's pipeline mode:
        the three statements before the insert go as one simple query, the insert as a prepared
        statement. The same statements and order, a third less client work per command."""
        if self.datastore.enable_db_functions or not stored_events:
            return super().insert_events(stored_events, **kwargs)  # type: ignore[no-any-return]
        rows = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic,
                                               e.state) for e in stored_events]
        side_rows: SideRows | None = kwargs.get("side_rows")
        with self.datastore.get_connection() as conn, conn.transaction(), \
                conn.cursor() as curs:
            curs.execute(self._prelude)
            curs.execute(self.insert_events_statement, (rows,), prepare=True)
            ids = [row["notification_id"] for row in curs.fetchall()]
            if len(ids) != len(stored_events):
                raise ProgrammingError(f"Couldn't get all notification IDs (got {len(ids)}, "
                                       f"expected {len(stored_events)})")
            for table, row in side_rows(ids) if side_rows is not None else ():
                curs.execute(self._side_statement(table, tuple(row)), tuple(row.values()))
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(self, originator_id: UUID | str, *, gt: int | None = None,
                      lte: int | None = None, desc: bool = False,
                      limit: int | None = None) -> Sequence[StoredEvent]:
        """The library's query, its text built once per shape, and rows as tuples (psycopg's
        dict rows cost about a third of loading a case's ten events)."""
        shape = (gt is not None, lte is not None, desc, limit is not None)
        statement = self._select_statements.get(shape)
        if statement is None:
            from psycopg.sql import SQL

            text = self.select_events_statement.as_string().replace(
                "SELECT *", "SELECT originator_id, originator_version, topic, state", 1)
            text += " AND originator_version > %s" if shape[0] else ""
            text += " AND originator_version <= %s" if shape[1] else ""
            text += " ORDER BY originator_version " + ("DESC" if desc else "ASC")
            text += " LIMIT %s" if shape[3] else ""
            statement = self._select_statements[shape] = SQL(text)  # type: ignore[arg-type]
        params = [originator_id, *(p for p in (gt, lte, limit) if p is not None)]
        from psycopg.rows import tuple_row

        with self.datastore.get_connection() as conn, \
                conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, params, prepare=True)
            return [StoredEvent(originator_id=oid, originator_version=version, topic=topic,
                                state=bytes(state))
                    for oid, version, topic, state in curs.fetchall()]

    def _side_statement(self, table: str, columns: tuple[str, ...]) -> Any:
        statement = self._side_statements.get((table, columns))
        if statement is None:
            from psycopg.sql import SQL, Identifier, Placeholder

            statement = self._side_statements[(table, columns)] = SQL(SQL(
                "INSERT INTO {}.{} ({}) VALUES ({})").format(
                Identifier(self.datastore.schema), Identifier(table),
                SQL(", ").join(map(Identifier, columns)),
                SQL(", ").join(Placeholder() * len(columns))).as_string())
        return statement

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        side_rows: SideRows | None = kwargs.get("side_rows")
        if side_rows is not None:
            with curs.connection.pipeline() as pipeline:
                for table, row in side_rows(ids or []):
                    curs.execute(self._side_statement(table, tuple(row)), tuple(row.values()))
                pipeline.sync()  # a violated key raises here, inside the transaction
        return ids


# --- orjson transcoder -----------------------------------------------------------------------

_TYPE, _DATA = "_type_", "_data_"
_dumps = orjson.dumps


class OrjsonTranscoder(Transcoder):
    """orjson encoder with the library's tagged format for datetime, date, UUID, Decimal, tuple.

    Domain events keep identifiers as strings and payloads as JSON-native values, so most of an
    event is encoded natively; only datetimes (every event has two) take the tagged path.
    """

    def __init__(self) -> None:
        self.types: dict[type, Transcoding] = {}
        self.names: dict[str, Transcoding] = {}

    def register(self, transcoding: Transcoding) -> None:
        self.types[transcoding.type] = transcoding
        self.names[transcoding.name] = transcoding

    def _default(self, o: Any) -> Any:
        t = type(o)
        if t is datetime:
            tz = o.tzinfo
            if tz is None:
                return {_TYPE: "datetime_iso", _DATA: _dumps(o)[1:-1].decode()}
            if type(tz) is ZoneInfo or type(tz) is timezone:
                # orjson writes the same text as isoformat() (and faster) unless the UTC offset
                # has seconds or microseconds (then it rounds them away): only whole minutes here
                offset = o.utcoffset()
                if offset is not None and not offset.seconds % 60 and not offset.microseconds:
                    return {_TYPE: "datetime_iso", _DATA: _dumps(o)[1:-1].decode()}
            return {_TYPE: "datetime_iso", _DATA: o.isoformat()}
        if t is date:
            return {_TYPE: "date_iso", _DATA: o.isoformat()}
        if t is UUID:
            return {_TYPE: "uuid_hex", _DATA: o.hex}
        if t is Decimal:
            return {_TYPE: "decimal_str", _DATA: str(o)}
        try:
            transcoding = self.types[t]
        except KeyError:
            raise TypeError(f"Object of type {t} is not serialisable") from None
        return {_TYPE: transcoding.name, _DATA: transcoding.encode(o)}

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(
            obj,
            default=self._default,
            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS,
        )

    def decode(self, data: bytes) -> Any:
        obj = orjson.loads(data)
        tags = data.count(b'"_type_"')
        if not tags:
            return obj
        if type(obj) is dict:
            # Fast path: domain events keep their datetimes at the top level. Every tag counted in
            # the raw bytes must be restored here, else fall back to the full walk (which then
            # sees the already restored values as plain objects).
            found = 0
            for key, value in obj.items():
                if type(value) is dict and len(value) == 2 and _TYPE in value and _DATA in value \
                        and type(value[_DATA]) is str:
                    obj[key] = self._tagged(value[_TYPE], value[_DATA])
                    found += 1
            if found == tags:
                return obj
        return self._restore(obj)

    def _tagged(self, name: str, data: Any) -> Any:
        if name == "datetime_iso":
            return datetime.fromisoformat(data)
        if name == "date_iso":
            return date.fromisoformat(data)
        if name == "uuid_hex":
            return UUID(data)
        if name == "decimal_str":
            return Decimal(data)
        return self.names[name].decode(data)

    def _restore(self, o: Any) -> Any:
        if type(o) is dict:
            if len(o) == 2 and _TYPE in o and _DATA in o:
                return self._tagged(o[_TYPE], self._restore(o[_DATA]))
            for k, v in o.items():
                if type(v) is dict or type(v) is list:
                    o[k] = self._restore(v)
            return o
        if type(o) is list:
            return [self._restore(v) if type(v) is dict or type(v) is list else v for v in o]
        return o


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
