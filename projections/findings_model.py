"""The findings read model (``pv_findings``): what each case's history will ever be found to
breach, kept so that a store-wide listing as of a date need not read and evaluate the whole log.

For each case one row holds :func:`domain.rules.evaluate` of its whole history *as of*
:data:`domain.rules.FAR` (every finding the history can give, with how each one's presence and
day count depend on the as-of moment: :class:`domain.rules.Term`), and four instants:

* ``happened_from`` / ``recorded_from``: before these (business time, recording time) the case
  did not exist in that sense: as of an earlier moment it has no findings;
* ``happened_by`` / ``recorded_by``: from these on, the history as of the moment is the whole
  history, so :func:`domain.rules.settle` gives exactly ``evaluate(history, as_of)``.

A listing as of ``D`` (:func:`evaluations`) takes each row whose case is settled by ``D`` (or
did not exist yet), and evaluates from the log only the others: cases the model has not caught up
with, cases still moving at ``D``, and rows computed under another organisation (an organisation
change can move who held a post at a past moment). The answer is therefore always the one a full
evaluation from the log gives; the model only saves work. A row records the organisation it was
computed with (``org_changes``: how many organisation events had been folded; they are folded in
log order); the tracking row records the model's log position and a stamp of everything else the
evaluation depends on (thresholds, calendar, policy table, rule code): any difference and the
model is not used at all until it is rebuilt.

Kept by :func:`catch_up` (the CLI's ``catch-up``, and every store-wide listing first), rebuilt by
:func:`rebuild` (``casetrail rebuild``), with forked processes reading slices of the log as
:meth:`domain.findings.FindingsIndex.build_from_store` does.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from domain.case_state import Fact, effective_facts
from domain.organisation import OrgDirectory
from domain.periods import CALENDAR
from domain.policy import DEFAULT_TABLE
from domain.rules import (
    FAR,
    RULES_BY_ID,
    Evaluation,
    Finding,
    ProvisionalBreach,
    Term,
    Thresholds,
    evaluate,
    settle,
)
from projections.facts import CASE_TOPICS
from projections.schema import TRACKING, ViewDB, ts
from store.logread import canonical, decoder, grouped, read_cases

NAME = "casetrail_findings"
TABLE = "pv_findings"  # one row per case
COLUMNS = (("case_id", "TEXT PRIMARY KEY"), ("case_no", "TEXT NOT NULL"),
           ("happened_from", "TEXT NOT NULL"), ("happened_by", "TEXT NOT NULL"),
           ("recorded_from", "TEXT NOT NULL"), ("recorded_by", "TEXT NOT NULL"),
           ("org_changes", "INTEGER NOT NULL"), ("provisional", "TEXT"))
ITEMS = "pv_finding_items"  # one row per finding as of FAR, with the moment it is listed from
ITEM_COLUMNS = (("case_id", "TEXT NOT NULL"), ("seq", "INTEGER NOT NULL"),
                ("listed", "TEXT NOT NULL"), ("finding", "TEXT NOT NULL"))
_CASE_PREFIX = "casetrail:PetitionCase."
# the code the stored evaluations depend on: a release that changes any of it invalidates them
# (every module of the domain, wherever a rule moves, and this model's own derivation)
def _code_files(root: Path) -> list[Path]:
    return [root / "projections" / "findings_model.py", *sorted((root / "domain").rglob("*.py"))]


def stamp(thresholds: Thresholds = Thresholds()) -> str:
    """What every stored evaluation depends on besides the history and the organisation."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in _code_files(root):
        h.update(path.read_bytes())
    h.update(repr(sorted(thresholds.__dict__.items())).encode())
    h.update(f"{CALENDAR.version}|{DEFAULT_TABLE.version}".encode())
    return "findings-" + h.hexdigest()[:16]


_STAMP: dict[Thresholds, str] = {}


def current_stamp(thresholds: Thresholds = Thresholds()) -> str:
    if thresholds not in _STAMP:
        _STAMP[thresholds] = stamp(thresholds)
    return _STAMP[thresholds]


# --- one case's row -----------------------------------------------------------------------------
def row_of(case_id: str, facts: list[Fact],
           org: OrgDirectory) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The model's rows of one case (its whole history, evaluated as of FAR): the case's row
    and its findings' rows."""
    effective = [f for f in effective_facts(facts) if f.kind != "Corrected"]
    happened = [f.occurred_at for f in facts] + [f.occurred_at for f in effective]
    recorded = [f.recorded_at for f in facts]
    happened_by = max(happened)
    evaluation = evaluate(facts, org, FAR)
    provisional, items = encode(evaluation)
    return ((case_id, str(facts[0].data["case_no"]),
             ts(min(f.occurred_at for f in effective)) if effective else ts(FAR),
             ts(happened_by), ts(min(recorded)), ts(max(happened_by, max(recorded))),
             org.changes, provisional),
            [(case_id, seq, listed, text) for seq, (listed, text) in enumerate(items)])


def _iso(v: date | datetime | None) -> str | None:
    return None if v is None else v.isoformat()


def encode(evaluation: Evaluation) -> tuple[str | None, list[tuple[str, str]]]:
    """An evaluation as of FAR as compact JSON texts: its provisional breaches (None: none), and
    for each finding (listed from, finding): the moment, as :func:`projections.schema.ts` text,
    from which it can be listed (at its breach, or later by its term)."""
    terms = evaluation.terms
    items = []
    for f in evaluation.findings:
        t = terms.get(f.id)
        term = None if t is None else [t.since.isoformat(), t.strict, t.days, _iso(t.base),
                                       t.detail]
        listed = f.at if t is None else max(f.at, t.since)
        items.append((str(ts(listed)), orjson.dumps(
            [f.id, f.rule, f.at.isoformat(), f.unit, f.handler, f.leader, f.days,
             list(f.evidence), f.detail, f.people, term]).decode()))
    if not evaluation.provisional:
        return None, items
    since = evaluation.provisional_since or (None,) * len(evaluation.provisional)
    return orjson.dumps([[p.step, p.rule, p.unit, p.last_day, p.calendar_version, p.status,
                          _iso(s)] for p, s in zip(evaluation.provisional, since,
                                                   strict=True)]).decode(), items


_INSTANTS: dict[str, datetime] = {}


def _instant(text: str) -> datetime:
    """An ISO instant on the shared zone object (memoised: deadlines fall on few moments)."""
    at = _INSTANTS.get(text)
    if at is None:
        if len(_INSTANTS) > 100_000:
            _INSTANTS.clear()
        at = _INSTANTS[text] = canonical(datetime.fromisoformat(text))
    return at


def decode(case_no: str, provisional_text: str | None, items: Iterable[str]) -> Evaluation:
    """An evaluation as of FAR from its stored texts (or from those of its findings that can be
    listed as of some moment: :func:`domain.rules.settle` then decides)."""
    findings, terms = [], {}
    for item in items:
        (fid, rule_id, at, unit, handler, leader, days, evidence, detail, people,
         term) = orjson.loads(item)
        rule = RULES_BY_ID[rule_id]
        findings.append(Finding(fid, rule_id, rule.category, rule.articles, case_no,
                                _instant(at), unit, handler, leader, days, tuple(evidence),
                                detail, people))
        if term is not None:
            since, strict, kind, base, text_ = term
            terms[fid] = Term(_instant(since), strict, kind,
                              None if base is None else (date.fromisoformat(base)
                                                         if kind == "local" else _instant(base)),
                              text_)
    stored = orjson.loads(provisional_text) if provisional_text else []
    provisional = [ProvisionalBreach(case_no, step, rule, unit, last_day, version, status)
                   for step, rule, unit, last_day, version, status, _s in stored]
    since = tuple(None if p[6] is None else _instant(p[6]) for p in stored)
    return Evaluation(findings, provisional, terms, since)


# --- reading the log ----------------------------------------------------------------------------
def _events(db: ViewDB) -> tuple[str, str]:
    """(events table, position column) of the store behind ``db``."""
    return ((f'"{db.schema}".casetrail_events', "notification_id") if db.pg
            else ("stored_events", "rowid"))


def _case_id(db: ViewDB, raw: Any) -> str:
    return str(raw) if db.pg else str(UUID(str(raw)))


def touched(db: ViewDB, after: int, upto: int) -> set[str]:
    """Ids of the cases with an event at a log position in (after, upto]."""
    if upto <= after:
        return set()
    table, pos = _events(db)
    rows = db.query(f"SELECT DISTINCT originator_id FROM {table} WHERE {pos} > ? AND {pos} <= ? "
                    "AND topic LIKE ?", (after, upto, _CASE_PREFIX + "%"))
    return {_case_id(db, r[0]) for r in rows}


def histories(db: ViewDB, mapper: Any, case_ids: Iterable[str],
              upto: int) -> Iterator[tuple[str, list[Fact]]]:
    """(case id, facts) of these cases, events at log positions up to ``upto``."""
    decode_fact = decoder(mapper)
    table, pos = _events(db)
    ids = sorted(set(case_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ", ".join("?" * len(chunk))
        params = [UUID(c) if db.pg else UUID(c).hex for c in chunk]
        oid = "e.originator_id::text" if db.pg else "originator_id"
        rows = db.query(f"SELECT {oid}, originator_version, topic, state FROM {table} e "
                        f"WHERE e.originator_id IN ({marks}) AND {pos} <= ? "
                        "ORDER BY e.originator_id, originator_version", (*params, upto))
        for case_id, facts in grouped(rows, decode_fact, CASE_TOPICS):
            yield _case_id(db, case_id), facts


# --- the tables ---------------------------------------------------------------------------------
def create(db: ViewDB, indexes: bool = True) -> None:
    for name, columns in ((TABLE, COLUMNS), (ITEMS, ITEM_COLUMNS)):
        body = ", ".join(f"{c} {t}" for c, t in columns)
        db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({body})")
    bigint = "BIGINT" if db.pg else "INTEGER"
    db.execute(f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, "
               f"position {bigint} NOT NULL, calendar_version TEXT NOT NULL)")
    if indexes:
        db.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_org ON {TABLE} (org_changes)")
        db.execute(f"CREATE INDEX IF NOT EXISTS {ITEMS}_case ON {ITEMS} (case_id)")
        db.execute(f"CREATE INDEX IF NOT EXISTS {ITEMS}_listed ON {ITEMS} (listed)")


def _exists(db: ViewDB) -> bool:
    if db.pg:
        return bool(db.query("SELECT 1 FROM information_schema.tables WHERE table_schema = ? "
                             "AND table_name = ?", (db.schema, ITEMS)))
    return bool(db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                         (ITEMS,)))


def _tracked(db: ViewDB) -> tuple[int, str] | None:
    """(position, stamp) of the model, None if it was never built (or was dropped)."""
    rows = db.query(f"SELECT position, calendar_version FROM {TRACKING} WHERE name = ?", (NAME,))
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


Rows = tuple[tuple[Any, ...], list[tuple[Any, ...]]]  # a case's row and its findings' rows


def _insert(db: ViewDB, table: str, width: int, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if db.pg:
        with db.conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        db.conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows)


def _write(db: ViewDB, cases: list[Rows], position: int, expected: int | None) -> bool:
    """These cases' rows and the new position in one transaction; False (nothing written) if
    the model's position is no longer ``expected`` (another process caught up first). With
    ``expected`` None the tables are made afresh with only these rows (a rebuild)."""
    if db.pg:
        db.begin()
    else:
        db.execute("BEGIN IMMEDIATE")
    try:
        if expected is None:  # a rebuild: new tables (a new layout, or another stamp)
            for name in (TABLE, ITEMS):
                db.execute(f"DROP TABLE IF EXISTS {name}")
            create(db, indexes=False)
        else:
            if db.pg:
                db.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
            now = _tracked(db)
            if (now[0] if now else None) != expected:
                db.rollback()
                return False
            ids = [row[0] for row, _items in cases]
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                marks = ", ".join("?" * len(chunk))
                for name in (TABLE, ITEMS):
                    db.execute(f"DELETE FROM {name} WHERE case_id IN ({marks})", chunk)
        _insert(db, TABLE, len(COLUMNS), [row for row, _items in cases])
        _insert(db, ITEMS, len(ITEM_COLUMNS), [i for _row, items in cases for i in items])
        if expected is None:
            create(db)
        db.set_position(NAME, position, current_stamp())
        db.commit()
        return True
    except BaseException:
        db.rollback()
        raise


# --- building and keeping it ---------------------------------------------------------------------
_SHARED: list[Any] = []


def _slice_rows(part: int) -> list[Rows]:
    url, mapper, end, parts, org = _SHARED
    return _rows(url, mapper, end, part, parts, org)


def _rows(url: str, mapper: Any, end: int, part: int, parts: int,
          org: OrgDirectory) -> list[Rows]:
    import gc

    was = gc.isenabled()
    gc.disable()  # acyclic rows: nothing for the cycle collector to find
    try:
        return [row_of(str(UUID(str(cid))), facts, org)
                for cid, facts in read_cases(url, mapper, end, part, parts)]
    finally:
        if was:
            gc.enable()


def rebuild(app: Any, workers: int | None = None) -> int:
    """Evaluate every case of the log (up to its current end) and replace the model's rows;
    returns the cases written. ``workers`` processes (default: 2 when the log holds more than
    50,000 events and the machine has 2 cores) each read and evaluate one slice of the case ids,
    forked from this process."""
    end = app.recorder.max_notification_id() or 0
    org = app.refresh_org()
    if workers is None:
        workers = 2 if end > 50_000 and (os.cpu_count() or 1) > 1 else 1
    import multiprocessing

    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        rows = _rows(app.database_url, app.mapper, end, 0, 1, org)
    else:
        _SHARED[:] = [app.database_url, app.mapper, end, workers, org]
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                rows = [r for part in pool.map(_slice_rows, range(workers)) for r in part]
        finally:
            _SHARED.clear()
    with ViewDB(app.database_url) as db:
        _write(db, rows, end, None)
    return len(rows)


def try_catch_up(app: Any, workers: int | None = None) -> int:
    """:func:`catch_up`, but a store that cannot take the write now (locked, read-only) only
    costs speed: listings then evaluate from the log what the model has not settled."""
    import sqlite3

    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    try:
        import psycopg

        errors += (psycopg.Error,)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    try:
        return catch_up(app, workers=workers)
    except errors:
        return 0


def catch_up(app: Any, stale_limit: int | None = 2000, workers: int | None = 1) -> int:
    """Bring the model up to the end of the log; returns the cases re-evaluated.

    Re-evaluates the cases with new events and, after an organisation change, up to
    ``stale_limit`` of the rows computed under the earlier organisation (None: all of them; the
    rest are evaluated from the log by listings until a later catch-up reaches them). A model
    never built, or built by other code or thresholds, is rebuilt whole."""
    with ViewDB(app.database_url) as db:
        create(db)
        tracked = _tracked(db)
        if tracked is None or tracked[1] != current_stamp():
            return rebuild(app, workers=workers)
        position = tracked[0]
        end = app.recorder.max_notification_id() or 0
        org = app.refresh_org()
        ids = touched(db, position, end)
        limit = "" if stale_limit is None else f" LIMIT {int(stale_limit)}"
        ids |= {r[0] for r in db.query(f"SELECT case_id FROM {TABLE} WHERE org_changes <> ? "
                                       f"ORDER BY case_id{limit}", (org.changes,))}
        if not ids and end == position:
            return 0
        rows = [row_of(cid, facts, org) for cid, facts in histories(db, app.mapper, ids, end)]
        return len(rows) if _write(db, rows, end, position) else 0


def evaluations(app: Any, org: OrgDirectory, as_of: datetime,
                thresholds: Thresholds = Thresholds(), sense: str = "happened",
                workers: int | None = 1) -> dict[str, Evaluation] | None:
    """Every case's evaluation as of ``as_of`` by case number, from the model where its row is
    settled by then and from the log for the rest; None if the model cannot serve (never built,
    another stamp, other thresholds): the caller then evaluates everything from the log."""
    if thresholds != Thresholds():
        return None
    with ViewDB(app.database_url) as db:
        if not _exists(db):
            return None
        # one snapshot of the rows and their position
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ" if db.pg else "BEGIN")
        try:
            tracked = _tracked(db)
            if tracked is None or tracked[1] != current_stamp(thresholds):
                return None
            rows = db.query(f"SELECT case_id, case_no, happened_from, happened_by, "
                            f"recorded_from, recorded_by, org_changes, provisional FROM {TABLE}")
            items: dict[str, list[tuple[int, str]]] = {}
            for case_id, seq, text in db.query(f"SELECT case_id, seq, finding FROM {ITEMS} "
                                               "WHERE listed <= ?", (ts(as_of),)):
                items.setdefault(case_id, []).append((seq, text))
        finally:
            db.rollback()
        position = tracked[0]
        end = app.recorder.max_notification_id() or 0
        redo = touched(db, position, end)
        moment = ts(as_of)
        lo, hi = (2, 3) if sense == "happened" else (4, 5)
        out: dict[str, Evaluation] = {}
        for row in rows:
            case_id, case_no, changes, provisional = row[0], row[1], row[6], row[7]
            if case_id in redo:
                continue
            if changes != org.changes:
                redo.add(case_id)
            elif moment < row[lo]:
                out[case_no] = Evaluation([], [])  # its own lists: callers may extend them
            elif moment >= row[hi]:
                listed = items.get(case_id)
                if listed is None and provisional is None:
                    out[case_no] = Evaluation([], [])
                else:
                    texts = [text for _seq, text in sorted(listed or ())]
                    out[case_no] = settle(decode(case_no, provisional, texts), as_of)
            else:
                redo.add(case_id)
    out.update(_from_log(app, sorted(redo), end, org, as_of, sense, workers))
    return out


def _from_log(app: Any, case_ids: list[str], end: int, org: OrgDirectory, as_of: datetime,
              sense: str, workers: int | None) -> dict[str, Evaluation]:
    """These cases evaluated from the log (bounded at ``end``), by case number; with
    ``workers`` > 1 (None: 2 for more than 5,000 cases on 2 or more cores) in forked
    processes, each taking every ``workers``-th case."""
    import multiprocessing

    if workers is None:
        workers = 2 if len(case_ids) > 5000 and (os.cpu_count() or 1) > 1 else 1
    if workers > 1 and len(case_ids) >= workers and \
            "fork" in multiprocessing.get_all_start_methods():
        _SHARED[:] = [app, case_ids, end, org, as_of, sense, workers]
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_from_log_part, range(workers))
        finally:
            _SHARED.clear()
        return {k: v for part in parts for k, v in part.items()}
    with ViewDB(app.database_url) as db:
        return {str(facts[0].data["case_no"]): evaluate(facts, org, as_of, sense=sense)
                for _id, facts in histories(db, app.mapper, case_ids, end)}


def _from_log_part(part: int) -> dict[str, Evaluation]:
    app, case_ids, end, org, as_of, sense, workers = _SHARED
    return _from_log(app, case_ids[part::workers], end, org, as_of, sense, 1)
