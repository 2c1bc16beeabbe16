"""The current state of a case as a pure fold of its facts (corrections applied).

The same function serves the aggregate, the projections and the as-of audits, so a replay,
an incremental update and a rebuild from scratch all give the same state.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

STATUS_ZH = {
    "registered": "已登记待分流", "transferred": "已转送待签收", "received": "已签收待受理",
    "objected": "异议处理中", "accepted": "已受理办理中", "replied": "已出具处理意见",
    "served": "已送达办结", "review_requested": "已申请复查", "in_review": "复查中",
    "review_decided": "已出具复查意见", "reviewed": "复查意见已送达",
    "rereview_requested": "已申请复核", "in_rereview": "复核中",
    "rereview_decided": "已出具复核意见", "final": "复核终结", "refused": "不予受理",
    "routed_out": "已导入法定途径或移交", "merged": "已作重复件合并", "withdrawn": "已撤回",
}
TERMINAL = frozenset({"refused", "routed_out", "merged", "withdrawn"})
CLOSED = TERMINAL | {"final"}


@dataclass(frozen=True)
class Fact:
    """One recorded event, as the case sees it: who, when it happened, when it was recorded."""

    version: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    actor: dict[str, Any]
    data: dict[str, Any]
    depends_on: int | None
    corrections: tuple[tuple[str, Any, Any], ...] = ()

    def corrected(self, field_name: str, value: Any) -> Fact:
        if field_name == "occurred_at":
            return replace(self, occurred_at=value,
                           corrections=(*self.corrections, (field_name, self.occurred_at, value)))
        old = self.data.get(field_name)
        return replace(self, data={**self.data, field_name: value},
                       corrections=(*self.corrections, (field_name, old, value)))


def source_recorded_at(actor: dict[str, Any]) -> datetime | None:
    """When an imported act was recorded in the system it came from (None: not imported, or
    unknown there)."""
    text = actor.get("source_recorded_at")
    if not isinstance(text, str) or text == "unknown":
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def effective_facts(facts: list[Fact]) -> list[Fact]:
    """The facts with every correction applied in log order (the history itself keeps both)."""
    if not any(f.kind == "Corrected" for f in facts):
        return facts
    out = list(facts)
    for f in facts:
        if f.kind == "Corrected":
            t = f.data["target_version"] - 1
            out[t] = out[t].corrected(f.data["field"], f.data["new_value"])
    return out


def fold(facts: list[Fact]) -> CaseState:
    state = CaseState()
    for f in effective_facts(facts):
        state.evolve(f)
    state.corrected = any(f.kind == "Corrected" for f in facts)
    return state


@dataclass
class CaseState:
    status: str = ""
    holder: str | None = None
    reg: dict[str, Any] = field(default_factory=dict)
    registered_at: datetime | None = None
    registering_unit: str | None = None
    triage_base: int | None = None
    transfers: list[dict[str, Any]] = field(default_factory=list)
    last_transfer_version: int | None = None
    transferred_by: str | None = None
    received_version: int | None = None
    objection_version: int | None = None
    accepted_version: int | None = None
    refused_version: int | None = None
    track: str | None = None
    handler: str | None = None
    leaders: list[str] = field(default_factory=list)
    extension_days: int = 0
    last_extension_version: int | None = None
    mediation_open: int | None = None
    hearing_open: int | None = None
    reply_version: int | None = None
    reply_opinion: str | None = None
    reply_approved_version: int | None = None
    served_version: int | None = None
    execution_due: bool = False
    executed_version: int | None = None
    evaluations: dict[str, str] = field(default_factory=dict)
    review: dict[str, Any] = field(default_factory=dict)
    rereview: dict[str, Any] = field(default_factory=dict)
    supervisions: dict[int, dict[str, Any]] = field(default_factory=dict)
    assignment: dict[str, Any] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    status_version: int = 0  # the act that put the case in its current stage
    corrected: bool = False  # any correction recorded (the facts then need the overlay)

    def clone(self) -> CaseState:
        """A copy that shares nothing mutable with this state (cheaper than copy.deepcopy)."""
        return replace(
            self, reg=dict(self.reg), transfers=list(self.transfers), leaders=list(self.leaders),
            evaluations=dict(self.evaluations), review=dict(self.review),
            rereview=dict(self.rereview), assignment=dict(self.assignment),
            supervisions={k: dict(v) for k, v in self.supervisions.items()},
            notices=list(self.notices), links=list(self.links))

    # --- derived --------------------------------------------------------------------------------
    @property
    def case_no(self) -> str:
        return self.reg.get("case_no", "")

    @property
    def matter_type(self) -> str:
        return self.reg.get("matter_type", "")

    @property
    def original_final(self) -> bool:
        return bool(self.reg.get("original_final"))

    @property
    def same_facts(self) -> bool:
        return bool(self.reg.get("same_facts"))

    @property
    def bypass_of(self) -> str | None:
        return self.reg.get("bypass_of")

    @property
    def concluded(self) -> bool:
        return self.served_version is not None or self.status in CLOSED

    @property
    def execution_pending(self) -> bool:
        return self.execution_due and self.executed_version is None

    @property
    def stage_base(self) -> int | None:
        return self.rereview.get("accepted") if self.status == "in_rereview" else \
            self.accepted_version

    # --- the fold ---------------------------------------------------------------------------------
    def evolve(self, f: Fact) -> None:
        self.version = f.version
        handler = _HANDLERS.get(f.kind)
        if handler is not None:  # a handler reads f.data only if it needs it (it may be lazy)
            before = self.status
            handler(self, f)
            if self.status != before:
                self.status_version = f.version


# One handler per event kind: (state, fact) -> None; plain functions (the fold runs for every
# event of every case in a rebuild, so no generic setattr machinery here).
def _registered(s: CaseState, f: Fact) -> None:
    d = f.data
    s.reg = dict(d)
    s.registered_at = f.occurred_at
    s.registering_unit = s.holder = d["registering_unit"]
    s.triage_base = f.version
    if d["at_petition_bureau"]:
        s.status = "registered"
    else:
        s.status, s.received_version = "received", f.version


def _transferred(s: CaseState, f: Fact) -> None:
    d = f.data
    s.status, s.holder = "transferred", d["to_unit"]
    s.transferred_by, s.last_transfer_version = d["from_unit"], f.version
    s.transfers.append({"version": f.version, "mode": d["mode"], "from": d["from_unit"],
                        "to": d["to_unit"], "at": f.occurred_at})
    if d["mode"] == "assign":
        s.assignment = {"version": f.version, "due_date": d["due_date"], "unit": d["to_unit"],
                        "reported": False}


def _resolved(s: CaseState, f: Fact) -> None:
    if f.data["resolution"] == "upheld":
        s.status, s.holder, s.triage_base = "registered", s.transferred_by, f.version
        s.received_version = None
        s.assignment = {}
    else:
        s.status = "received"


def _review_requested(s: CaseState, f: Fact) -> None:
    d = f.data
    target = s.review if d["level"] == "review" else s.rereview
    target.update(organ=d["organ"], requested=f.version)
    s.status = f"{'review' if d['level'] == 'review' else 'rereview'}_requested"


def _review_step(status: str, key: str):  # type: ignore[no-untyped-def]
    rereview_status = status.replace("review", "rereview", 1)

    def handler(s: CaseState, f: Fact) -> None:
        d = f.data
        review = d["level"] == "review"
        target = s.review if review else s.rereview
        target[key] = f.version
        if key == "opinion":
            target["opinion_value"] = d["opinion"]
        if key == "served":
            s.status = "reviewed" if review else "final"
            if target.get("opinion_value") in ("revoke", "modify"):
                s.execution_due, s.executed_version = True, None
        else:
            s.status = status if review else rereview_status
    return handler


def _handled_directly(s: CaseState, f: Fact) -> None:
    s.status, s.received_version = "received", f.version


def _routed_to_organ(s: CaseState, f: Fact) -> None:
    s.status, s.holder = "routed_out", f.data["to_unit"]


def _routed_out(s: CaseState, f: Fact) -> None:
    s.status = "routed_out"


def _marked_repeat(s: CaseState, f: Fact) -> None:
    s.status = "merged"


def _received(s: CaseState, f: Fact) -> None:
    s.status, s.received_version = "received", f.version


def _objection_raised(s: CaseState, f: Fact) -> None:
    s.status, s.objection_version = "objected", f.version


def _notified(s: CaseState, f: Fact) -> None:
    s.notices.append({"version": f.version, **f.data})


def _accepted(s: CaseState, f: Fact) -> None:
    s.status, s.accepted_version, s.track = "accepted", f.version, f.data["track"]


def _acceptance_refused(s: CaseState, f: Fact) -> None:
    s.status, s.refused_version = "refused", f.version


def _handler_assigned(s: CaseState, f: Fact) -> None:
    s.handler = f.data["person"]


def _leader_assigned(s: CaseState, f: Fact) -> None:
    """A 包案 assignment replaces the one before (as in the responsibility segments)."""
    s.leaders = [f.data["person"]]


def _mediation_opened(s: CaseState, f: Fact) -> None:
    s.mediation_open = f.version


def _mediation_concluded(s: CaseState, f: Fact) -> None:
    s.mediation_open = None


def _hearing_started(s: CaseState, f: Fact) -> None:
    s.hearing_open = f.version


def _hearing_ended(s: CaseState, f: Fact) -> None:
    s.hearing_open = None


def _extension_granted(s: CaseState, f: Fact) -> None:
    s.extension_days = s.extension_days + f.data["days"]
    s.last_extension_version = f.version


def _reply_issued(s: CaseState, f: Fact) -> None:
    s.status, s.reply_version, s.reply_approved_version = "replied", f.version, None
    s.reply_opinion = f.data["opinion"]


def _reply_approved(s: CaseState, f: Fact) -> None:
    s.reply_approved_version = f.version


def _reply_served(s: CaseState, f: Fact) -> None:
    s.status, s.served_version = "served", f.version
    s.execution_due = s.reply_opinion == "support"


def _opinion_executed(s: CaseState, f: Fact) -> None:
    s.executed_version = f.version


def _evaluated(s: CaseState, f: Fact) -> None:
    d = f.data
    s.evaluations[d["target"]] = d["value"]


def _supervised(s: CaseState, f: Fact) -> None:
    d = f.data
    s.supervisions[d["number"]] = {"version": f.version, "kind": d["kind"],
                                   "target_unit": d["target_unit"], "due_date": d["due_date"],
                                   "answered": None}


def _answered(s: CaseState, f: Fact) -> None:
    s.supervisions[f.data["number"]]["answered"] = f.version


def _reported(s: CaseState, f: Fact) -> None:
    s.assignment["reported"] = f.version


def _linked(s: CaseState, f: Fact) -> None:
    s.links.append({"version": f.version, **f.data})


def _withdrawn(s: CaseState, f: Fact) -> None:
    s.status = "withdrawn"


_HANDLERS = {
    "Registered": _registered,
    "Transferred": _transferred,
    "HandledDirectly": _handled_directly,
    "RoutedToOrgan": _routed_to_organ,
    "RoutedOut": _routed_out,
    "MarkedRepeat": _marked_repeat,
    "Received": _received,
    "ObjectionRaised": _objection_raised,
    "ObjectionResolved": _resolved,
    "PetitionerNotified": _notified,
    "Accepted": _accepted,
    "AcceptanceRefused": _acceptance_refused,
    "HandlerAssigned": _handler_assigned,
    "LeaderAssigned": _leader_assigned,
    "MediationOpened": _mediation_opened,
    "MediationConcluded": _mediation_concluded,
    "HearingStarted": _hearing_started,
    "HearingEnded": _hearing_ended,
    "ExtensionGranted": _extension_granted,
    "ReplyIssued": _reply_issued,
    "ReplyApproved": _reply_approved,
    "ReplyServed": _reply_served,
    "OpinionExecuted": _opinion_executed,
    "Evaluated": _evaluated,
    "ReviewRequested": _review_requested,
    "ReviewAccepted": _review_step("in_review", "accepted"),
    "ReviewOpinionIssued": _review_step("review_decided", "opinion"),
    "ReviewOpinionServed": _review_step("reviewed", "served"),
    "SupervisionIssued": _supervised,
    "SupervisionAnswered": _answered,
    "AssignmentReported": _reported,
    "LinkedPetition": _linked,
    "Withdrawn": _withdrawn,
}
