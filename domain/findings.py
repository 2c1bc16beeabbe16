"""Findings across the store, and the supervisor's workflow on them (as events).

Listing: every case's history is read once from the event log (:func:`load_histories`) and each
case is evaluated by the pure rules (:mod:`domain.rules`). :class:`FindingsIndex` keeps the
per-case results so that one changed case is re-evaluated alone; a rebuild gives the same result.

Workflow: a supervisor confirms or dismisses (with a reason) a finding, annotates it, records the
human judgement of consequences (严重后果) and the measure taken — none of these is computed, and
no sanction is ever stated by the system. Proposals under the three proposal powers (三项建议权,
art. 40: improve work, improve policy, hold accountable) are addressed to a unit, link cases and
findings, and carry the unit's written feedback (adopted / partly / not, with reasons).

Both are aggregates in the same log as the cases (saved with ``app.save``); their topics start
with ``casetrail:FindingReview`` and ``casetrail:Proposal``, so case projections skip them.
"""
from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.application import Casetrail
from domain.application import checked_actor_record as check_actor
from domain.case_state import Fact
from domain.errors import IllegalTransition, InvalidInput, NotFound
from domain.organisation import OrgDirectory
from domain.rules import (
    Evaluation,
    Finding,
    ProvisionalBreach,
    Thresholds,
    evaluate,
    evaluate_access,
)
from store.logread import read_cases

CASE_TOPIC_PREFIX = "casetrail:PetitionCase."
SUPERVISING_KINDS = frozenset({"petition_bureau", "joint_conference", "discipline"})
PROPOSAL_KINDS = {"improve_work": "改进工作建议", "improve_policy": "完善政策建议",
                  "accountability": "追究责任建议"}
FEEDBACK_OUTCOMES = {"adopted": "采纳", "partly": "部分采纳", "not_adopted": "未采纳"}
MEASURES = {"none": "不予处理", "correction": "责令改正", "talk": "约谈", "notice": "通报",
            "referred": "移送纪检监察机关", "other": "其他"}


# --- reading histories -------------------------------------------------------------------------
def load_histories(app: Casetrail, end: int | None = None) -> dict[str, list[Fact]]:
    """Every case's full history (all fields), read once from the log, by case number."""
    if end is None:
        end = app.recorder.max_notification_id() or 0
    with _no_gc():
        out = {str(facts[0].data["case_no"]): facts
               for _, facts in read_cases(app.database_url, app.mapper, end)}
    return dict(sorted(out.items()))


# --- listing -----------------------------------------------------------------------------------
@dataclass
class Query:
    """Which findings to list. ``period`` is [from, to) on the breach moment."""

    unit: str | None = None
    case_no: str | None = None
    period_from: datetime | None = None
    period_to: datetime | None = None
    rule: str | None = None
    category: str | None = None

    def keeps(self, f: Finding) -> bool:
        return ((self.unit is None or f.unit == self.unit)
                and (self.case_no is None or f.case_no == self.case_no)
                and (self.period_from is None or f.at >= self.period_from)
                and (self.period_to is None or f.at < self.period_to)
                and (self.rule is None or f.rule == self.rule)
                and (self.category is None or f.category == self.category))


@dataclass
class FindingsIndex:
    """Per-case evaluations as of one moment; ``update`` re-evaluates one changed case."""

    org: OrgDirectory
    as_of: datetime
    thresholds: Thresholds = field(default_factory=Thresholds)
    sense: str = "happened"
    cases: dict[str, Evaluation] = field(default_factory=dict)

    def update(self, case_no: str, facts: list[Fact]) -> Evaluation:
        result = evaluate(facts, self.org, self.as_of, self.thresholds, self.sense)
        self.cases[case_no] = result
        return result

    def build(self, histories: dict[str, list[Fact]], workers: int = 1) -> FindingsIndex:
        """Evaluate every case; ``workers`` > 1 forks processes (Linux) that share the
        histories read once, each evaluating a slice of the cases."""
        if workers <= 1 or len(histories) < 1000:
            for case_no, facts in histories.items():
                self.update(case_no, facts)
            return self
        import multiprocessing

        _SHARED[:] = [self, histories]
        keys = sorted(histories)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for part in pool.map(_evaluate_slice, [keys[i::workers] for i in range(workers)]):
                    self.cases.update(part)
        finally:
            _SHARED.clear()
        self.cases = dict(sorted(self.cases.items()))
        return self

    def build_from_store(self, app: Casetrail, workers: int | None = None,
                         end: int | None = None) -> FindingsIndex:
        """Read and evaluate every case of the store up to log position ``end`` (default:
        the whole log), without keeping the histories. ``workers`` processes (default: 2 on a
        machine with 2 or more cores when the log holds more than 50,000 events) each read and
        evaluate one slice of the case id space, forked (Linux) from this process; the result
        is the same as :meth:`build` over :func:`load_histories`, whatever the number of
        workers."""
        if end is None:
            end = app.recorder.max_notification_id() or 0
        if workers is None:
            workers = 2 if end > 50_000 and (os.cpu_count() or 1) > 1 else 1
        import multiprocessing

        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            self.cases.update(_evaluate_part(self, app.database_url, app.mapper, end, 0, 1))
        else:
            _SHARED[:] = [self, app.database_url, app.mapper, end, workers]
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    for part in pool.map(_evaluate_store_slice, range(workers)):
                        self.cases.update(part)
            finally:
                _SHARED.clear()
        self.cases = dict(sorted(self.cases.items()))
        return self

    def build_from_model(self, app: Casetrail, workers: int | None = None) -> FindingsIndex:
        """The same result as :meth:`build_from_store`, from the findings read model
        (:mod:`projections.findings_model`) brought up to the end of the log first: only the
        cases it has not settled as of this moment are read and evaluated from the log. Falls
        back to :meth:`build_from_store` when the model cannot serve."""
        from projections import findings_model

        findings_model.try_catch_up(app, workers=workers)
        cases = findings_model.evaluations(app, self.org, self.as_of, self.thresholds, self.sense,
                                           workers)
        if cases is None:
            return self.build_from_store(app, workers=workers)
        self.cases = dict(sorted(cases.items()))
        return self

    def findings(self, query: Query | None = None) -> list[Finding]:
        query = query or Query()
        cases = [query.case_no] if query.case_no else sorted(self.cases)
        out = [f for c in cases if c in self.cases for f in self.cases[c].findings
               if query.keeps(f)]
        return sorted(out, key=lambda f: (f.at, f.case_no, f.rule, f.id))

    def provisional(self) -> list[ProvisionalBreach]:
        return [p for c in sorted(self.cases) for p in self.cases[c].provisional]


_SHARED: list[Any] = []  # what forked workers need, handed over by the parent


def _evaluate_part(index: FindingsIndex, url: str, mapper: Any, end: int, part: int,
                   parts: int) -> dict[str, Evaluation]:
    org, as_of, thresholds, sense = index.org, index.as_of, index.thresholds, index.sense
    with _no_gc():  # acyclic data, tens of thousands of results kept: no cycle to collect
        return {str(facts[0].data["case_no"]): evaluate(facts, org, as_of, thresholds, sense)
                for _, facts in read_cases(url, mapper, end, part, parts)}


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cycle collector off while a large acyclic structure is built (it would otherwise
    rescan every object kept so far, again and again); restored as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _evaluate_store_slice(part: int) -> dict[str, Evaluation]:
    index, url, mapper, end, parts = _SHARED
    return _evaluate_part(index, url, mapper, end, part, parts)


def _evaluate_slice(keys: list[str]) -> dict[str, Evaluation]:
    index, histories = _SHARED
    return {k: evaluate(histories[k], index.org, index.as_of, index.thresholds, index.sense)
            for k in keys}


def list_findings(app: Casetrail, as_of: datetime, query: Query | None = None,
                  thresholds: Thresholds = Thresholds(), sense: str = "happened",
                  access_records: Iterable[Mapping[str, Any]] | None = None,
                  workers: int | None = 1) -> list[Finding]:
    """Findings of the store as of ``as_of`` for a unit, a case, a period (API and CLI use).
    ``workers`` > 1 (or None: as many as :meth:`FindingsIndex.build_from_store` judges
    worth it) forks reading-and-evaluating processes: for the CLI, never inside the server.

    Reads of accusation content (rule 46(五)) are evaluated over ``access_records``, or over
    ``app.access_records()`` when the API has attached its read-access log to the application.
    """
    query = query or Query()
    org = app.refresh_org()
    index = FindingsIndex(org, as_of, thresholds, sense)
    if query.case_no:
        index.build({query.case_no: app.history(query.case_no)})
    else:
        index.build_from_model(app, workers=workers)
    found = index.findings(query)
    if access_records is None:
        source = getattr(app, "access_records", None)
        access_records = source() if callable(source) else ()
    seen = [f for f in evaluate_access(access_records, lambda c: _history_or_none(app, c), org,
                                       as_of) if query.keeps(f)]
    if not seen:
        return found
    return sorted([*found, *seen], key=lambda f: (f.at, f.case_no, f.rule, f.id))


def _history_or_none(app: Casetrail, case_no: str) -> list[Fact] | None:
    try:
        return app.history(case_no)
    except NotFound:
        return None


# --- the supervisor's workflow: events ---------------------------------------------------------
def review_id(finding_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrail:finding:{finding_id}")


def proposal_id(number: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrail:proposal:{number}")


def _log_entry(event: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """An event as a readable log line (who, when, what)."""
    return {"kind": type(event).__name__, "actor": event.actor,
            "occurred_at": event.occurred_at.isoformat(),
            "recorded_at": event.timestamp.isoformat(), "version": event.originator_version,
            **{k: getattr(event, k) for k in fields}}


REVIEW_FIELDS = {"Confirmed": ("reason",), "Dismissed": ("reason",), "Annotated": ("text",),
                 "ConsequenceJudged": ("serious", "description"),
                 "MeasureRecorded": ("measure", "description")}


class FindingReview(Aggregate):
    """What supervisors decided about one finding (addressed by the finding's stable id)."""

    TOPIC = "casetrail:FindingReview"

    class Event(Aggregate.Event):
        TOPIC = "casetrail:FindingReview.Event"
        actor: dict[str, Any]
        occurred_at: datetime

        def apply(self, review: FindingReview) -> None:
            review._on(self)

    class Created(Event, Aggregate.Created):
        TOPIC = "casetrail:FindingReview.Created"

    class Opened(Aggregate.Created):
        """The finding as it stood when a supervisor first acted on it (a snapshot)."""
        TOPIC = "casetrail:FindingReview.Opened"
        finding_id: str
        case_no: str
        rule: str
        snapshot: dict[str, Any]
        actor: dict[str, Any]
        occurred_at: datetime

    class Confirmed(Event):
        TOPIC = "casetrail:FindingReview.Confirmed"
        reason: str

    class Dismissed(Event):
        TOPIC = "casetrail:FindingReview.Dismissed"
        reason: str

    class Annotated(Event):
        TOPIC = "casetrail:FindingReview.Annotated"
        text: str

    class ConsequenceJudged(Event):
        """严重后果: a human judgement, never computed."""
        TOPIC = "casetrail:FindingReview.ConsequenceJudged"
        serious: bool
        description: str

    class MeasureRecorded(Event):
        """The measure taken by whoever holds that power: recorded, never proposed here."""
        TOPIC = "casetrail:FindingReview.MeasureRecorded"
        measure: str
        description: str

    def __init__(self, finding_id: str, case_no: str, rule: str, snapshot: dict[str, Any],
                 actor: dict[str, Any], occurred_at: datetime) -> None:
        self.finding_id, self.case_no, self.rule = finding_id, case_no, rule
        self.snapshot = snapshot
        self.status = "open"
        self.serious: bool | None = None
        self.measures: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []

    def _on(self, e: Any) -> None:
        kind = type(e).__name__
        self.log.append(_log_entry(e, REVIEW_FIELDS.get(kind, ())))
        if kind in ("Confirmed", "Dismissed"):
            self.status = kind.lower()
        elif kind == "ConsequenceJudged":
            self.serious = e.serious
        elif kind == "MeasureRecorded":
            self.measures.append({"measure": e.measure, "description": e.description})

    def as_dict(self) -> dict[str, Any]:
        return {"finding_id": self.finding_id, "case_no": self.case_no, "rule": self.rule,
                "status": self.status, "serious": self.serious, "measures": self.measures,
                "log": self.log, "snapshot": self.snapshot, "version": self.version}


class Proposal(Aggregate):
    """A proposal under the three proposal powers (三项建议权, art. 40) and its feedback."""

    TOPIC = "casetrail:Proposal"

    class Event(Aggregate.Event):
        TOPIC = "casetrail:Proposal.Event"
        actor: dict[str, Any]
        occurred_at: datetime

        def apply(self, proposal: Proposal) -> None:
            proposal._on(self)

    class Created(Event, Aggregate.Created):
        TOPIC = "casetrail:Proposal.Created"

    class Proposed(Aggregate.Created):
        TOPIC = "casetrail:Proposal.Proposed"
        number: str
        kind: str
        to_unit: str
        cases: list[str]
        findings: list[str]
        text: str
        actor: dict[str, Any]
        occurred_at: datetime

    class FeedbackGiven(Event):
        """The addressed unit's written feedback (art. 40 ¶4)."""
        TOPIC = "casetrail:Proposal.FeedbackGiven"
        outcome: str
        reasons: str

    def __init__(self, number: str, kind: str, to_unit: str, cases: list[str],
                 findings: list[str], text: str, actor: dict[str, Any],
                 occurred_at: datetime) -> None:
        self.number, self.kind, self.to_unit = number, kind, to_unit
        self.cases, self.findings, self.text = cases, findings, text
        self.proposed_by, self.proposed_at = actor, occurred_at
        self.feedback: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []

    def _on(self, e: Any) -> None:
        if type(e).__name__ != "FeedbackGiven":
            self.log.append(_log_entry(e, ("kind", "to_unit")))
            return
        self.log.append(_log_entry(e, ("outcome", "reasons")))
        self.feedback.append({"outcome": e.outcome, "reasons": e.reasons,
                              "at": e.occurred_at.isoformat(), "actor": e.actor})

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "kind": self.kind, "kind_zh": PROPOSAL_KINDS[self.kind],
                "to_unit": self.to_unit, "cases": self.cases, "findings": self.findings,
                "text": self.text, "proposed_by": self.proposed_by,
                "proposed_at": self.proposed_at.isoformat(), "feedback": self.feedback,
                "version": self.version}


# --- the supervisor's workflow: commands ------------------------------------------------------
def _refuse(code: str, zh: str, en: str, fld: str | None = None) -> IllegalTransition:
    return IllegalTransition(code, zh, en, fld)


def _text(value: Any, name: str, zh: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("field.required", f"{zh}不能为空", f"{name} is required", name)
    return value


def _supervisor(app: Casetrail, actor: dict[str, Any], at: datetime) -> dict[str, Any]:
    org = app.refresh_org()
    checked = check_actor(org, actor, at)
    unit = org.unit(checked["unit"])
    if unit is None or unit.kind not in SUPERVISING_KINDS:
        raise _refuse("finding.not_supervisor", "只有信访部门、联席会议或纪检监察机关可以处理问责发现",
                      "Only a petition bureau, joint conference or discipline organ may act on "
                      "findings", "actor")
    return checked


def _when(app: Casetrail, at: datetime | None) -> tuple[datetime, datetime]:
    now = app.clock()
    at = at or now
    if at.tzinfo is None:
        raise InvalidInput("time.naive", "时间必须带时区", "occurred_at must carry a time zone",
                           "occurred_at")
    if (at - now).total_seconds() > 60:
        raise InvalidInput("time.future", "时间不能晚于当前时间", "The act is stated in the future",
                           "occurred_at")
    return at, now


def get_review(app: Casetrail, finding_id: str) -> FindingReview | None:
    try:
        return app.repository.get(review_id(finding_id))  # type: ignore[no-any-return]
    except AggregateNotFoundError:
        return None


def _open_review(app: Casetrail, finding_id: str, case_no: str | None, now: datetime,
                 actor: dict[str, Any], occurred: datetime) -> FindingReview:
    review = get_review(app, finding_id)
    if review is not None:
        return review
    found = _find(app, finding_id, case_no, now)
    return FindingReview._create(FindingReview.Opened, id=review_id(finding_id), timestamp=now,
                                 finding_id=finding_id, case_no=found.case_no, rule=found.rule,
                                 snapshot=found.as_dict(), actor=actor, occurred_at=occurred)


def _find(app: Casetrail, finding_id: str, case_no: str | None, now: datetime) -> Finding:
    """The finding with this id, evaluated now (on its case if given, else the whole store)."""
    query = Query(case_no=case_no)
    for f in list_findings(app, now, query):
        if f.id == finding_id:
            return f
    raise NotFound("finding.not_found", "问责发现不存在", f"No finding {finding_id!r} as of now"
                   + (f" on case {case_no}" if case_no else ""), "finding_id")


def _act(app: Casetrail, finding_id: str, actor: dict[str, Any], at: datetime | None,
         case_no: str | None, cls: type[Any], allowed: tuple[str, ...],
         **fields: Any) -> FindingReview:
    occurred, now = _when(app, at)
    checked = _supervisor(app, actor, occurred)
    review = _open_review(app, finding_id, case_no, now, checked, occurred)
    if review.status not in allowed:
        raise _refuse(f"finding.{review.status}", f"该问责发现已{STATUS_ZH[review.status]}",
                      f"The finding is {review.status}; this step needs it "
                      f"{' or '.join(allowed)}")
    review.trigger_event(cls, actor=checked, occurred_at=occurred, timestamp=now, **fields)
    app.save(review)
    return review


STATUS_ZH = {"open": "待核实", "confirmed": "确认", "dismissed": "排除"}


def confirm_finding(app: Casetrail, finding_id: str, actor: dict[str, Any], reason: str = "",
                    case_no: str | None = None, at: datetime | None = None) -> FindingReview:
    """确认: the supervisor holds the finding to be true."""
    return _act(app, finding_id, actor, at, case_no, FindingReview.Confirmed, ("open",),
                reason=reason)


def dismiss_finding(app: Casetrail, finding_id: str, actor: dict[str, Any], reason: str,
                    case_no: str | None = None, at: datetime | None = None) -> FindingReview:
    """排除: the finding does not hold (the reason is required)."""
    return _act(app, finding_id, actor, at, case_no, FindingReview.Dismissed,
                ("open", "confirmed"), reason=_text(reason, "reason", "排除理由"))


def annotate_finding(app: Casetrail, finding_id: str, actor: dict[str, Any], text: str,
                     case_no: str | None = None, at: datetime | None = None) -> FindingReview:
    return _act(app, finding_id, actor, at, case_no, FindingReview.Annotated,
                ("open", "confirmed", "dismissed"), text=_text(text, "text", "批注"))


def judge_consequences(app: Casetrail, finding_id: str, actor: dict[str, Any], serious: bool,
                       description: str, case_no: str | None = None,
                       at: datetime | None = None) -> FindingReview:
    """严重后果: the human judgement of consequences, on a confirmed finding."""
    if not isinstance(serious, bool):
        raise InvalidInput("field.invalid", "是否造成严重后果须为是或否", "serious must be true or "
                           "false", "serious")
    return _act(app, finding_id, actor, at, case_no, FindingReview.ConsequenceJudged,
                ("confirmed",), serious=serious,
                description=_text(description, "description", "后果说明"))


def record_measure(app: Casetrail, finding_id: str, actor: dict[str, Any], measure: str,
                   description: str = "", case_no: str | None = None,
                   at: datetime | None = None) -> FindingReview:
    """The measure taken on a confirmed finding, as decided by people (never computed)."""
    if measure not in MEASURES:
        raise InvalidInput("field.unknown_code", "处理措施取值无效",
                           f"measure must be one of: {', '.join(MEASURES)}", "measure")
    return _act(app, finding_id, actor, at, case_no, FindingReview.MeasureRecorded,
                ("confirmed",), measure=measure, description=description)


def get_proposal(app: Casetrail, number: str) -> Proposal | None:
    try:
        return app.repository.get(proposal_id(number))  # type: ignore[no-any-return]
    except AggregateNotFoundError:
        return None


def propose(app: Casetrail, number: str, kind: str, to_unit: str, actor: dict[str, Any],
            text: str, cases: Iterable[str] = (), findings: Iterable[str] = (),
            at: datetime | None = None) -> Proposal:
    """三项建议: improve work / improve policy / hold accountable, addressed to a unit."""
    occurred, now = _when(app, at)
    checked = _supervisor(app, actor, occurred)
    if kind not in PROPOSAL_KINDS:
        raise InvalidInput("field.unknown_code", "建议类型取值无效",
                           f"kind must be one of: {', '.join(PROPOSAL_KINDS)}", "kind")
    if app.org.unit(to_unit) is None:
        raise InvalidInput("unit.unknown", "单位不存在", f"Unknown unit {to_unit!r}", "to_unit")
    if get_proposal(app, number) is not None:
        raise _refuse("proposal.exists", "该建议编号已存在", f"Proposal {number} exists", "number")
    cases = sorted(set(cases))
    for case_no in cases:
        app.get_case(case_no)  # NotFound if unknown
    proposal = Proposal._create(
        Proposal.Proposed, id=proposal_id(number), timestamp=now, number=number, kind=kind,
        to_unit=to_unit, cases=cases, findings=sorted(set(findings)),
        text=_text(text, "text", "建议内容"), actor=checked, occurred_at=occurred)
    app.save(proposal)
    return proposal


def give_feedback(app: Casetrail, number: str, actor: dict[str, Any], outcome: str,
                  reasons: str, at: datetime | None = None) -> Proposal:
    """The addressed unit's written feedback: adopted / partly / not adopted, with reasons."""
    occurred, now = _when(app, at)
    checked = check_actor(app.refresh_org(), actor, occurred)
    proposal = get_proposal(app, number)
    if proposal is None:
        raise NotFound("proposal.not_found", "建议不存在", f"No proposal {number!r}", "number")
    if checked["unit"] != proposal.to_unit:
        raise _refuse("proposal.not_addressee", "只有被建议单位可以反馈",
                      f"Only {proposal.to_unit} may give feedback", "actor")
    if outcome not in FEEDBACK_OUTCOMES:
        raise InvalidInput("field.unknown_code", "反馈结果取值无效",
                           f"outcome must be one of: {', '.join(FEEDBACK_OUTCOMES)}", "outcome")
    if outcome != "adopted":
        _text(reasons, "reasons", "未采纳（部分采纳）理由")
    proposal.trigger_event(Proposal.FeedbackGiven, actor=checked, occurred_at=occurred,
                           timestamp=now, outcome=outcome, reasons=reasons)
    app.save(proposal)
    return proposal


def reviews_of(app: Casetrail, finding_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The workflow state of each finding that has one (for lists and dossiers)."""
    out = {}
    for fid in sorted(set(finding_ids)):
        review = get_review(app, fid)
        if review is not None:
            out[fid] = review.as_dict()
    return out


def list_proposals(app: Casetrail, to_unit: str | None = None) -> list[dict[str, Any]]:
    topics = ["casetrail:Proposal.Proposed"]
    numbers: list[str] = []
    start = 0
    while True:
        notes = app.recorder.select_notifications(start=start, limit=1000, topics=topics,
                                                  inclusive_of_start=False)
        numbers += [app.mapper.to_domain_event(n).number for n in notes]
        if len(notes) < 1000:
            break
        start = notes[-1].id
    out = []
    for number in sorted(numbers):
        p = get_proposal(app, number)
        if p is not None and (to_unit is None or p.to_unit == to_unit):
            out.append(p.as_dict())
    return out
