"""The petition case aggregate (信访事项): every statutory step as an immutable event.

Each event carries who acted (``actor``), when the act happened (``occurred_at``, stated by the
caller) and when it was recorded (the library's ``timestamp``, set by the system clock only), plus
``depends_on``: the version of the earlier event it rests on (acceptance rests on receipt, service
on the reply), so that business-time order can be checked now and after any correction.

Command methods check the rules (pure, with the time and the organisation passed in a
:class:`Context`) and raise :class:`DomainError` before anything is triggered; event ``apply``
bodies only record the fact. The current state is a fold of the facts (:mod:`domain.case_state`),
so a correction — an event naming an earlier event, a field, a new value and a reason — changes
the current state while the history keeps both values.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import catalog as C
from domain.case_state import CLOSED, STATUS_ZH, TERMINAL, CaseState, Fact, effective_facts, fold
from domain.errors import DomainError, IllegalTransition, InvalidInput
from domain.organisation import OrgDirectory
from domain.periods import Deadline, local_date
from domain.policy import compute_due, policy_for

# A client clock may run a little ahead of ours; beyond this an act "in the future" is refused.
CLOCK_SKEW = timedelta(seconds=60)
BASE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic",
                         "actor", "occurred_at", "depends_on"})
_BASE_FIELD_ORDER = tuple(sorted(BASE_FIELDS))
_new_fact = object.__new__


# notices a former holder may still give (see PetitionCase.notify_petitioner)
PASSED_ON_NOTICES = frozenset({"receipt", "route", "redirect"})

def case_id_for(case_no: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrail:case:{case_no}")


@dataclass(frozen=True)
class Context:
    """Everything a decision needs besides the case: who, when, the clock, the organisation."""

    actor: dict[str, Any]
    occurred_at: datetime
    now: datetime
    org: OrgDirectory
    lookup: Callable[[str], CaseState | None] = lambda _no: None


def _refuse(code: str, zh: str, en: str, field: str | None = None) -> DomainError:
    return IllegalTransition(code, zh, en, field)


def _invalid(code: str, zh: str, en: str, field: str | None = None) -> DomainError:
    return InvalidInput(code, zh, en, field)


def _need_text(value: Any, field: str, zh: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid("field.required", f"{zh}不能为空", f"{field} is required", field)
    return value


def _need_code(value: Any, vocab: dict[str, str], field: str, zh: str) -> str:
    if value not in vocab:
        allowed = ", ".join(vocab)
        raise _invalid("field.unknown_code", f"{zh}取值无效", f"{field} must be one of: {allowed}",
                        field)
    return str(value)


class PetitionCase(Aggregate):
    TOPIC = "casetrail:PetitionCase"

    class Event(Aggregate.Event):
        TOPIC = "casetrail:PetitionCase.Event"
        actor: dict[str, Any]
        occurred_at: datetime
        depends_on: int | None

        def apply(self, case: PetitionCase) -> None:
            case._record(self)

    class Created(Event, Aggregate.Created):
        TOPIC = "casetrail:PetitionCase.Created"

    class Registered(Created):
        """登记: the matter is received and entered (arts. 21–23)."""
        TOPIC = "casetrail:PetitionCase.Registered"
        actor: dict[str, Any]
        occurred_at: datetime
        depends_on: int | None
        case_no: str
        registering_unit: str
        at_petition_bureau: bool
        channel: str
        matter_type: str
        category: str
        location: str
        petitioners: list[dict[str, Any]]
        collective: bool
        headcount: int
        representatives: list[str]
        agent: dict[str, Any] | None
        request: str
        facts_and_reasons: str
        accused: dict[str, Any] | None
        attachments: list[dict[str, str]]
        repeat_of: str | None
        same_facts: bool
        original_final: bool
        bypass_of: str | None
        is_bypass: bool

    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.state = CaseState()

    def __deepcopy__(self, memo: dict[int, Any]) -> PetitionCase:
        """The repository copies cached cases before each command; facts are immutable, so a
        shallow copy of the list and a clone of the state are a full copy."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.facts = list(self.facts)
        copy.state = self.state.clone()
        copy._pending_events = list(self._pending_events)
        return copy

    def effective(self) -> list[Fact]:
        """The facts with corrections applied (what the current state is built from)."""
        return effective_facts(self.facts) if self.state.corrected else self.facts

    @classmethod
    def register(cls, ctx: Context, case_no: str, **fields: Any) -> PetitionCase:
        """登记: check the intake record and create the case (its first event)."""
        data = _checked_registration(ctx, case_no, fields)
        if ctx.occurred_at.tzinfo is None:
            raise _invalid("time.naive", "时间必须带时区", "occurred_at must carry a time zone",
                           "occurred_at")
        if ctx.occurred_at > ctx.now + CLOCK_SKEW:
            raise _invalid("time.future", "登记时间不能晚于当前时间",
                           "The petition is stated as received in the future", "occurred_at")
        return cls._create(cls.Registered, id=case_id_for(case_no), timestamp=ctx.now,
                           actor=ctx.actor, occurred_at=ctx.occurred_at, depends_on=None, **data)

    # --- recording -------------------------------------------------------------------------------
    def _record(self, event: Any) -> None:
        data = event.__dict__.copy()  # the event's own fields, in order, without the base ones
        for k in _BASE_FIELD_ORDER:
            data.pop(k, None)
        fact = _new_fact(Fact)  # == Fact(version, kind, occurred_at, ...), without the
        fact.__dict__.update(  # frozen dataclass's per-field object.__setattr__ calls
            version=event.originator_version, kind=type(event).__name__,
            occurred_at=event.occurred_at, recorded_at=event.timestamp, actor=event.actor,
            data=data, depends_on=event.depends_on, corrections=())
        self.facts.append(fact)
        if fact.kind == "Corrected":
            self.state = fold(self.facts)
        else:
            self.state.evolve(fact)

    def _check_time(self, ctx: Context, depends_on: int | None) -> None:
        at = ctx.occurred_at
        if at.tzinfo is None:
            raise _invalid("time.naive", "时间必须带时区", "occurred_at must carry a time zone",
                           "occurred_at")
        if at > ctx.now + CLOCK_SKEW:
            raise _invalid("time.future", "办理时间不能晚于当前时间",
                           f"The act is stated at {at.isoformat()}, in the future", "occurred_at")
        facts = self.effective()
        if facts and at < facts[0].occurred_at:
            raise _invalid("time.before_case", "办理时间早于该信访事项登记时间",
                           "The act is stated before the case was registered", "occurred_at")
        if depends_on is not None:
            prior = facts[depends_on - 1]
            if at < prior.occurred_at:
                raise _invalid(
                    "time.out_of_order", f"办理时间早于其所依据的{prior.kind}环节",
                    f"The act is stated before the {prior.kind} it depends on "
                    f"({prior.occurred_at.isoformat()})", "occurred_at")

    def _emit(self, ctx: Context, cls: type[Any], depends_on: int | None = None,
              **fields: Any) -> None:
        self._check_time(ctx, depends_on)
        self.trigger_event(cls, actor=ctx.actor, occurred_at=ctx.occurred_at,
                           depends_on=depends_on, timestamp=ctx.now, **fields)

    # --- guards ----------------------------------------------------------------------------------
    def _status(self, *allowed: str) -> None:
        st = self.state.status
        if st not in allowed:
            if st in TERMINAL or st == "final":
                raise _refuse("case.closed", f"该信访事项已{STATUS_ZH.get(st, st)}，不能再办理",
                              f"The case is {st}; no further step is allowed")
            raise _refuse("case.wrong_stage", f"当前环节（{STATUS_ZH.get(st, st)}）不允许此操作",
                          f"Not allowed while the case is '{st}' (allowed: {', '.join(allowed)})")

    def _holder(self, ctx: Context) -> None:
        if ctx.actor.get("unit") != self.state.holder:
            raise _refuse("actor.not_holder", "只有当前承办单位可以办理此环节",
                          f"Only the holding unit {self.state.holder} may do this step", "actor")

    def _unit_exists(self, ctx: Context, code: Any, field: str) -> str:
        if not isinstance(code, str) or ctx.org.unit(code) is None:
            raise _invalid("unit.unknown", "单位不存在", f"Unknown unit {code!r}", field)
        return code

    def _person_exists(self, ctx: Context, code: Any, field: str) -> str:
        if not isinstance(code, str) or code not in ctx.org.persons:
            raise _invalid("person.unknown", "人员不存在", f"Unknown person {code!r}", field)
        return code

    # --- triage within the petition bureau (art. 22) ----------------------------------------------
    class Transferred(Event):
        """转送 or 交办 to a unit; 交办 carries its own due date and a report-back duty."""
        TOPIC = "casetrail:PetitionCase.Transferred"
        mode: str
        to_unit: str
        from_unit: str
        due_date: str | None
        report_back: bool
        note: str

    def transfer(self, ctx: Context, to_unit: str, mode: str = "transfer", due_date: str | None = None,
                 note: str = "") -> None:
        # a bureau triages what it registered; a unit that signed for a matter may pass it on to
        # the competent unit below it before deciding on acceptance (arts. 22(二), 23)
        self._status("registered", "received")
        self._holder(ctx)
        self._not_final_matter()
        to_unit = self._unit_exists(ctx, to_unit, "to_unit")
        if to_unit == self.state.holder:
            raise _invalid("transfer.same_unit", "不能转送给本单位", "Cannot transfer to itself",
                           "to_unit")
        _need_code(mode, {"transfer": "转送", "assign": "交办"}, "mode", "转办方式")
        if mode == "assign":
            due = _parse_date(due_date, "due_date")
            if due <= local_date(ctx.occurred_at):
                raise _invalid("assign.due_in_past", "交办期限必须晚于交办日期",
                               "An assignment's due date must be after the assignment", "due_date")
        elif due_date is not None:
            raise _invalid("transfer.no_due_date", "转送不设办理期限，请使用交办",
                           "Only an assignment (交办) carries a due date", "due_date")
        base = self.state.triage_base if self.state.status == "registered" else \
            self.state.received_version
        self._emit(ctx, self.Transferred, base, mode=mode, to_unit=to_unit,
                   from_unit=self.state.holder, due_date=due_date, report_back=mode == "assign",
                   note=note)

    class HandledDirectly(Event):
        """The petition bureau handles the matter itself."""
        TOPIC = "casetrail:PetitionCase.HandledDirectly"
        note: str

    def handle_directly(self, ctx: Context, note: str = "") -> None:
        self._status("registered")
        self._holder(ctx)
        self._emit(ctx, self.HandledDirectly, self.state.triage_base, note=note)

    class RoutedToOrgan(Event):
        """涉法涉诉 → 政法机关; 纪检监察 accusations → 纪检监察机关 (art. 22 ¶2–3)."""
        TOPIC = "casetrail:PetitionCase.RoutedToOrgan"
        organ_kind: str
        to_unit: str
        basis: str

    def route_to_organ(self, ctx: Context, organ_kind: str, to_unit: str, basis: str = "") -> None:
        self._status("registered", "received")
        self._holder(ctx)
        _need_code(organ_kind, C.ROUTE_ORGANS, "organ_kind", "移交机关类别")
        to_unit = self._unit_exists(ctx, to_unit, "to_unit")
        unit = ctx.org.unit(to_unit)
        if unit is not None and unit.kind != organ_kind:
            raise _invalid("route.wrong_organ", "接收单位不是相应的政法或纪检监察机关",
                           f"{to_unit} is a {unit.kind}, not a {organ_kind} organ", "to_unit")
        self._emit(ctx, self.RoutedToOrgan, self.state.triage_base, organ_kind=organ_kind,
                   to_unit=to_unit, basis=basis or "第二十二条")

    class RoutedOut(Event):
        """依法分类处理: out of the petition track into a statutory procedure (art. 31(一)–(五))."""
        TOPIC = "casetrail:PetitionCase.RoutedOut"
        item: str
        procedure: str

    def route_out(self, ctx: Context, item: str, procedure: str) -> None:
        self._status("registered", "received")
        self._holder(ctx)
        _need_code(item, C.ROUTE_OUT_ITEMS, "item", "第三十一条分类项")
        _need_text(procedure, "procedure", "法定途径名称")
        self._emit(ctx, self.RoutedOut, self.state.triage_base, item=item, procedure=procedure)

    class MarkedRepeat(Event):
        """重复件: merged into an earlier case on the same matter."""
        TOPIC = "casetrail:PetitionCase.MarkedRepeat"
        original: str
        reason: str

    def mark_repeat(self, ctx: Context, original: str, reason: str = "") -> None:
        self._status("registered", "received")
        self._holder(ctx)
        found = ctx.lookup(original) if original != self.state.case_no else None
        if found is None:
            raise _invalid("case.unknown_original", "原信访事项不存在",
                           f"Unknown original case {original!r}", "original")
        if found.status in ("merged", "withdrawn"):
            raise _refuse("repeat.original_closed", "不能合并到已撤回或已合并的事项",
                          f"Case {original} is {found.status}", "original")
        self._emit(ctx, self.MarkedRepeat, self.state.triage_base, original=original,
                   reason=reason)

    def _not_final_matter(self) -> None:
        if self.state.original_final and self.state.same_facts:
            raise _refuse("final.not_reaccepted", "该事项已经复核终结，同一事实和理由不再受理",
                          "The matter was finally decided on re-review (art. 36 ¶3); a petition "
                          "on the same facts and reasons is not accepted again")

    # --- receipt, objection, notice (art. 23) --------------------------------------------------
    class Received(Event):
        """签收 by the unit the case was transferred or assigned to."""
        TOPIC = "casetrail:PetitionCase.Received"

    def receive(self, ctx: Context) -> None:
        self._status("transferred")
        self._holder(ctx)
        self._emit(ctx, self.Received, self.state.last_transfer_version)

    class ObjectionRaised(Event):
        """异议: the unit says the matter is not theirs, with detailed reasons (5 working days)."""
        TOPIC = "casetrail:PetitionCase.ObjectionRaised"
        reasons: str
        window_last_day: str
        window_provisional: bool

    def object_to_transfer(self, ctx: Context, reasons: str) -> None:
        self._status("received")
        self._holder(ctx)
        if self.state.last_transfer_version is None:
            raise _refuse("objection.not_transferred", "本单位直接登记的事项无转送可异议",
                          "Only a transferred or assigned matter can be objected to")
        _need_text(reasons, "reasons", "异议理由")
        received = self.effective()[self.state.received_version - 1].occurred_at
        window = _window("objection", local_date(received))
        if _past(ctx, window):
            raise _refuse("objection.too_late", "已超过5个工作日的异议期限（第二十三条）",
                          f"Objections must be raised within 5 working days of receipt "
                          f"(last day {window.last_day.isoformat()})", "occurred_at")
        self._emit(ctx, self.ObjectionRaised, self.state.received_version, reasons=reasons,
                   window_last_day=window.last_day.isoformat(),
                   window_provisional=window.provisional)

    class ObjectionResolved(Event):
        TOPIC = "casetrail:PetitionCase.ObjectionResolved"
        resolution: str
        reason: str

    def resolve_objection(self, ctx: Context, resolution: str, reason: str = "") -> None:
        self._status("objected")
        if ctx.actor.get("unit") != self.state.transferred_by:
            raise _refuse("actor.not_transferring_bureau", "只有转送机关可以处理异议",
                          f"Only {self.state.transferred_by} may resolve the objection", "actor")
        _need_code(resolution, C.OBJECTION_RESOLUTIONS, "resolution", "异议处理结果")
        self._emit(ctx, self.ObjectionResolved, self.state.objection_version,
                   resolution=resolution, reason=reason)

    class PetitionerNotified(Event):
        """书面告知 the petitioner: what, how and when."""
        TOPIC = "casetrail:PetitionCase.PetitionerNotified"
        kind: str
        method: str
        content: str

    def notify_petitioner(self, ctx: Context, kind: str, method: str, content: str = "") -> None:
        """The holding or registering unit gives any notice; a unit the matter was transferred
        to and that passed it on may still give its own notice of receipt and route (art. 23
        ¶3: it owes that notice within 15 days of receipt, wherever the matter went next)."""
        if self.state.status in TERMINAL - {"refused", "routed_out"} or self.state.status == "final":
            self._status()  # raises the closed error
        _need_code(kind, C.NOTICE_KINDS, "kind", "告知类型")
        unit = ctx.actor.get("unit")
        if unit not in (self.state.holder, self.state.registering_unit) and not (
                kind in PASSED_ON_NOTICES
                and any(unit in (t["from"], t["to"]) for t in self.state.transfers)):
            self._holder(ctx)
        _need_code(method, C.NOTICE_METHODS, "method", "告知方式")
        dep = {"acceptance": self.state.accepted_version, "refusal": self.state.refused_version,
               "extension": self.state.last_extension_version}.get(kind)
        if kind in ("acceptance", "refusal", "extension") and dep is None:
            raise _refuse("notice.nothing_to_notify", "尚无可告知的决定",
                          f"No {kind} decision has been recorded yet", "kind")
        self._emit(ctx, self.PetitionerNotified, dep or self.state.received_version,
                   kind=kind, method=method, content=content)

    # --- acceptance (受理) ------------------------------------------------------------------------
    class Accepted(Event):
        TOPIC = "casetrail:PetitionCase.Accepted"
        track: str

    def accept(self, ctx: Context) -> None:
        self._status("received")
        self._holder(ctx)
        self._not_final_matter()
        if self.state.bypass_of:
            original = ctx.lookup(self.state.bypass_of)
            if original is not None and original.status not in CLOSED:
                raise _refuse("bypass.pending_below", "该事项已在有权机关受理或办理中，不予受理（第十九条）",
                              "The same matter is already received or in handling at the "
                              "competent level and not concluded (art. 19 ¶3)")
        self._emit(ctx, self.Accepted, self.state.received_version,
                   track=C.TRACK_OF_MATTER[self.state.matter_type])

    class AcceptanceRefused(Event):
        """不予受理 / 不再受理, with the reason and its basis."""
        TOPIC = "casetrail:PetitionCase.AcceptanceRefused"
        reason: str
        basis: str

    def refuse(self, ctx: Context, reason: str, basis: str = "") -> None:
        self._status("registered", "received")
        self._holder(ctx)
        _need_text(reason, "reason", "不予受理理由")
        self._emit(ctx, self.AcceptanceRefused, self.state.received_version or None,
                   reason=reason, basis=basis)

    # --- handling --------------------------------------------------------------------------------
    class HandlerAssigned(Event):
        TOPIC = "casetrail:PetitionCase.HandlerAssigned"
        person: str

    def assign_handler(self, ctx: Context, person: str) -> None:
        self._status("received", "accepted", "replied")
        self._holder(ctx)
        person = self._person_exists(ctx, person, "person")
        if not ctx.org.posts_held(person, self.state.holder, ctx.occurred_at):
            raise _invalid("handler.not_in_unit", "承办人须为承办单位在职人员",
                           f"{person} holds no post in {self.state.holder} at that moment",
                           "person")
        self._emit(ctx, self.HandlerAssigned, self.state.received_version, person=person)

    class LeaderAssigned(Event):
        """领导包案."""
        TOPIC = "casetrail:PetitionCase.LeaderAssigned"
        person: str

    def assign_leader(self, ctx: Context, person: str) -> None:
        self._status(*OPEN)
        person = self._person_exists(ctx, person, "person")
        if not any(post in C.LEADER_POSTS
                   for _unit, post in ctx.org.person_posts(person, ctx.occurred_at)):
            raise _invalid("leader.not_leader", "包案领导须为当时在任的领导干部",
                           f"{person} held no leadership post at that moment", "person")
        self._emit(ctx, self.LeaderAssigned, None, person=person)

    class Noted(Event):
        """Progress note, investigation (调查核实) or an external hand-off."""
        TOPIC = "casetrail:PetitionCase.Noted"
        kind: str
        text: str

    def note(self, ctx: Context, text: str, kind: str = "progress") -> None:
        self._status(*OPEN, *POST_SERVICE, "refused", "routed_out")
        _need_code(kind, {"progress": "办理进展", "investigation": "调查核实",
                          "visit": "回访", "other": "其他"}, "kind", "记录类型")
        self._emit(ctx, self.Noted, None, kind=kind, text=_need_text(text, "text", "记录内容"))

    class MediationOpened(Event):
        TOPIC = "casetrail:PetitionCase.MediationOpened"
        track: str
        mediator: str

    def open_mediation(self, ctx: Context, track: str, mediator: str = "") -> None:
        self._status("accepted")
        self._holder(ctx)
        if self.state.mediation_open:
            raise _refuse("mediation.already_open", "调解已在进行中", "A mediation is already open")
        _need_code(track, C.MEDIATION_TRACKS, "track", "调解类型")
        self._emit(ctx, self.MediationOpened, self.state.accepted_version, track=track,
                   mediator=mediator)

    class MediationConcluded(Event):
        TOPIC = "casetrail:PetitionCase.MediationConcluded"
        outcome: str
        agreement_digest: str | None

    def conclude_mediation(self, ctx: Context, outcome: str,
                           agreement_digest: str | None = None) -> None:
        self._status("accepted")
        self._holder(ctx)
        if not self.state.mediation_open:
            raise _refuse("mediation.not_open", "没有进行中的调解", "No mediation is open")
        _need_code(outcome, C.MEDIATION_OUTCOMES, "outcome", "调解结果")
        if agreement_digest is not None:
            _check_digest(agreement_digest, "agreement_digest")
        self._emit(ctx, self.MediationConcluded, self.state.mediation_open, outcome=outcome,
                   agreement_digest=agreement_digest)

    class HearingStarted(Event):
        """听证 (art. 31(六), 36): during 复核 its time is not counted."""
        TOPIC = "casetrail:PetitionCase.HearingStarted"

    class HearingEnded(Event):
        TOPIC = "casetrail:PetitionCase.HearingEnded"

    def _hearing_actor(self, ctx: Context) -> None:
        self._status("accepted", "in_rereview")
        if self.state.status == "in_rereview":
            self._review_organ(ctx, "rereview")
        else:
            self._holder(ctx)

    def start_hearing(self, ctx: Context) -> None:
        self._hearing_actor(ctx)
        if self.state.hearing_open:
            raise _refuse("hearing.already_open", "听证已在进行中", "A hearing is already open")
        self._emit(ctx, self.HearingStarted, self.state.stage_base)

    def end_hearing(self, ctx: Context) -> None:
        self._hearing_actor(ctx)
        if not self.state.hearing_open:
            raise _refuse("hearing.not_open", "没有进行中的听证", "No hearing is open")
        self._emit(ctx, self.HearingEnded, self.state.hearing_open)

    class ExtensionGranted(Event):
        """延期 (art. 34): approved by the head of the handling organ, ≤ 30 days in total."""
        TOPIC = "casetrail:PetitionCase.ExtensionGranted"
        days: int
        reason: str
        approver: str
        petitioner_told: bool

    def extend(self, ctx: Context, days: int, reason: str, approver: str,
               petitioner_told: bool = False) -> None:
        self._status("accepted")
        self._holder(ctx)
        if self.state.track != "art31_6":
            raise _refuse("extension.no_clock", "只有第三十一条第（六）项事项有60日办理期限可延期",
                          "Only matters on the art. 31(六) track have a 60-day limit to extend")
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise _invalid("extension.bad_days", "延期天数须为正整数", "days must be a positive "
                           "integer", "days")
        if self.state.extension_days + days > 30:
            raise _refuse("extension.over_30", "延期累计不得超过30日（第三十四条）",
                          f"Extensions would total {self.state.extension_days + days} days; "
                          "the law allows at most 30 (art. 34)", "days")
        _need_text(reason, "reason", "延期理由")
        self._person_exists(ctx, approver, "approver")
        if not any(ctx.org.holds(approver, self.state.holder, p, ctx.occurred_at)
                   for p in C.HEAD_POSTS):
            raise _refuse("extension.approver_not_head", "延期须经办理机关负责人批准",
                          f"{approver} did not hold the head post of {self.state.holder} at "
                          f"{ctx.occurred_at.isoformat()}", "approver")
        self._emit(ctx, self.ExtensionGranted, self.state.accepted_version, days=days,
                   reason=reason, approver=approver, petitioner_told=bool(petitioner_told))

    # --- reply (处理意见书), approval, service, execution -------------------------------------------
    class ReplyIssued(Event):
        TOPIC = "casetrail:PetitionCase.ReplyIssued"
        request: str
        facts_and_reasons: str
        opinion: str
        legal_basis: str
        rights_notice: str
        document_digest: str | None

    def issue_reply(self, ctx: Context, opinion: str, request: str = "",
                    facts_and_reasons: str = "", legal_basis: str = "", rights_notice: str = "",
                    document_digest: str | None = None) -> None:
        self._status("accepted")
        self._holder(ctx)
        _need_code(opinion, C.OPINIONS, "opinion", "处理意见")
        if document_digest is not None:
            _check_digest(document_digest, "document_digest")
        self._emit(ctx, self.ReplyIssued, self.state.accepted_version, request=request,
                   facts_and_reasons=facts_and_reasons, opinion=opinion, legal_basis=legal_basis,
                   rights_notice=rights_notice, document_digest=document_digest)

    class ReplyApproved(Event):
        TOPIC = "casetrail:PetitionCase.ReplyApproved"
        approver: str

    def approve_reply(self, ctx: Context, approver: str) -> None:
        self._status("replied")
        self._holder(ctx)
        if self.state.reply_approved_version:
            raise _refuse("reply.already_approved", "处理意见书已审批", "The reply is approved")
        self._person_exists(ctx, approver, "approver")
        if not any(ctx.org.holds(approver, self.state.holder, p, ctx.occurred_at)
                   for p in C.REPLY_APPROVER_POSTS):
            raise _refuse("reply.approver_not_leader", "处理意见书须经本单位负责人或分管领导审批",
                          f"{approver} held neither the head nor the leader-in-charge post of "
                          f"{self.state.holder} then", "approver")
        self._emit(ctx, self.ReplyApproved, self.state.reply_version, approver=approver)

    class ReplyServed(Event):
        """送达 of the 处理意见书 (the 复查 window starts here)."""
        TOPIC = "casetrail:PetitionCase.ReplyServed"
        method: str
        outcome: str

    def serve_reply(self, ctx: Context, method: str, outcome: str = "signed") -> None:
        self._status("replied")
        self._holder(ctx)
        if not self.state.reply_approved_version:
            raise _refuse("service.reply_not_approved", "处理意见书未经审批，不能送达",
                          "The reply must be approved before it is served")
        _need_code(method, C.SERVICE_METHODS, "method", "送达方式")
        _need_code(outcome, C.SERVICE_OUTCOMES, "outcome", "送达结果")
        self._emit(ctx, self.ReplyServed, self.state.reply_approved_version, method=method,
                   outcome=outcome)

    class OpinionExecuted(Event):
        """落实: a supported opinion carried out (art. 32, 42(四))."""
        TOPIC = "casetrail:PetitionCase.OpinionExecuted"
        details: str

    def record_execution(self, ctx: Context, details: str) -> None:
        self._status("served", "review_requested", "in_review", "review_decided", "reviewed",
                     "rereview_requested", "in_rereview", "rereview_decided", "final")
        self._holder(ctx)
        if not self.state.execution_due:
            raise _refuse("execution.not_supported", "只有支持的处理意见需要落实",
                          "Only a supported opinion is executed")
        if self.state.executed_version:
            raise _refuse("execution.already_recorded", "已记录落实", "Execution already recorded")
        self._emit(ctx, self.OpinionExecuted, self.state.served_version,
                   details=_need_text(details, "details", "落实情况"))

    # --- evaluation (满意度评价) -----------------------------------------------------------------
    class Evaluated(Event):
        TOPIC = "casetrail:PetitionCase.Evaluated"
        target: str
        value: str
        reason: str

    def evaluate(self, ctx: Context, target: str, value: str, reason: str = "") -> None:
        if self.state.served_version is None:
            raise _refuse("evaluation.not_served", "处理意见书送达后才能评价",
                          "Evaluation comes after the reply is served")
        self._status(*POST_SERVICE)
        _need_code(target, C.EVALUATION_TARGETS, "target", "评价对象")
        _need_code(value, C.EVALUATION_VALUES, "value", "评价结果")
        if target in self.state.evaluations:
            raise _refuse("evaluation.duplicate", "该对象已有评价，请以更正事件修改",
                          f"The {target} has already been evaluated", "target")
        self._emit(ctx, self.Evaluated, self.state.served_version, target=target, value=value,
                   reason=reason)

    # --- review 复查 and re-review 复核 (arts. 35–36) ----------------------------------------------
    class ReviewRequested(Event):
        TOPIC = "casetrail:PetitionCase.ReviewRequested"
        level: str
        organ: str
        window_last_day: str
        window_provisional: bool

    def request_review(self, ctx: Context, organ: str, level: str = "review") -> None:
        _need_code(level, {"review": "复查", "rereview": "复核"}, "level", "复查/复核")
        self._status("served" if level == "review" else "reviewed")
        organ = self._unit_exists(ctx, organ, "organ")
        base = self.state.served_version if level == "review" else self.state.review["served"]
        previous_organ = self.state.holder if level == "review" else self.state.review["organ"]
        if organ == previous_organ or not _organ_above(ctx.org, organ, previous_organ):
            raise _invalid("review.not_above", "复查（复核）机关应为原办理（复查）机关的上一级机关",
                           f"{organ} is not an organ above {previous_organ} (arts. 35–36)",
                           "organ")
        served = self.effective()[base - 1].occurred_at
        window = _window("review_request" if level == "review" else "rereview_request",
                         local_date(served))
        if _past(ctx, window):
            art = "第三十五条" if level == "review" else "第三十六条"
            raise _refuse(f"{level}.too_late", f"已超过收到书面答复之日起30日的请求期限（{art}）",
                          f"The request must be made within 30 days of service "
                          f"(last day {window.last_day.isoformat()})", "occurred_at")
        self._emit(ctx, self.ReviewRequested, base, level=level, organ=organ,
                   window_last_day=window.last_day.isoformat(),
                   window_provisional=window.provisional)

    class ReviewAccepted(Event):
        TOPIC = "casetrail:PetitionCase.ReviewAccepted"
        level: str

    def accept_review(self, ctx: Context) -> None:
        level = self._review_level("review_requested", "rereview_requested")
        self._review_organ(ctx, level)
        self._emit(ctx, self.ReviewAccepted, self._current_review(level)["requested"], level=level)

    class ReviewOpinionIssued(Event):
        TOPIC = "casetrail:PetitionCase.ReviewOpinionIssued"
        level: str
        opinion: str
        reasons: str
        legal_basis: str

    def issue_review_opinion(self, ctx: Context, opinion: str, reasons: str = "",
                             legal_basis: str = "") -> None:
        level = self._review_level("in_review", "in_rereview")
        self._review_organ(ctx, level)
        if level == "rereview" and self.state.hearing_open:
            raise _refuse("hearing.still_open", "听证尚未结束", "End the hearing first")
        _need_code(opinion, C.REVIEW_OPINIONS, "opinion", "复查（复核）意见")
        self._emit(ctx, self.ReviewOpinionIssued, self._current_review(level)["accepted"],
                   level=level, opinion=opinion, reasons=reasons, legal_basis=legal_basis)

    class ReviewOpinionServed(Event):
        TOPIC = "casetrail:PetitionCase.ReviewOpinionServed"
        level: str
        method: str
        outcome: str

    def serve_review_opinion(self, ctx: Context, method: str, outcome: str = "signed") -> None:
        level = self._review_level("review_decided", "rereview_decided")
        self._review_organ(ctx, level)
        _need_code(method, C.SERVICE_METHODS, "method", "送达方式")
        _need_code(outcome, C.SERVICE_OUTCOMES, "outcome", "送达结果")
        self._emit(ctx, self.ReviewOpinionServed, self._current_review(level)["opinion"],
                   level=level, method=method, outcome=outcome)

    def _review_level(self, review_status: str, rereview_status: str) -> str:
        self._status(review_status, rereview_status)
        return "review" if self.state.status == review_status else "rereview"

    def _current_review(self, level: str) -> dict[str, Any]:
        return self.state.review if level == "review" else self.state.rereview

    def _review_organ(self, ctx: Context, level: str) -> None:
        organ = self._current_review(level)["organ"]
        if ctx.actor.get("unit") != organ:
            raise _refuse("actor.not_review_organ", "只有受理复查（复核）的机关可以办理此环节",
                          f"Only {organ} may act on this {level}", "actor")

    # --- supervision 督办 (art. 40) -------------------------------------------------------------
    class SupervisionIssued(Event):
        TOPIC = "casetrail:PetitionCase.SupervisionIssued"
        number: int
        kind: str
        target_unit: str
        due_date: str
        content: str

    def supervise(self, ctx: Context, kind: str, due_date: str, content: str = "",
                  target_unit: str | None = None) -> None:
        if self.state.status in ("withdrawn", "merged") or (
                self.state.status == "final" and not self.state.execution_pending):
            self._status()
        unit = ctx.org.unit(ctx.actor.get("unit") or "")
        if unit is None or unit.kind not in C.SUPERVISING_KINDS:
            raise _refuse("supervision.not_supervisor", "只有信访部门或联席会议可以督办",
                          "Only a petition bureau, joint conference or discipline organ may "
                          "supervise", "actor")
        _need_code(kind, C.SUPERVISION_KINDS, "kind", "督办方式")
        target = self._unit_exists(ctx, target_unit or self.state.holder, "target_unit")
        due = _parse_date(due_date, "due_date")
        if due <= local_date(ctx.occurred_at):
            raise _invalid("supervision.due_in_past", "督办期限必须晚于督办日期",
                           "The response due date must be after the supervision", "due_date")
        self._emit(ctx, self.SupervisionIssued, None, number=len(self.state.supervisions) + 1,
                   kind=kind, target_unit=target, due_date=due_date, content=content)

    class SupervisionAnswered(Event):
        TOPIC = "casetrail:PetitionCase.SupervisionAnswered"
        number: int
        content: str

    def answer_supervision(self, ctx: Context, number: int, content: str) -> None:
        sup = self.state.supervisions.get(number) if isinstance(number, int) else None
        if sup is None:
            raise _invalid("supervision.unknown", "督办事项不存在",
                           f"No supervision number {number!r} on this case", "number")
        if sup["answered"]:
            raise _refuse("supervision.already_answered", "该督办已反馈", "Already answered")
        if ctx.actor.get("unit") != sup["target_unit"]:
            raise _refuse("actor.not_supervised_unit", "只有被督办单位可以反馈",
                          f"Only {sup['target_unit']} may answer", "actor")
        self._emit(ctx, self.SupervisionAnswered, sup["version"], number=number,
                   content=_need_text(content, "content", "反馈内容"))

    class AssignmentReported(Event):
        """交办 result reported back to the assigning bureau (办结报告, art. 22(三))."""
        TOPIC = "casetrail:PetitionCase.AssignmentReported"
        report: str

    def report_assignment(self, ctx: Context, report: str) -> None:
        if not self.state.assignment:
            raise _refuse("assignment.none", "该事项不是交办件", "The case was not assigned (交办)")
        if self.state.assignment.get("reported"):
            raise _refuse("assignment.already_reported", "已报送办结报告", "Already reported")
        self._status(*OPEN, *POST_SERVICE, "refused", "routed_out")
        self._holder(ctx)
        self._emit(ctx, self.AssignmentReported, self.state.assignment["version"],
                   report=_need_text(report, "report", "办结报告"))

    # --- links, withdrawal, corrections ----------------------------------------------------------
    class LinkedPetition(Event):
        """A later petition on this matter: a repeat (回流) or a bypass visit (越级访)."""
        TOPIC = "casetrail:PetitionCase.LinkedPetition"
        relation: str
        other_case: str
        at_unit: str
        after_conclusion: bool

    def link_petition(self, ctx: Context, relation: str, other_case: str, at_unit: str) -> None:
        _need_code(relation, {"repeat": "重复信访/回流", "bypass": "越级访"}, "relation", "关联类型")
        if self.state.status == "merged":
            self._status()
        self._emit(ctx, self.LinkedPetition, None, relation=relation, other_case=other_case,
                   at_unit=at_unit, after_conclusion=self.state.concluded)

    class Withdrawn(Event):
        TOPIC = "casetrail:PetitionCase.Withdrawn"
        reason: str

    def withdraw(self, ctx: Context, reason: str = "") -> None:
        self._status(*OPEN)
        if ctx.actor.get("unit") not in (self.state.holder, self.state.registering_unit,
                                         self.state.transferred_by):
            self._holder(ctx)
        self._emit(ctx, self.Withdrawn, self.state.status_version, reason=reason)

    class Corrected(Event):
        """更正: names the earlier event (its version), the field, the new value and the reason."""
        TOPIC = "casetrail:PetitionCase.Corrected"
        target_version: int
        field: str
        old_value: Any
        new_value: Any
        reason: str

    def correct(self, ctx: Context, target_version: int, field: str, value: Any,
                reason: str) -> None:
        _need_text(reason, "reason", "更正理由")
        if not isinstance(target_version, int) or not 1 <= target_version <= len(self.facts):
            raise _invalid("correction.unknown_event", "被更正的事件不存在",
                           f"No event with version {target_version!r}", "target_version")
        fact = self.effective()[target_version - 1]
        if fact.kind == "Corrected":
            raise _refuse("correction.of_correction", "不能更正更正事件，请对原事件再次更正",
                          "Correct the original event again instead", "target_version")
        unit = ctx.org.unit(ctx.actor.get("unit") or "")
        if ctx.actor.get("unit") != fact.actor.get("unit") and (
                unit is None or unit.kind not in C.SUPERVISING_KINDS):
            raise _refuse("correction.not_author", "只有原记录单位或信访部门可以更正该记录",
                          f"Only {fact.actor.get('unit')} (which recorded it) or a petition bureau "
                          "may correct this event", "actor")
        old, value = self._checked_correction(ctx, fact, field, value)
        probe = Fact(len(self.facts) + 1, "Corrected", ctx.occurred_at, ctx.now, ctx.actor,
                     {"target_version": target_version, "field": field, "new_value": value},
                     None)
        try:
            fold([*self.facts, probe])
        except (KeyError, ValueError, TypeError) as e:
            raise _invalid("correction.inconsistent", "更正后的记录前后矛盾",
                           f"The corrected history is inconsistent: {e}", "value") from None
        self._emit(ctx, self.Corrected, None, target_version=target_version, field=field,
                   old_value=old, new_value=value, reason=reason)

    def _checked_correction(self, ctx: Context, fact: Fact, field: str,
                            value: Any) -> tuple[Any, Any]:
        if field == "occurred_at":
            when = _parse_datetime(value, "value")
            facts = self.effective()
            lower = facts[fact.depends_on - 1].occurred_at if fact.depends_on else None
            if fact.version > 1:
                lower = max(lower or facts[0].occurred_at, facts[0].occurred_at)
            later = [f.occurred_at for f in facts if f.depends_on == fact.version]
            if fact.version == 1:
                later = [f.occurred_at for f in facts[1:]]
            if when > ctx.now + CLOCK_SKEW or (lower and when < lower) or any(
                    when > t for t in later):
                raise _invalid("correction.out_of_order", "更正后的时间与前后环节顺序矛盾",
                               "The corrected time breaks the order of dependent acts", "value")
            return fact.occurred_at, when
        if field not in fact.data or field in NOT_CORRECTABLE:
            raise _invalid("correction.unknown_field", "该字段不存在或不可更正",
                           f"{fact.kind} has no correctable field {field!r}", "field")
        old = fact.data[field]
        if old is not None and value is not None and type(old) is not type(value):
            raise _invalid("correction.wrong_type", "更正值类型不符",
                           f"{field} must be a {type(old).__name__}", "value")
        vocab = FIELD_VOCAB.get(field)
        if vocab is not None:
            _need_code(value, vocab, "value", field)
        if field == "location" or field.endswith("_unit"):
            self._unit_exists(ctx, value, "value")
        if field == "to_unit" and any(f.depends_on == fact.version for f in self.facts):
            raise _refuse("correction.moves_holder", "接收单位已签收或办理，不能更正接收单位，请重新转送",
                          "The receiving unit already acted on this transfer; transfer again "
                          "instead of correcting it", "field")
        return old, value


OPEN = ("registered", "transferred", "received", "objected", "accepted", "replied")
POST_SERVICE = ("served", "review_requested", "in_review", "review_decided", "reviewed",
                "rereview_requested", "in_rereview", "rereview_decided", "final")
NOT_CORRECTABLE = frozenset({"case_no", "window_last_day", "window_provisional", "number",
                             "track", "original_final", "level", "from_unit"})
FIELD_VOCAB: dict[str, dict[str, str]] = {
    "channel": C.CHANNELS, "matter_type": C.MATTER_TYPES, "method": {
        **C.SERVICE_METHODS, **C.NOTICE_METHODS}, "outcome": {**C.SERVICE_OUTCOMES,
                                                              **C.MEDIATION_OUTCOMES},
    "opinion": {**C.OPINIONS, **C.REVIEW_OPINIONS}, "value": C.EVALUATION_VALUES,
    "category": C.category_names(), "kind": {**C.NOTICE_KINDS, **C.SUPERVISION_KINDS},
    "mode": {"transfer": "转送", "assign": "交办"},
}


# A provisional window (its year's holidays not yet published) is extended by this margin before an
# act is refused: no holiday block or 调休 shift moves a deadline by more, so no act is refused on
# a day that the published calendar could still make timely.
PROVISIONAL_MARGIN = timedelta(days=14)


def _organ_above(org: OrgDirectory, organ: str, below: str | None) -> bool:
    """A review organ: a government/review organ at the same level or higher, or a department
    of a higher level (the level order is the organisation file's)."""
    upper, lower = org.unit(organ), org.unit(below or "")
    if upper is None or upper.kind not in ("review_organ", "territorial", "department"):
        return False
    ranks = {lv["code"]: i for i, lv in enumerate(org.levels)}
    if lower is None or upper.level not in ranks or lower.level not in ranks:
        return True
    if upper.kind == "department":
        return ranks[upper.level] < ranks[lower.level]
    return ranks[upper.level] <= ranks[lower.level]


def _window(step: str, start: date) -> Deadline:
    """A request window from the policy table in force on its start day (the same record the
    clocks use), so the refusal and the clock never disagree."""
    return compute_due(policy_for(step, start), start)


def _past(ctx: Context, window: Any) -> bool:
    last = window.last_day + (PROVISIONAL_MARGIN if window.provisional else timedelta(0))
    return bool(local_date(ctx.occurred_at) > last)


def _check_digest(value: Any, field: str) -> None:
    if not (isinstance(value, str) and len(value) == 64
            and all(c in "0123456789abcdef" for c in value)):
        raise _invalid("digest.invalid", "附件摘要须为SHA-256十六进制值",
                       "A digest must be 64 lowercase hex characters (SHA-256)", field)


def _parse_date(value: Any, field: str) -> Any:
    from datetime import date
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _invalid("date.invalid", "日期格式无效", f"{field} must be a YYYY-MM-DD date",
                       field) from None


def _parse_datetime(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise _invalid("datetime.invalid", "时间格式无效",
                           f"{field} must be an ISO 8601 date-time with a zone", field) from None
    if when.tzinfo is None:
        raise _invalid("time.naive", "时间必须带时区", f"{field} must carry a time zone", field)
    return when


_CASE_NO_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def _checked_registration(ctx: Context, case_no: str, f: dict[str, Any]) -> dict[str, Any]:
    """Validate an intake record (arts. 17–23) and return the Registered event's fields."""
    known = {"channel", "matter_type", "category", "location", "petitioners", "collective",
             "headcount", "representatives", "agent", "request", "facts_and_reasons", "accused",
             "attachments", "repeat_of", "same_facts", "bypass_of", "is_bypass"}
    unknown = set(f) - known
    if unknown:
        raise _invalid("field.unknown", "存在未知字段", f"Unknown fields: {sorted(unknown)}",
                       sorted(unknown)[0])
    if not (isinstance(case_no, str) and 0 < len(case_no) <= 64 and set(case_no) <= _CASE_NO_CHARS):
        raise _invalid("case_no.invalid", "信访件编号格式无效",
                       "case_no must be 1–64 letters, digits, '-', '_' or '.'", "case_no")
    unit = ctx.org.unit(ctx.actor.get("unit") or "")
    if unit is None:
        raise _invalid("unit.unknown", "登记单位不存在", "The registering unit is unknown", "actor")
    channel = _need_code(f.get("channel"), C.CHANNELS, "channel", "信访形式")
    matter = _need_code(f.get("matter_type"), C.MATTER_TYPES, "matter_type", "信访事项类型")
    category = _need_code(f.get("category"), C.category_names(), "category", "问题分类")
    location = f.get("location")
    if not isinstance(location, str) or ctx.org.unit(location) is None:
        raise _invalid("unit.unknown", "问题属地不存在", f"Unknown location unit {location!r}",
                       "location")
    petitioners = _petitioners(f.get("petitioners", []), matter)
    headcount = f.get("headcount", max(1, len(petitioners)))
    if not isinstance(headcount, int) or isinstance(headcount, bool) or headcount < max(
            1, len(petitioners)):
        raise _invalid("headcount.invalid", "人数不能少于信访人数",
                       "headcount must be an integer no smaller than the petitioners listed",
                       "headcount")
    collective = bool(f.get("collective", headcount >= 5))
    if collective and headcount < 5:
        raise _invalid("collective.too_few", "集体访须5人以上", "A collective visit has 5 or more "
                       "people", "collective")
    representatives = f.get("representatives", [])
    if not isinstance(representatives, list) or len(representatives) > 5:
        raise _invalid("representatives.too_many", "多人走访应推选不超过5名代表（第二十条）",
                       "At most 5 representatives (art. 20)", "representatives")
    agent = f.get("agent")
    if channel == "agent" and not (isinstance(agent, dict) and str(agent.get("name", "")).strip()):
        raise _invalid("agent.required", "代办须记录代办人及委托情况",
                       "An agent-filed petition names its agent", "agent")
    accused = f.get("accused")
    if matter == "accusation" and not (isinstance(accused, dict) and (
            accused.get("persons") or accused.get("units"))):
        raise _invalid("accused.required", "检举控告须载明被反映人或单位",
                       "An accusation names the accused person or unit", "accused")
    attachments = f.get("attachments", [])
    if not isinstance(attachments, list):
        raise _invalid("attachments.invalid", "附件格式无效", "attachments must be a list",
                       "attachments")
    for a in attachments:
        if not isinstance(a, dict) or not str(a.get("name", "")).strip():
            raise _invalid("attachments.invalid", "附件须有名称", "Each attachment has a name",
                           "attachments")
        _check_digest(a.get("sha256"), "attachments")
    repeat_of, bypass_of = f.get("repeat_of"), f.get("bypass_of")
    original_final = False
    for name, other in (("repeat_of", repeat_of), ("bypass_of", bypass_of)):
        if other is not None:
            found = ctx.lookup(other) if isinstance(other, str) else None
            if found is None:
                raise _invalid("case.unknown_original", "关联的原信访事项不存在",
                               f"Unknown case {other!r}", name)
            if found.registered_at and found.registered_at > ctx.occurred_at:
                raise _invalid("link.before_original", "关联的原信访事项登记时间晚于本次信访",
                               f"Case {other} was registered after this petition", name)
            original_final = original_final or found.status == "final"
    return {
        "case_no": case_no, "registering_unit": unit.code,
        "at_petition_bureau": unit.kind == "petition_bureau", "channel": channel,
        "matter_type": matter, "category": category, "location": location,
        "petitioners": petitioners, "collective": collective, "headcount": headcount,
        "representatives": [str(r) for r in representatives], "agent": agent,
        "request": _need_text(f.get("request"), "request", "信访请求"),
        "facts_and_reasons": _text(f.get("facts_and_reasons"), "facts_and_reasons"),
        "accused": accused,
        "attachments": attachments, "repeat_of": repeat_of,
        "same_facts": bool(f.get("same_facts", False)), "original_final": original_final,
        "bypass_of": bypass_of, "is_bypass": bool(f.get("is_bypass", bypass_of is not None)),
    }


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid("field.wrong_type", "字段类型错误", f"{field} must be text", field)
    return value


def _petitioners(value: Any, matter: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _invalid("petitioners.invalid", "信访人格式无效", "petitioners must be a list",
                       "petitioners")
    if not value and matter != "accusation":
        raise _invalid("petitioners.required", "须登记信访人（匿名仅限检举控告）",
                       "At least one petitioner (only accusations may be anonymous)",
                       "petitioners")
    allowed = {"name", "id_number", "phone", "address"}
    for p in value:
        if not isinstance(p, dict) or not str(p.get("name", "")).strip() or set(p) - allowed:
            raise _invalid("petitioners.invalid", "信访人信息无效",
                           f"Each petitioner has a name and only {sorted(allowed)}",
                           "petitioners")
    return [dict(p) for p in value]
