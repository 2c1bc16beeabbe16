"""Statutory clocks of a case, derived from its facts and the holiday calendar (pure, no I/O).

Each clock says what was due and when: it starts on a fact, takes the policy in force on its start
date (``policy_for(step, start_date)``) and the calendar given, and may change its due date
(extension, hearing pause) — each change is a *term* from the moment it was decided, so the due
date "as it stood at T" is answerable. It stops on the fact that satisfies it (met or met late),
or is cancelled (withdrawal, an upheld objection sending the case back).

Choices where the law leaves room (DOMAIN.md Part A.2):
* handling (art. 34) stops at ``ReplyIssued``: the 处理意见书 concludes the handling; its service
  starts the review window, a separate clock;
* a clock whose deadline consulted a year the calendar does not cover is ``provisional``: while
  open its status is "provisional", and the runner recomputes it when the calendar grows;
* informational windows (objection, review/re-review request, evaluation) never breach: once
  past their last day and unused they are "lapsed".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from domain.case_state import CaseState, Fact, effective_facts
from domain.periods import (
    CALENDAR,
    TZ,
    Deadline,
    HolidayCalendar,
    count_paused_days,
    days_late,
    deadline_set_by_act,
    local_date,
)
from domain.policy import UnknownPolicy, compute_due, policy_for

INFORMATIONAL = frozenset({"objection", "review_request", "rereview_request", "evaluation"})
TRIAGE_STOPS = frozenset({"Transferred", "HandledDirectly", "RoutedToOrgan", "RoutedOut",
                          "AcceptanceRefused", "MarkedRepeat"})
NOTICE_KINDS = frozenset({"receipt", "route", "acceptance", "refusal", "redirect"})
STATUSES = ("running", "paused", "met", "met_late", "breached", "provisional", "lapsed",
            "cancelled", "withdrawn_late")


@dataclass(slots=True)
class Term:
    """The due date in force from ``from_at`` (until the next term)."""

    from_at: datetime
    deadline: Deadline
    reason: str


@dataclass(slots=True)
class Clock:
    key: str
    step: str
    unit: str | None
    start_at: datetime
    start_version: int
    policy_version: str
    terms: list[Term] = field(default_factory=list)
    pauses: list[list[datetime | None]] = field(default_factory=list)
    extension_days: int = 0
    stop_at: datetime | None = None
    stop_kind: str | None = None
    outcome: str = "open"  # open | met | met_late | cancelled

    @property
    def informational(self) -> bool:
        return self.step in INFORMATIONAL

    @property
    def deadline(self) -> Deadline:
        return self.terms[-1].deadline

    @property
    def start_date(self) -> date:
        return local_date(self.start_at)

    def deadline_at(self, at: datetime) -> Deadline:
        current = self.terms[0].deadline
        for term in self.terms:
            if term.from_at <= at:
                current = term.deadline
        return current

    def paused_at(self, at: datetime) -> bool:
        return any(p[0] <= at and (p[1] is None or at < p[1]) for p in self.pauses)  # type: ignore[operator]

    def days_late(self) -> int | None:
        if self.stop_at is None or self.outcome not in ("met", "met_late"):
            return None
        return days_late(self.deadline, self.stop_at)


def status_at(clock: Clock, at: datetime) -> str | None:
    """running / paused / met / met_late / breached / provisional / lapsed / cancelled, or None
    if the clock had not started at ``at``."""
    if at < clock.start_at:
        return None
    if clock.stop_at is not None and clock.stop_at <= at:
        return clock.outcome
    return open_status(clock.deadline_at(at), clock.informational, clock.paused_at(at), at)


def shown_status(clock: Clock, at: datetime) -> str | None:
    """The status a reader is shown: :func:`status_at`, with a stopped clock's outcome as
    :func:`stopped_status` shows it."""
    status = status_at(clock, at)
    if clock.stop_at is None or status not in ("met_late", "cancelled"):
        return status
    d = clock.deadline
    return stopped_status(status, clock.stop_kind, clock.step in INFORMATIONAL, d.provisional,
                          clock.stop_at >= d.due_at)


def stopped_status(outcome: str, stop_kind: str | None, informational: bool, provisional: bool,
                   stopped_after_due: bool) -> str:
    """A stopped clock's outcome as a reader is shown it (shared with the SQL-backed queries):
    * stopped after a provisional due moment: "provisional", not "met_late" (the year's calendar
      is not out, so its last day may still roll past the stop; the findings keep it apart too);
    * a statutory clock the petitioner's withdrawal cancelled after its deadline had passed:
      "withdrawn_late" (逾期后撤回), not merely "cancelled" (the step was left undone until then;
      the findings keep that breach)."""
    if outcome == "met_late" and provisional:
        return "provisional"
    if (outcome == "cancelled" and stop_kind == "Withdrawn" and not informational
            and not provisional and stopped_after_due):
        return "withdrawn_late"
    return outcome


def open_status(deadline_due_at: Deadline | datetime, informational: bool, paused: bool,
                at: datetime, provisional: bool | None = None) -> str:
    """The status of a clock still open at ``at`` (shared with the SQL-backed queries)."""
    if isinstance(deadline_due_at, Deadline):
        due_at, provisional = deadline_due_at.due_at, deadline_due_at.provisional
    else:
        due_at = deadline_due_at
    if informational:
        return "lapsed" if at >= due_at else ("paused" if paused else "running")
    if paused:
        return "paused"
    if provisional:
        return "provisional"
    return "breached" if at >= due_at else "running"


class _Builder:
    def __init__(self, calendar: HolidayCalendar) -> None:
        self.calendar = calendar
        self.clocks: list[Clock] = []
        self.open: dict[str, Clock] = {}
        self.counts: dict[str, int] = {}
        # clocks still open when a clock of the same name started (a unit that signed for a
        # matter and passed it on still owes its own notice): kept so that its own notice or a
        # withdrawal can still stop it
        self.superseded: list[Clock] = []

    def start(self, step: str, f: Fact, unit: str | None, name: str | None = None,
              due_date: str | None = None) -> Clock | None:
        at = f.occurred_at
        try:
            # local_date(at), without its memo look-up for an instant already on the zone object
            start_day = at.date() if at.tzinfo is TZ else local_date(at)
            version, deadline = _due(step, start_day, due_date, self.calendar, 0, 0)
        except UnknownPolicy:
            return None  # no limit in force that day (e.g. before 2022-05-01): no clock
        name = name or step
        counts = self.counts
        n = counts[name] = counts.get(name, 0) + 1
        clock = Clock(name if n == 1 else f"{name}#{n}", step, unit, at, f.version, version,
                      [Term(at, deadline, "start")])
        self.clocks.append(clock)
        previous = self.open.get(name)
        if previous is not None:
            self.superseded.append(previous)
        self.open[name] = clock
        return clock

    def stop(self, name: str, f: Fact, outcome: str | None = None) -> None:
        clock = self.open.pop(name, None)
        if clock is not None:
            self.finish(clock, f, outcome)

    def finish(self, clock: Clock, f: Fact, outcome: str | None = None) -> None:
        clock.stop_at, clock.stop_kind = f.occurred_at, f.kind
        for pause in clock.pauses:
            if pause[1] is None:
                pause[1] = f.occurred_at
        if outcome is None:
            outcome = "met" if f.occurred_at < clock.deadline.due_at else "met_late"
        clock.outcome = outcome

    def recompute(self, name: str, f: Fact, reason: str) -> None:
        clock = self.open[name]
        policy = policy_for(clock.step, clock.start_date)
        pauses = [(local_date(a), local_date(b)) for a, b in clock.pauses if b is not None]  # type: ignore[arg-type]
        paused = count_paused_days(clock.start_date, policy.length or 0, pauses) if pauses else 0
        _v, deadline = _due(clock.step, clock.start_date, None, self.calendar, paused,
                            clock.extension_days)
        clock.terms.append(Term(f.occurred_at, deadline, reason))


@lru_cache(maxsize=65536)
def _due(step: str, start_day: date, due_date: str | None, calendar: HolidayCalendar,
         paused: int, extension: int) -> tuple[str, Deadline]:
    """(policy version, deadline); memoised: a city has few distinct start days per step."""
    policy = policy_for(step, start_day)
    if due_date is not None:
        return policy.version, deadline_set_by_act(date.fromisoformat(due_date),
                                                   calendar=calendar)
    return policy.version, compute_due(policy, start_day, calendar=calendar, paused_days=paused,
                                       extension_days=extension)


Step = tuple[Fact, str, "str | None"]  # the fact, the status before it, the holder after it


# From a request for 复查 (复核) on, the case is in the hands of the organ asked to review it
# (arts. 35, 36): it decides on the request, examines, gives and serves its opinion, and its
# opinion is where the matter then rests. The handling unit (``CaseState.holder``, the 承办单位
# the commands check) is unchanged; who *held* the case, for responsibility, is the organ.
_REVIEWING = {"review_requested": "review", "in_review": "review", "review_decided": "review",
              "reviewed": "review", "rereview_requested": "rereview", "in_rereview": "rereview",
              "rereview_decided": "rereview", "final": "rereview"}


def holding_unit(state: CaseState) -> str | None:
    """Who holds the case for responsibility: the review (re-review) organ from the request
    for review on, else the handling unit."""
    level = _REVIEWING.get(state.status)
    if level is not None:
        organ = (state.review if level == "review" else state.rereview).get("organ")
        if organ is not None:
            return organ  # type: ignore[no-any-return]
    return state.holder


def trace(facts: list[Fact]) -> tuple[CaseState, list[Step]]:
    """One fold over the effective facts: the final state and, per fact, status and holder."""
    state = CaseState()
    steps: list[Step] = []
    evolve, append, reviewing = state.evolve, steps.append, _REVIEWING
    for f in effective_facts(facts):
        before = state.status
        evolve(f)
        append((f, before, holding_unit(state) if state.status in reviewing else state.holder))
    return state, steps


def derive_clocks(facts: list[Fact], calendar: HolidayCalendar = CALENDAR) -> list[Clock]:
    """Every clock of a case from its facts (corrections applied here), in start order."""
    return clocks_of(trace(facts)[1], calendar)


def clocks_of(steps: list[Step], calendar: HolidayCalendar = CALENDAR) -> list[Clock]:
    b = _Builder(calendar)
    on = _ON_FACT.get
    for f, before, holder in steps:
        handler = on(f.kind)
        if handler is not None:
            handler(b, f, before, holder)
    return b.clocks


# What each kind of fact does to the clocks: kind -> (builder, fact, status before, holder after).
# Facts of other kinds touch no clock; a handler reads ``f.data`` only when it needs it.
def _registered(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if f.data.get("at_petition_bureau"):
        b.start("triage", f, holder)
    else:
        b.start("receipt_notice", f, holder)


def _transferred(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if before != "registered":
        return
    b.stop("triage", f)
    d = f.data
    if d.get("mode") == "assign" and d.get("due_date"):
        b.stop("assignment_report", f, "cancelled")
        b.start("assignment_report", f, d["to_unit"], due_date=d["due_date"])


def _triage_only(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if before == "registered":
        b.stop("triage", f)


def _marked_repeat(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if before == "registered":
        b.stop("triage", f)
    else:
        b.stop("receipt_notice", f, "cancelled")


def _received(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.start("receipt_notice", f, holder)
    b.start("objection", f, holder)


def _objection_raised(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.stop("objection", f)


def _objection_resolved(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if f.data.get("resolution") == "upheld":
        b.stop("receipt_notice", f, "cancelled")
        b.stop("assignment_report", f, "cancelled")
        b.start("triage", f, holder)


def _notified(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    """A notice meets the notice clock of the unit that gave it: after a matter was passed on,
    the registering unit's notice must not stop the next unit's clock (nor leave its own open)."""
    if f.data.get("kind") not in NOTICE_KINDS:
        return
    unit = f.actor.get("unit")
    current = b.open.get("receipt_notice")
    if current is not None and current.unit != unit:
        for clock in b.superseded:
            if clock.step == "receipt_notice" and clock.unit == unit and clock.outcome == "open":
                b.finish(clock, f)
                return
    b.stop("receipt_notice", f)


def _accepted(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if f.data.get("track") == "art31_6":
        b.start("handling", f, holder)


def _extended(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if "handling" in b.open:
        b.open["handling"].extension_days += int(f.data["days"])
        b.recompute("handling", f, "extension")


def _reply_issued(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.stop("handling", f)


def _reply_served(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.start("review_request", f, None)
    b.start("evaluation", f, None)


def _evaluated(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.stop("evaluation", f)


def _review_requested(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    d = f.data
    review = d.get("level") == "review"
    b.stop("review_request" if review else "rereview_request", f)
    b.start("review_opinion" if review else "rereview_opinion", f, d.get("organ"))


def _review_opinion_issued(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.stop("review_opinion" if f.data.get("level") == "review" else "rereview_opinion", f)


def _review_opinion_served(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    if f.data.get("level") == "review":
        b.start("rereview_request", f, None)


def _hearing_started(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    """Hearing time is not counted (art. 36), but a hearing opened once the period has run out
    extends nothing (count_paused_days ignores it): the clock stays breached, not "paused"."""
    clock = b.open.get("rereview_opinion")
    if before == "in_rereview" and clock is not None and f.occurred_at < clock.deadline.due_at:
        clock.pauses.append([f.occurred_at, None])


def _hearing_ended(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    clock = b.open.get("rereview_opinion")
    if clock is not None and clock.pauses and clock.pauses[-1][1] is None:
        clock.pauses[-1][1] = f.occurred_at
        b.recompute("rereview_opinion", f, "hearing")


def _supervised(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    d = f.data
    b.start("supervision_response", f, d.get("target_unit"),
            name=f"supervision_response:{d['number']}", due_date=d["due_date"])


def _supervision_answered(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.stop(f"supervision_response:{f.data['number']}", f)


def _assignment_reported(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    b.stop("assignment_report", f)


def _withdrawn(b: _Builder, f: Fact, before: str, holder: str | None) -> None:
    for name in list(b.open):
        b.stop(name, f, "cancelled")
    for clock in b.superseded:
        if clock.outcome == "open":
            b.finish(clock, f, "cancelled")


_ON_FACT = {
    "Registered": _registered,
    "Transferred": _transferred,
    "HandledDirectly": _triage_only,
    "RoutedToOrgan": _triage_only,
    "RoutedOut": _triage_only,
    "AcceptanceRefused": _triage_only,
    "MarkedRepeat": _marked_repeat,
    "Received": _received,
    "ObjectionRaised": _objection_raised,
    "ObjectionResolved": _objection_resolved,
    "PetitionerNotified": _notified,
    "Accepted": _accepted,
    "ExtensionGranted": _extended,
    "ReplyIssued": _reply_issued,
    "ReplyServed": _reply_served,
    "Evaluated": _evaluated,
    "ReviewRequested": _review_requested,
    "ReviewOpinionIssued": _review_opinion_issued,
    "ReviewOpinionServed": _review_opinion_served,
    "HearingStarted": _hearing_started,
    "HearingEnded": _hearing_ended,
    "SupervisionIssued": _supervised,
    "SupervisionAnswered": _supervision_answered,
    "AssignmentReported": _assignment_reported,
    "Withdrawn": _withdrawn,
}
assert set(TRIAGE_STOPS) <= set(_ON_FACT)
