"""Reading whole case histories from the store fast: one pass in primary-key order.

The findings engine needs every case's full history (all fields, both instants). Reading it
through the library's notification API costs a UUID, a notification object and a generic
decode per event (about 22,000 events/s here). Cases are instead read straight from the events
table in primary-key order (case id, then version), in pages that end on a case boundary, so
each case arrives whole and in order; the stored JSON is parsed once with orjson and only the
two instants are turned into datetimes.

What the fast path does not handle goes through the library's mapper, exactly as
:func:`domain.findings.load_histories` always did: a state with other tagged values, an upcast
(``class_version``), a cipher or a compressor.

``part``/``parts`` split the id space into equal slices (case ids are random UUIDs), so that
several processes can each read and evaluate one slice. ``end`` bounds the read at a log
position, so that every slice sees the same prefix of the log.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from domain.case_state import Fact
from domain.periods import TZ
from store.config import is_postgres, postgres_conninfo, sqlite_path
from store.transcoder import OrjsonTranscoder

PAGE = 10000  # events per query (a worker holds two pages: 20,000 cost 30 MB more per worker)
_BASE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic",
                   "actor", "occurred_at", "depends_on", "class_version"})


def case_topics() -> dict[str, str]:
    """topic -> event kind of every case event."""
    from projections.facts import CASE_TOPICS
    return dict(CASE_TOPICS)


class CasePages:
    """Pages of (case id, version, topic, state) of one slice of the id space, in primary-key
    order, up to log position ``end``; a page ends on a case boundary (a case is never split
    between two pages). ``conn`` is an open sqlite3 or psycopg connection to the store
    (``schema``: the PostgreSQL schema). Shared by the findings and the rebuild."""

    def __init__(self, conn: Any, pg: bool, schema: str, end: int, part: int = 0,
                 parts: int = 1) -> None:
        self.conn, self.pg, self.end = conn, pg, end
        lo = _bound(pg, part, parts, -1) if part else None
        hi = _bound(pg, part + 1, parts, 0) if part + 1 < parts else None
        if pg:
            # ORDER BY the table's column (not the text output of the same name): the primary
            # key's order, no sort
            self.sql = (f'SELECT e.originator_id::text, originator_version, topic, state FROM '
                        f'"{schema}".casetrail_events e WHERE e.originator_id > %s::uuid AND '
                        f'notification_id <= %s'
                        f'{" AND e.originator_id < %s::uuid" if hi else ""} '
                        f'ORDER BY e.originator_id, e.originator_version LIMIT %s')
            self.first = lo or "00000000-0000-0000-0000-000000000000"
        else:
            self.sql = ("SELECT originator_id, originator_version, topic, state FROM "
                        f"stored_events WHERE originator_id > ? AND rowid <= ?"
                        f"{' AND originator_id < ?' if hi else ''} "
                        "ORDER BY originator_id, originator_version LIMIT ?")
            self.first = lo or ""
        self.hi = (hi,) if hi else ()

    def pages(self) -> Iterator[list[tuple[Any, ...]]]:
        after, limit = self.first, PAGE
        # PostgreSQL: results in binary format (the same Python values): the server sends each
        # state as it is stored instead of encoding it as hex text for the client to decode
        kw = {"binary": True} if self.pg else {}
        while True:
            rows = self.conn.execute(self.sql, (after, self.end, *self.hi, limit),
                                     **kw).fetchall()
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


def _connect(url: str) -> tuple[Any, bool, str]:
    """A read-only use connection to the store: (connection, is PostgreSQL, schema)."""
    if is_postgres(url):
        import psycopg

        c = postgres_conninfo(url)
        return psycopg.connect(host=c["host"], port=c["port"], dbname=c["dbname"],
                               user=c["user"], password=c["password"] or None,
                               autocommit=True), True, c["schema"]
    return sqlite3.connect(sqlite_path(url), check_same_thread=False, timeout=30), False, ""


def _bound(pg: bool, part: int, parts: int, delta: int) -> str:
    """The id at ``part/parts`` of the (uniform) id space, plus ``delta``, as the store
    spells it."""
    n = (part << 128) // parts + delta
    return str(UUID(int=n)) if pg else f"{n:032x}"


_EIGHT = timedelta(hours=8)


def canonical(at: datetime) -> datetime:
    """The same instant, printed the same, on the one shared ``Asia/Shanghai`` zone object when
    its offset is +08:00 (every instant of this era there). Two aware datetimes compare ten
    times faster when they share their tzinfo object, and the clocks, the organisation terms
    and the as-of moments all use :data:`domain.periods.TZ`. Any other offset is kept as is."""
    if at.utcoffset() == _EIGHT and at.tzinfo is not TZ:
        local = at.replace(tzinfo=TZ)
        if local.utcoffset() == _EIGHT:
            return local
    return at


_new = object.__new__


def _make_fact(version: int, kind: str, occurred_at: datetime, recorded_at: datetime,
               actor: Any, data: dict[str, Any], depends_on: int | None) -> Fact:
    """``Fact(...)`` without the frozen dataclass's eight ``object.__setattr__`` calls (a third
    of the cost of decoding an event): the same fields in the instance's ``__dict__``, so
    equality, ``replace`` and pickling behave exactly as for a constructed fact."""
    f = _new(Fact)
    d = f.__dict__
    d["version"], d["kind"], d["occurred_at"], d["recorded_at"] = (version, kind, occurred_at,
                                                                   recorded_at)
    d["actor"], d["data"], d["depends_on"], d["corrections"] = actor, data, depends_on, ()
    return f


def decoder(mapper: Any) -> Any:
    """(case id, version, kind, topic, state) -> Fact with every field of the event."""
    plain = not (mapper.cipher or mapper.compressor) and isinstance(mapper.transcoder,
                                                                    OrjsonTranscoder)
    loads, parse = orjson.loads, datetime.fromisoformat
    times: dict[str, datetime] = {}

    def slow(case_id: str, version: int, kind: str, topic: str, state: bytes) -> Fact:
        stored = StoredEvent(originator_id=UUID(case_id), originator_version=version,
                             topic=topic, state=state)
        full = dict(mapper.to_domain_event(stored).__dict__)
        data = {k: v for k, v in full.items() if k not in _BASE}
        return Fact(version, kind, full["occurred_at"], full["timestamp"], full["actor"], data,
                    full.get("depends_on"))

    def fast(case_id: str, version: int, kind: str, topic: str, state: bytes) -> Fact:
        # exactly the two base instants are tagged: nothing else to restore or upcast
        if state.count(b'"_type_"') != 2 or b'"class_version"' in state:
            return slow(case_id, version, kind, topic, state)
        raw = loads(state)
        occurred, recorded = raw.pop("occurred_at", None), raw.pop("timestamp", None)
        if type(occurred) is not dict or type(recorded) is not dict \
                or occurred.get("_type_") != "datetime_iso" \
                or recorded.get("_type_") != "datetime_iso":
            return slow(case_id, version, kind, topic, state)
        text = occurred["_data_"]
        at = times.get(text)
        if at is None:
            if len(times) > 200_000:
                times.clear()
            at = times[text] = canonical(parse(text))
        actor, depends_on = raw.pop("actor"), raw.pop("depends_on", None)
        raw.pop("originator_topic", None)
        raw.pop("originator_id", None)
        raw.pop("originator_version", None)
        return _make_fact(version, kind, at, parse(recorded["_data_"]), actor, raw, depends_on)

    return fast if plain else slow


def read_cases(url: str, mapper: Any, end: int, part: int = 0,
               parts: int = 1) -> Iterator[tuple[str, list[Fact]]]:
    """(case id, facts in version order) of every case in one slice of the id space, up to
    log position ``end``. Aggregates other than cases (reviews, proposals, organisation) are
    skipped."""
    kinds = case_topics()
    decode = decoder(mapper)
    conn, pg, schema = _connect(url)
    try:
        for page in CasePages(conn, pg, schema, end, part, parts).pages():
            yield from grouped(page, decode, kinds)
    finally:
        conn.close()


def grouped(rows: Any, decode: Any, kinds: dict[str, str]) -> Iterator[tuple[str, list[Fact]]]:
    """(case id as the store spells it, facts) of rows (case id, version, topic, state) in
    (case id, version) order; rows of other aggregates are skipped."""
    current, facts = None, []  # type: ignore[var-annotated]
    for oid, version, topic, state in rows:
        kind = kinds.get(topic)
        if kind is None:
            continue
        if oid != current:
            if facts:
                yield current, facts  # type: ignore[misc]
            current, facts = oid, []
        facts.append(decode(oid, version, kind, topic, state))
    if facts:
        yield current, facts  # type: ignore[misc]
