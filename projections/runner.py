"""The projection runner: a polling catch-up over the notification log, resumable, exactly-once.

Each batch of notifications becomes one transaction holding the changed rows of every case it
touched *and* the new tracking position, so a crash or a restart neither loses nor re-applies an
event. A case's rows are a pure function of its facts, the organisation and the holiday calendar
(:func:`projections.case_view.derive`); the runner holds in memory only the facts of the cases
in the current batch, reading a case's earlier facts from the event store itself (bounded by the
batch's last position, so a batch never sees the future), and rewrites all rows of a case it
touches. An organisation change re-derives the cases
whose rows name the changed unit, so attribution follows the organisation history as it is known.

Only one runner writes at a time: a runner that finds the position moved under it (another
process caught up first) rolls back and resumes from the new position.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.application import ORG_TOPICS, Casetrail
from domain.case_state import Fact
from domain.organisation import OrgDirectory, Unit
from domain.periods import CALENDAR, HolidayCalendar
from domain.responsibility import OrgIndex
from projections.case_view import derive, org_rows
from projections.facts import CASE_TOPICS, fact_of_notification
from projections.schema import DERIVED, ViewDB

NAME = "casetrail_views"
REBUILDING = "casetrail_views:rebuilding"  # present while a rebuild's rows are incomplete
TOPICS = (*ORG_TOPICS, *sorted(CASE_TOPICS))
_ORG = frozenset(ORG_TOPICS)


@dataclass(frozen=True)
class _Stored:
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


class RebuildUnfinished(RuntimeError):
    """The read models are partial: a rebuild is running, or stopped half-way."""


class PositionMoved(RuntimeError):
    """Another runner advanced the position first; this batch was rolled back."""


class Runner:
    def __init__(self, app: Casetrail, db: ViewDB | None = None,
                 calendar: HolidayCalendar = CALENDAR, indexes: bool = True) -> None:
        self.app, self.calendar = app, calendar
        self.db = db or ViewDB(app.database_url)
        self.db.create_tables(indexes)
        self._load_position()

    def _load_position(self) -> None:
        if self.db.query("SELECT 1 FROM pv_tracking WHERE name = ?", (REBUILDING,)):
            raise RebuildUnfinished("a rebuild of the read models is running or was interrupted;"
                                    " run `casetrail rebuild` (again) before catching up")
        self.position = self.db.position(NAME)
        self.org = OrgDirectory()
        self.index = OrgIndex(self.org)
        start = 0
        while self.position:
            notes = self.app.recorder.select_notifications(
                start=start, limit=1000, stop=self.position, topics=ORG_TOPICS,
                inclusive_of_start=False)
            for n in notes:
                self.org.apply(self.app.mapper.to_domain_event(n))
            if len(notes) < 1000:
                break
            start = notes[-1].id

    # --- the loop ------------------------------------------------------------------------------
    def catch_up(self, batch: int = 2000, progress: Any = None) -> int:
        """Process every notification after the position; returns how many were processed."""
        done = 0
        while True:
            notes = self.app.recorder.select_notifications(
                start=self.position, limit=batch, topics=TOPICS, inclusive_of_start=False)
            if not notes:
                return done
            try:
                self._apply(notes)
            except PositionMoved:
                self._load_position()
                continue
            done += len(notes)
            if progress is not None:
                progress(notes[-1].id, len(notes))

    def _apply(self, notes: list[Any]) -> None:
        new: dict[str, list[Fact]] = {}
        changed_units: set[str] = set()
        changed_people: set[str] = set()
        org_changed = False
        mapper = self.app.mapper
        for n in notes:
            if n.topic in _ORG:
                org_changed = True
                event = mapper.to_domain_event(n)
                changed_units.update(self._apply_org(event))
                if isinstance(event, (Unit.PostFilled, Unit.PostVacated)):
                    changed_people.add(event.person)
            else:
                case_id, fact = fact_of_notification(n, mapper)
                new.setdefault(str(case_id), []).append(fact)
        end = notes[-1].id
        if org_changed:
            self.index.reset()
            for case_id in self._referencing(changed_units, changed_people) - new.keys():
                new[case_id] = []
        earlier = [c for c, fs in new.items() if not fs or fs[0].version > 1]
        prior = self._history(earlier, end)
        changes = self._changes(new, prior)
        if org_changed:  # the organisation's tables are rewritten whole (org changes are rare)
            changes["org"] = org_rows(self.index)
        self._write(changes, end, self.position)
        self.position = end

    def _apply_org(self, event: Any) -> set[str]:
        self.org.apply(event)
        if isinstance(event, Unit.Registered):
            return set()
        if isinstance(event, Unit.Event):
            code = self.org.unit_code(event.originator_id)
            return {code} if code else set()
        return set()

    # --- earlier facts of the cases in a batch ------------------------------------------------
    def _history(self, case_ids: list[str], upto: int) -> dict[str, list[Fact]]:
        """The facts of these cases recorded at or before log position ``upto``, read from the
        event store (one query per 500 cases); the batch's own facts are appended to them."""
        db, out = self.db, {c: [] for c in case_ids}  # type: dict[str, list[Fact]]
        table = f'"{db.schema}".casetrail_events' if db.pg else "stored_events"
        pos = "notification_id" if db.pg else "rowid"
        for i in range(0, len(case_ids), 500):
            chunk = case_ids[i:i + 500]
            marks = ", ".join("?" * len(chunk))
            params = [UUID(c) if db.pg else UUID(c).hex for c in chunk]  # SQLite: hex text
            rows = db.query(f"SELECT originator_id, originator_version, topic, state FROM {table} "
                            f"WHERE originator_id IN ({marks}) AND {pos} <= ? "
                            "ORDER BY originator_id, originator_version", (*params, upto))
            for oid, version, topic, state in rows:
                stored = _Stored(oid, version, topic, bytes(state))
                out[str(UUID(str(oid)))].append(fact_of_notification(stored, self.app.mapper)[1])
        return out

    def _referencing(self, units: set[str], people: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
        """Cases whose rows may change with these units' posts: those held by or owing a clock
        to one of the units, and those with one of these people as 包案 leader (named only while
        in a leadership post, wherever it is)."""
        found: set[str] = set()
        for table in ("pv_segments", "pv_clocks"):
            for unit in sorted(units):
                found.update(r[0] for r in self.db.query(
                    f"SELECT DISTINCT case_id FROM {table} WHERE unit = ?", (unit,)))
        for person in sorted(people):
            found.update(r[0] for r in self.db.query(
                "SELECT DISTINCT case_id FROM pv_segment_people WHERE role = 'baoan_leader' "
                "AND person = ?", (person,)))
        return found

    def _changes(self, new: dict[str, list[Fact]],
                 prior: dict[str, list[Fact]]) -> dict[str, Any]:
        """Every row of every touched case; a case seen before has its old rows deleted."""
        deletes: dict[str, list[str]] = {t: [] for t in DERIVED}
        inserts: dict[str, list[tuple[Any, ...]]] = {t: [] for t in DERIVED}
        for case_id in sorted(new):
            earlier = prior.get(case_id, [])
            facts = earlier + [f for f in new[case_id] if f.version > len(earlier)]
            if not facts:
                continue
            if earlier:
                for table in DERIVED:
                    deletes[table].append(case_id)
            for table, rows in derive(case_id, facts, self.index, self.calendar).items():
                inserts[table].extend(rows)
        return {"deletes": deletes, "inserts": inserts}

    def _write(self, changes: dict[str, Any], position: int, expected: int) -> None:
        db = self.db
        db.begin() if db.pg else db.execute("BEGIN IMMEDIATE")
        try:
            lock = " FOR UPDATE" if db.pg else ""
            rows = dict(db.query(f"SELECT name, position FROM pv_tracking WHERE name IN (?, ?)"
                                 f"{lock}", (NAME, REBUILDING)))
            if REBUILDING in rows:  # a rebuild began since this runner started: never mix in
                raise RebuildUnfinished("a rebuild of the read models is running or was "
                                        "interrupted; run `casetrail rebuild` (again)")
            if int(rows.get(NAME, 0)) != expected:
                raise PositionMoved(NAME)
            for table, ids in changes["deletes"].items():
                db.delete_cases(table, ids)
            for table, rows_ in changes["inserts"].items():
                db.insert(table, rows_)
            for table, rows_ in (changes.get("org") or {}).items():
                db.execute(f"DELETE FROM {table}")
                db.insert(table, rows_)
            db.set_position(NAME, position, self.calendar.version)
            db.commit()
        except BaseException:
            db.rollback()
            raise

    # --- maintenance ---------------------------------------------------------------------------
    def recompute(self, case_ids: Iterable[str]) -> int:
        """Re-derive the given cases now (e.g. with a newer calendar), at the same position."""
        ids = sorted(set(case_ids))
        prior = self._history(ids, self.position)
        self._write(self._changes({c: [] for c in ids}, prior), self.position, self.position)
        return len(ids)

    def recompute_provisional(self) -> int:
        """Recompute every case with a provisional clock (run after the calendar gains a year)."""
        rows = self.db.query("SELECT DISTINCT case_id FROM pv_clocks WHERE provisional = 1")
        return self.recompute(r[0] for r in rows)

    def close(self) -> None:
        self.db.close()


def _app(app_or_url: Casetrail | str | None) -> tuple[Casetrail, bool]:
    if isinstance(app_or_url, Casetrail):
        return app_or_url, False
    return Casetrail(app_or_url), True


def catch_up(app_or_url: Casetrail | str | None = None, batch: int = 2000,
             calendar: HolidayCalendar = CALENDAR) -> int:
    """Bring the read models up to the end of the log; returns the events processed."""
    app, owned = _app(app_or_url)
    runner = Runner(app, calendar=calendar)
    try:
        return runner.catch_up(batch)
    finally:
        runner.close()
        if owned:
            app.close()


def recompute_provisional(app_or_url: Casetrail | str | None = None,
                          calendar: HolidayCalendar = CALENDAR) -> int:
    app, owned = _app(app_or_url)
    runner = Runner(app, calendar=calendar)
    try:
        return runner.recompute_provisional()
    finally:
        runner.close()
        if owned:
            app.close()


def rebuild(app_or_url: Casetrail | str | None = None, progress: bool = True,
            batch: int = 20000, calendar: HolidayCalendar = CALENDAR,
            workers: int | None = None, findings: bool = True) -> int:
    """Drop the read models and replay the whole log (with a progress bar); returns the events
    read. See :mod:`projections.replay` (``batch`` is kept for callers; pages are fixed). Then
    the findings read model is rebuilt too (:mod:`projections.findings_model`; ``findings``)."""
    from projections import findings_model
    from projections.replay import replay

    app, owned = _app(app_or_url)
    findings &= calendar is CALENDAR  # the findings model is evaluated on the default calendar
    try:
        if not progress:
            n = replay(app, calendar, workers=workers)
            if findings:
                findings_model.rebuild(app, workers)
            return n
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        total = app.recorder.max_notification_id() or 0
        columns = ("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns) as bar:
            task = bar.add_task("rebuilding read models", total=total)
            n = replay(app, calendar, lambda done: bar.update(task, completed=done), workers)
            bar.update(task, completed=total)
            if findings:
                cases = bar.add_task("evaluating findings (all cases)", total=None)
                done = findings_model.rebuild(app, workers)
                bar.update(cases, total=done, completed=done)
            return n
    finally:
        if owned:
            app.close()
