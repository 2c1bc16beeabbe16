"""One case's read-model rows, as a pure function of its facts, the organisation and the calendar.

``derive`` is what the runner writes (incrementally or in a rebuild) and what the tests compare
against a direct fold of the aggregate's events: the same input gives the same rows, byte for byte.
"""
from __future__ import annotations

from typing import Any

from domain.case_state import CaseState, Fact
from domain.periods import CALENDAR, HolidayCalendar
from projections.clocks import INFORMATIONAL, Clock, clocks_of, trace
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
    version = calendar.version
    clock_rows, terms, pauses, days = [], [], [], []  # type: ignore[var-annotated]
    for c in clocks:  # one pass over the clocks for their four tables
        key = c.key
        clock_rows.append(_clock_row(case_id, c, version))
        _term_rows(case_id, c, terms)
        if c.pauses:
            pauses.extend((case_id, key, i, ts(p[0]), ts(p[1]))
                          for i, p in enumerate(c.pauses, 1))
        days.extend((case_id, key, seg, unit, handler, ts(a), ts(b), n)
                    for seg, unit, handler, a, b, n in clock_days(c, segs))
    return {
        "pv_cases": [_case_row(case_id, state, facts, clocks, segs, closed)],
        "pv_clocks": clock_rows,
        "pv_clock_terms": terms,
        "pv_clock_pauses": pauses,
        "pv_clock_days": days,
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
    open_days = [c.terms[-1].deadline.last_day for c in clocks
                 if c.outcome == "open" and c.step not in INFORMATIONAL]
    last_at = max([f.occurred_at for f in facts])
    reg = s.reg
    status = s.status
    return (case_id, reg.get("case_no", ""), status, STAGES.get(status, status), s.holder,
            segs[-1].handler if segs else None, s.registering_unit, reg.get("location"),
            reg.get("category"), reg.get("matter_type", ""), reg.get("channel"), s.track,
            ts(s.registered_at), ts(last_at), s.version, int(s.concluded),
            day(min(open_days)) if open_days else None, ts(closed))


def _clock_row(case_id: str, c: Clock, calendar_version: str) -> tuple:
    d = c.terms[-1].deadline
    stop_at = c.stop_at
    return (case_id, c.key, c.step, c.unit, int(c.step in INFORMATIONAL), ts(c.start_at),
            c.start_version, day(d.last_day), ts(d.due_at), int(d.provisional),
            c.extension_days, d.paused_days, ts(stop_at) if stop_at is not None else None,
            c.stop_kind, c.outcome, c.days_late(), c.policy_version,
            d.calendar_version or calendar_version)


def _term_rows(case_id: str, c: Clock, out: list[tuple]) -> None:
    terms = c.terms
    key = c.key
    last = len(terms) - 1
    for i, term in enumerate(terms):
        d = term.deadline
        out.append((case_id, key, i + 1, ts(term.from_at),
                    ts(terms[i + 1].from_at) if i < last else None, day(d.last_day),
                    ts(d.due_at), int(d.provisional), term.reason))
