"""Step definitions for features/lifecycle: the statutory life of a petition case, as officers say it.

Each action step makes one call to the application. An action written as ``Given`` must succeed;
the same action written as ``When`` is attempted: a refusal is kept for the ``Then`` steps, which
check its stable code and that the event log did not grow. Units and people are named as in the
organisation file (Chinese names); case labels ("case A") are the case numbers.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from domain import catalog as C
from domain.application import Batch, Casetrail
from domain.case import PetitionCase
from domain.case_state import STATUS_ZH, CaseState, Fact
from domain.errors import DomainError
from domain.periods import local_date
from tests.conftest import GRIEVANCE, Clock, at, log_size

scenarios("lifecycle")


# --- parsing what officers write ------------------------------------------------------------------
def _day(text: str) -> datetime:
    """'2026-03-02' is 10:00 that day in Asia/Shanghai; '2026-03-02 15:30' is that minute."""
    day, _, clock_time = text.strip().partition(" ")
    y, m, d = (int(p) for p in day.split("-"))
    hh, _, mm = (clock_time or "10:00").partition(":")
    return at(y, m, d, int(hh), int(mm or 0))


_day.pattern = r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?"  # type: ignore[attr-defined]
TYPES: dict[str, Callable[[str], Any]] = {"Day": _day}


def _zh(vocab: dict[str, str], text: str) -> str:
    """The stable code of a Chinese term (or the code itself)."""
    for code, zh in vocab.items():
        if text in (zh, code):
            return code
    raise KeyError(f"{text!r} is not one of {list(vocab.values())}")


NUMERALS = {"一": "31_1", "二": "31_2", "三": "31_3", "四": "31_4", "五": "31_5"}
ACTS = {  # what officers call each recorded act -> the event kind
    "登记": "Registered", "转送": "Transferred", "交办": "Transferred", "签收": "Received",
    "异议": "ObjectionRaised", "受理": "Accepted", "不予受理": "AcceptanceRefused",
    "处理意见书": "ReplyIssued", "审批": "ReplyApproved", "送达": "ReplyServed",
    "办理进展记录": "Noted", "调查核实记录": "Noted", "复查申请": "ReviewRequested",
    "延期": "ExtensionGranted", "撤回": "Withdrawn", "关联": "LinkedPetition",
}
FIELDS = {"信访形式": ("channel", C.CHANNELS), "事项类型": ("matter_type", C.MATTER_TYPES),
          "送达方式": ("method", C.SERVICE_METHODS), "处理意见": ("opinion", C.OPINIONS)}


def _field(text: str) -> str:
    return text


_field.pattern = "|".join(FIELDS)  # type: ignore[attr-defined]
TYPES["Field"] = _field


# --- the scenario's working memory -----------------------------------------------------------------
@dataclass
class Trail:
    app: Casetrail
    clock: Clock
    error: DomainError | None = None
    error_checked: bool = False
    size_before: int = 0
    seen_version: dict[str, int] = field(default_factory=dict)
    forms: dict[str, Batch] = field(default_factory=dict)

    def unit(self, name: str) -> str:
        org = self.app.refresh_org()
        for code, record in org.units.items():
            if name in (record.name, code):
                return code
        raise KeyError(f"no unit named {name!r}")

    def person(self, name: str) -> str:
        for code, person_name in self.app.refresh_org().persons.items():
            if name in (person_name, code):
                return code
        raise KeyError(f"no person named {name!r}")

    def actor(self, unit: str, person: str | None = None) -> dict[str, Any]:
        code = self.unit(unit)
        return {"unit": code, "person": self.person(person)} if person else {"unit": code}

    def run(self, case: str, command: str, unit: str, when: datetime, **args: Any) -> None:
        self.app.execute(case, command, self.actor(unit), when, **args)

    def attempt(self, action: Callable[[], Any]) -> None:
        self.settled()
        self.error, self.error_checked, self.size_before = None, False, log_size(self.app)
        try:
            action()
        except DomainError as refusal:
            self.error = refusal

    def settled(self) -> None:
        """A refusal nobody expected must not pass silently."""
        if self.error is not None and not self.error_checked:
            raise AssertionError(f"the step was refused: {self.error}")

    def state(self, case: str) -> CaseState:
        return self.case(case).state

    def case(self, case: str) -> PetitionCase:
        self.settled()
        return self.app.get_case(case)

    def facts(self, case: str, kind: str) -> list[Fact]:
        return [f for f in self.case(case).effective() if f.kind == kind]


@pytest.fixture
def trail(sqlite_app: Casetrail, clock: Clock) -> Iterator[Trail]:
    working = Trail(sqlite_app, clock)
    yield working
    working.settled()


def act(past: str, present: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """One action, two phrasings: ``Given <past>`` must succeed, ``When <present>`` is attempted."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        def strict(trail: Trail, **kw: Any) -> None:
            fn(trail, **kw)

        def attempted(trail: Trail, **kw: Any) -> None:
            trail.attempt(lambda: fn(trail, **kw))

        for wrapper in (strict, attempted):
            wrapper.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
        given(parsers.parse(past, extra_types=TYPES), stacklevel=2)(strict)
        when(parsers.parse(present, extra_types=TYPES), stacklevel=2)(attempted)
        return fn
    return register


# --- background ------------------------------------------------------------------------------------
@given("the organisation of 哈密市 and 伊州区 as on file")
def organisation_on_file(trail: Trail) -> None:
    assert trail.app.refresh_org().units, "the example organisation is loaded by the fixture"


@given(parsers.parse("today is {now:Day}", extra_types=TYPES))
def today_is(trail: Trail, now: datetime) -> None:
    trail.clock.now = now


# --- registration (登记) -----------------------------------------------------------------------------
def _intake_fields(trail: Trail, rows: list[list[str]]) -> dict[str, Any]:
    fields: dict[str, Any] = dict(GRIEVANCE)
    for key, value in ((r[0].strip(), r[1].strip()) for r in rows):
        if key == "信访形式":
            fields["channel"] = _zh(C.CHANNELS, value)
        elif key == "事项类型":
            fields["matter_type"] = _zh(C.MATTER_TYPES, value)
        elif key == "信访人":
            names = [] if value == "匿名" else [n.strip() for n in value.split("、")]
            fields["petitioners"] = [{"name": n} for n in names]
        elif key == "人数":
            fields["headcount"] = int(value)
        elif key == "集体访":
            fields["collective"] = value == "是"
        elif key == "代表":
            fields["representatives"] = [n.strip() for n in value.split("、")]
        elif key == "代办人":
            fields["agent"] = {"name": value, "mandate": "书面委托"}
        elif key == "被反映人":
            fields["accused"] = {"persons": [value]}
        elif key == "被反映单位":
            fields["accused"] = {"units": [trail.unit(value)]}
        elif key == "信访请求":
            fields["request"] = value
        elif key == "重复信访，原事项":
            fields["repeat_of"] = value
        elif key == "越级访，原事项":
            fields["bypass_of"] = value
        elif key == "同一事实和理由":
            fields["same_facts"] = value == "是"
        else:
            raise KeyError(f"unknown intake field {key!r}")
    return fields


@act("{unit} registered case {case} on {day:Day}", "{unit} registers case {case} on {day:Day}")
def register_plain(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.app.register_case(trail.actor(unit), day, case_no=case, **GRIEVANCE)


@act("{unit} registered case {case} on {day:Day} with:",
     "{unit} registers case {case} on {day:Day} with:")
def register_with(trail: Trail, unit: str, case: str, day: datetime,
                  datatable: list[list[str]]) -> None:
    trail.app.register_case(trail.actor(unit), day, case_no=case,
                            **_intake_fields(trail, datatable))


# --- triage (art. 22) ------------------------------------------------------------------------------
@act("{unit} transferred case {case} to {to} on {day:Day}",
     "{unit} transfers case {case} to {to} on {day:Day}")
def transfer(trail: Trail, unit: str, case: str, to: str, day: datetime) -> None:
    trail.run(case, "transfer", unit, day, to_unit=trail.unit(to))


@act("{unit} assigned case {case} to {to} on {day:Day}, due {due}",
     "{unit} assigns case {case} to {to} on {day:Day}, due {due}")
def assign(trail: Trail, unit: str, case: str, to: str, day: datetime, due: str) -> None:
    trail.run(case, "transfer", unit, day, to_unit=trail.unit(to), mode="assign", due_date=due)


@act("{unit} decided on {day:Day} to handle case {case} itself",
     "{unit} decides on {day:Day} to handle case {case} itself")
def handle_directly(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "handle_directly", unit, day, note="本级直接办理")


@act("{unit} routed case {case} to the {kind} {to} on {day:Day}",
     "{unit} routes case {case} to the {kind} {to} on {day:Day}")
def route_to_organ(trail: Trail, unit: str, case: str, kind: str, to: str, day: datetime) -> None:
    trail.run(case, "route_to_organ", unit, day, organ_kind=_zh(C.ROUTE_ORGANS, kind),
              to_unit=trail.unit(to))


@act("{unit} routed case {case} out under article 31({item}) to {procedure} on {day:Day}",
     "{unit} routes case {case} out under article 31({item}) to {procedure} on {day:Day}")
def route_out(trail: Trail, unit: str, case: str, item: str, procedure: str,
              day: datetime) -> None:
    trail.run(case, "route_out", unit, day, item=NUMERALS[item], procedure=procedure)


@act("{unit} marked case {case} as a repeat of case {original} on {day:Day}",
     "{unit} marks case {case} as a repeat of case {original} on {day:Day}")
def mark_repeat(trail: Trail, unit: str, case: str, original: str, day: datetime) -> None:
    trail.run(case, "mark_repeat", unit, day, original=original, reason="同一事项重复来信")


# --- receipt and objection (art. 23) -----------------------------------------------------------------
@act("{unit} signed for case {case} on {day:Day}", "{unit} signs for case {case} on {day:Day}")
def receive(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "receive", unit, day)


@act('{unit} objected to case {case} on {day:Day}: "{reasons}"',
     '{unit} objects to case {case} on {day:Day}: "{reasons}"')
def object_to(trail: Trail, unit: str, case: str, day: datetime, reasons: str) -> None:
    trail.run(case, "object_to_transfer", unit, day, reasons=reasons)


@act("{unit} {verdict} the objection on case {case} on {day:Day}",
     "{unit} {verdict} the objection on case {case} on {day:Day}")
def resolve_objection(trail: Trail, unit: str, verdict: str, case: str, day: datetime) -> None:
    resolution = {"upheld": "upheld", "upholds": "upheld",
                  "rejected": "rejected", "rejects": "rejected"}[verdict]
    trail.run(case, "resolve_objection", unit, day, resolution=resolution, reason="经审核")


# --- acceptance ---------------------------------------------------------------------------------------
@act("{unit} accepted case {case} on {day:Day}", "{unit} accepts case {case} on {day:Day}")
def accept(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "accept", unit, day)


@act('{unit} refused to accept case {case} on {day:Day}: "{reason}", under {basis}',
     '{unit} refuses to accept case {case} on {day:Day}: "{reason}", under {basis}')
def refuse(trail: Trail, unit: str, case: str, day: datetime, reason: str, basis: str) -> None:
    trail.run(case, "refuse", unit, day, reason=reason, basis=basis)


# --- handling ------------------------------------------------------------------------------------------
@act("{unit} made {person} the handler of case {case} on {day:Day}",
     "{unit} makes {person} the handler of case {case} on {day:Day}")
def assign_handler(trail: Trail, unit: str, person: str, case: str, day: datetime) -> None:
    trail.run(case, "assign_handler", unit, day, person=trail.person(person))


@act("{unit} put case {case} in the personal charge (包案) of {person} on {day:Day}",
     "{unit} puts case {case} in the personal charge (包案) of {person} on {day:Day}")
def assign_leader(trail: Trail, unit: str, case: str, person: str, day: datetime) -> None:
    trail.run(case, "assign_leader", unit, day, person=trail.person(person))


@act("{unit} noted progress on case {case} on {day:Day}",
     "{unit} notes progress on case {case} on {day:Day}")
def note_progress(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "note", unit, day, text="已约见信访人了解情况")


@act("{unit} opened a mediation ({track}) on case {case} on {day:Day}",
     "{unit} opens a mediation ({track}) on case {case} on {day:Day}")
def open_mediation(trail: Trail, unit: str, track: str, case: str, day: datetime) -> None:
    trail.run(case, "open_mediation", unit, day, track=_zh(C.MEDIATION_TRACKS, track),
              mediator="天山社区人民调解委员会")


@act("{unit} concluded the mediation on case {case} on {day:Day}: {outcome}",
     "{unit} concludes the mediation on case {case} on {day:Day}: {outcome}")
def conclude_mediation(trail: Trail, unit: str, case: str, day: datetime, outcome: str) -> None:
    trail.run(case, "conclude_mediation", unit, day, outcome=_zh(C.MEDIATION_OUTCOMES, outcome))


@act("{unit} opened a hearing (听证) on case {case} on {day:Day}",
     "{unit} opens a hearing (听证) on case {case} on {day:Day}")
def start_hearing(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "start_hearing", unit, day)


@act("{unit} closed the hearing on case {case} on {day:Day}",
     "{unit} closes the hearing on case {case} on {day:Day}")
def end_hearing(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "end_hearing", unit, day)


@act("{unit} extended case {case} by {days:d} days on {day:Day}, approved by {approver}",
     "{unit} extends case {case} by {days:d} days on {day:Day}, approved by {approver}")
def extend(trail: Trail, unit: str, case: str, days: int, day: datetime, approver: str) -> None:
    trail.run(case, "extend", unit, day, days=days, reason="案情复杂，需进一步调查核实",
              approver=trail.person(approver), petitioner_told=True)


# --- reply, approval, service, execution -------------------------------------------------------------
@act("{unit} issued its reply on case {case} on {day:Day}: {opinion}",
     "{unit} issues its reply on case {case} on {day:Day}: {opinion}")
def issue_reply(trail: Trail, unit: str, case: str, day: datetime, opinion: str) -> None:
    trail.run(case, "issue_reply", unit, day, opinion=_zh(C.OPINIONS, opinion),
              request="要求解决住房保障问题", facts_and_reasons="经调查核实",
              legal_basis="《信访工作条例》第三十二条", rights_notice="如不服，可在30日内申请复查")


@act("{approver} approved the reply of {unit} on case {case} on {day:Day}",
     "{approver} approves the reply of {unit} on case {case} on {day:Day}")
def approve_reply(trail: Trail, approver: str, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "approve_reply", unit, day, approver=trail.person(approver))


@act("{unit} served the reply on case {case} on {day:Day} by {method}",
     "{unit} serves the reply on case {case} on {day:Day} by {method}")
def serve_reply(trail: Trail, unit: str, case: str, day: datetime, method: str) -> None:
    trail.run(case, "serve_reply", unit, day, method=_zh(C.SERVICE_METHODS, method))


@act("{unit} recorded that the opinion on case {case} was carried out on {day:Day}",
     "{unit} records that the opinion on case {case} was carried out on {day:Day}")
def record_execution(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "record_execution", unit, day, details="保障性住房已分配到位")


# --- evaluation -------------------------------------------------------------------------------------------
@act("{unit} recorded the petitioner's rating of the {target} on case {case} on {day:Day}: {value}",
     "{unit} records the petitioner's rating of the {target} on case {case} on {day:Day}: {value}")
def evaluate(trail: Trail, unit: str, target: str, case: str, day: datetime, value: str) -> None:
    trail.run(case, "evaluate", unit, day, target=_zh(C.EVALUATION_TARGETS, target),
              value=_zh(C.EVALUATION_VALUES, value))


# --- review 复查 and re-review 复核 ---------------------------------------------------------------------
LEVELS = {"复查": "review", "复核": "rereview"}


@act("{organ} received a request for {level} of case {case} on {day:Day}",
     "{organ} receives a request for {level} of case {case} on {day:Day}")
def request_review(trail: Trail, organ: str, level: str, case: str, day: datetime) -> None:
    trail.run(case, "request_review", organ, day, organ=trail.unit(organ), level=LEVELS[level])


@act("{organ} took up the {level} of case {case} on {day:Day}",
     "{organ} takes up the {level} of case {case} on {day:Day}")
def accept_review(trail: Trail, organ: str, level: str, case: str, day: datetime) -> None:
    trail.run(case, "accept_review", organ, day)


@act("{organ} issued its {level} opinion on case {case} on {day:Day}: {opinion}",
     "{organ} issues its {level} opinion on case {case} on {day:Day}: {opinion}")
def issue_review_opinion(trail: Trail, organ: str, level: str, case: str, day: datetime,
                         opinion: str) -> None:
    article = "第三十五条" if level == "复查" else "第三十六条"
    trail.run(case, "issue_review_opinion", organ, day, opinion=_zh(C.REVIEW_OPINIONS, opinion),
              reasons="原处理意见事实清楚", legal_basis=f"《信访工作条例》{article}")


@act("{organ} served its {level} opinion on case {case} on {day:Day}",
     "{organ} serves its {level} opinion on case {case} on {day:Day}")
def serve_review_opinion(trail: Trail, organ: str, level: str, case: str, day: datetime) -> None:
    trail.run(case, "serve_review_opinion", organ, day, method="in_person")


# --- supervision 督办 (art. 40) --------------------------------------------------------------------------
@act("{unit} supervised case {case} by {kind} on {day:Day}, answer due {due}",
     "{unit} supervises case {case} by {kind} on {day:Day}, answer due {due}")
def supervise(trail: Trail, unit: str, case: str, kind: str, day: datetime, due: str) -> None:
    trail.run(case, "supervise", unit, day, kind=_zh(C.SUPERVISION_KINDS, kind), due_date=due,
              content="请加快办理并书面反馈")


@act("{unit} answered supervision no. {number:d} on case {case} on {day:Day}",
     "{unit} answers supervision no. {number:d} on case {case} on {day:Day}")
def answer_supervision(trail: Trail, unit: str, number: int, case: str, day: datetime) -> None:
    trail.run(case, "answer_supervision", unit, day, number=number,
              content="已成立专班，预计月底前出具处理意见")


# --- withdrawal and corrections --------------------------------------------------------------------------
@act("{unit} recorded the petitioner's withdrawal of case {case} on {day:Day}",
     "{unit} records the petitioner's withdrawal of case {case} on {day:Day}")
def withdraw(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "withdraw", unit, day, reason="信访人书面申请撤回")


def _act_version(trail: Trail, case: str, act_name: str) -> int:
    facts = trail.facts(case, ACTS[act_name])
    assert facts, f"case {case} has no {act_name}"
    return facts[-1].version


@act('{unit} corrected the date of the {act_name} on case {case} to {value:Day} on {day:Day}: '
     '"{reason}"',
     '{unit} corrects the date of the {act_name} on case {case} to {value:Day} on {day:Day}: '
     '"{reason}"')
def correct_date(trail: Trail, unit: str, act_name: str, case: str, value: datetime,
                 day: datetime, reason: str) -> None:
    trail.run(case, "correct", unit, day, target_version=_act_version(trail, case, act_name),
              field="occurred_at", value=value.isoformat(), reason=reason)


@act('{unit} corrected the {field_name:Field} of the {act_name} on case {case} to {value} '
     'on {day:Day}: "{reason}"',
     '{unit} corrects the {field_name:Field} of the {act_name} on case {case} to {value} '
     'on {day:Day}: "{reason}"')
def correct_field(trail: Trail, unit: str, field_name: str, act_name: str, case: str, value: str,
                  day: datetime, reason: str) -> None:
    name, vocab = FIELDS[field_name]
    trail.run(case, "correct", unit, day, target_version=_act_version(trail, case, act_name),
              field=name, value=_zh(vocab, value), reason=reason)


# --- two officers at once ---------------------------------------------------------------------------------
@given(parsers.parse("{person} of {unit} opened case {case}"))
@when(parsers.parse("{person} of {unit} reloads case {case}"))
def open_case(trail: Trail, person: str, unit: str, case: str) -> None:
    trail.seen_version[person] = trail.case(case).version


@act("{person} of {unit} accepted case {case} on {day:Day}, as last seen",
     "{person} of {unit} accepts case {case} on {day:Day}, as last seen")
def accept_as_seen(trail: Trail, person: str, unit: str, case: str, day: datetime) -> None:
    trail.app.execute(case, "accept", trail.actor(unit, person), day,
                      expected_version=trail.seen_version[person])


@act('{person} of {unit} noted on case {case} on {day:Day}, as last seen: "{text}"',
     '{person} of {unit} notes on case {case} on {day:Day}, as last seen: "{text}"')
def note_as_seen(trail: Trail, person: str, unit: str, case: str, day: datetime,
                 text: str) -> None:
    trail.app.execute(case, "note", trail.actor(unit, person), day,
                      expected_version=trail.seen_version[person], kind="investigation",
                      text=text)


@given(parsers.parse("{person} of {unit} began a note on case {case} on {day:Day}: \"{text}\"",
                     extra_types=TYPES))
def begin_note(trail: Trail, person: str, unit: str, case: str, day: datetime,
               text: str) -> None:
    form = trail.forms[person] = Batch(trail.app)
    form.execute(case, "note", trail.actor(unit, person), day, kind="investigation", text=text)


@when(parsers.parse("{person} saves the note"))
def save_note(trail: Trail, person: str) -> None:
    trail.attempt(trail.forms[person].commit)


# --- what a supervisor sees ---------------------------------------------------------------------------------
@then(parsers.parse('the step is refused with "{code}"'))
def refused_with(trail: Trail, code: str) -> None:
    assert trail.error is not None, "the step was expected to be refused but was recorded"
    trail.error_checked = True
    assert trail.error.code == code, f"refused with {trail.error.code}: {trail.error}"


@then("nothing was recorded")
def nothing_recorded(trail: Trail) -> None:
    assert log_size(trail.app) == trail.size_before


@then("the step is recorded")
def step_recorded(trail: Trail) -> None:
    trail.settled()
    assert log_size(trail.app) > trail.size_before


@then(parsers.parse('case {case} stands at "{status}"'))
def stands_at(trail: Trail, case: str, status: str) -> None:
    assert STATUS_ZH[trail.state(case).status] == status


@then(parsers.parse("case {case} is with {unit}"))
def held_by(trail: Trail, case: str, unit: str) -> None:
    assert trail.state(case).holder == trail.unit(unit)


@then(parsers.parse("case {case} was received as {channel} ({matter})"))
def received_as(trail: Trail, case: str, channel: str, matter: str) -> None:
    reg = trail.state(case).reg
    assert (reg["channel"], reg["matter_type"]) == (_zh(C.CHANNELS, channel),
                                                    _zh(C.MATTER_TYPES, matter))


@then(parsers.parse("case {case} names {agent} as the agent who filed it"))
def names_agent(trail: Trail, case: str, agent: str) -> None:
    assert trail.state(case).reg["agent"]["name"] == agent


@then(parsers.parse("case {case} is a collective visit of {headcount:d} people "
                    "with representatives {names}"))
def collective_visit(trail: Trail, case: str, headcount: int, names: str) -> None:
    reg = trail.state(case).reg
    assert reg["collective"] is True and reg["headcount"] == headcount
    assert reg["representatives"] == names.split("、")


@then(parsers.parse("case {case} is an anonymous accusation against {accused}"))
def anonymous_accusation(trail: Trail, case: str, accused: str) -> None:
    reg = trail.state(case).reg
    assert reg["matter_type"] == "accusation" and reg["petitioners"] == []
    assert accused in reg["accused"]["persons"]


@then(parsers.parse("case {case} was assigned (交办) to {unit} with a report due {due}"))
def assigned_due(trail: Trail, case: str, unit: str, due: str) -> None:
    assignment = trail.state(case).assignment
    assert assignment["unit"] == trail.unit(unit) and assignment["due_date"] == due
    assert assignment["reported"] is False


@then(parsers.parse("case {case} left the petition track for {procedure} "
                    "under article 31({item})"))
def left_for(trail: Trail, case: str, procedure: str, item: str) -> None:
    routed = trail.facts(case, "RoutedOut")[-1]
    assert (routed.data["item"], routed.data["procedure"]) == (NUMERALS[item], procedure)


@then(parsers.parse("case {case} was handed to the {kind} {unit}"))
def handed_to_organ(trail: Trail, case: str, kind: str, unit: str) -> None:
    routed = trail.facts(case, "RoutedToOrgan")[-1]
    assert routed.data["organ_kind"] == _zh(C.ROUTE_ORGANS, kind)
    assert routed.data["to_unit"] == trail.unit(unit)


@then(parsers.parse("case {case} was merged into case {original}"))
def merged_into(trail: Trail, case: str, original: str) -> None:
    assert trail.facts(case, "MarkedRepeat")[-1].data["original"] == original


@then(parsers.parse("the objection on case {case} was due by {last_day}"))
def objection_window(trail: Trail, case: str, last_day: str) -> None:
    assert trail.facts(case, "ObjectionRaised")[-1].data["window_last_day"] == last_day


@then(parsers.parse("the request for {level} of case {case} was due by {last_day}"))
def review_window(trail: Trail, level: str, case: str, last_day: str) -> None:
    request = [f for f in trail.facts(case, "ReviewRequested")
               if f.data["level"] == LEVELS[level]][-1]
    assert request.data["window_last_day"] == last_day


@then(parsers.parse("case {case} is on the track {track}"))
def on_track(trail: Trail, case: str, track: str) -> None:
    assert C.TRACKS[trail.state(case).track] == track


@then(parsers.parse('the refusal of case {case} gives the reason "{reason}" and the basis {basis}'))
def refusal_reason(trail: Trail, case: str, reason: str, basis: str) -> None:
    refusal = trail.facts(case, "AcceptanceRefused")[-1]
    assert (refusal.data["reason"], refusal.data["basis"]) == (reason, basis)


@then(parsers.parse("case {case} was accepted exactly once"))
def accepted_once(trail: Trail, case: str) -> None:
    assert len(trail.facts(case, "Accepted")) == 1


@then(parsers.parse("{person} is the handler of case {case}"))
def handler_is(trail: Trail, person: str, case: str) -> None:
    assert trail.state(case).handler == trail.person(person)


@then(parsers.parse("{person} is in personal charge of case {case}"))
def leader_is(trail: Trail, person: str, case: str) -> None:
    assert trail.person(person) in trail.state(case).leaders


@then(parsers.parse("the mediation on case {case} ended with {outcome}"))
def mediation_outcome(trail: Trail, case: str, outcome: str) -> None:
    assert trail.state(case).mediation_open is None
    concluded = trail.facts(case, "MediationConcluded")[-1]
    assert concluded.data["outcome"] == _zh(C.MEDIATION_OUTCOMES, outcome)


@then(parsers.parse("case {case} has {state} hearing open"))
def hearing_state(trail: Trail, case: str, state: str) -> None:
    assert (trail.state(case).hearing_open is not None) is (state == "a")


@then(parsers.parse("case {case} has been extended by {days:d} days in total, "
                    "the last approved by {approver}"))
def extended_total(trail: Trail, case: str, days: int, approver: str) -> None:
    assert trail.state(case).extension_days == days
    assert trail.facts(case, "ExtensionGranted")[-1].data["approver"] == trail.person(approver)


@then(parsers.parse("the reply on case {case} is {opinion}, approved by {approver}"))
def reply_is(trail: Trail, case: str, opinion: str, approver: str) -> None:
    state = trail.state(case)
    assert state.reply_opinion == _zh(C.OPINIONS, opinion)
    approval = trail.facts(case, "ReplyApproved")[-1]
    assert approval.data["approver"] == trail.person(approver)


@then(parsers.parse("the reply on case {case} was served on {day} by {method}"))
def reply_served(trail: Trail, case: str, day: str, method: str) -> None:
    service = trail.facts(case, "ReplyServed")[-1]
    assert local_date(service.occurred_at) == date.fromisoformat(day)
    assert service.data["method"] == _zh(C.SERVICE_METHODS, method)


@then(parsers.parse("case {case} {awaits} the carrying out of its supported opinion"))
def execution_state(trail: Trail, case: str, awaits: str) -> None:
    state = trail.state(case)
    assert state.execution_due
    assert state.execution_pending is (awaits == "awaits")


@then(parsers.parse("case {case} shows the petitioner rated the {target} {value}"))
def rated(trail: Trail, case: str, target: str, value: str) -> None:
    evaluations = trail.state(case).evaluations
    assert evaluations[_zh(C.EVALUATION_TARGETS, target)] == _zh(C.EVALUATION_VALUES, value)


@then(parsers.parse("case {case} has supervision no. {number:d} on {unit}, due {due}, "
                    "{answered}"))
def supervision_shows(trail: Trail, case: str, number: int, unit: str, due: str,
                      answered: str) -> None:
    sup = trail.state(case).supervisions[number]
    assert (sup["target_unit"], sup["due_date"]) == (trail.unit(unit), due)
    assert (sup["answered"] is not None) is (answered == "answered")


@then(parsers.parse("case {case} shows a {relation} petition, case {other}, "
                    "registered at {unit} {timing}"))
def linked(trail: Trail, case: str, relation: str, other: str, unit: str, timing: str) -> None:
    links = trail.state(case).links
    code = {"bypass (越级访)": "bypass", "repeat (重复信访)": "repeat"}[relation]
    assert [(ln["relation"], ln["other_case"], ln["at_unit"], ln["after_conclusion"])
            for ln in links] == [(code, other, trail.unit(unit), timing.startswith("after"))]


@then(parsers.parse("case {case} now shows the {act_name} dated {day}"))
def shows_act_on(trail: Trail, case: str, act_name: str, day: str) -> None:
    fact = trail.facts(case, ACTS[act_name])[-1]
    assert local_date(fact.occurred_at) == date.fromisoformat(day)


@then(parsers.parse("case {case} shows the {act_name} dated {day}, recorded on {recorded}"))
def shows_act_recorded(trail: Trail, case: str, act_name: str, day: str, recorded: str) -> None:
    fact = trail.facts(case, ACTS[act_name])[-1]
    assert local_date(fact.occurred_at) == date.fromisoformat(day)
    assert local_date(fact.recorded_at) == date.fromisoformat(recorded)


@then(parsers.parse("case {case} now shows the {field_name} as {value}"))
def shows_field(trail: Trail, case: str, field_name: str, value: str) -> None:
    name, vocab = FIELDS[field_name]
    assert trail.state(case).reg[name] == _zh(vocab, value)


@then(parsers.parse('the history of case {case} keeps the {act_name} as first recorded, on {day}, '
                    'and its correction by {unit}: "{reason}"'))
def history_keeps_date(trail: Trail, case: str, act_name: str, day: str, unit: str,
                       reason: str) -> None:
    facts = trail.case(case).facts
    original = [f for f in facts if f.kind == ACTS[act_name]][-1]
    assert local_date(original.occurred_at) == date.fromisoformat(day)
    correction = [f for f in facts if f.kind == "Corrected"][-1]
    assert correction.data["target_version"] == original.version
    assert local_date(datetime.fromisoformat(str(correction.data["old_value"]))) \
        == date.fromisoformat(day)
    assert correction.actor["unit"] == trail.unit(unit)
    assert correction.data["reason"] == reason


@then(parsers.parse('the history of case {case} keeps the {field_name} {old} as first recorded, '
                    'and its correction to {new} by {unit}: "{reason}"'))
def history_keeps_field(trail: Trail, case: str, field_name: str, old: str, new: str,
                        unit: str, reason: str) -> None:
    name, vocab = FIELDS[field_name]
    facts = trail.case(case).facts
    assert facts[0].data[name] == _zh(vocab, old)
    correction = [f for f in facts if f.kind == "Corrected"][-1]
    assert (correction.data["field"], correction.data["old_value"],
            correction.data["new_value"]) == (name, _zh(vocab, old), _zh(vocab, new))
    assert correction.actor["unit"] == trail.unit(unit)
    assert correction.data["reason"] == reason


@then(parsers.parse('case {case} holds exactly one note "{text}"'))
def one_note(trail: Trail, case: str, text: str) -> None:
    assert [f.data["text"] for f in trail.facts(case, "Noted")].count(text) == 1


@then(parsers.parse("the history of case {case} has {count:d} acts"))
def history_length(trail: Trail, case: str, count: int) -> None:
    assert len(trail.case(case).facts) == count
