"""Questions a supervisor asks, answered from the read models (never from the event log).

Every function takes ``db`` — an open :class:`ViewDB` (fast: reuse it) or a store URL — and a
moment. Moments are aware datetimes; a ``date`` means the morning of that day (00:00
Asia/Shanghai), which is when the 日审核 daily review and the 周调度 weekly dispatch are run.
A clock's status is evaluated as of the moment, with the due date *as it stood then* (before a
later extension or hearing pause moved it).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.case import case_id_for
from domain.case_state import Fact
from domain.clocks import open_status, stopped_status
from domain.organisation import OrgDirectory
from domain.periods import TZ, local_date
from domain.responsibility import OrgIndex, segment_at, segments, territory
from projections.schema import ViewDB, from_ts, ts

DB = ViewDB | str


@contextmanager
def _open(db: DB) -> Iterator[ViewDB]:
    if isinstance(db, ViewDB):
        yield db
        return
    view = ViewDB(db)
    try:
        yield view
    finally:
        view.close()


def moment(at: datetime | date | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("a moment must carry a time zone")
        return at
    return datetime.combine(at, time(0), TZ)


# --- who held the case ---------------------------------------------------------------------------
def who_held(db: DB, case_no: str, at: datetime) -> dict[str, Any] | None:
    """The unit, handler, post holders, 包案 leaders and territorial chain of ``case_no`` at ``at``
    (None before the case was registered)."""
    case_id, t = str(case_id_for(case_no)), ts(at)
    with _open(db) as v:
        seg = v.query("SELECT s.seg, s.from_at, s.to_at, s.unit, s.handler, s.cause, c.location, "
                      "c.registered_at, c.closed_at FROM pv_segments s JOIN pv_cases c ON "
                      "c.case_id = s.case_id WHERE s.case_id = ? AND s.from_at <= ? AND "
                      "(s.to_at IS NULL OR s.to_at > ?)", (case_id, t, t))
        if not seg:
            return None
        seq, from_at, to_at, unit, handler, cause, location, start, closed = seg[0]
        people = v.query("SELECT role, person FROM pv_segment_people WHERE case_id = ? AND "
                         "seg = ?", (case_id, seq))
        if unit:  # the unit's post holders when the segment began (a change starts a segment)
            people += v.query("SELECT post, person FROM pv_unit_people WHERE unit = ? AND "
                              "from_at <= ? AND (to_at IS NULL OR to_at > ?)",
                              (unit, from_at, from_at))
        terr = v.query("SELECT depth, unit, level, post, person FROM pv_territory_chain WHERE "
                       "location = ? AND from_at <= ? AND (to_at IS NULL OR to_at > ?)",
                       (location, *([_territory_moment(t, start, closed)] * 2)))
    return _held(case_no, from_ts(from_at), from_ts(to_at), unit, handler, cause, people, terr)


def _territory_moment(t: str, start: str, closed: str | None) -> str:
    """The moment whose chain is the case's at ``t``: after it closed, the chain as it stood when
    it closed (the interval in force just before, or at its start if it closed at once)."""
    if closed is None or t < closed:
        return t
    if closed <= start:
        return start
    return ts(from_ts(closed) - timedelta(microseconds=1))  # type: ignore[operator,return-value]


def _held(case_no: str, from_at: datetime | None, to_at: datetime | None, unit: str | None,
          handler: str | None, cause: str, people: list[Any], terr: list[Any]) -> dict[str, Any]:
    roles: dict[str, list[str]] = {"petition_officer": [], "petition_leader": [], "head": [],
                                   "baoan_leader": []}
    for role, person in sorted(people):
        roles.setdefault(role, []).append(person)
    chain: dict[int, dict[str, Any]] = {}
    for depth, code, level, post, person in sorted(terr, key=lambda r: (r[0], r[3] or "",
                                                                         r[4] or "")):
        entry = chain.setdefault(depth, {"unit": code, "level": level, "posts": {}})
        if post is not None:  # the row naming the unit itself (listed even with no holders)
            entry["posts"].setdefault(post, []).append(person)
    return {"case_no": case_no, "unit": unit, "handler": handler, **roles,
            "segment": {"from": from_at, "to": to_at, "cause": cause},
            "territory": [chain[d] for d in sorted(chain)]}


def who_held_from_facts(case_no: str, facts: list[Fact], org: OrgDirectory,
                        at: datetime) -> dict[str, Any] | None:
    """The same answer by a direct fold of the facts (no read model): the reference."""
    index = OrgIndex(org)
    segs, closed = segments(facts, index)
    seg = segment_at(segs, at)
    if seg is None or (seg.to_at is not None and at >= seg.to_at):
        return None
    location = next((f.data.get("location") for f in facts if f.kind == "Registered"), None)
    start = segs[0].from_at
    terr = [(r.depth, r.unit, r.level, r.post, r.person)
            for r in territory(location, start, closed, index)
            if r.from_at <= at and (r.to_at is None or at < r.to_at)]
    people = [(role, person) for role, _unit, person in seg.people]
    return _held(case_no, from_ts(ts(seg.from_at)), from_ts(ts(seg.to_at)), seg.unit,
                 seg.handler, seg.cause, people, terr)


# --- clocks ------------------------------------------------------------------------------------
_CLOCKS_AT = """
SELECT p.case_no, c.clock, c.step, c.unit, c.informational, c.start_at, c.stop_at, c.stop_kind,
       c.outcome, c.policy_version, c.calendar_version, t.last_day, t.due_at, t.provisional,
       (SELECT COUNT(*) FROM pv_clock_pauses q WHERE q.case_id = c.case_id AND q.clock = c.clock
          AND q.from_at <= ? AND (q.to_at IS NULL OR q.to_at > ?)) AS paused
FROM pv_clocks c
JOIN pv_cases p ON p.case_id = c.case_id
JOIN pv_clock_terms t ON t.case_id = c.case_id AND t.clock = c.clock
     AND t.from_at <= ? AND (t.to_at IS NULL OR t.to_at > ?)
WHERE c.start_at <= ?"""


def _clock_rows(v: ViewDB, at: datetime, where: str = "", params: tuple = ()) -> list[dict]:
    t = ts(at)
    rows = v.query(_CLOCKS_AT + where + " ORDER BY p.case_no, c.start_at, c.clock",
                   (t, t, t, t, t, *params))
    out = []
    for (case_no, clock, step, unit, info, start, stop, stop_kind, outcome, pv, cv, last_day,
         due_at, prov, paused) in rows:
        stopped = stop is not None and stop <= t
        due = from_ts(due_at)
        status = stopped_status(outcome, stop_kind, bool(info), bool(prov), stop >= due_at) \
            if stopped else open_status(due, bool(info), bool(paused), at, bool(prov))
        out.append({"case_no": case_no, "clock": clock, "step": step, "unit": unit,
                    "informational": bool(info), "start_at": from_ts(start),
                    "stop_at": from_ts(stop) if stopped else None,
                    "stop_kind": stop_kind if stopped else None,
                    "last_day": date.fromisoformat(last_day), "due_at": due,
                    "provisional": bool(prov), "status": status,
                    "policy_version": pv, "calendar_version": cv})
    return out


_OPEN = " AND (c.stop_at IS NULL OR c.stop_at > ?) AND c.informational = 0"


def clocks_at(db: DB, case_no: str, at: datetime) -> list[dict[str, Any]]:
    """Every clock of the case started by ``at``, with its due date and status then."""
    with _open(db) as v:
        return _clock_rows(v, at, " AND c.case_id = ?", (str(case_id_for(case_no)),))


def running_or_breached(db: DB, at: datetime, unit: str | None = None) -> list[dict[str, Any]]:
    """Statutory clocks open at ``at`` (running, paused, breached or provisional)."""
    where, params = _OPEN, (ts(at),)
    if unit is not None:
        where, params = where + " AND c.unit = ?", (*params, unit)
    with _open(db) as v:
        return _clock_rows(v, at, where, params)


def overdue(db: DB, as_of: datetime | date, unit: str | None = None) -> list[dict[str, Any]]:
    """Open statutory clocks past their due moment (breached) as of ``as_of``. Not a clock in a
    pause (a hearing: its days are not counted, the due moment moves when it ends), nor one whose
    due date is provisional (the calendar of its year is not out: it may still roll forward)."""
    at = moment(as_of)
    return [c for c in running_or_breached(db, at, unit) if c["status"] == "breached"]


def queue(db: DB, unit: str, as_of: date) -> list[dict[str, Any]]:
    """日审核: everything of ``unit`` due on or before ``as_of`` and still open that morning."""
    at = moment(as_of)
    return [c for c in running_or_breached(db, at, unit) if c["last_day"] <= as_of]


def weekly_dispatch(db: DB, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """周调度: open statutory clocks whose last day falls in the 7 days from ``as_of``, by unit."""
    at, end = moment(as_of), as_of + timedelta(days=6)
    out: dict[str, list[dict[str, Any]]] = {}
    for c in running_or_breached(db, at):
        if as_of <= c["last_day"] <= end:
            out.setdefault(c["unit"] or "", []).append(c)
    return dict(sorted(out.items()))


# --- search ------------------------------------------------------------------------------------
_CASE_COLS = ("case_no", "status", "stage", "holder", "handler", "registering_unit", "location",
              "category", "matter_type", "channel", "track", "registered_at", "last_event_at",
              "version", "concluded", "next_last_day")


def search(db: DB, unit: str | None = None, status: str | None = None,
           category: str | None = None, matter_type: str | None = None,
           channel: str | None = None, overdue: bool | None = None,
           due_within_days: int | None = None, as_of: datetime | date | None = None,
           limit: int = 1000) -> list[dict[str, Any]]:
    """Cases by current holder, status, category, type, channel; overdue or due soon as of a
    moment (default: now)."""
    where, params = ["1 = 1"], []
    for col, value in (("holder", unit), ("status", status), ("category", category),
                       ("matter_type", matter_type), ("channel", channel)):
        if value is not None:
            where.append(f"p.{col} = ?")
            params.append(value)
    if overdue is not None or due_within_days is not None:
        at = moment(as_of)
        t = ts(at)
        open_at = ("SELECT 1 FROM pv_clocks c JOIN pv_clock_terms k ON k.case_id = c.case_id "
                   "AND k.clock = c.clock AND k.from_at <= ? AND (k.to_at IS NULL OR "
                   "k.to_at > ?) WHERE c.case_id = p.case_id AND c.informational = 0 AND "
                   "c.start_at <= ? AND (c.stop_at IS NULL OR c.stop_at > ?)")
        if overdue is not None:
            # breached, as in overdue(): not provisional, not in a pause
            breached = (f"{open_at} AND k.due_at <= ? AND k.provisional = 0 AND NOT EXISTS ("
                        "SELECT 1 FROM pv_clock_pauses q WHERE q.case_id = c.case_id AND "
                        "q.clock = c.clock AND q.from_at <= ? AND (q.to_at IS NULL OR q.to_at > ?))")
            where.append(("" if overdue else "NOT ") + f"EXISTS ({breached})")
            params += [t, t, t, t, t, t, t]
        if due_within_days is not None:
            last = (local_date(at) + timedelta(days=due_within_days)).isoformat()
            where.append(f"EXISTS ({open_at} AND k.due_at > ? AND k.last_day <= ?)")
            params += [t, t, t, t, t, last]
    sql = (f"SELECT {', '.join('p.' + c for c in _CASE_COLS)} FROM pv_cases p "
           f"WHERE {' AND '.join(where)} ORDER BY p.case_no LIMIT {int(limit)}")
    with _open(db) as v:
        return [dict(zip(_CASE_COLS, row)) for row in v.query(sql, params)]


# --- days per holder ---------------------------------------------------------------------------
def days_with_holders(db: DB, case_no: str) -> list[dict[str, Any]]:
    """For each clock of the case, its days with each holding segment (unit, handler): days are
    counted as the clock counts them (start day not counted, hearing days not counted), so a
    stopped clock's days add up to its own count; ``days`` is None while a segment is open."""
    with _open(db) as v:
        rows = v.query("SELECT clock, seg, unit, handler, from_at, to_at, days FROM "
                       "pv_clock_days WHERE case_id = ? ORDER BY clock, seg",
                       (str(case_id_for(case_no)),))
    return [{"clock": clock, "seg": seg, "unit": unit, "handler": handler,
             "from": from_ts(a), "to": from_ts(b), "days": days}
            for clock, seg, unit, handler, a, b, days in rows]
