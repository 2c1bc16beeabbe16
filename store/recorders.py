"""The library's recorders, plus rows written in the events' transaction (side rows)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry

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


