"""One case's read-model rows, as a pure function of its facts, the organisation and the calendar.

``derive`` is what the runner writes (incrementally or in a rebuild) and what the tests compare
against a direct fold of the aggregate's events: the same input gives the same rows, byte for byte.
"""
from __future__ import annotations

from typing import Any

from domain.case_state import CaseState, Fact
from domain.periods import CALENDAR, HolidayCalendar
from projections.clocks import Clock, clocks_of, trace
from projections.responsibility import (
    OrgIndex,
    Segment,
    clock_days,
    segments,
    spans_of,
)
from projections.schema import day, ts

STAGES = {
    "registered": "triage", "transferred": "receipt", "received": "receipt",
    "objected": "receipt", "accepted": "handling", "replied": "reply", "served": "served",
    "review_requested": "review", "in_review": "review", "review_decided": "review",
    "reviewed": "review", "rereview_requested": "rereview", "in_rereview": "rereview",
    "rereview_decided": "rereview", "final": "closed", "refused": "closed",
    "routed_out": "closed", "merged": "closed", "withdrawn": "closed",
}
Rows = dict[str, list[tuple[Any, ...]]]


def derive(case_id: str, facts: list[Fact], index: OrgIndex,
           calendar: HolidayCalendar = CALENDAR) -> Rows:
    state, steps = trace(facts)
    clocks = clocks_of(steps, calendar)
    segs, closed = segments(facts, index, spans_of(steps, state.status))
    return {
        "pv_cases": [_case_row(case_id, state, facts, clocks, segs, closed)],
        "pv_clocks": [_clock_row(case_id, c, calendar.version) for c in clocks],
        "pv_clock_terms": [row for c in clocks for row in _term_rows(case_id, c)],
        "pv_clock_pauses": [(case_id, c.key, i + 1, ts(p[0]), ts(p[1]))
                            for c in clocks for i, p in enumerate(c.pauses)],
        "pv_clock_days": [(case_id, c.key, seg, unit, handler, ts(a), ts(b), days)
                          for c in clocks
                          for seg, unit, handler, a, b, days in clock_days(c, segs)],
        "pv_segments": [(case_id, s.seq, ts(s.from_at), ts(s.to_at), s.unit, s.handler, s.cause)
                        for s in segs],
        "pv_segment_people": [(case_id, s.seq, role, unit, person) for s in segs
                              for role, unit, person in s.people if role == "baoan_leader"],
    }


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


def _case_row(case_id: str, s: CaseState, facts: list[Fact], clocks: list[Clock],
              segs: list[Segment], closed: Any) -> tuple:
    open_days = [c.deadline.last_day for c in clocks
                 if c.outcome == "open" and not c.informational]
    last_at = max(f.occurred_at for f in facts)
    return (case_id, s.case_no, s.status, STAGES.get(s.status, s.status), s.holder,
            segs[-1].handler if segs else None, s.registering_unit, s.reg.get("location"), s.reg.get("category"),
            s.matter_type, s.reg.get("channel"), s.track, ts(s.registered_at), ts(last_at),
            s.version, int(s.concluded), day(min(open_days)) if open_days else None, ts(closed))


def _clock_row(case_id: str, c: Clock, calendar_version: str) -> tuple:
    d = c.deadline
    return (case_id, c.key, c.step, c.unit, int(c.informational), ts(c.start_at),
            c.start_version, day(d.last_day), ts(d.due_at), int(d.provisional),
            c.extension_days, d.paused_days, ts(c.stop_at), c.stop_kind, c.outcome,
            c.days_late(), c.policy_version, d.calendar_version or calendar_version)


def _term_rows(case_id: str, c: Clock) -> list[tuple]:
    rows = []
    for i, term in enumerate(c.terms):
        nxt = c.terms[i + 1].from_at if i + 1 < len(c.terms) else None
        d = term.deadline
        rows.append((case_id, c.key, i + 1, ts(term.from_at), ts(nxt), day(d.last_day),
                     ts(d.due_at), int(d.provisional), term.reason))
    return rows
