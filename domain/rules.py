"""Accountability rules as data (问责规则目录), and their pure evaluation over a case's history.

Each rule has a stable id, a category — 不作为 inaction, 慢作为 slow action, 乱作为 misconduct — the
article(s) it evidences and its text in Chinese and English. A finding records facts and
attribution, never a sanction (DOMAIN.md Part A.2 §9): whether consequences were serious is a human
judgement recorded later by a supervisor (:mod:`domain.findings`).

Findings are evaluated *as of* a moment, in one of two senses (:func:`cut`):

* ``happened`` (default): every fact known now whose business time is up to the moment, with every
  correction known now applied — the case as it really stood then;
* ``recorded``: only what the system had recorded by the moment (and corrections recorded by then).

Statutory clocks come from :mod:`domain.clocks` (policy in force on each clock's start day).
A deadline that consulted a year the holiday calendar does not cover is *provisional*: it never
produces an overdue or late finding; it is listed in :attr:`Evaluation.provisional` instead, until
it is recomputed with the published calendar.

Thresholds that the law does not fix (back-filling, how many transfers make 推诿) are policy data
with a version, listed beside the rules.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.case_state import Fact, effective_facts, source_recorded_at
from domain.clocks import Clock, clocks_of, status_at, trace
from domain.organisation import OrgDirectory
from domain.periods import CALENDAR, TZ, Deadline, HolidayCalendar, local_date
from domain.policy import UnknownPolicy, compute_due, policy_for
from domain.responsibility import OrgIndex, Segment, segment_at, segments, spans_of

CATEGORIES = {"inaction": "不作为", "slow": "慢作为", "misconduct": "乱作为"}
STEP_ZH = {"triage": "分流（转送、交办）", "receipt_notice": "书面告知", "objection": "异议期",
           "handling": "办理", "assignment_report": "交办件办结报告", "review_request": "复查申请期",
           "review_opinion": "复查意见", "rereview_request": "复核申请期",
           "rereview_opinion": "复核意见", "supervision_response": "督办反馈",
           "evaluation": "满意度评价", "acceptance": "受理决定"}
SENSES = ("happened", "recorded")


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    articles: tuple[str, ...]
    zh: str
    en: str
    basis: str = "facts"  # facts | clock | access: what the evaluation reads

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category,
                "category_zh": CATEGORIES[self.category], "articles": list(self.articles),
                "zh": self.zh, "en": self.en, "basis": self.basis}


@dataclass(frozen=True)
class Thresholds:
    """Local policy: what the law leaves open. Versioned so a finding can cite what it used."""

    version: str = "local-2026.1"
    backfill_days: int = 7          # an act recorded this many days after it reportedly happened
    bounce_transfers: int = 2       # more transfers than this between units is 推诿
    extension_notice_days: int = 3  # the petitioner must be told of an extension within this
    supervision_acts: int = 2       # supervision acts needed before the holder moved
    execution_days: int = 90        # a supported opinion should be carried out within this
    service_days: int = 10          # an issued opinion should be served within this
    followup_days: int = 7          # a bureau follows up an ignored deadline within this


A45_1 = "第四十五条第（一）项"
_OVERDUE, _LATE = "逾期未", "超期"
RULES: tuple[Rule, ...] = (
    # --- statutory clocks: never done (不作为) and done late (慢作为) -------------------------------
    Rule("TRIAGE-OVERDUE", "inaction", ("第二十二条", "第四十三条"),
         "信访部门收到信访事项后15日内未转送、交办或办理",
         "The petition bureau did not triage the matter within 15 days", "clock"),
    Rule("TRIAGE-LATE", "slow", ("第二十二条", "第四十三条"),
         "信访部门超过15日才转送、交办或办理", "The petition bureau triaged the matter late",
         "clock"),
    Rule("NOTICE-OVERDUE", "inaction", ("第二十三条", "第四十四条第（三）项"),
         "收到信访事项后15日内未书面告知信访人", "The petitioner was not told in writing within 15 "
         "days of receipt", "clock"),
    Rule("NOTICE-LATE", "slow", ("第二十三条", "第四十四条第（三）项"),
         "超过15日才书面告知信访人", "The petitioner was told in writing late", "clock"),
    Rule("ACCEPT-UNDECIDED", "inaction", ("第二十三条", "第四十四条第（二）项"),
         "收到信访事项后逾期未决定是否受理", "No decision on acceptance within the notice period",
         "clock"),
    Rule("ACCEPT-LATE", "slow", ("第二十三条", "第四十四条第（二）项"),
         "超过告知期限才决定是否受理", "Acceptance decided after the notice period", "clock"),
    Rule("HANDLING-OVERDUE", "inaction", ("第三十四条", A45_1),
         "受理后60日（含批准延期）内未办结", "Not concluded within 60 days of acceptance plus "
         "approved extensions", "clock"),
    Rule("HANDLING-LATE", "slow", ("第三十四条", A45_1),
         "超过办理期限才出具处理意见书", "The written reply was issued after the handling limit",
         "clock"),
    Rule("ASSIGNMENT-OVERDUE", "inaction", ("第二十二条第（三）项", A45_1),
         "交办事项逾期未报送办理结果", "The result of an assigned matter was not reported by its "
         "due date", "clock"),
    Rule("ASSIGNMENT-LATE", "slow", ("第二十二条第（三）项", A45_1),
         "交办事项超期报送办理结果", "The result of an assigned matter was reported late", "clock"),
    Rule("REVIEW-OVERDUE", "inaction", ("第三十五条", A45_1),
         "复查机关收到复查请求后30日内未出具复查意见", "No review opinion within 30 days of the "
         "request", "clock"),
    Rule("REVIEW-LATE", "slow", ("第三十五条", A45_1),
         "复查意见超期出具", "The review opinion was issued late", "clock"),
    Rule("REREVIEW-OVERDUE", "inaction", ("第三十六条", A45_1),
         "复核机关收到复核请求后30日（听证时间除外）内未出具复核意见",
         "No re-review opinion within 30 days of the request (hearing days excluded)", "clock"),
    Rule("REREVIEW-LATE", "slow", ("第三十六条", A45_1),
         "复核意见超期出具", "The re-review opinion was issued late", "clock"),
    Rule("SUPERVISION-IGNORED", "inaction", ("第四十条", A45_1),
         "被督办单位逾期未反馈督办", "The supervised unit did not answer by the due date",
         "clock"),
    Rule("SUPERVISION-LATE", "slow", ("第四十条", A45_1),
         "被督办单位超期反馈督办", "The supervised unit answered the supervision late", "clock"),
    Rule("SUPERVISION-NOT-PURSUED", "inaction", ("第四十三条",),
         "信访部门对逾期事项未及时督办", "The petition bureau did not supervise an overdue step",
         "clock"),
    Rule("SUPERVISION-REPEATED", "slow", ("第四十条", A45_1),
         "经两次以上督办才推进", "The holder moved only after two or more supervision acts"),
    # --- how the steps were done (乱作为) and what was left undone -------------------------------
    Rule("EXT-OVER-30", "misconduct", ("第三十四条", "第四十五条第（四）项"),
         "延期累计超过30日", "Extensions total more than 30 days"),
    Rule("EXT-APPROVER", "misconduct", ("第三十四条", "第四十五条第（四）项"),
         "延期未经办理机关负责人批准", "Extension not approved by the head of the handling organ"),
    Rule("EXT-NOT-TOLD", "inaction", ("第三十四条",),
         "延期未告知信访人延期理由", "The petitioner was not told of the extension and its reason"),
    Rule("REPLY-INCOMPLETE", "misconduct", ("第三十二条", "第四十二条第（三）项"),
         "处理意见书缺少事实理由、法律依据或权利告知",
         "The written reply lacks facts and reasons, legal basis or the rights notice"),
    Rule("UNSERVED", "inaction", ("第三十二条", "第四十五条第（四）项"),
         "出具意见后未送达（未送达即报结或长期未送达）",
         "An opinion was issued but not served (reported concluded, or left unserved)"),
    Rule("NOT-EXECUTED", "inaction", ("第三十二条", "第四十二条第（四）项"),
         "支持的处理意见未落实", "A supported opinion has not been carried out"),
    Rule("REFUSAL-NO-BASIS", "misconduct", ("第四十四条第（二）项",),
         "不予受理未载明依据", "Acceptance refused without a stated basis"),
    Rule("BACKFILL", "misconduct", ("第二十一条", "第四十条"),
         "补录：办理行为在发生很久之后才录入系统",
         "Back-filling: an act recorded long after it reportedly happened"),
    Rule("TRANSFER-BOUNCE", "misconduct", ("第二十八条", A45_1),
         "推诿：事项在单位之间反复转送", "Shirking: the matter was bounced between units"),
    Rule("BYPASS-UNDETECTED", "inaction", ("第十五条", "第二十条"),
         "越级访：属地网格、村（社区）、乡镇（街道）应发现未发现",
         "Bypass visit on a matter the territorial grid, village and township never registered"),
    Rule("ACCUSATION-SEEN", "misconduct", ("第三十条第三款", "第四十六条第（五）项"),
         "检举控告材料被被检举控告的单位或人员查阅",
         "Accusation material was read by the accused unit or person", "access"),
)
RULES_BY_ID = {r.id: r for r in RULES}
# statutory clock step -> (overdue rule, late rule)
CLOCK_RULES = {
    "triage": ("TRIAGE-OVERDUE", "TRIAGE-LATE"),
    "receipt_notice": ("NOTICE-OVERDUE", "NOTICE-LATE"),
    "handling": ("HANDLING-OVERDUE", "HANDLING-LATE"),
    "assignment_report": ("ASSIGNMENT-OVERDUE", "ASSIGNMENT-LATE"),
    "review_opinion": ("REVIEW-OVERDUE", "REVIEW-LATE"),
    "rereview_opinion": ("REREVIEW-OVERDUE", "REREVIEW-LATE"),
    "supervision_response": ("SUPERVISION-IGNORED", "SUPERVISION-LATE"),
}


@dataclass(frozen=True)
class Finding:
    id: str
    rule: str
    category: str
    articles: tuple[str, ...]
    case_no: str
    at: datetime  # the moment of the breach (responsibility is taken at this moment)
    unit: str | None
    handler: str | None
    leader: str | None
    days: int | None
    evidence: tuple[int, ...]
    detail: str
    people: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "category": self.category,
                "category_zh": CATEGORIES[self.category], "articles": list(self.articles),
                "case_no": self.case_no, "at": self.at.isoformat(), "unit": self.unit,
                "handler": self.handler, "leader": self.leader, "days": self.days,
                "evidence": list(self.evidence), "detail": self.detail,
                "people": {k: list(v) for k, v in sorted(self.people.items())}}


@dataclass(frozen=True)
class ProvisionalBreach:
    """A step that looks overdue or late on a deadline the calendar does not yet cover."""

    case_no: str
    step: str
    rule: str
    unit: str | None
    last_day: str
    calendar_version: str
    status: str  # "would_be_overdue" | "would_be_late"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Term:
    """How a finding depends on the as-of moment once every act of its case has happened.

    A finding is listed as of ``as_of`` when ``at <= as_of`` and, if it has a term,
    ``since <= as_of`` (``since < as_of`` when ``strict``). ``days`` says how its day count runs
    on: ``"local"`` whole local days after the last day ``base`` (a date), ``"delta"`` whole
    24-hour days after the instant ``base``; ``detail`` is then its text with a NUL character
    where the count goes. See :func:`settle`."""

    since: datetime
    strict: bool = False
    days: str | None = None
    base: date | datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Evaluation:
    findings: list[Finding]
    provisional: list[ProvisionalBreach]
    # finding id -> how it depends on the as-of moment (only those that do beyond ``at``), and
    # for each provisional breach the moment from which it is listed (None: always)
    terms: Mapping[str, Term] = field(default_factory=dict, compare=False)
    provisional_since: tuple[datetime | None, ...] = field(default=(), compare=False)


def finding_id(rule: str, case_no: str, key: str) -> str:
    return hashlib.sha256(f"{rule}|{case_no}|{key}".encode()).hexdigest()[:20]


# --- the as-of cut ------------------------------------------------------------------------------
def cut(facts: list[Fact], as_of: datetime, sense: str = "happened") -> list[Fact]:
    """The effective facts of a case as of ``as_of`` (no correction events in the result).

    ``happened``: all corrections known now applied, then acts with business time <= as_of.
    ``recorded``: what had been recorded by as_of (the log prefix), its corrections applied.
    """
    if sense not in SENSES:
        raise ValueError(f"sense must be one of {SENSES}, not {sense!r}")
    if sense == "recorded":
        known: list[Fact] = []
        for f in facts:
            if f.recorded_at > as_of:
                break
            known.append(f)
        facts = known
    out = [f for f in effective_facts(facts) if f.kind != "Corrected" and f.occurred_at <= as_of]
    if not out or out[0].kind != "Registered":
        return []
    return out


# --- responsibility at a moment ----------------------------------------------------------------
def holder_at(facts: list[Fact], moment: datetime) -> str | None:
    """The unit holding the case at ``moment`` (same fold as the case state)."""
    holder = None
    for f in facts:
        if f.occurred_at > moment:
            break
        k, d = f.kind, f.data
        if k == "Registered":
            holder = d["registering_unit"]
        elif k in ("Transferred", "RoutedToOrgan"):
            holder = d["to_unit"]
        elif k == "ObjectionResolved" and d.get("resolution") == "upheld":
            holder = _last_transfer_from(facts, f.version)
    return holder


def _last_transfer_from(facts: list[Fact], before: int) -> str | None:
    for f in reversed(facts[:before]):
        if f.kind == "Transferred" and f.version < before:
            return str(f.data["from_unit"])
    return None


_LAST = threading.local()  # per thread: the last case's (facts, org, position, segments)


def _segments(facts: list[Fact], org: OrgDirectory) -> list[Segment]:
    """The responsibility projection's segments of these facts (memoised for the last case;
    from the fold :func:`evaluate` already made of them when it is at hand)."""
    last = getattr(_LAST, "value", None)
    if last is None or last[0] is not facts or last[1] is not org or last[2] != org.position:
        index = getattr(org, "_rules_index", None)
        if index is None or index[0] != org.position:
            index = (org.position, OrgIndex(org))
            org._rules_index = index  # type: ignore[attr-defined]
        traced = getattr(_LAST, "traced", None)
        spans = spans_of(traced[2], traced[1].status) if traced and traced[0] is facts else None
        last = _LAST.value = (facts, org, org.position, segments(facts, index[1], spans)[0])
    return last[3]  # type: ignore[no-any-return]


def responsible(facts: list[Fact], org: OrgDirectory, moment: datetime,
                unit: str | None = None) -> tuple[str | None, str | None, str | None,
                                                  dict[str, list[str]]]:
    """(unit, handler, leader, people) at ``moment``: the segment of the responsibility
    projection (:mod:`domain.responsibility`) in force then.

    For the holding unit: its handler then (a handler who had left the unit is not named), its
    leader in charge of petition work (分管领导) or else its head, and ``people`` = the post
    holders and any leader in personal charge (包案). For another unit named by the rule (a
    bureau, a review organ, a grid): no handler, its leader or head from the organisation.
    """
    seg = segment_at(_segments(facts, org), moment)
    unit = unit or (seg.unit if seg else None)
    people: dict[str, list[str]] = {}
    handler = None
    if seg is not None and seg.unit == unit:
        handler = seg.handler
        for role, where, person in seg.people:
            key = f"{where}:{role}" if where else "case:leader_in_charge"
            people.setdefault(key, []).append(person)
    elif unit:
        for post in ("petition_leader", "head"):
            holders = org.holders(unit, post, moment)
            if holders:
                people[f"{unit}:{post}"] = sorted(holders)
    leaders = people.get(f"{unit}:petition_leader") or people.get(f"{unit}:head") or []
    return unit, handler, (leaders[0] if leaders else None), people


def _finding(rule_id: str, facts: list[Fact], org: OrgDirectory, moment: datetime, key: str,
             evidence: Iterable[int], detail: str, days: int | None = None,
             unit: str | None = None, people: dict[str, list[str]] | None = None) -> Finding:
    rule = RULES_BY_ID[rule_id]
    case_no = str(facts[0].data["case_no"])
    unit, handler, leader, found = responsible(facts, org, moment, unit)
    return Finding(finding_id(rule_id, case_no, key), rule.id, rule.category, rule.articles,
                   case_no, moment, unit, handler, leader, days, tuple(sorted(set(evidence))),
                   detail, {**found, **(people or {})})


# --- evaluation ---------------------------------------------------------------------------------
def evaluate(facts: list[Fact], org: OrgDirectory, as_of: datetime,
             thresholds: Thresholds = Thresholds(), sense: str = "happened",
             calendar: HolidayCalendar = CALENDAR) -> Evaluation:
    """Findings (and provisional breaches) of one case as of ``as_of``. Pure: the same history,
    moment, thresholds and calendar give the same result, whichever process computes it."""
    known = cut(facts, as_of, sense)
    if not known:
        return Evaluation([], [])
    if sense == "recorded":
        facts = [f for f in facts if f.recorded_at <= as_of]
    out: list[Finding] = []
    provisional: list[tuple[ProvisionalBreach, datetime | None]] = []
    terms: dict[str, Term] = {}
    state, steps = trace(known)
    _LAST.traced = (known, state, steps)
    clocks = clocks_of(steps, calendar)
    # each rule below is skipped when the case has none of the acts it reads (it would find
    # nothing): most cases have only a few kinds of act
    kinds = {f.kind for f in known}
    out += _clock_findings(known, clocks, org, as_of, provisional, terms)
    if any(c.step in PURSUED for c in clocks):
        out += _not_pursued(known, clocks, org, as_of, thresholds)
    if "Received" in kinds or not known[0].data["at_petition_bureau"]:
        out += _acceptance(known, org, as_of, calendar, provisional, terms)
    if "ExtensionGranted" in kinds:
        out += _extensions(known, org, as_of, thresholds, terms)
    if "ReplyIssued" in kinds or "AcceptanceRefused" in kinds:
        out += _replies_and_refusals(known, org)
    if "ReplyIssued" in kinds or "ReviewOpinionIssued" in kinds:
        out += _unserved(known, org, as_of, thresholds, terms)
    out += _backfill(known, facts, org, as_of, thresholds, terms)
    if "Transferred" in kinds:
        out += _bounces(known, org, thresholds)
    if "SupervisionIssued" in kinds:
        out += _supervision(known, org, thresholds)
    out += _bypass(known, org)
    if "ReplyServed" in kinds or "ReviewOpinionServed" in kinds:
        out += _execution(known, org, as_of, thresholds, terms)
    found = sorted((f for f in out if f.at <= as_of), key=lambda f: (f.at, f.rule, f.id))
    listed = sorted(provisional, key=lambda p: (p[0].last_day, p[0].step, p[0].rule))
    return Evaluation(found, [p for p, _ in listed],
                      {f.id: terms[f.id] for f in found if f.id in terms},
                      tuple(since for _, since in listed))


# The as-of moment beyond every act: a case evaluated as of FAR lists every finding its history
# will ever give, each with its :class:`Term`, and :func:`settle` then gives the evaluation as of
# any moment at or after the case's last act (projections.findings_model keeps these).
FAR = datetime(9000, 1, 1, tzinfo=TZ)


def settle(evaluation: Evaluation, as_of: datetime) -> Evaluation:
    """``evaluate(facts, org, as_of)`` from ``evaluate(facts, org, FAR)``, for an ``as_of`` at or
    after the business time of every fact (and their recording time, in the recorded sense):
    the same history then, so only the findings' presence and day counts move with ``as_of``."""
    found = []
    for f in evaluation.findings:
        if f.at > as_of:
            continue
        t = evaluation.terms.get(f.id)
        if t is not None:
            if as_of < t.since or (t.strict and as_of == t.since):
                continue
            if t.days is not None:
                days = ((local_date(as_of) - t.base).days if t.days == "local"  # type: ignore[operator]
                        else (as_of - t.base).days)  # type: ignore[operator]
                f = replace(f, days=days, detail=f.detail if t.detail is None
                            else t.detail.replace("\x00", str(days)))
        found.append(f)
    since = evaluation.provisional_since or (None,) * len(evaluation.provisional)
    return Evaluation(found, [p for p, s in zip(evaluation.provisional, since, strict=True)
                              if s is None or s <= as_of])


def evaluate_case(facts: list[Fact], org: OrgDirectory, as_of: datetime,
                  thresholds: Thresholds = Thresholds(), sense: str = "happened",
                  calendar: HolidayCalendar = CALENDAR) -> list[Finding]:
    """The findings of one case as of ``as_of`` (see :func:`evaluate`)."""
    return evaluate(facts, org, as_of, thresholds, sense, calendar).findings


def _clock_evidence(facts: list[Fact], clock: Clock) -> list[int]:
    changes = {t.from_at for t in clock.terms[1:]}
    out = [clock.start_version]
    for f in facts:
        if f.occurred_at in changes and f.kind in ("ExtensionGranted", "HearingEnded"):
            out.append(f.version)
        if f.kind == clock.stop_kind and f.occurred_at == clock.stop_at:
            out.append(f.version)
    return out


def _clock_findings(facts: list[Fact], clocks: list[Clock], org: OrgDirectory, as_of: datetime,
                    provisional: list[tuple[ProvisionalBreach, datetime | None]],
                    terms: dict[str, Term]) -> list[Finding]:
    out = []
    case_no = str(facts[0].data["case_no"])
    for clock in clocks:
        rules = CLOCK_RULES.get(clock.step)
        if rules is None:
            continue
        status = status_at(clock, as_of)
        deadline = clock.deadline_at(as_of)
        overdue = status in ("breached", "provisional") and as_of >= deadline.due_at
        late = status == "met_late"
        ended = _withdrawn_overdue(clock) if status == "cancelled" else None
        if ended is not None:  # left undone past its deadline until the withdrawal
            deadline, overdue = ended, True
        if not (overdue or late):
            continue
        rule = rules[0] if overdue else rules[1]
        if deadline.provisional:
            provisional.append((ProvisionalBreach(
                case_no, clock.step, rule, clock.unit, deadline.last_day.isoformat(),
                deadline.calendar_version, "would_be_overdue" if overdue else "would_be_late"),
                deadline.due_at if overdue else None))
            continue
        until = clock.stop_at if ended is not None and clock.stop_at is not None else as_of
        days = (local_date(until) - deadline.last_day).days if overdue else clock.days_late()
        what = "逾期" if overdue else "超期"
        withdrawn = f"（至{local_date(until).isoformat()}撤回）" if ended is not None else ""

        def text(n: object) -> str:
            return (f"{STEP_ZH.get(clock.step, clock.step)}期限 {deadline.last_day.isoformat()}，"
                    f"{what}{n}日{withdrawn}（{clock.policy_version}，"
                    f"{deadline.calendar_version}）")

        found = _finding(rule, facts, org, deadline.due_at, clock.key,
                         _clock_evidence(facts, clock), text(days), days=days, unit=clock.unit)
        if overdue and ended is None:
            terms[found.id] = Term(found.at, False, "local", deadline.last_day, text("\x00"))
        out.append(found)
    return out


def _withdrawn_overdue(clock: Clock) -> Deadline | None:
    """The deadline a clock had already passed when a withdrawal cancelled it, else None.

    A withdrawal ends the duty from then on; it does not undo the days the step was left undone
    before it (the breach had happened: 不作为 until the withdrawal). A clock cancelled before its
    deadline, or by anything else (an upheld objection, a merge), accuses nobody."""
    if clock.outcome != "cancelled" or clock.stop_kind != "Withdrawn" or clock.stop_at is None:
        return None
    deadline = clock.deadline_at(clock.stop_at)
    return deadline if clock.stop_at >= deadline.due_at else None


PURSUED = frozenset({"handling", "assignment_report", "supervision_response"})


def _not_pursued(facts: list[Fact], clocks: list[Clock], org: OrgDirectory, as_of: datetime,
                 t: Thresholds) -> list[Finding]:
    """A bureau that let a deadline it was owed pass without supervising (art. 43)."""
    out = []
    sups = [f for f in facts if f.kind == "SupervisionIssued"]
    for clock in clocks:
        if clock.step not in PURSUED:
            continue
        status = status_at(clock, as_of)
        # withdrawn after its deadline: owed a follow-up only if left overdue that long
        ended = _withdrawn_overdue(clock) if status == "cancelled" else None
        deadline = ended or clock.deadline_at(as_of)
        breached = status == "breached" or (
            (clock.outcome == "met_late" or ended is not None) and clock.stop_at is not None
            and clock.stop_at > deadline.due_at + timedelta(days=t.followup_days))
        if not breached or deadline.provisional:
            continue
        limit = deadline.due_at + timedelta(days=t.followup_days)
        if as_of < limit:
            continue
        bureau = _owed_to(facts, clock)
        if bureau is None:
            continue
        if any(s.actor.get("unit") == bureau and clock.start_at <= s.occurred_at <= limit
               and s.version != clock.start_version for s in sups):
            continue
        out.append(_finding("SUPERVISION-NOT-PURSUED", facts, org, limit, clock.key,
                            [clock.start_version], f"{STEP_ZH.get(clock.step, clock.step)}逾期后{t.followup_days}日内"
                            f"{bureau}未督办", unit=bureau))
    return out


def _owed_to(facts: list[Fact], clock: Clock) -> str | None:
    """The petition bureau a step was owed to: the issuer of a supervision, or the bureau that
    transferred or assigned the case to the unit."""
    start = facts_by_version(facts).get(clock.start_version)
    if clock.step == "supervision_response":
        return start.actor.get("unit") if start else None
    for f in reversed(facts):
        if f.kind == "Transferred" and f.data["to_unit"] == clock.unit and (
                start is None or f.version <= start.version):
            return str(f.data["from_unit"])
    return None


def facts_by_version(facts: list[Fact]) -> dict[int, Fact]:
    return {f.version: f for f in facts}


# what ends the wait for a decision on acceptance: a decision, an objection, passing the matter
# on to the competent unit (art. 23 ¶2), or the petitioner's withdrawal (not a decision: the
# days it was left undecided stand, see _acceptance_check)
DECISIONS = frozenset({"Accepted", "AcceptanceRefused", "RoutedOut", "RoutedToOrgan",
                       "MarkedRepeat", "ObjectionRaised", "Transferred", "Withdrawn"})


def _acceptance(facts: list[Fact], org: OrgDirectory, as_of: datetime,
                calendar: HolidayCalendar,
                provisional: list[tuple[ProvisionalBreach, datetime | None]],
                terms: dict[str, Term]) -> list[Finding]:
    """Whether to accept is decided within the notice period from receipt (arts. 23, 44)."""
    out = []
    receipt: Fact | None = None
    for f in facts:
        if f.kind == "Received" or (f.kind == "Registered" and not f.data["at_petition_bureau"]):
            receipt = f
        elif f.kind == "ObjectionResolved":
            # upheld: the matter goes back to triage; rejected: the unit keeps it and still owes
            # its decision, counted from the rejection (not from receipt: the reading that
            # accuses least)
            receipt = None if f.data.get("resolution") == "upheld" else f
        elif f.kind in DECISIONS and receipt is not None:
            out += _acceptance_check(facts, org, receipt, f, calendar, provisional, terms)
            receipt = None
    if receipt is not None:
        out += _acceptance_check(facts, org, receipt, None, calendar, provisional, terms, as_of)
    return out


def _acceptance_check(facts: list[Fact], org: OrgDirectory, receipt: Fact, decision: Fact | None,
                      calendar: HolidayCalendar,
                      provisional: list[tuple[ProvisionalBreach, datetime | None]],
                      terms: dict[str, Term], as_of: datetime | None = None) -> list[Finding]:
    start = local_date(receipt.occurred_at)
    deadline = _receipt_deadline(start, calendar)
    if deadline is None:
        return []
    done_at = decision.occurred_at if decision else as_of
    assert done_at is not None
    if done_at < deadline.due_at:
        return []
    decided = decision is not None and decision.kind != "Withdrawn"
    rule = "ACCEPT-LATE" if decided else "ACCEPT-UNDECIDED"
    unit = receipt.data.get("registering_unit") if receipt.kind == "Registered" else \
        holder_at(facts, receipt.occurred_at)
    if deadline.provisional:
        provisional.append((ProvisionalBreach(
            str(facts[0].data["case_no"]), "acceptance", rule, unit,
            deadline.last_day.isoformat(), deadline.calendar_version,
            "would_be_late" if decided else "would_be_overdue"),
            None if decision else deadline.due_at))
        return []
    days = (local_date(done_at) - deadline.last_day).days
    evidence = [receipt.version] + ([decision.version] if decision else [])
    since = "异议被驳回后" if receipt.kind == "ObjectionResolved" else "签收后"
    until = "（至撤回）" if decision is not None and not decided else ""

    def text(n: object) -> str:
        return (f"{since}应于{deadline.last_day.isoformat()}前决定是否受理，"  # type: ignore[union-attr]
                f"{'超期' if decided else '逾期'}{n}日{until}")

    found = _finding(rule, facts, org, deadline.due_at, f"receipt:{receipt.version}", evidence,
                     text(days), days=days, unit=unit)
    if decision is None:
        terms[found.id] = Term(found.at, False, "local", deadline.last_day, text("\x00"))
    return [found]


_RECEIPT_DUE: dict[tuple[HolidayCalendar, date], Deadline | None] = {}


def _receipt_deadline(start: date, calendar: HolidayCalendar) -> Deadline | None:
    """The notice deadline of a receipt on ``start`` (memoised: a pure function of the day and
    the immutable calendar; thousands of cases share a day)."""
    key = (calendar, start)
    if key not in _RECEIPT_DUE:
        if len(_RECEIPT_DUE) > 100_000:
            _RECEIPT_DUE.clear()
        try:
            _RECEIPT_DUE[key] = compute_due(policy_for("receipt_notice", start), start,
                                            calendar=calendar)
        except UnknownPolicy:
            _RECEIPT_DUE[key] = None
    return _RECEIPT_DUE[key]


def _extensions(facts: list[Fact], org: OrgDirectory, as_of: datetime,
                t: Thresholds, terms: dict[str, Term]) -> list[Finding]:
    out, total = [], 0
    for f in facts:
        if f.kind != "ExtensionGranted":
            continue
        total += f.data["days"]
        unit = f.actor.get("unit")
        if total > 30:
            out.append(_finding("EXT-OVER-30", facts, org, f.occurred_at, str(f.version),
                                [f.version], f"延期累计{total}日", days=total - 30))
        if unit and f.data["approver"] not in org.holders(unit, "head", f.occurred_at):
            out.append(_finding("EXT-APPROVER", facts, org, f.occurred_at, str(f.version),
                                [f.version], f"批准人 {f.data['approver']} 当时不是负责人"))
        if not f.data["petitioner_told"]:
            limit = f.occurred_at + timedelta(days=t.extension_notice_days)
            told = [n for n in facts if n.kind == "PetitionerNotified"
                    and n.data["kind"] == "extension" and f.occurred_at <= n.occurred_at <= limit]
            if not told and as_of > limit:
                out.append(_finding("EXT-NOT-TOLD", facts, org, limit, str(f.version),
                                    [f.version], "延期后未在规定时间内告知信访人"))
                terms[out[-1].id] = Term(limit, strict=True)
    return out


def _replies_and_refusals(facts: list[Fact], org: OrgDirectory) -> list[Finding]:
    out = []
    for f in facts:
        if f.kind == "ReplyIssued":
            missing = [zh for key, zh in (("facts_and_reasons", "事实理由"),
                                          ("legal_basis", "法律依据"),
                                          ("rights_notice", "权利告知"))
                       if not str(f.data.get(key, "")).strip()]
            if missing:
                out.append(_finding("REPLY-INCOMPLETE", facts, org, f.occurred_at,
                                    str(f.version), [f.version], "缺少" + "、".join(missing)))
        elif f.kind == "AcceptanceRefused" and not str(f.data.get("basis", "")).strip():
            out.append(_finding("REFUSAL-NO-BASIS", facts, org, f.occurred_at, str(f.version),
                                [f.version], f"理由：{f.data.get('reason', '')}"))
    return out


def _unserved(facts: list[Fact], org: OrgDirectory, as_of: datetime,
              t: Thresholds, terms: dict[str, Term]) -> list[Finding]:
    """An issued opinion not served: reported concluded first, or left unserved too long."""
    out = []
    for f in facts:
        if f.kind not in ("ReplyIssued", "ReviewOpinionIssued"):
            continue
        served = next((s for s in facts if s.version > f.version and (
            (f.kind == "ReplyIssued" and s.kind == "ReplyServed")
            or (s.kind == "ReviewOpinionServed" and s.data["level"] == f.data.get("level")))),
            None)
        report = next((r for r in facts if r.kind == "AssignmentReported"
                       and r.version > f.version), None)
        limit = f.occurred_at + timedelta(days=t.service_days)
        withdrawn = next((w for w in facts if w.kind == "Withdrawn" and w.version > f.version),
                         None)
        if served is None and withdrawn is not None and withdrawn.occurred_at <= limit:
            continue  # withdrawn while it could still be served on time: nothing left to serve
        waiting = False  # listed only once the limit has passed, while still unserved
        if report and (served is None or served.occurred_at > report.occurred_at):
            moment, detail = report.occurred_at, "处理意见书未送达即报送办结"
            evidence = [f.version, report.version]
        elif (served is None and as_of > limit) or (served and served.occurred_at > limit):
            waiting = served is None
            moment, detail = limit, f"出具后{t.service_days}日内未送达"
            evidence = [f.version] + ([served.version] if served else [])
        else:
            continue
        out.append(_finding("UNSERVED", facts, org, moment, f"opinion:{f.version}", evidence,
                            detail, unit=f.actor.get("unit")))
        if waiting:
            terms[out[-1].id] = Term(limit, strict=True)
    return out


def _backfill(facts: list[Fact], log: list[Fact], org: OrgDirectory, as_of: datetime,
              t: Thresholds, terms: dict[str, Term]) -> list[Finding]:
    """Each act recorded ``backfill_days`` or more after it happened (by ``as_of``).

    An imported act (``actor.source_recorded_at``) is judged by when the system it came from
    recorded it, not by the import: a migration is nobody's late record. If that system did not
    say when ("unknown"), the lateness is unknown and nobody is accused."""
    window = timedelta(days=t.backfill_days)
    if all(f.recorded_at - f.occurred_at < window for f in facts):
        return []  # the usual case: nothing recorded that late
    out = []
    effective = {f.version: f for f in facts}
    for raw in log:
        f = effective.get(raw.version)
        if f is None:
            continue
        recorded, listed = f.recorded_at, raw.recorded_at
        if "source_recorded_at" in raw.actor:
            source = source_recorded_at(raw.actor)
            if source is None:
                continue
            recorded = listed = source
        if listed > as_of:
            continue
        lag = (recorded - f.occurred_at).days
        if lag >= t.backfill_days:
            out.append(_finding("BACKFILL", facts, org, recorded, str(f.version),
                                [f.version], f"{f.kind} 发生后{lag}日才录入", days=lag,
                                unit=f.actor.get("unit")))
            terms[out[-1].id] = Term(listed)  # listed once it was recorded
    return out


def _bounces(facts: list[Fact], org: OrgDirectory, t: Thresholds) -> list[Finding]:
    """推诿: the matter transferred more than ``bounce_transfers`` times counting the first
    transfer and every re-routing — a transfer after an upheld objection sent it back, or to a
    unit that had already held it. Passing it on to a unit that had not held it (down the
    territorial chain, arts. 22(二), 23) is routing, not shirking. Named: the unit whose transfer
    crossed the threshold."""
    transfers = [f for f in facts if f.kind == "Transferred"]
    if len(transfers) <= t.bounce_transfers:
        return []
    held = {str(facts[0].data["registering_unit"])}
    counted: list[Fact] = []
    returned = False
    for f in facts:
        if f.kind == "ObjectionResolved" and f.data.get("resolution") == "upheld":
            returned = True
        elif f.kind == "Transferred":
            to_unit = str(f.data["to_unit"])
            if not counted or returned or to_unit in held:
                counted.append(f)
            held.add(to_unit)
            returned = False
    if len(counted) <= t.bounce_transfers:
        return []
    last = counted[t.bounce_transfers]
    units = sorted({str(f.data["from_unit"]) for f in transfers[1:]} |
                   {str(f.data["to_unit"]) for f in transfers})
    return [_finding("TRANSFER-BOUNCE", facts, org, last.occurred_at, "bounce",
                     [f.version for f in facts if f.kind in ("Transferred", "ObjectionRaised",
                                                             "ObjectionResolved")],
                     f"转送{len(transfers)}次，其中往返{len(counted) - 1}次", days=len(counted),
                     unit=str(last.data["from_unit"]), people={"units": units})]


MOVING = frozenset({"Received", "Accepted", "ReplyIssued", "ReplyServed", "AcceptanceRefused",
                    "OpinionExecuted", "ReviewOpinionIssued", "AssignmentReported",
                    "Transferred"})


def _supervision(facts: list[Fact], org: OrgDirectory, t: Thresholds) -> list[Finding]:
    """Two or more supervision acts on the same unit before that unit moved the case on (only
    the acts addressed to the unit that moved count; another unit's supervision is not its)."""
    out: list[Finding] = []
    pending: dict[str, list[Fact]] = {}
    for f in facts:
        if f.kind == "SupervisionIssued":
            pending.setdefault(str(f.data["target_unit"]), []).append(f)
        elif f.kind in MOVING and pending:
            unit = str(f.actor.get("unit"))
            mine = pending.pop(unit, [])
            if len(mine) >= t.supervision_acts:
                out.append(_finding("SUPERVISION-REPEATED", facts, org, f.occurred_at,
                                    str(mine[0].version), [p.version for p in mine] +
                                    [f.version], f"经{len(mine)}次督办后才推进",
                                    days=len(mine), unit=unit))
    return out


TERRITORIAL_POSTS = ("grid_head", "household_head", "grid_worker", "village_secretary",
                     "secretary", "head")


def _bypass(facts: list[Fact], org: OrgDirectory) -> list[Finding]:
    """应发现未发现: traced down the territorial chain to who held the posts then."""
    reg = facts[0]
    if not reg.data.get("is_bypass") or reg.data.get("bypass_of"):
        return []
    moment = reg.occurred_at
    chain = org.chain(reg.data["location"], moment)
    people: dict[str, list[str]] = {}
    local = []
    for unit in chain:
        record = org.unit(unit)
        level = record.level if record else None
        if level in (None, "county", "city"):
            continue
        local.append(unit)
        for post in TERRITORIAL_POSTS:
            holders = org.holders(unit, post, moment)
            if holders:
                people[f"{unit}:{post}"] = sorted(holders)
    return [_finding("BYPASS-UNDETECTED", facts, org, moment, "bypass", [1],
                     f"越级访，属地（{'、'.join(local) or '无'}）未登记该事项",
                     unit=local[0] if local else None, people=people)]


def _execution(facts: list[Fact], org: OrgDirectory, as_of: datetime,
               t: Thresholds, terms: dict[str, Term]) -> list[Finding]:
    """A supported (or revoking/modifying) opinion still not carried out ``execution_days``
    after its service (art. 42(四))."""
    due_from: Fact | None = None
    opinion, review_value, evidence = None, None, []
    for f in facts:
        if f.kind == "ReplyIssued":
            opinion = f.data["opinion"]
            evidence = [f.version]
        elif f.kind == "ReplyServed" and opinion == "support":
            due_from = f
        elif f.kind == "ReviewOpinionIssued":
            review_value = f.data["opinion"]
            evidence = [f.version]
        elif f.kind == "ReviewOpinionServed" and review_value in ("revoke", "modify"):
            due_from = f
        elif f.kind == "OpinionExecuted":
            due_from = None
    if due_from is None:
        return []
    limit = due_from.occurred_at + timedelta(days=t.execution_days)
    if as_of <= limit:
        return []
    found = _finding("NOT-EXECUTED", facts, org, limit, "execution",
                     evidence + [due_from.version], f"送达后{t.execution_days}日仍未落实",
                     days=(as_of - limit).days, unit=holder_at(facts, due_from.occurred_at))
    terms[found.id] = Term(limit, True, "delta", limit)
    return [found]


# --- confidentiality: reads of accusation material (art. 30 ¶3, 46(五)) -------------------------
# what identifies the accuser or states the accusation (the same list as api.visibility)
ACCUSATION_CONTENT = frozenset({"petitioners", "agent", "representatives", "request",
                                "facts_and_reasons", "attachments"})


def accused_reader(reg: Mapping[str, Any], org: OrgDirectory, unit: str | None,
                   person: str | None, at: datetime) -> bool:
    """Whether a reader is the accused: an accused person, one holding a post in an accused
    unit, or a unit that is (or lies under) an accused unit."""
    accused = reg.get("accused") or {}
    units = {str(u) for u in accused.get("units") or []}
    persons = {str(p) for p in accused.get("persons") or []}
    if person and (person in persons or any(org.posts_held(person, u, at) for u in units)):
        return True
    return bool(unit and set(org.chain(unit, at)) & units)


def evaluate_access(records: Iterable[Mapping[str, Any]],
                    history: Callable[[str], list[Fact] | None], org: OrgDirectory,
                    as_of: datetime) -> list[Finding]:
    """ACCUSATION-SEEN over access records ``{reader_unit, reader_person, case_no, at (datetime
    or ISO text), endpoint, fields}``: a read, by the accused, that revealed accusation content.
    ``history(case_no)`` gives a case's facts (None if unknown). One finding per case, reader
    and endpoint; its evidence is the registration, its detail lists the reads."""
    grouped: dict[tuple[str, str, str, str], list[tuple[datetime, list[str]]]] = {}
    cache: dict[str, list[Fact] | None] = {}
    for r in records:
        when = r["at"] if isinstance(r["at"], datetime) else datetime.fromisoformat(r["at"])
        fields = sorted(set(r.get("fields") or []) & ACCUSATION_CONTENT)
        case_no = str(r["case_no"])
        if when > as_of or not fields:
            continue
        if case_no not in cache:
            cache[case_no] = history(case_no)
        facts = cut(cache[case_no] or [], as_of)
        if not facts or facts[0].data.get("matter_type") != "accusation":
            continue
        if accused_reader(facts[0].data, org, r.get("reader_unit"), r.get("reader_person"),
                          when):
            key = (case_no, str(r.get("reader_unit") or ""), str(r.get("reader_person") or ""),
                   str(r.get("endpoint") or ""))
            grouped.setdefault(key, []).append((when, fields))
    out = []
    for (case_no, unit, person, endpoint), reads in sorted(grouped.items()):
        facts = cut(cache[case_no] or [], as_of)
        first = min(w for w, _ in reads)
        seen = sorted({x for _, fs in reads for x in fs})
        holder = holder_at(facts, first)
        found = _finding("ACCUSATION-SEEN", facts, org, first, f"{unit}|{person}|{endpoint}", [1],
                         f"{unit or '?'}{('/' + person) if person else ''} 经 {endpoint} 查阅"
                         f"{len(reads)}次，字段：{'、'.join(seen)}", days=len(reads), unit=holder,
                         people={"reader_unit": [unit] if unit else [],
                                 "reader_person": [person] if person else []})
        out.append(found)
    return sorted(out, key=lambda f: (f.at, f.id))


def access_records_from_log(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """Adapt :class:`api.access_log.Entry` rows (or their dicts) to access records."""
    out = []
    for e in entries:
        d = e.as_dict() if hasattr(e, "as_dict") else dict(e)
        out.append({"reader_unit": d.get("unit"), "reader_person": d.get("person"),
                    "case_no": d["case_no"], "at": d["at"], "endpoint": d.get("endpoint"),
                    "fields": d.get("revealed") or d.get("fields") or []})
    return out


def with_rule_text(f: Finding) -> dict[str, Any]:
    """A finding as a dict with its rule's texts beside it (for lists and dossiers)."""
    rule = RULES_BY_ID[f.rule]
    return {**f.as_dict(), "rule_zh": rule.zh, "rule_en": rule.en}


__all__ = ["RULES", "RULES_BY_ID", "CATEGORIES", "Rule", "Thresholds", "Finding", "Evaluation",
           "ProvisionalBreach", "Term", "FAR", "cut", "evaluate", "settle", "evaluate_case", "evaluate_access",
           "access_records_from_log", "responsible", "holder_at", "finding_id", "with_rule_text"]
