"""The rebuild: every read model from the whole log, as fast as one process can.

The incremental runner reads notifications in log order and re-derives a case whenever one of
its events arrives; a rebuild instead reads the log *case by case* (the store's primary key,
originator id then version, in pages), so each case is derived exactly once from all its facts,
with the organisation as it stands at the end of the log (what the runner converges to). Rows are
written by a second thread (the SQLite and PostgreSQL drivers release the GIL while the database
works), in large transactions; indexes are created after the load. On a large log, two worker
processes share the work by slices of the id space (:func:`replay`).

Decoding skips the library's event objects: the stored JSON is parsed with orjson and only the
business time is turned into a datetime (the facts are :class:`LightFact`, duck-typed like
:class:`domain.case_state.Fact`). A state with other tagged values, an upcast (class_version), a
cipher or a compressor goes through the mapper as in the runner.

Crash safety: a ``casetrail_views:rebuilding`` tracking row is present while the rows are partial;
a runner that finds it refuses to catch up (``RebuildUnfinished``: the rebuild may still be
running) until a rebuild completes. The last transaction (indexes,
position, marker removed) is committed with ``synchronous=FULL`` on SQLite, so the rebuild is
durable once it returns; the pages before it are written with ``synchronous=OFF``.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from domain.application import ORG_TOPICS, Casetrail
from domain.organisation import OrgDirectory
from domain.periods import CALENDAR, HolidayCalendar
from domain.storage import OrjsonTranscoder
from projections.case_view import derive, org_rows
from projections.facts import CASE_TOPICS, fact_of_notification
from projections.responsibility import OrgIndex
from projections.schema import DERIVED, ViewDB

NAME = "casetrail_views"
REBUILDING = "casetrail_views:rebuilding"
PAGE = 20000  # events read per query
FLUSH = 60000  # rows per write transaction


class LightFact:
    """A fact as the fold reads it (same attributes as ``domain.case_state.Fact``)."""

    __slots__ = ("version", "kind", "occurred_at", "recorded_at", "actor", "data", "depends_on",
                 "corrections")

    def __init__(self, version: int, kind: str, occurred_at: datetime, recorded_at: Any,
                 actor: Any, data: dict[str, Any], depends_on: int | None,
                 corrections: tuple = ()) -> None:
        self.version, self.kind, self.occurred_at = version, kind, occurred_at
        self.recorded_at, self.actor, self.data = recorded_at, actor, data
        self.depends_on, self.corrections = depends_on, corrections

    def corrected(self, field_name: str, value: Any) -> LightFact:
        if field_name == "occurred_at":
            return LightFact(self.version, self.kind, value, self.recorded_at, self.actor,
                             self.data, self.depends_on,
                             (*self.corrections, (field_name, self.occurred_at, value)))
        old = self.data.get(field_name)
        return LightFact(self.version, self.kind, self.occurred_at, self.recorded_at, self.actor,
                         {**self.data, field_name: value}, self.depends_on,
                         (*self.corrections, (field_name, old, value)))


class _Stored:
    __slots__ = ("originator_id", "originator_version", "topic", "state")

    def __init__(self, oid: UUID, version: int, topic: str, state: bytes) -> None:
        self.originator_id, self.originator_version = oid, version
        self.topic, self.state = topic, state


def _decoder(app: Casetrail) -> Callable[[str, int, str, bytes], Any]:
    """(case id, version, kind, state) -> fact; the raw fast path when the store allows it."""
    mapper = app.mapper
    plain = not (mapper.cipher or mapper.compressor) and isinstance(mapper.transcoder,
                                                                    OrjsonTranscoder)
    loads, times = orjson.loads, {}  # type: ignore[var-annotated]
    parse = datetime.fromisoformat

    def slow(case_id: str, version: int, topic: str, state: bytes) -> Any:
        return fact_of_notification(_Stored(UUID(case_id), version, topic, state), mapper)[1]

    def fast(case_id: str, version: int, topic: str, state: bytes) -> Any:
        # only the two base instants are tagged: nothing else to restore, nothing to upcast
        if state.count(b'"_type_"') != 2 or b'"class_version"' in state:
            return slow(case_id, version, topic, state)
        raw = loads(state)
        text = raw["occurred_at"]["_data_"]
        at = times.get(text)
        if at is None:
            if len(times) > 500_000:
                times.clear()
            at = times[text] = parse(text)
        return LightFact(version, CASE_TOPICS[topic], at, None, raw["actor"], raw,
                         raw["depends_on"])

    return fast if plain else slow


class _Source:
    """Pages of (case id, version, topic, state) in primary-key order, up to a log position;
    a page ends on a case boundary (a case is never split between two pages)."""

    def __init__(self, db: ViewDB, end: int, part: int = 0, parts: int = 1) -> None:
        self.db, self.end = db, end
        lo, hi = (_bound(db.pg, part, parts, -1) if part else None,
                  _bound(db.pg, part + 1, parts, 0) if part + 1 < parts else None)
        if db.pg:
            self.sql = (f'SELECT originator_id::text, originator_version, topic, state FROM '
                        f'"{db.schema}".casetrail_events WHERE originator_id > %s::uuid AND '
                        f'notification_id <= %s'
                        f'{" AND originator_id < %s::uuid" if hi else ""} '
                        f'ORDER BY originator_id, originator_version LIMIT %s')
            self.first = lo or "00000000-0000-0000-0000-000000000000"
        else:
            self.sql = ("SELECT originator_id, originator_version, topic, state FROM "
                        f"stored_events WHERE originator_id > ? AND rowid <= ?"
                        f"{' AND originator_id < ?' if hi else ''} "
                        "ORDER BY originator_id, originator_version LIMIT ?")
            self.first = lo or ""
        self.hi = (hi,) if hi else ()

    def pages(self) -> Any:
        after, limit = self.first, PAGE
        while True:
            rows = self.db.conn.execute(self.sql, (after, self.end, *self.hi, limit)).fetchall()
            if len(rows) < limit:
                if rows:
                    yield rows
                return
            last = rows[-1][0]
            cut = len(rows)
            while cut and rows[cut - 1][0] == last:
                cut -= 1
            if cut == 0:  # one case longer than a page: read it whole
                limit *= 2
                continue
            yield rows[:cut]
            after, limit = rows[cut - 1][0], PAGE


def _bound(pg: bool, part: int, parts: int, delta: int) -> str:
    """The id at ``part/parts`` of the (uniform) id space, plus ``delta``, as the store spells it."""
    n = (part << 128) // parts + delta
    return str(UUID(int=n)) if pg else f"{n:032x}"


class _Writer(threading.Thread):
    """Writes batches of rows in their own transactions, off the deriving thread."""

    def __init__(self, db: ViewDB) -> None:
        super().__init__(name="casetrail-rebuild-writer", daemon=True)
        self.db, self.jobs = db, queue.Queue(maxsize=2)  # type: ignore[var-annotated]
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            rows = self.jobs.get()
            if rows is None:
                return
            if self.error is not None:
                continue
            try:
                self.db.begin()
                for table, table_rows in rows.items():
                    self.db.insert(table, table_rows)
                self.db.commit()
            except BaseException as e:  # noqa: BLE001 - reported by the deriving thread
                self.db.rollback()
                self.error = e

    def put(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put(rows)

    def finish(self) -> None:
        self.jobs.put(None)
        self.join()
        if self.error is not None:
            raise self.error


def _org(app: Casetrail, end: int) -> tuple[OrgDirectory, int]:
    org, start, n = OrgDirectory(), 0, 0
    while True:
        notes = app.recorder.select_notifications(start=start, limit=5000, stop=end,
                                                  topics=ORG_TOPICS, inclusive_of_start=False)
        for note in notes:
            org.apply(app.mapper.to_domain_event(note))
        n += len(notes)
        if len(notes) < 5000:
            return org, n
        start = notes[-1].id


def replay(app: Casetrail, calendar: HolidayCalendar = CALENDAR,
           progress: Callable[[int], None] | None = None, workers: int | None = None) -> int:
    """Drop the read models and derive them from the whole log; returns the events read.

    ``workers`` processes (default: 2 on a machine with 2 or more cores when the log holds more
    than 50,000 events, else 1 — in this process) each read, derive and write the cases of one
    slice of the id space; the SQLite writers take turns, PostgreSQL ones run side by side.
    """
    end = app.recorder.max_notification_id() or 0
    org, done = _org(app, end)
    if workers is None:
        workers = 2 if end > 50_000 and (os.cpu_count() or 1) > 1 else 1
    db = ViewDB(app.database_url)
    try:
        db.drop_tables()
        db.create_tables(indexes=False)
        db.set_position(REBUILDING, end, calendar.version)
        db.begin()
        for table, rows in org_rows(OrgIndex(org)).items():
            db.insert(table, rows)
        db.commit()
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            done += _load(app, org, end, calendar, 0, 1, progress)
        else:
            done += _in_processes(app, org, end, calendar, workers, progress)
        if not db.pg:
            db.execute("PRAGMA temp_store=MEMORY")
            db.execute("PRAGMA synchronous=FULL")  # the last commit makes it all durable
        db.begin()
        db.create_indexes()
        db.execute("DELETE FROM pv_tracking WHERE name = ?", (REBUILDING,))
        db.set_position(NAME, end, calendar.version)
        db.commit()
    finally:
        db.close()
    return done


def _in_processes(app: Casetrail, org: OrgDirectory, end: int, calendar: HolidayCalendar,
                  workers: int, progress: Callable[[int], None] | None) -> int:
    # fork: a child uses only the application's mapper and URL, opens its own connections and
    # never touches the inherited ones (nor creates tables: no DDL racing between workers)
    ctx = multiprocessing.get_context("fork")
    counters = [ctx.Value("q", 0, lock=False) for _ in range(workers)]
    procs = [ctx.Process(target=_worker, args=(app, org, end, calendar, k, workers, counters[k]),
                         name=f"casetrail-rebuild-{k}", daemon=True) for k in range(workers)]
    for proc in procs:
        proc.start()
    try:
        for proc in procs:
            while proc.is_alive():
                proc.join(0.5)
                if progress is not None:
                    progress(sum(c.value for c in counters))
        failed = [p.name for p in procs if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"rebuild worker(s) failed: {', '.join(failed)}")
        return sum(c.value for c in counters)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()


def _worker(app: Casetrail, org: OrgDirectory, end: int, calendar: HolidayCalendar, part: int,
            parts: int, counter: Any) -> None:
    def report(n: int) -> None:
        counter.value = n

    _load(app, org, end, calendar, part, parts, report)


def _load(app: Casetrail, org: OrgDirectory, end: int, calendar: HolidayCalendar, part: int,
          parts: int, progress: Callable[[int], None] | None) -> int:
    """Read, derive and write the cases of one slice of the id space."""
    db, reader = ViewDB(app.database_url), ViewDB(app.database_url)
    try:
        if not db.pg:
            db.execute("PRAGMA synchronous=OFF")
            db.execute("PRAGMA cache_size=-65536")
        writer = _Writer(db)
        writer.start()
        try:
            return _cases(app, _Source(reader, end, part, parts), OrgIndex(org), calendar,
                          writer, progress)
        finally:
            writer.finish()
    finally:
        reader.close()
        db.close()


def _cases(app: Casetrail, source: _Source, index: OrgIndex, calendar: HolidayCalendar,
           writer: _Writer, progress: Callable[[int], None] | None) -> int:
    decode = _decoder(app)
    kinds = CASE_TOPICS
    pg = source.db.pg
    out: dict[str, list[tuple[Any, ...]]] = {t: [] for t in DERIVED}
    pending, done = 0, 0
    for page in source.pages():
        current, facts = None, []  # type: ignore[var-annotated]
        for oid, version, topic, state in page:
            if topic not in kinds:
                continue
            if oid != current:
                if facts:
                    pending += _derive(current, facts, index, calendar, out, pg)
                current, facts = oid, []
            facts.append(decode(oid, version, topic, state))
            done += 1
        if facts:
            pending += _derive(current, facts, index, calendar, out, pg)
        if pending >= FLUSH:
            writer.put(out)
            out, pending = {t: [] for t in DERIVED}, 0
        if progress is not None:
            progress(done)
    writer.put(out)
    return done


def _derive(oid: Any, facts: list[Any], index: OrgIndex, calendar: HolidayCalendar,
            out: dict[str, list[tuple[Any, ...]]], pg: bool) -> int:
    case_id = oid if pg else str(UUID(oid))
    n = 0
    for table, rows in derive(case_id, facts, index, calendar).items():
        out[table] += rows
        n += len(rows)
    return n
