"""One case's read-model rows, as a pure function of its facts, the organisation and the calendar.

``derive`` is what the runner writes (incrementally or in a rebuild) and what the tests compare
against a direct fold of the aggregate's events: the same input gives the same rows, byte for byte.

The rebuild runs this for every case of the log (most of its time), so the rows are built in one
pass per clock with the text caches of :mod:`projections.schema` read inline, and the holding
segments stay plain tuples here (:func:`domain.responsibility.segment_rows`): a call, an
attribute look-up or a frozen dataclass per row would cost more than the row itself.
"""
from __future__ import annotations

from typing import Any

from domain.case_state import CaseState, Fact
from domain.clocks import INFORMATIONAL, clocks_of, holding_unit, trace
from domain.periods import CALENDAR, TZ, HolidayCalendar, days_late, local_date
from domain.responsibility import OrgIndex, paused_days_between, segment_rows, spans_of
from projections.schema import _DAY, _TS, DERIVED, day, ts

STAGES = {
    "registered": "triage", "transferred": "receipt", "received": "receipt",
    "objected": "receipt", "accepted": "handling", "replied": "reply", "served": "served",
    "review_requested": "review", "in_review": "review", "review_decided": "review",
    "reviewed": "review", "rereview_requested": "rereview", "in_rereview": "rereview",
    "rereview_decided": "rereview", "final": "closed", "refused": "closed",
    "routed_out": "closed", "merged": "closed", "withdrawn": "closed",
}
Rows = dict[str, list[tuple[Any, ...]]]
_MET = frozenset({"met", "met_late"})


def derive(case_id: str, facts: list[Fact], index: OrgIndex,
           calendar: HolidayCalendar = CALENDAR) -> Rows:
    """Every row of the case, by table (:data:`projections.schema.DERIVED`, in that order)."""
    out: Rows = {table: [] for table in DERIVED}
    derive_into(case_id, facts, index, calendar, out)
    return out


def derive_into(case_id: str, facts: list[Fact], index: OrgIndex, calendar: HolidayCalendar,
                out: Rows) -> int:
    """:func:`derive`, appending to the lists of ``out`` (table -> rows) instead of returning
    new ones (the rebuild collects thousands of cases per write); returns the rows added."""
    state, steps = trace(facts)
    clocks = clocks_of(steps, calendar)
    spans, closed = spans_of(steps, state.status)
    segs = segment_rows(spans, closed, index)  # (seq, from, to, unit, handler, cause, people)
    version = calendar.version
    tsget, dayget = _TS.get, _DAY.get
    clock_rows, terms = out["pv_clocks"], out["pv_clock_terms"]
    days = out["pv_clock_days"]
    before = sum(map(len, out.values()))
    open_days = []
    for c in clocks:  # one pass over the clocks for their four tables
        key, step, cterms = c.key, c.step, c.terms
        informational = step in INFORMATIONAL
        d = cterms[-1].deadline
        due_at, last_day = d.due_at, d.last_day
        start, stop_at, outcome = c.start_at, c.stop_at, c.outcome
        if outcome == "open" and not informational:
            open_days.append(last_day)
        clock_rows.append((
            case_id, key, step, c.unit, int(informational), tsget(start) or ts(start),
            c.start_version, dayget(last_day) or day(last_day), tsget(due_at) or ts(due_at),
            int(d.provisional), c.extension_days, d.paused_days,
            None if stop_at is None else tsget(stop_at) or ts(stop_at), c.stop_kind, outcome,
            days_late(d, stop_at) if stop_at is not None and outcome in _MET else None,
            c.policy_version, d.calendar_version or version))
        last = len(cterms) - 1
        for i, term in enumerate(cterms):
            td, a = term.deadline, term.from_at
            b = cterms[i + 1].from_at if i < last else None
            t_last, t_due = td.last_day, td.due_at
            terms.append((case_id, key, i + 1, tsget(a) or ts(a),
                          None if b is None else tsget(b) or ts(b),
                          dayget(t_last) or day(t_last), tsget(t_due) or ts(t_due),
                          int(td.provisional), term.reason))
        if c.pauses:
            pauses = out["pv_clock_pauses"]
            pauses.extend((case_id, key, i, ts(p[0]), ts(p[1])) for i, p in enumerate(c.pauses, 1))
        # the clock's interval cut by the segments (responsibility.clock_days, as rows)
        stop = stop_at
        if informational and (stop is None or stop > due_at):
            stop = due_at  # a window counts only while it is open
        for seq, from_at, to_at, unit, handler, _cause, _people in segs:
            if to_at is not None and to_at <= start:
                continue
            if stop is not None and from_at >= stop:
                break  # segments are in time order: this one and the later ones start too late
            a = from_at if from_at > start else start
            if stop is None:
                b = to_at
            else:
                b = stop if to_at is None or not to_at < stop else to_at
            if b is not None and b <= a:
                continue
            if b is None:
                days.append((case_id, key, seq, unit, handler, tsget(a) or ts(a), None, None))
                continue
            # local_date, without its memo look-up for an instant already on the zone object
            n = ((b.date() if b.tzinfo is TZ else local_date(b))
                 - (a.date() if a.tzinfo is TZ else local_date(a))).days
            if n and c.pauses:  # hearing days are not counted (responsibility.clock_days)
                n -= paused_days_between(c.pauses, local_date(a), local_date(b))
            days.append((case_id, key, seq, unit, handler, tsget(a) or ts(a),
                         tsget(b) or ts(b), n))
    out["pv_cases"].append(_case_row(case_id, state, facts, open_days, segs, closed))
    seg_rows, people = out["pv_segments"], out["pv_segment_people"]
    for seq, from_at, to_at, unit, handler, cause, held in segs:
        seg_rows.append((case_id, seq, tsget(from_at) or ts(from_at),
                         None if to_at is None else tsget(to_at) or ts(to_at), unit, handler,
                         cause))
        # the 包案 leaders come first in ``held``, then the unit's posts (never a 包案 role)
        if held and held[0][0] == "baoan_leader":
            people.extend((case_id, seq, role, unit, person) for role, unit, person in held
                          if role == "baoan_leader")
    return sum(map(len, out.values())) - before


def org_rows(index: OrgIndex) -> Rows:
    """The organisation's own read models (:data:`projections.schema.ORG_TABLES`): the holders
    of every unit's petition posts, and the territorial chain of every unit as a location."""
    people: list[tuple[Any, ...]] = []
    chain: list[tuple[Any, ...]] = []
    for unit in sorted(index.org.units):
        for out, (points, rows) in ((people, index.people_timeline(unit)),
                                    (chain, index.territory_timeline(unit))):
            for k, at in enumerate(points):
                a, b = ts(at), ts(points[k + 1]) if k + 1 < len(points) else None
                out.extend((unit, a, b, *row) for row in rows[k])
    return {"pv_unit_people": [(u, a, b, post, person) for u, a, b, post, _u, person in people],
            "pv_territory_chain": chain}


def _case_row(case_id: str, s: CaseState, facts: list[Fact], open_days: list[Any],
              segs: list[tuple[Any, ...]], closed: Any) -> tuple:
    last_at = max([f.occurred_at for f in facts])
    reg = s.reg
    status = s.status
    return (case_id, reg.get("case_no", ""), status, STAGES.get(status, status), holding_unit(s),
            segs[-1][4] if segs else None, s.registering_unit, reg.get("location"),
            reg.get("category"), reg.get("matter_type", ""), reg.get("channel"), s.track,
            ts(s.registered_at), ts(last_at), s.version, int(s.concluded),
            day(min(open_days)) if open_days else None, ts(closed))
