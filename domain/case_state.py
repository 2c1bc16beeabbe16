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
        before = self.status
        handler = _HANDLERS.get(f.kind)
        if handler is not None:
            handler(self, f, f.data)
        if self.status != before:
            self.status_version = f.version


def _registered(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
    s.reg = dict(d)
    s.registered_at = f.occurred_at
    s.registering_unit = s.holder = d["registering_unit"]
    s.triage_base = f.version
    if d["at_petition_bureau"]:
        s.status = "registered"
    else:
        s.status, s.received_version = "received", f.version


def _transferred(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
    s.status, s.holder = "transferred", d["to_unit"]
    s.transferred_by, s.last_transfer_version = d["from_unit"], f.version
    s.transfers.append({"version": f.version, "mode": d["mode"], "from": d["from_unit"],
                        "to": d["to_unit"], "at": f.occurred_at})
    if d["mode"] == "assign":
        s.assignment = {"version": f.version, "due_date": d["due_date"], "unit": d["to_unit"],
                        "reported": False}


def _resolved(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
    if d["resolution"] == "upheld":
        s.status, s.holder, s.triage_base = "registered", s.transferred_by, f.version
        s.received_version = None
        s.assignment = {}
    else:
        s.status = "received"


def _review_requested(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
    target = s.review if d["level"] == "review" else s.rereview
    target.update(organ=d["organ"], requested=f.version)
    s.status = f"{'review' if d['level'] == 'review' else 'rereview'}_requested"


def _review_step(status: str, key: str):  # type: ignore[no-untyped-def]
    def handler(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
        review = d["level"] == "review"
        (s.review if review else s.rereview)[key] = f.version
        if key == "opinion":
            (s.review if review else s.rereview)["opinion_value"] = d["opinion"]
        if key == "served":
            s.status = "reviewed" if review else "final"
            value = (s.review if review else s.rereview).get("opinion_value")
            if value in ("revoke", "modify"):
                s.execution_due, s.executed_version = True, None
        else:
            s.status = status if review else status.replace("review", "rereview", 1)
    return handler


def _set(**assignments: Any):  # type: ignore[no-untyped-def]
    """A handler that sets state attributes: a value, or a callable of (state, fact, data)."""
    def handler(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
        for name, value in assignments.items():
            setattr(s, name, value(s, f, d) if callable(value) else value)
    return handler


def _v(s: CaseState, f: Fact, d: dict[str, Any]) -> int:
    return f.version


def _append(attr: str, make):  # type: ignore[no-untyped-def]
    def handler(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
        getattr(s, attr).append(make(f, d))
    return handler


def _supervised(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
    s.supervisions[d["number"]] = {"version": f.version, "kind": d["kind"],
                                   "target_unit": d["target_unit"], "due_date": d["due_date"],
                                   "answered": None}


def _answered(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
    s.supervisions[d["number"]]["answered"] = f.version


def _reported(s: CaseState, f: Fact, d: dict[str, Any]) -> None:
    s.assignment["reported"] = f.version


_HANDLERS = {
    "Registered": _registered,
    "Transferred": _transferred,
    "HandledDirectly": _set(status="received", received_version=_v),
    "RoutedToOrgan": _set(status="routed_out", holder=lambda s, f, d: d["to_unit"]),
    "RoutedOut": _set(status="routed_out"),
    "MarkedRepeat": _set(status="merged"),
    "Received": _set(status="received", received_version=_v),
    "ObjectionRaised": _set(status="objected", objection_version=_v),
    "ObjectionResolved": _resolved,
    "PetitionerNotified": _append("notices", lambda f, d: {"version": f.version, **d}),
    "Accepted": _set(status="accepted", accepted_version=_v, track=lambda s, f, d: d["track"]),
    "AcceptanceRefused": _set(status="refused", refused_version=_v),
    "HandlerAssigned": _set(handler=lambda s, f, d: d["person"]),
    "LeaderAssigned": _append("leaders", lambda f, d: d["person"]),
    "MediationOpened": _set(mediation_open=_v),
    "MediationConcluded": _set(mediation_open=None),
    "HearingStarted": _set(hearing_open=_v),
    "HearingEnded": _set(hearing_open=None),
    "ExtensionGranted": _set(extension_days=lambda s, f, d: s.extension_days + d["days"],
                             last_extension_version=_v),
    "ReplyIssued": _set(status="replied", reply_version=_v, reply_approved_version=None,
                        reply_opinion=lambda s, f, d: d["opinion"]),
    "ReplyApproved": _set(reply_approved_version=_v),
    "ReplyServed": _set(status="served", served_version=_v,
                        execution_due=lambda s, f, d: s.reply_opinion == "support"),
    "OpinionExecuted": _set(executed_version=_v),
    "Evaluated": lambda s, f, d: s.evaluations.__setitem__(d["target"], d["value"]),
    "ReviewRequested": _review_requested,
    "ReviewAccepted": _review_step("in_review", "accepted"),
    "ReviewOpinionIssued": _review_step("review_decided", "opinion"),
    "ReviewOpinionServed": _review_step("reviewed", "served"),
    "SupervisionIssued": _supervised,
    "SupervisionAnswered": _answered,
    "AssignmentReported": _reported,
    "LinkedPetition": _append("links", lambda f, d: {"version": f.version, **d}),
    "Withdrawn": _set(status="withdrawn"),
}
