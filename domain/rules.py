"""Accountability rules as data (问责规则目录), and the pure evaluation of the rules that need only a
case's own facts and the organisation history.

Each rule has a stable id, a category — 不作为 inaction, 慢作为 slow action, 乱作为 misconduct — the
article(s) it evidences and its text in Chinese and English. A finding records facts and
attribution, never a sanction (DOMAIN.md Part A.2 §9): whether consequences were serious is a human
judgement recorded later by a supervisor.

Thresholds that the law does not fix (back-filling, how many transfers make 推诿) are policy data
with a version, listed beside the rules.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from domain.case_state import CaseState, Fact, effective_facts, fold
from domain.organisation import OrgDirectory

CATEGORIES = {"inaction": "不作为", "slow": "慢作为", "misconduct": "乱作为"}


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    articles: tuple[str, ...]
    zh: str
    en: str


@dataclass(frozen=True)
class Thresholds:
    """Local policy: what the law leaves open. Versioned so a finding can cite what it used."""

    version: str = "local-2026.1"
    backfill_days: int = 7          # an act recorded this many days after it reportedly happened
    bounce_transfers: int = 2       # more transfers than this between units is 推诿
    extension_notice_days: int = 3  # the petitioner must be told of an extension within this
    supervision_acts: int = 2       # supervision acts needed before the holder moved
    execution_days: int = 90        # a supported opinion should be carried out within this


RULES: tuple[Rule, ...] = (
    Rule("EXT-OVER-30", "misconduct", ("第三十四条", "第四十五条第（四）项"),
         "延期累计超过30日", "Extensions total more than 30 days"),
    Rule("EXT-APPROVER", "misconduct", ("第三十四条", "第四十五条第（四）项"),
         "延期未经办理机关负责人批准", "Extension not approved by the head of the handling organ"),
    Rule("EXT-NOT-TOLD", "inaction", ("第三十四条",),
         "延期未告知信访人延期理由", "The petitioner was not told of the extension and its reason"),
    Rule("REPLY-INCOMPLETE", "misconduct", ("第三十二条", "第四十二条第（三）项"),
         "处理意见书缺少事实理由、法律依据或权利告知",
         "The written reply lacks facts and reasons, legal basis or the rights notice"),
    Rule("REFUSAL-NO-BASIS", "misconduct", ("第四十四条第（二）项",),
         "不予受理未载明依据", "Acceptance refused without a stated basis"),
    Rule("BACKFILL", "misconduct", ("第二十一条", "第四十条"),
         "补录：办理行为在发生很久之后才录入系统",
         "Back-filling: an act recorded long after it reportedly happened"),
    Rule("TRANSFER-BOUNCE", "misconduct", ("第二十八条", "第四十五条第（一）项"),
         "推诿：事项在单位之间反复转送", "Shirking: the matter was bounced between units"),
    Rule("SUPERVISION-REPEATED", "slow", ("第四十条", "第四十五条第（一）项"),
         "经两次以上督办才推进", "The holder moved only after two or more supervision acts"),
    Rule("NOT-EXECUTED", "inaction", ("第三十二条", "第四十二条第（四）项"),
         "支持的处理意见未落实", "A supported opinion has not been carried out"),
    Rule("BYPASS-UNDETECTED", "inaction", ("第十五条", "第二十条"),
         "越级访：属地网格、村（社区）、乡镇（街道）应发现未发现",
         "Bypass visit on a matter the territorial grid, village and township never registered"),
)
RULES_BY_ID = {r.id: r for r in RULES}


@dataclass(frozen=True)
class Finding:
    id: str
    rule: str
    category: str
    articles: tuple[str, ...]
    case_no: str
    at: datetime
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
                "evidence": list(self.evidence), "detail": self.detail, "people": self.people}


def finding_id(rule: str, case_no: str, key: str) -> str:
    return hashlib.sha256(f"{rule}|{case_no}|{key}".encode()).hexdigest()[:20]


def state_at(facts: list[Fact], moment: datetime) -> CaseState:
    """The case as it had happened by ``moment`` (acts with a business time up to it)."""
    return fold([f for f in facts if f.occurred_at <= moment or f.version == 1])


def _finding(rule_id: str, facts: list[Fact], org: OrgDirectory, moment: datetime, key: str,
             evidence: Iterable[int], detail: str, days: int | None = None,
             unit: str | None = None) -> Finding:
    rule = RULES_BY_ID[rule_id]
    state = state_at(facts, moment)
    unit = unit or state.holder
    leaders = org.holders(unit, "petition_leader", moment) or org.holders(unit, "head", moment) \
        if unit else []
    return Finding(finding_id(rule_id, state.case_no or facts[0].data["case_no"], key), rule.id,
                   rule.category, rule.articles, facts[0].data["case_no"], moment, unit,
                   state.handler, leaders[0] if leaders else None, days,
                   tuple(sorted(set(evidence))), detail)


def evaluate_case(facts: list[Fact], org: OrgDirectory, as_of: datetime,
                  thresholds: Thresholds = Thresholds()) -> list[Finding]:
    """Findings from a case's own facts, counting only acts that had happened by ``as_of``."""
    facts = [f for f in effective_facts(facts) if f.occurred_at <= as_of or f.version == 1]
    facts = [f for f in facts if f.kind != "Corrected"]
    out: list[Finding] = []
    out += _extensions(facts, org, as_of, thresholds)
    out += _replies_and_refusals(facts, org)
    out += _backfill(facts, org, thresholds)
    out += _bounces(facts, org, thresholds)
    out += _supervision(facts, org, thresholds)
    out += _bypass(facts, org)
    out += _execution(facts, org, as_of, thresholds)
    return sorted(out, key=lambda f: (f.at, f.rule, f.id))


def _extensions(facts: list[Fact], org: OrgDirectory, as_of: datetime,
                t: Thresholds) -> list[Finding]:
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
            told = [n for n in facts if n.kind == "PetitionerNotified"
                    and n.data["kind"] == "extension" and n.occurred_at >= f.occurred_at
                    and n.occurred_at <= f.occurred_at + timedelta(days=t.extension_notice_days)]
            limit = f.occurred_at + timedelta(days=t.extension_notice_days)
            if not told and as_of > limit:
                out.append(_finding("EXT-NOT-TOLD", facts, org, limit, str(f.version),
                                    [f.version], "延期后未在规定时间内告知信访人"))
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
                                [f.version], f"理由：{f.data['reason']}"))
    return out


def _backfill(facts: list[Fact], org: OrgDirectory, t: Thresholds) -> list[Finding]:
    out = []
    for f in facts:
        lag = (f.recorded_at - f.occurred_at).days
        if lag >= t.backfill_days:
            out.append(_finding("BACKFILL", facts, org, f.recorded_at, str(f.version),
                                [f.version], f"{f.kind} 发生后{lag}日才录入", days=lag,
                                unit=f.actor.get("unit")))
    return out


def _bounces(facts: list[Fact], org: OrgDirectory, t: Thresholds) -> list[Finding]:
    transfers = [f for f in facts if f.kind == "Transferred"]
    if len(transfers) <= t.bounce_transfers:
        return []
    last = transfers[-1]
    return [_finding("TRANSFER-BOUNCE", facts, org, last.occurred_at, "bounce",
                     [f.version for f in facts if f.kind in ("Transferred", "ObjectionRaised",
                                                             "ObjectionResolved")],
                     f"转送{len(transfers)}次", days=len(transfers),
                     unit=transfers[0].data["from_unit"])]


def _supervision(facts: list[Fact], org: OrgDirectory, t: Thresholds) -> list[Finding]:
    """Two or more supervision acts on the same holder before the case moved on."""
    out, pending = [], []
    moving = {"Received", "Accepted", "ReplyIssued", "ReplyServed", "AcceptanceRefused",
              "OpinionExecuted", "ReviewOpinionIssued", "AssignmentReported", "Transferred"}
    for f in facts:
        if f.kind == "SupervisionIssued":
            pending.append(f)
        elif f.kind in moving and pending:
            if len(pending) >= t.supervision_acts:
                out.append(_finding("SUPERVISION-REPEATED", facts, org, f.occurred_at,
                                    str(pending[0].version), [p.version for p in pending] +
                                    [f.version], f"经{len(pending)}次督办后才推进",
                                    days=len(pending), unit=pending[0].data["target_unit"]))
            pending = []
    return out


def _bypass(facts: list[Fact], org: OrgDirectory) -> list[Finding]:
    reg = facts[0]
    if not reg.data.get("is_bypass") or reg.data.get("bypass_of"):
        return []
    moment = reg.occurred_at
    chain = org.chain(reg.data["location"], moment)
    people: dict[str, list[str]] = {}
    for unit in chain:
        record = org.unit(unit)
        level = record.level if record else None
        if level in (None, "county", "city"):
            continue
        for post in ("grid_head", "household_head", "village_secretary", "head"):
            for person in org.holders(unit, post, moment):
                people.setdefault(f"{unit}:{post}", []).append(person)
    finding = _finding("BYPASS-UNDETECTED", facts, org, moment, "bypass", [1],
                       "越级访，属地未登记该事项", unit=chain[0] if chain else None)
    return [Finding(**{**finding.__dict__, "people": people})]


def _execution(facts: list[Fact], org: OrgDirectory, as_of: datetime,
               t: Thresholds) -> list[Finding]:
    served = [f for f in facts if f.kind == "ReplyServed"]
    state = fold(facts)
    if not served or not state.execution_pending:
        return []
    limit = served[-1].occurred_at + timedelta(days=t.execution_days)
    if as_of <= limit:
        return []
    reply = [f.version for f in facts if f.kind == "ReplyIssued"]
    return [_finding("NOT-EXECUTED", facts, org, limit, "execution", reply + [served[-1].version],
                     f"送达后{t.execution_days}日仍未落实", days=(as_of - limit).days)]
