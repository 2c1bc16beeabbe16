"""The rebuild: every read model from the whole log, as fast as one process can.

The incremental runner reads notifications in log order and re-derives a case whenever one of
its events arrives; a rebuild instead reads the log *case by case* (the store's primary key,
originator id then version, in pages), so each case is derived exactly once from all its facts,
with the organisation as it stands at the end of the log (what the runner converges to). On a
large log, two worker processes share the work by slices of the id space (:func:`replay`); they
inherit the organisation's timelines, computed once before the fork. Indexes are created after
the load.

Where the rows go: on PostgreSQL each worker COPYs (binary) into the tables from a writer thread
while it derives the next cases, and reads the next page from a reader thread; its commits do not
wait for the WAL flush (the last transaction's does), and the indexes are then built by two
sessions at once. On SQLite the workers would take turns on the file's write lock, so each writes
its rows (inline, several rows per INSERT) into a private scratch file beside the database,
without journal, while this process drops and creates the tables; each scratch file is copied in
with ``INSERT ... SELECT`` (SQLite's own transfer of whole records) as soon as its worker and the
ones before it have finished, the indexes are created in the last transaction, and the scratch
files are deleted.

Decoding skips the library's event objects: the business time is cut out of the stored JSON
(all instants share one tzinfo object, so comparing them is cheap) and the rest is parsed with
orjson only when the fold or the clocks first read ``data`` (the facts are :class:`LightFact`,
duck-typed like :class:`domain.case_state.Fact`). A state with other tagged values, an upcast
(class_version), a cipher or a compressor goes through the mapper as in the runner.

Crash safety: a ``casetrail_views:rebuilding`` tracking row is present while the rows are partial;
a runner that finds it refuses to catch up (``RebuildUnfinished``: the rebuild may still be
running) until a rebuild completes. It is committed with the empty tables, before any row. The
last transaction (indexes on SQLite, position, marker removed) is committed with
``synchronous=FULL`` on SQLite (the copies before it with ``NORMAL``: its sync of the WAL covers
them, a checkpoint in between syncs the database file) and synchronously on PostgreSQL (its WAL
flush covers every earlier record), so the rebuild is durable once it returns; the scratch files
are written with ``synchronous=OFF``.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from domain.application import ORG_TOPICS, Casetrail
from domain.organisation import OrgDirectory
from domain.periods import CALENDAR, TZ, HolidayCalendar
from domain.responsibility import OrgIndex
from projections.case_view import derive_into, org_rows
from projections.facts import CASE_TOPICS, fact_of_notification
from projections.schema import _TS, DERIVED, INDEXES, TABLES, ViewDB, utc_text
from store.config import sqlite_path
from store.logread import CasePages
from store.transcoder import OrjsonTranscoder

NAME = "casetrail_views"
OCCURRED = b'"occurred_at":{"_type_":"datetime_iso","_data_":"'  # orjson's spelling, no spaces
REBUILDING = "casetrail_views:rebuilding"
FLUSH = 60000  # rows per write transaction


class LightFact:
    """A fact as the fold reads it (same attributes as ``domain.case_state.Fact``).

    The stored JSON is parsed only when ``data``, ``actor`` or ``depends_on`` is first read: the
    fold, the clocks and the attribution never look inside about a third of the events (notes,
    receipts, approvals, services...), only at their kind, version and business time.

    ``data`` is a slot left empty until then: the first read misses it and lands in
    :meth:`__getattr__`, which parses the state and fills the slot, so every later read is a
    plain slot read (the fold and the clocks read it several times per event; a property would
    run Python code each time). ``recorded_at`` and ``corrections`` are class defaults (None, no
    corrections) that only a corrected copy (:class:`_CorrectedFact`) overrides."""

    __slots__ = ("version", "kind", "occurred_at", "_state", "data")
    recorded_at: Any = None
    corrections: tuple = ()

    def __init__(self, version: int, kind: str, occurred_at: datetime, state: bytes) -> None:
        self.version, self.kind, self.occurred_at, self._state = version, kind, occurred_at, state

    def __getattr__(self, name: str) -> Any:
        if name != "data":
            raise AttributeError(name)
        raw = self.data = orjson.loads(self._state)
        self._state = None
        return raw

    @property
    def actor(self) -> Any:
        return self.data["actor"]

    @property
    def depends_on(self) -> int | None:
        return self.data["depends_on"]

    def corrected(self, field_name: str, value: Any) -> LightFact:
        data = self.data
        if field_name == "occurred_at":
            return _CorrectedFact(self.version, self.kind, value, data,
                                  (*self.corrections, (field_name, self.occurred_at, value)))
        return _CorrectedFact(self.version, self.kind, self.occurred_at,
                              {**data, field_name: value},
                              (*self.corrections, (field_name, data.get(field_name), value)))


class _CorrectedFact(LightFact):
    """A :class:`LightFact` with a correction applied (its data already parsed)."""

    __slots__ = ("corrections",)

    def __init__(self, version: int, kind: str, occurred_at: datetime, data: dict[str, Any],
                 corrections: tuple) -> None:
        self.version, self.kind, self.occurred_at, self._state = version, kind, occurred_at, None
        self.data, self.corrections = data, corrections


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
    times = {}  # type: ignore[var-annotated]
    parse = datetime.fromisoformat
    ts_texts = _TS  # schema.ts's cache

    def slow(case_id: str, version: int, topic: str, state: bytes) -> Any:
        return fact_of_notification(_Stored(UUID(case_id), version, topic, state), mapper)[1]

    def fast(case_id: str, version: int, topic: str, state: bytes) -> Any:
        # only the two base instants are tagged: nothing else to restore, nothing to upcast
        # (count and find: bytes' ``in`` costs twice as much on these short strings)
        if state.count(b'"_type_"') != 2 or state.find(b'"class_version"') >= 0:
            return slow(case_id, version, topic, state)
        i = state.find(b'"occurred_at":')
        if i < 0 or not state.startswith(OCCURRED, i):
            return slow(case_id, version, topic, state)
        i += len(OCCURRED)
        text = state[i:state.index(b'"', i)]
        at = times.get(text)
        if at is None:
            if len(times) > 200_000:
                times.clear()
            local = text.decode()
            # one tzinfo object for every instant (the deadlines' own): comparing two aware
            # datetimes with the same tzinfo object skips both utcoffset() calls
            at = times[text] = parse(local).astimezone(TZ)
            # and its UTC text for the rows, from the stored text (schema.ts would format it)
            utc = utc_text(local)
            if utc is not None:
                if len(ts_texts) > 200_000:
                    ts_texts.clear()
                ts_texts[at] = utc
        return LightFact(version, CASE_TOPICS[topic], at, state)

    return fast if plain else slow


def _source(db: ViewDB, end: int, part: int = 0, parts: int = 1) -> CasePages:
    return CasePages(db.conn, db.pg, db.schema, end, part, parts)


class _Writer(threading.Thread):
    """Writes batches of rows in their own transactions, off the deriving thread."""

    def __init__(self, db: ViewDB, inline: bool = False) -> None:
        super().__init__(name="casetrail-rebuild-writer", daemon=True)
        self.db, self.jobs = db, queue.Queue(maxsize=2)  # type: ignore[var-annotated]
        self.error: BaseException | None = None
        self.inline = inline

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
        if self.inline:
            self.jobs.put(rows)
            self.jobs.put(None)
            self.run()
            if self.error is not None:
                raise self.error
        else:
            self.jobs.put(rows)

    def start(self) -> None:
        if not self.inline:
            super().start()

    def finish(self) -> None:
        if self.inline:
            return
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
    slice of the id space. PostgreSQL workers COPY into the tables side by side. On SQLite, where
    writers would take turns on the file's lock, each worker writes a private scratch file
    (no journal) and the last transaction copies them in, in SQLite's own code.
    """
    end = app.recorder.max_notification_id() or 0
    org, done = _org(app, end)
    if workers is None:
        workers = 2 if end > 50_000 and (os.cpu_count() or 1) > 1 else 1
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        workers = 1
    db = ViewDB(app.database_url)
    if not db.pg:
        workers = min(workers, 8)  # one ATTACHed scratch file each (SQLite allows 10)
    scratch = None
    try:
        scratch = None if db.pg else _scratch_dir(app.database_url)
        targets = [app.database_url if scratch is None else os.path.join(scratch, f"part{k}.db")
                   for k in range(workers)]
        # the organisation's timelines, computed once here: forked workers inherit them
        index = OrgIndex(org)
        org_tables = org_rows(index)
        if workers == 1:
            _prepare(db, end, calendar, org_tables)
            done += _load(app, index, end, calendar, 0, 1, targets[0], progress)
        else:
            if scratch is None:  # the workers write into the store's tables: create them first
                _prepare(db, end, calendar, org_tables)
            pool = _Workers(app, index, end, calendar, targets)
            try:
                if scratch is not None:
                    # the workers write their own files and only read the store: drop and
                    # create the tables meanwhile (the marker is committed before any row)
                    _prepare(db, end, calendar, org_tables)
                    _tail_pragmas(db)
                done += pool.wait(progress, None if scratch is None else
                                  lambda k: _copy_part(db, k, targets[k]))
            finally:
                pool.stop()
        if not db.pg:
            _tail_pragmas(db)
            if workers == 1 and scratch is not None:
                _copy_part(db, 0, targets[0])
            db.execute("PRAGMA synchronous=FULL")  # the last commit makes it all durable
        else:
            # each index in its own transaction, two sessions side by side (PostgreSQL builds
            # an index on one core); the marker stays until the last transaction below
            _pg_indexes(db)
        db.begin()
        if not db.pg:
            db.create_indexes()
        db.execute("DELETE FROM pv_tracking WHERE name = ?", (REBUILDING,))
        db.set_position(NAME, end, calendar.version)
        db.commit()
    finally:
        db.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return done


def _tail_pragmas(db: ViewDB) -> None:
    """SQLite: a larger cache and sorter threads for the copies and the index builds."""
    db.execute("PRAGMA temp_store=MEMORY")
    db.execute("PRAGMA cache_size=-65536")
    db.execute("PRAGMA threads=2")  # sorter threads for the index builds


def _copy_part(db: ViewDB, k: int, target: str) -> None:
    """Copy a finished worker's scratch file into the tables (SQLite; SQLite's own transfer of
    whole records), in its own transaction: the parts are copied in order as their workers
    finish, the first ones while the last worker still derives. Committed without waiting for
    the disk (``synchronous=NORMAL``, WAL): the last transaction's commit with ``FULL`` syncs
    the WAL that holds them, and a checkpoint in between syncs the database file (the rows
    count only once the marker is gone, in that last transaction)."""
    db.execute(f"ATTACH DATABASE ? AS part{k}", (target,))
    db.begin()
    for table in DERIVED:
        db.execute(f"INSERT INTO main.{table} SELECT * FROM part{k}.{table}")
    db.commit()
    db.execute(f"DETACH DATABASE part{k}")


def _prepare(db: ViewDB, end: int, calendar: HolidayCalendar,
             org_tables: dict[str, list[tuple[Any, ...]]]) -> None:
    """One transaction: the old read models dropped, the tables created (no indexes yet), the
    REBUILDING marker set and the organisation's rows written."""
    if not db.pg:
        # the read models hold no personal data (projections.facts drops it): no need to
        # overwrite every freed page with zeros (Debian builds SQLite with secure_delete on)
        db.execute("PRAGMA secure_delete=OFF")
    db.begin()
    db.drop_tables()
    db.create_tables(indexes=False)
    db.set_position(REBUILDING, end, calendar.version)
    for table, rows in org_tables.items():
        db.insert(table, rows)
    db.commit()


def _pg_indexes(db: ViewDB) -> None:
    """Create the indexes (PostgreSQL) from this session and a second one at once, each taking
    the next one left (committed one by one: a crash leaves the REBUILDING marker, and the next
    rebuild drops them with their tables)."""
    todo = list(INDEXES)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def build(conn: ViewDB) -> None:
        # the sorts of the larger indexes (half a million rows at 1M events) fit in memory
        conn.execute("SET maintenance_work_mem = '128MB'")
        while not errors:
            with lock:
                if not todo:
                    return
                ddl = todo.pop(0)
            try:
                conn.execute(ddl)
            except BaseException as e:  # noqa: BLE001 - raised below
                errors.append(e)

    with ViewDB(db.url) as other:
        helper = threading.Thread(target=build, args=(other,), name="casetrail-rebuild-index",
                                  daemon=True)
        helper.start()
        build(db)
        helper.join()
    if errors:
        raise errors[0]


def _scratch_dir(url: str) -> str | None:
    """A private directory beside the SQLite file for the workers' scratch files (None: an
    in-memory database, written directly)."""
    path = sqlite_path(url)
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    folder = os.path.dirname(os.path.abspath(path))
    _remove_stale_scratch(folder)
    return tempfile.mkdtemp(prefix=f".casetrail-rebuild-{os.getpid()}-", dir=folder)


def _remove_stale_scratch(folder: str) -> None:
    """Delete the scratch directories of rebuilds that were killed (their process is gone):
    each can hold as much as the read models."""
    for name in os.listdir(folder):
        parts = name.split("-")
        if not name.startswith(".casetrail-rebuild-") or len(parts) < 4 \
                or not parts[2].isdigit():
            continue
        try:
            os.kill(int(parts[2]), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
        except (PermissionError, OverflowError):
            pass  # another user's live process, or not a process id


class _Workers:
    """The worker processes, forked and started at once (:meth:`wait` for them)."""

    def __init__(self, app: Casetrail, index: OrgIndex, end: int, calendar: HolidayCalendar,
                 targets: list[str]) -> None:
        # fork: a child uses only the application's mapper and URL, opens its own connections
        # and never touches the inherited ones (nor creates tables in the store: no DDL racing)
        ctx = multiprocessing.get_context("fork")
        workers = len(targets)
        self.counters = [ctx.Value("q", 0, lock=False) for _ in range(workers)]
        self.procs = [ctx.Process(target=_worker, args=(app, index, end, calendar, k, workers,
                                                        targets[k], self.counters[k]),
                                  name=f"casetrail-rebuild-{k}", daemon=True)
                      for k in range(workers)]
        for proc in self.procs:
            proc.start()

    def wait(self, progress: Callable[[int], None] | None,
             finished: Callable[[int], None] | None = None) -> int:
        """The events they read, once all have finished; ``finished(k)`` is called for each
        worker in order, as soon as it and those before it have succeeded."""
        ok = True
        for k, proc in enumerate(self.procs):
            while proc.is_alive():
                proc.join(0.5)
                if progress is not None:
                    progress(sum(c.value for c in self.counters))
            ok = ok and proc.exitcode == 0
            if ok and finished is not None:
                finished(k)
        failed = [p.name for p in self.procs if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"rebuild worker(s) failed: {', '.join(failed)}")
        return sum(c.value for c in self.counters)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()


def _worker(app: Casetrail, index: OrgIndex, end: int, calendar: HolidayCalendar, part: int,
            parts: int, target: str, counter: Any) -> None:
    def report(n: int) -> None:
        counter.value = n

    _load(app, index, end, calendar, part, parts, target, report)


def _load(app: Casetrail, index: OrgIndex, end: int, calendar: HolidayCalendar, part: int,
          parts: int, target: str, progress: Callable[[int], None] | None) -> int:
    """Read, derive and write the cases of one slice of the id space (into ``target``: the
    store itself, or a SQLite scratch file)."""
    reader = ViewDB(app.database_url)
    db = ViewDB(target) if target == app.database_url else _scratch(target)
    none_adapted = not db.pg and _NONE_ADAPTER not in sqlite3.adapters
    if none_adapted:
        sqlite3.adapters[_NONE_ADAPTER] = _NULL
    # the load allocates millions of small containers and creates no reference cycles: the
    # cyclic collector would only re-scan them (about 15% of the time)
    collecting = gc.isenabled()
    gc.disable()
    try:
        if not db.pg:
            db.execute("PRAGMA synchronous=OFF")
            db.execute("PRAGMA cache_size=-16384")
            # (no mmap for the reader: as fast here, and a mapped store counts in the worker's
            # resident memory — 715 MB instead of 154 MB at 1M events)
            reader.execute("PRAGMA cache_size=-16384")
        else:
            # these commits need not wait for the WAL flush: the rows count only once the
            # last transaction (another session, synchronous) commits, and its flush writes
            # out every earlier WAL record; a crash before leaves the REBUILDING marker
            db.execute("SET synchronous_commit = off")
        writer = _Writer(db, inline=not db.pg)  # SQLite: no GIL ping-pong with a thread
        writer.start()
        try:
            return _cases(app, _source(reader, end, part, parts), index, calendar,
                          writer, progress)
        finally:
            writer.finish()
    finally:
        if collecting:
            gc.enable()
        if none_adapted:
            sqlite3.adapters.pop(_NONE_ADAPTER, None)
        reader.close()
        db.close()


# Python 3.11's sqlite3 binds None through a failed adapter look-up (about 1 µs per NULL, and
# a quarter of the values written are NULL); a registered adapter that returns None itself (a C
# callable: {}.get) skips it. Registered only while a rebuild writes, in the writing process.
_NONE_ADAPTER = (type(None), sqlite3.PrepareProtocol)
_NULL = {}.get


def _scratch(path: str) -> ViewDB:
    """A worker's scratch file: the case tables, no indexes, no journal (it is thrown away if
    the rebuild fails)."""
    db = ViewDB(f"sqlite:///{path}")
    db.execute("PRAGMA journal_mode=OFF")
    for name in DERIVED:
        body = ", ".join(f"{c} {t}" for c, t in TABLES[name][0])
        db.execute(f"CREATE TABLE {name} ({body})")
    return db


def _cases(app: Casetrail, source: CasePages, index: OrgIndex, calendar: HolidayCalendar,
           writer: _Writer, progress: Callable[[int], None] | None) -> int:
    decode = _decoder(app)
    kinds = CASE_TOPICS
    pg = source.pg
    out: dict[str, list[tuple[Any, ...]]] = {t: [] for t in DERIVED}
    pending, done = 0, 0
    # PostgreSQL: the next page is queried while this one is derived (the driver waits for the
    # server without the GIL); SQLite's reads are CPU work in this process anyway
    for page in (_prefetched(source.pages()) if pg else source.pages()):
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


def _prefetched(pages: Any) -> Any:
    """The same pages, each read by a thread while the previous one is being used."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def read() -> None:
        try:
            for page in pages:
                if stop.is_set():
                    return
                ready.put(("page", page))
            ready.put(("end", None))
        except BaseException as e:  # noqa: BLE001 - raised in the consuming thread
            ready.put(("error", e))

    reader = threading.Thread(target=read, name="casetrail-rebuild-reader", daemon=True)
    reader.start()
    try:
        while True:
            kind, item = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting to hand over a page
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
        reader.join()


def _derive(oid: Any, facts: list[Any], index: OrgIndex, calendar: HolidayCalendar,
            out: dict[str, list[tuple[Any, ...]]], pg: bool) -> int:
    if pg:
        case_id = oid
    elif len(oid) == 32 and oid.islower():
        # the store's 32 hex digits, as str(UUID(oid)) spells them (without parsing a UUID)
        case_id = f"{oid[:8]}-{oid[8:12]}-{oid[12:16]}-{oid[16:20]}-{oid[20:]}"
    else:
        case_id = str(UUID(oid))
    return derive_into(case_id, facts, index, calendar, out)
