"""The petition case aggregate (信访事项): every statutory step as an immutable event.

Each event carries who acted (``actor``), when the act happened (``occurred_at``, stated by the
caller) and when it was recorded (the library's ``timestamp``, set by the system clock only), plus
``depends_on``: the version of the earlier event it rests on (acceptance rests on receipt, service
on the reply), so that business-time order can be checked now and after any correction.

Command methods — one per command of :mod:`domain.commands`, each taking that command — check
the rules (pure, with the time and the organisation passed in a :class:`Context`; the intake
record's checks in :mod:`domain.registration`, a correction's in :mod:`domain.corrections`) and
raise :class:`DomainError` before anything is triggered; event ``apply`` bodies only record the
fact. The current state is a fold of the facts (:mod:`domain.case_state`),
so a correction — an event naming an earlier event, a field, a new value and a reason — changes
the current state while the history keeps both values.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import catalog as C
from domain import commands as cmd
from domain import limits
from domain.case_state import CLOSED, STATUS_ZH, TERMINAL, CaseState, Fact, effective_facts, fold
from domain.context import (
    CLOCK_SKEW,
    Context,
    check_digest,
    check_time,
    need_code,
    need_text,
    organ_above,
    parse_date,
    person_exists,
    unit_exists,
)
from domain.context import invalid as _invalid
from domain.context import refuse as _refuse
from domain.corrections import checked_correction
from domain.periods import local_date
from domain.registration import checked_registration

BASE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic",
                         "actor", "occurred_at", "depends_on"})
_BASE_FIELD_ORDER = tuple(sorted(BASE_FIELDS))
_new_fact = object.__new__

# notices a former holder may still give (see PetitionCase.notify_petitioner)
PASSED_ON_NOTICES = frozenset({"receipt", "route", "redirect"})


def case_id_for(case_no: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrail:case:{case_no}")


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
    def register(cls, ctx: Context, case_no: str, c: cmd.Register) -> PetitionCase:
        """登记: check the intake record and create the case (its first event)."""
        data = checked_registration(ctx, case_no, c)
        if ctx.occurred_at.tzinfo is None:
            raise _invalid("time.naive", "时间必须带时区", "occurred_at must carry a time zone",
                           "occurred_at")
        if ctx.occurred_at > ctx.now + CLOCK_SKEW:
            raise _invalid("time.future", "登记时间不能晚于当前时间",
                           "The petition is stated as received in the future", "occurred_at")
        return cls._create(cls.Registered, id=case_id_for(case_no), timestamp=ctx.now,
                           actor=ctx.actor.payload(), occurred_at=ctx.occurred_at,
                           depends_on=None, **data)

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

    def _emit(self, ctx: Context, cls: type[Any], depends_on: int | None = None,
              **fields: Any) -> None:
        check_time(ctx, self.effective(), depends_on)
        self.trigger_event(cls, actor=ctx.actor.payload(), occurred_at=ctx.occurred_at,
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
        if ctx.actor.unit != self.state.holder:
            raise _refuse("actor.not_holder", "只有当前承办单位可以办理此环节",
                          f"Only the holding unit {self.state.holder} may do this step", "actor")

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

    def transfer(self, ctx: Context, c: cmd.Transfer) -> None:
        # a bureau triages what it registered; a unit that signed for a matter may pass it on to
        # the competent unit below it before deciding on acceptance (arts. 22(二), 23)
        self._status("registered", "received")
        self._holder(ctx)
        self._not_final_matter()
        to_unit, mode, due_date = unit_exists(ctx, c.to_unit, "to_unit"), c.mode, c.due_date
        if to_unit == self.state.holder:
            raise _invalid("transfer.same_unit", "不能转送给本单位", "Cannot transfer to itself",
                           "to_unit")
        need_code(mode, {"transfer": "转送", "assign": "交办"}, "mode", "转办方式")
        if mode == "assign":
            due = parse_date(due_date, "due_date")
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
                   note=c.note)

    class HandledDirectly(Event):
        """The petition bureau handles the matter itself."""
        TOPIC = "casetrail:PetitionCase.HandledDirectly"
        note: str

    def handle_directly(self, ctx: Context, c: cmd.HandleDirectly) -> None:
        self._status("registered")
        self._holder(ctx)
        self._emit(ctx, self.HandledDirectly, self.state.triage_base, note=c.note)

    class RoutedToOrgan(Event):
        """涉法涉诉 → 政法机关; 纪检监察 accusations → 纪检监察机关 (art. 22 ¶2–3)."""
        TOPIC = "casetrail:PetitionCase.RoutedToOrgan"
        organ_kind: str
        to_unit: str
        basis: str

    def route_to_organ(self, ctx: Context, c: cmd.RouteToOrgan) -> None:
        self._status("registered", "received")
        self._holder(ctx)
        need_code(c.organ_kind, C.ROUTE_ORGANS, "organ_kind", "移交机关类别")
        unit = ctx.org.unit(unit_exists(ctx, c.to_unit, "to_unit"))
        if unit is not None and unit.kind != c.organ_kind:
            raise _invalid("route.wrong_organ", "接收单位不是相应的政法或纪检监察机关",
                           f"{c.to_unit} is a {unit.kind}, not a {c.organ_kind} organ", "to_unit")
        self._emit(ctx, self.RoutedToOrgan, self.state.triage_base, organ_kind=c.organ_kind,
                   to_unit=c.to_unit, basis=c.basis or "第二十二条")

    class RoutedOut(Event):
        """依法分类处理: out of the petition track into a statutory procedure (art. 31(一)–(五))."""
        TOPIC = "casetrail:PetitionCase.RoutedOut"
        item: str
        procedure: str

    def route_out(self, ctx: Context, c: cmd.RouteOut) -> None:
        self._status("registered", "received")
        self._holder(ctx)
        need_code(c.item, C.ROUTE_OUT_ITEMS, "item", "第三十一条分类项")
        need_text(c.procedure, "procedure", "法定途径名称")
        self._emit(ctx, self.RoutedOut, self.state.triage_base, item=c.item, procedure=c.procedure)

    class MarkedRepeat(Event):
        """重复件: merged into an earlier case on the same matter."""
        TOPIC = "casetrail:PetitionCase.MarkedRepeat"
        original: str
        reason: str

    def mark_repeat(self, ctx: Context, c: cmd.MarkRepeat) -> None:
        self._status("registered", "received")
        self._holder(ctx)
        found = ctx.lookup(c.original) if c.original != self.state.case_no else None
        if found is None:
            raise _invalid("case.unknown_original", "原信访事项不存在",
                           f"Unknown original case {c.original!r}", "original")
        if found.status in ("merged", "withdrawn"):
            raise _refuse("repeat.original_closed", "不能合并到已撤回或已合并的事项",
                          f"Case {c.original} is {found.status}", "original")
        self._emit(ctx, self.MarkedRepeat, self.state.triage_base, original=c.original,
                   reason=c.reason)

    def _not_final_matter(self) -> None:
        if self.state.original_final and self.state.same_facts:
            raise _refuse("final.not_reaccepted", "该事项已经复核终结，同一事实和理由不再受理",
                          "The matter was finally decided on re-review (art. 36 ¶3); a petition "
                          "on the same facts and reasons is not accepted again")

    # --- receipt, objection, notice (art. 23) --------------------------------------------------
    class Received(Event):
        """签收 by the unit the case was transferred or assigned to."""
        TOPIC = "casetrail:PetitionCase.Received"

    def receive(self, ctx: Context, c: cmd.Receive) -> None:
        self._status("transferred")
        self._holder(ctx)
        self._emit(ctx, self.Received, self.state.last_transfer_version)

    class ObjectionRaised(Event):
        """异议: the unit says the matter is not theirs, with detailed reasons (5 working days)."""
        TOPIC = "casetrail:PetitionCase.ObjectionRaised"
        reasons: str
        window_last_day: str
        window_provisional: bool

    def object_to_transfer(self, ctx: Context, c: cmd.ObjectToTransfer) -> None:
        self._status("received")
        self._holder(ctx)
        if self.state.last_transfer_version is None:
            raise _refuse("objection.not_transferred", "本单位直接登记的事项无转送可异议",
                          "Only a transferred or assigned matter can be objected to")
        need_text(c.reasons, "reasons", "异议理由")
        received = self.effective()[self.state.received_version - 1].occurred_at
        window = limits.window("objection", local_date(received))
        if limits.past(ctx.occurred_at, window):
            raise _refuse("objection.too_late", "已超过5个工作日的异议期限（第二十三条）",
                          f"Objections must be raised within 5 working days of receipt "
                          f"(last day {window.last_day.isoformat()})", "occurred_at")
        self._emit(ctx, self.ObjectionRaised, self.state.received_version, reasons=c.reasons,
                   window_last_day=window.last_day.isoformat(),
                   window_provisional=window.provisional)

    class ObjectionResolved(Event):
        TOPIC = "casetrail:PetitionCase.ObjectionResolved"
        resolution: str
        reason: str

    def resolve_objection(self, ctx: Context, c: cmd.ResolveObjection) -> None:
        self._status("objected")
        if ctx.actor.unit != self.state.transferred_by:
            raise _refuse("actor.not_transferring_bureau", "只有转送机关可以处理异议",
                          f"Only {self.state.transferred_by} may resolve the objection", "actor")
        need_code(c.resolution, C.OBJECTION_RESOLUTIONS, "resolution", "异议处理结果")
        self._emit(ctx, self.ObjectionResolved, self.state.objection_version,
                   resolution=c.resolution, reason=c.reason)

    class PetitionerNotified(Event):
        """书面告知 the petitioner: what, how and when."""
        TOPIC = "casetrail:PetitionCase.PetitionerNotified"
        kind: str
        method: str
        content: str

    def notify_petitioner(self, ctx: Context, c: cmd.NotifyPetitioner) -> None:
        """The holding or registering unit gives any notice; a unit the matter was transferred
        to and that passed it on may still give its own notice of receipt and route (art. 23
        ¶3: it owes that notice within 15 days of receipt, wherever the matter went next)."""
        if self.state.status in TERMINAL - {"refused", "routed_out"} or self.state.status == "final":
            self._status()  # raises the closed error
        need_code(c.kind, C.NOTICE_KINDS, "kind", "告知类型")
        unit = ctx.actor.unit
        if unit not in (self.state.holder, self.state.registering_unit) and not (
                c.kind in PASSED_ON_NOTICES
                and any(unit in (t["from"], t["to"]) for t in self.state.transfers)):
            self._holder(ctx)
        need_code(c.method, C.NOTICE_METHODS, "method", "告知方式")
        dep = {"acceptance": self.state.accepted_version, "refusal": self.state.refused_version,
               "extension": self.state.last_extension_version}.get(c.kind)
        if c.kind in ("acceptance", "refusal", "extension") and dep is None:
            raise _refuse("notice.nothing_to_notify", "尚无可告知的决定",
                          f"No {c.kind} decision has been recorded yet", "kind")
        self._emit(ctx, self.PetitionerNotified, dep or self.state.received_version,
                   kind=c.kind, method=c.method, content=c.content)

    # --- acceptance (受理) ------------------------------------------------------------------------
    class Accepted(Event):
        TOPIC = "casetrail:PetitionCase.Accepted"
        track: str

    def accept(self, ctx: Context, c: cmd.Accept) -> None:
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

    def refuse(self, ctx: Context, c: cmd.Refuse) -> None:
        self._status("registered", "received")
        self._holder(ctx)
        need_text(c.reason, "reason", "不予受理理由")
        self._emit(ctx, self.AcceptanceRefused, self.state.received_version or None,
                   reason=c.reason, basis=c.basis)

    # --- handling --------------------------------------------------------------------------------
    class HandlerAssigned(Event):
        TOPIC = "casetrail:PetitionCase.HandlerAssigned"
        person: str

    def assign_handler(self, ctx: Context, c: cmd.AssignHandler) -> None:
        self._status("received", "accepted", "replied")
        self._holder(ctx)
        person_exists(ctx, c.person, "person")
        if not ctx.org.posts_held(c.person, self.state.holder, ctx.occurred_at):
            raise _invalid("handler.not_in_unit", "承办人须为承办单位在职人员",
                           f"{c.person} holds no post in {self.state.holder} at that moment",
                           "person")
        self._emit(ctx, self.HandlerAssigned, self.state.received_version, person=c.person)

    class LeaderAssigned(Event):
        """领导包案."""
        TOPIC = "casetrail:PetitionCase.LeaderAssigned"
        person: str

    def assign_leader(self, ctx: Context, c: cmd.AssignLeader) -> None:
        self._status(*OPEN)
        person_exists(ctx, c.person, "person")
        if not any(post in C.LEADER_POSTS
                   for _unit, post in ctx.org.person_posts(c.person, ctx.occurred_at)):
            raise _invalid("leader.not_leader", "包案领导须为当时在任的领导干部",
                           f"{c.person} held no leadership post at that moment", "person")
        self._emit(ctx, self.LeaderAssigned, None, person=c.person)

    class Noted(Event):
        """Progress note, investigation (调查核实) or an external hand-off."""
        TOPIC = "casetrail:PetitionCase.Noted"
        kind: str
        text: str

    def note(self, ctx: Context, c: cmd.Note) -> None:
        self._status(*OPEN, *POST_SERVICE, "refused", "routed_out")
        need_code(c.kind, {"progress": "办理进展", "investigation": "调查核实",
                          "visit": "回访", "other": "其他"}, "kind", "记录类型")
        self._emit(ctx, self.Noted, None, kind=c.kind, text=need_text(c.text, "text", "记录内容"))

    class MediationOpened(Event):
        TOPIC = "casetrail:PetitionCase.MediationOpened"
        track: str
        mediator: str

    def open_mediation(self, ctx: Context, c: cmd.OpenMediation) -> None:
        self._status("accepted")
        self._holder(ctx)
        if self.state.mediation_open:
            raise _refuse("mediation.already_open", "调解已在进行中", "A mediation is already open")
        need_code(c.track, C.MEDIATION_TRACKS, "track", "调解类型")
        self._emit(ctx, self.MediationOpened, self.state.accepted_version, track=c.track,
                   mediator=c.mediator)

    class MediationConcluded(Event):
        TOPIC = "casetrail:PetitionCase.MediationConcluded"
        outcome: str
        agreement_digest: str | None

    def conclude_mediation(self, ctx: Context, c: cmd.ConcludeMediation) -> None:
        self._status("accepted")
        self._holder(ctx)
        if not self.state.mediation_open:
            raise _refuse("mediation.not_open", "没有进行中的调解", "No mediation is open")
        need_code(c.outcome, C.MEDIATION_OUTCOMES, "outcome", "调解结果")
        if c.agreement_digest is not None:
            check_digest(c.agreement_digest, "agreement_digest")
        self._emit(ctx, self.MediationConcluded, self.state.mediation_open, outcome=c.outcome,
                   agreement_digest=c.agreement_digest)

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

    def start_hearing(self, ctx: Context, c: cmd.StartHearing) -> None:
        self._hearing_actor(ctx)
        if self.state.hearing_open:
            raise _refuse("hearing.already_open", "听证已在进行中", "A hearing is already open")
        self._emit(ctx, self.HearingStarted, self.state.stage_base)

    def end_hearing(self, ctx: Context, c: cmd.EndHearing) -> None:
        self._hearing_actor(ctx)
        if not self.state.hearing_open:
            raise _refuse("hearing.not_open", "没有进行中的听证", "No hearing is open")
        self._emit(ctx, self.HearingEnded, self.state.hearing_open)

    class ExtensionGranted(Event):
        """延期 (art. 34): approved by the head of the handling organ, within the policy
        table's ``extension_cap`` (30 days) in total."""
        TOPIC = "casetrail:PetitionCase.ExtensionGranted"
        days: int
        reason: str
        approver: str
        petitioner_told: bool

    def extend(self, ctx: Context, c: cmd.Extend) -> None:
        self._status("accepted")
        self._holder(ctx)
        if self.state.track != "art31_6":
            raise _refuse("extension.no_clock", "只有第三十一条第（六）项事项有60日办理期限可延期",
                          "Only matters on the art. 31(六) track have a 60-day limit to extend")
        if c.days < 1:
            raise _invalid("extension.bad_days", "延期天数须为正整数", "days must be a positive "
                           "integer", "days")
        cap = limits.extension_cap(local_date(ctx.occurred_at))
        if self.state.extension_days + c.days > cap:
            raise _refuse("extension.over_30", f"延期累计不得超过{cap}日（第三十四条）",
                          f"Extensions would total {self.state.extension_days + c.days} days; "
                          f"the law allows at most {cap} (art. 34)", "days")
        need_text(c.reason, "reason", "延期理由")
        person_exists(ctx, c.approver, "approver")
        if not any(ctx.org.holds(c.approver, self.state.holder, p, ctx.occurred_at)
                   for p in C.HEAD_POSTS):
            raise _refuse("extension.approver_not_head", "延期须经办理机关负责人批准",
                          f"{c.approver} did not hold the head post of {self.state.holder} at "
                          f"{ctx.occurred_at.isoformat()}", "approver")
        self._emit(ctx, self.ExtensionGranted, self.state.accepted_version, days=c.days,
                   reason=c.reason, approver=c.approver, petitioner_told=bool(c.petitioner_told))

    # --- reply (处理意见书), approval, service, execution -------------------------------------------
    class ReplyIssued(Event):
        TOPIC = "casetrail:PetitionCase.ReplyIssued"
        request: str
        facts_and_reasons: str
        opinion: str
        legal_basis: str
        rights_notice: str
        document_digest: str | None

    def issue_reply(self, ctx: Context, c: cmd.IssueReply) -> None:
        self._status("accepted")
        self._holder(ctx)
        need_code(c.opinion, C.OPINIONS, "opinion", "处理意见")
        if c.document_digest is not None:
            check_digest(c.document_digest, "document_digest")
        self._emit(ctx, self.ReplyIssued, self.state.accepted_version, request=c.request,
                   facts_and_reasons=c.facts_and_reasons, opinion=c.opinion, legal_basis=c.legal_basis,
                   rights_notice=c.rights_notice, document_digest=c.document_digest)

    class ReplyApproved(Event):
        TOPIC = "casetrail:PetitionCase.ReplyApproved"
        approver: str

    def approve_reply(self, ctx: Context, c: cmd.ApproveReply) -> None:
        self._status("replied")
        self._holder(ctx)
        if self.state.reply_approved_version:
            raise _refuse("reply.already_approved", "处理意见书已审批", "The reply is approved")
        person_exists(ctx, c.approver, "approver")
        if not any(ctx.org.holds(c.approver, self.state.holder, p, ctx.occurred_at)
                   for p in C.REPLY_APPROVER_POSTS):
            raise _refuse("reply.approver_not_leader", "处理意见书须经本单位负责人或分管领导审批",
                          f"{c.approver} held neither the head nor the leader-in-charge post of "
                          f"{self.state.holder} then", "approver")
        self._emit(ctx, self.ReplyApproved, self.state.reply_version, approver=c.approver)

    class ReplyServed(Event):
        """送达 of the 处理意见书 (the 复查 window starts here)."""
        TOPIC = "casetrail:PetitionCase.ReplyServed"
        method: str
        outcome: str

    def serve_reply(self, ctx: Context, c: cmd.ServeReply) -> None:
        self._status("replied")
        self._holder(ctx)
        if not self.state.reply_approved_version:
            raise _refuse("service.reply_not_approved", "处理意见书未经审批，不能送达",
                          "The reply must be approved before it is served")
        need_code(c.method, C.SERVICE_METHODS, "method", "送达方式")
        need_code(c.outcome, C.SERVICE_OUTCOMES, "outcome", "送达结果")
        self._emit(ctx, self.ReplyServed, self.state.reply_approved_version, method=c.method,
                   outcome=c.outcome)

    class OpinionExecuted(Event):
        """落实: a supported opinion carried out (art. 32, 42(四))."""
        TOPIC = "casetrail:PetitionCase.OpinionExecuted"
        details: str

    def record_execution(self, ctx: Context, c: cmd.RecordExecution) -> None:
        self._status("served", "review_requested", "in_review", "review_decided", "reviewed",
                     "rereview_requested", "in_rereview", "rereview_decided", "final")
        self._holder(ctx)
        if not self.state.execution_due:
            raise _refuse("execution.not_supported", "只有支持的处理意见需要落实",
                          "Only a supported opinion is executed")
        if self.state.executed_version:
            raise _refuse("execution.already_recorded", "已记录落实", "Execution already recorded")
        self._emit(ctx, self.OpinionExecuted, self.state.served_version,
                   details=need_text(c.details, "details", "落实情况"))

    # --- evaluation (满意度评价) -----------------------------------------------------------------
    class Evaluated(Event):
        TOPIC = "casetrail:PetitionCase.Evaluated"
        target: str
        value: str
        reason: str

    def evaluate(self, ctx: Context, c: cmd.Evaluate) -> None:
        if self.state.served_version is None:
            raise _refuse("evaluation.not_served", "处理意见书送达后才能评价",
                          "Evaluation comes after the reply is served")
        self._status(*POST_SERVICE)
        need_code(c.target, C.EVALUATION_TARGETS, "target", "评价对象")
        need_code(c.value, C.EVALUATION_VALUES, "value", "评价结果")
        if c.target in self.state.evaluations:
            raise _refuse("evaluation.duplicate", "该对象已有评价，请以更正事件修改",
                          f"The {c.target} has already been evaluated", "target")
        self._emit(ctx, self.Evaluated, self.state.served_version, target=c.target, value=c.value,
                   reason=c.reason)

    # --- review 复查 and re-review 复核 (arts. 35–36) ----------------------------------------------
    class ReviewRequested(Event):
        TOPIC = "casetrail:PetitionCase.ReviewRequested"
        level: str
        organ: str
        window_last_day: str
        window_provisional: bool

    def request_review(self, ctx: Context, c: cmd.RequestReview) -> None:
        level = need_code(c.level, {"review": "复查", "rereview": "复核"}, "level", "复查/复核")
        self._status("served" if level == "review" else "reviewed")
        organ = unit_exists(ctx, c.organ, "organ")
        base = self.state.served_version if level == "review" else self.state.review["served"]
        previous_organ = self.state.holder if level == "review" else self.state.review["organ"]
        if organ == previous_organ or not organ_above(ctx.org, organ, previous_organ):
            raise _invalid("review.not_above", "复查（复核）机关应为原办理（复查）机关的上一级机关",
                           f"{organ} is not an organ above {previous_organ} (arts. 35–36)",
                           "organ")
        served = self.effective()[base - 1].occurred_at
        window = limits.window("review_request" if level == "review" else "rereview_request",
                         local_date(served))
        if limits.past(ctx.occurred_at, window):
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

    def accept_review(self, ctx: Context, c: cmd.AcceptReview) -> None:
        level = self._review_level("review_requested", "rereview_requested")
        self._review_organ(ctx, level)
        self._emit(ctx, self.ReviewAccepted, self._current_review(level)["requested"], level=level)

    class ReviewOpinionIssued(Event):
        TOPIC = "casetrail:PetitionCase.ReviewOpinionIssued"
        level: str
        opinion: str
        reasons: str
        legal_basis: str

    def issue_review_opinion(self, ctx: Context, c: cmd.IssueReviewOpinion) -> None:
        level = self._review_level("in_review", "in_rereview")
        self._review_organ(ctx, level)
        if level == "rereview" and self.state.hearing_open:
            raise _refuse("hearing.still_open", "听证尚未结束", "End the hearing first")
        need_code(c.opinion, C.REVIEW_OPINIONS, "opinion", "复查（复核）意见")
        self._emit(ctx, self.ReviewOpinionIssued, self._current_review(level)["accepted"],
                   level=level, opinion=c.opinion, reasons=c.reasons, legal_basis=c.legal_basis)

    class ReviewOpinionServed(Event):
        TOPIC = "casetrail:PetitionCase.ReviewOpinionServed"
        level: str
        method: str
        outcome: str

    def serve_review_opinion(self, ctx: Context, c: cmd.ServeReviewOpinion) -> None:
        level = self._review_level("review_decided", "rereview_decided")
        self._review_organ(ctx, level)
        need_code(c.method, C.SERVICE_METHODS, "method", "送达方式")
        need_code(c.outcome, C.SERVICE_OUTCOMES, "outcome", "送达结果")
        self._emit(ctx, self.ReviewOpinionServed, self._current_review(level)["opinion"],
                   level=level, method=c.method, outcome=c.outcome)

    def _review_level(self, review_status: str, rereview_status: str) -> str:
        self._status(review_status, rereview_status)
        return "review" if self.state.status == review_status else "rereview"

    def _current_review(self, level: str) -> dict[str, Any]:
        return self.state.review if level == "review" else self.state.rereview

    def _review_organ(self, ctx: Context, level: str) -> None:
        organ = self._current_review(level)["organ"]
        if ctx.actor.unit != organ:
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

    def supervise(self, ctx: Context, c: cmd.Supervise) -> None:
        if self.state.status in ("withdrawn", "merged") or (
                self.state.status == "final" and not self.state.execution_pending):
            self._status()
        unit = ctx.org.unit(ctx.actor.unit or "")
        if unit is None or unit.kind not in C.SUPERVISING_KINDS:
            raise _refuse("supervision.not_supervisor", "只有信访部门或联席会议可以督办",
                          "Only a petition bureau, joint conference or discipline organ may "
                          "supervise", "actor")
        need_code(c.kind, C.SUPERVISION_KINDS, "kind", "督办方式")
        target = unit_exists(ctx, c.target_unit or self.state.holder, "target_unit")
        due = parse_date(c.due_date, "due_date")
        if due <= local_date(ctx.occurred_at):
            raise _invalid("supervision.due_in_past", "督办期限必须晚于督办日期",
                           "The response due date must be after the supervision", "due_date")
        self._emit(ctx, self.SupervisionIssued, None, number=len(self.state.supervisions) + 1,
                   kind=c.kind, target_unit=target, due_date=c.due_date, content=c.content)

    class SupervisionAnswered(Event):
        TOPIC = "casetrail:PetitionCase.SupervisionAnswered"
        number: int
        content: str

    def answer_supervision(self, ctx: Context, c: cmd.AnswerSupervision) -> None:
        sup = self.state.supervisions.get(c.number)
        if sup is None:
            raise _invalid("supervision.unknown", "督办事项不存在",
                           f"No supervision number {c.number!r} on this case", "number")
        if sup["answered"]:
            raise _refuse("supervision.already_answered", "该督办已反馈", "Already answered")
        if ctx.actor.unit != sup["target_unit"]:
            raise _refuse("actor.not_supervised_unit", "只有被督办单位可以反馈",
                          f"Only {sup['target_unit']} may answer", "actor")
        self._emit(ctx, self.SupervisionAnswered, sup["version"], number=c.number,
                   content=need_text(c.content, "content", "反馈内容"))

    class AssignmentReported(Event):
        """交办 result reported back to the assigning bureau (办结报告, art. 22(三))."""
        TOPIC = "casetrail:PetitionCase.AssignmentReported"
        report: str

    def report_assignment(self, ctx: Context, c: cmd.ReportAssignment) -> None:
        if not self.state.assignment:
            raise _refuse("assignment.none", "该事项不是交办件", "The case was not assigned (交办)")
        if self.state.assignment.get("reported"):
            raise _refuse("assignment.already_reported", "已报送办结报告", "Already reported")
        self._status(*OPEN, *POST_SERVICE, "refused", "routed_out")
        self._holder(ctx)
        self._emit(ctx, self.AssignmentReported, self.state.assignment["version"],
                   report=need_text(c.report, "report", "办结报告"))

    # --- links, withdrawal, corrections ----------------------------------------------------------
    class LinkedPetition(Event):
        """A later petition on this matter: a repeat (回流) or a bypass visit (越级访)."""
        TOPIC = "casetrail:PetitionCase.LinkedPetition"
        relation: str
        other_case: str
        at_unit: str
        after_conclusion: bool

    def link_petition(self, ctx: Context, relation: str, other_case: str, at_unit: str) -> None:
        need_code(relation, {"repeat": "重复信访/回流", "bypass": "越级访"}, "relation", "关联类型")
        if self.state.status == "merged":
            self._status()
        self._emit(ctx, self.LinkedPetition, None, relation=relation, other_case=other_case,
                   at_unit=at_unit, after_conclusion=self.state.concluded)

    class Withdrawn(Event):
        TOPIC = "casetrail:PetitionCase.Withdrawn"
        reason: str

    def withdraw(self, ctx: Context, c: cmd.Withdraw) -> None:
        self._status(*OPEN)
        if ctx.actor.unit not in (self.state.holder, self.state.registering_unit,
                                         self.state.transferred_by):
            self._holder(ctx)
        self._emit(ctx, self.Withdrawn, self.state.status_version, reason=c.reason)

    class Corrected(Event):
        """更正: names the earlier event (its version), the field, the new value and the reason."""
        TOPIC = "casetrail:PetitionCase.Corrected"
        target_version: int
        field: str
        old_value: Any
        new_value: Any
        reason: str

    def correct(self, ctx: Context, c: cmd.Correct) -> None:
        self._emit(ctx, self.Corrected, None, **checked_correction(self, ctx, c))


OPEN = ("registered", "transferred", "received", "objected", "accepted", "replied")
POST_SERVICE = ("served", "review_requested", "in_review", "review_decided", "reviewed",
                "rereview_requested", "in_rereview", "rereview_decided", "final")
