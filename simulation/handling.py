"""The lives of cases at the handling unit: transfer, receipt, objection, acceptance, handling."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from domain.case_state import CaseState
from domain.periods import add_calendar_days, add_working_days, local_date
from simulation.engine import Case, Life, Sim, Step
from simulation.matters import ROUTE_OUT
from simulation.replies import reply
from simulation.timing import (
    DAY,
    choose,
    digest,
    iso_day,
    moment_after,
    moment_between,
    next_workday,
    office_hours,
)

__all__ = ["transfer", "handle", "answer_for", "unanswered_for"]


def transfer(sim: Sim, c: Case, bureau: str, to_unit: str, t: datetime) -> Life:
    rng = c.rng
    args: dict[str, Any] = {"to_unit": to_unit,
                            "note": "按照属地管理、分级负责，谁主管、谁负责的原则转送"}
    if c.path == "assign":
        due = local_date(t) + timedelta(days=rng.choice([30, 45, 60]))
        args.update(mode="assign", due_date=iso_day(due), note="重要信访事项，交办并要求报送办结报告")
    yield Step(t, c.no, "transfer", sim.actor(bureau, t, rng), args)
    t = moment_after(t, rng, 0, 2)
    yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
               {"kind": "route", "method": rng.choice(["written", "sms", "online"]),
                "content": f"您的信访事项已转送{sim.city.names[to_unit]}办理"})
    return t


def handle(sim: Sim, c: Case, unit: str, t: datetime, bureau: str, transferred: bool,
           right_unit: str | None = None) -> Life:
    """From receipt at ``unit`` to acceptance (or refusal, routing out, withdrawal), then on."""
    rng, f = c.rng, c.flags
    if transferred:
        t = moment_after(t, rng, 1, 4)
        yield Step(t, c.no, "receive", sim.actor(unit, t, rng))
        if c.path in ("objection_upheld", "objection_rejected") and not f.get("objected"):
            f["objected"] = True
            last = add_working_days(local_date(t), 5).last_day
            t = moment_after(t, rng, 1, 4, last)
            upheld = c.path == "objection_upheld"
            proper = sim.city.names[right_unit if upheld and right_unit else f["township"]]
            yield Step(t, c.no, "object_to_transfer", sim.actor(unit, t, rng),
                       {"reasons": f"该事项不属于本单位职责，应由{proper}依职责办理，请退回重新转送"})
            t = moment_after(t, rng, 1, 5)
            yield Step(t, c.no, "resolve_objection", sim.actor(bureau, t, rng, ("head",)),
                       {"resolution": "upheld" if upheld else "rejected",
                        "reason": "经核实异议成立" if upheld else
                        "经研究该事项属于你单位职责范围，请继续办理"})
            if upheld and right_unit:
                t = moment_after(t, rng, 0, 3)
                t = yield from transfer(sim, c, bureau, right_unit, t)
                yield from handle(sim, c, right_unit, t, bureau, True)
                return
    received = t
    if c.path == "route_out":
        item, procedure = ROUTE_OUT[f["category"]]
        t = moment_after(t, rng, 1, 8)
        yield Step(t, c.no, "route_out", sim.actor(unit, t, rng),
                   {"item": item, "procedure": procedure})
        t = moment_after(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(unit, t, rng),
                   {"kind": "redirect", "method": "written",
                    "content": f"您反映的事项应通过{procedure}解决，请向有权机关提出"})
        return
    if c.path == "refused":
        t = moment_after(t, rng, 2, 10)
        yield Step(t, c.no, "refuse", sim.actor(unit, t, rng),
                   {"reason": "同一信访事项已在办理期限内，信访人又向本机关重复提出",
                    "basis": "第十九条第二款"})
        t = moment_after(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(unit, t, rng),
                   {"kind": "refusal", "method": "written", "content": "不予受理告知书"})
        return
    if c.path == "withdrawn" and rng.random() < 0.3:
        t = moment_after(t, rng, 1, 6)
        yield Step(t, c.no, "withdraw", sim.actor(unit, t, rng),
                   {"reason": "信访人书面申请撤回：问题已经协商解决"})
        return
    last = add_calendar_days(local_date(received), 15).last_day
    t = moment_after(t, rng, 16, 30) if f["late_accept"] else moment_after(t, rng, 0, 10, last)
    yield Step(t, c.no, "accept", sim.actor(unit, t, rng))
    accepted = t
    t = moment_after(t, rng, 16, 22) if f["late_notice"] else moment_after(t, rng, 0, 3)
    yield Step(t, c.no, "notify_petitioner", sim.actor(unit, t, rng),
               {"kind": "acceptance", "method": rng.choice(["written", "sms", "in_person"]),
                "content": "受理告知书：您的信访事项已受理"})
    yield from _in_handling(sim, c, unit, t, accepted, bureau)


def _reply_day(c: Case, accepted: datetime) -> tuple[date, int]:
    """When the reply is issued (on time, late, after an extension) and the extension's days."""
    rng, timing = c.rng, c.flags["timing"]
    start = local_date(accepted)
    due = add_calendar_days(start, 60).last_day
    if timing == "on_time":
        return min(next_workday(start + timedelta(days=rng.randint(12, 55))), due), 0
    if timing == "late":
        return next_workday(due + timedelta(days=rng.randint(1, 25))), 0
    days = rng.choice([15, 30])
    ext_due = add_calendar_days(due, days).last_day  # from the original expiry (art. 34)
    if timing == "extended_late":
        return next_workday(ext_due + timedelta(days=rng.randint(1, 10))), days
    day = next_workday(due + timedelta(days=rng.randint(1, max(1, (ext_due - due).days - 1))))
    return min(day, ext_due), days


def _in_handling(sim: Sim, c: Case, unit: str, t: datetime, accepted: datetime,
                 bureau: str) -> Life:
    """Acceptance to reply: handler, leader, notes, mediation, hearing, supervision, extension."""
    rng, f = c.rng, c.flags
    due = add_calendar_days(local_date(accepted), 60).last_day
    reply_day, ext_days = _reply_day(c, accepted)
    reply_at = max(office_hours(reply_day, rng), t + 3 * DAY)
    end = reply_at - timedelta(hours=2)
    acts: list[Step] = []

    def some_time(lo: datetime, hi: datetime = end) -> datetime:
        return moment_between(lo, hi, rng)

    def act(at: datetime, command: str, actor: dict[str, Any], **args: Any) -> None:
        acts.append(Step(at, c.no, command, actor, args))

    handler_at = some_time(t, min(t + 3 * DAY, end))
    handler = rng.choice(sim.org.holders(unit, "handler", handler_at)
                         or sim.org.holders(unit, "petition_officer", handler_at))
    act(handler_at, "assign_handler", sim.actor(unit, handler_at, rng, ("petition_leader", "head")),
        person=handler)
    if f["leader"]:  # 领导包案: a county (or city) leader takes personal charge
        at = some_time(handler_at)
        leader = sim.holder_of("city" if unit.startswith("city-") else c.area.code,
                               rng.choice(["head", "petition_leader"]), at)
        if leader:
            act(at, "assign_leader", sim.actor(unit, at, rng), person=leader)
    place = sim.city.names.get(f["location"], "")
    for _ in range(rng.randint(0, 2)):
        at = some_time(handler_at)
        kind, text = rng.choice([
            ("investigation", f"承办人赴{place}实地调查核实，走访信访人及相关当事人并制作笔录"),
            ("investigation", "调取相关档案材料，核实政策依据和历史情况"),
            ("progress", "召开协调会，约谈相关责任单位，研究化解方案"),
            ("progress", "听取信访人意见，做好政策解释和情绪疏导")])
        act(at, "note", sim.actor(unit, at, rng, ("handler", "petition_officer")), kind=kind,
            text=text)
    if f["mediation"]:
        a = some_time(handler_at)
        b = some_time(a)
        secretary = sim.holder_of(f["village"], "village_secretary", a)
        act(a, "open_mediation", sim.actor(unit, a, rng),
            track=rng.choice(["people", "administrative", "petition", "industry"]),
            mediator=f"{sim.city.names[f['village']]}党组织书记{sim.name(secretary)}")
        outcome = choose(rng, {"agreement": 5, "settlement": 2, "failed": 3})
        act(b, "conclude_mediation", sim.actor(unit, b, rng), outcome=outcome,
            agreement_digest=None if outcome == "failed" else digest(c.no, "调解协议书"))
    if f["hearing"]:
        a = some_time(handler_at)
        act(a, "start_hearing", sim.actor(unit, a, rng))
        act(a + timedelta(hours=rng.randint(1, 3)), "end_hearing", sim.actor(unit, a, rng))
    if ext_days:  # approved by whoever is the head of the handling organ on that day
        at = moment_after(accepted, rng, 40, (due - local_date(accepted)).days - 2)
        act(at, "extend", sim.actor(unit, at, rng), days=ext_days,
            approver=sim.holder_of(unit, "head", at), petitioner_told=True,
            reason="案情复杂，需进一步调查核实和协调相关部门")
        told = moment_after(at, rng, 0, 1)
        act(told, "notify_petitioner", sim.actor(unit, told, rng), kind="extension",
            method="written", content=f"延期办理告知书：办理期限延长{ext_days}日")
    late = f["timing"] in ("late", "extended_late")
    if f["supervision"] or (late and rng.random() < 0.5):
        overdue = office_hours(next_workday(due + timedelta(days=ext_days + 1)), rng)
        at = overdue if late and overdue < end else some_time(min(t + 20 * DAY, end))
        supervisor = sim.city.city["lxhy"] if rng.random() < 0.15 else bureau
        act(at, "supervise", sim.actor(supervisor, at, rng),
            kind="listed" if supervisor.endswith("lxhy") else rng.choice(
                ["online", "phone", "written"]),
            due_date=iso_day(local_date(at) + timedelta(days=rng.randint(5, 10))), target_unit=unit,
            content="该事项已超过办理期限，请说明原因并尽快办结" if late else
            "请加快办理进度，按期办结并反馈")
        if f["supervision"] != "ignored":
            ans = moment_after(at, rng, 1, 7)
            acts.append(Step(ans, c.no, "answer_supervision", sim.actor(unit, ans, rng),
                             {"content": "已督促承办人加快办理，近期出具处理意见"},
                             late=answer_for(unit)))
    acts.sort(key=lambda s: s.at)  # stable: a pair keeps its order at equal times
    if c.path == "withdrawn":
        at = some_time(handler_at)
        yield from (s for s in acts if s.at < at)
        yield Step(at, c.no, "withdraw", sim.actor(unit, at, rng),
                   {"reason": "信访人申请撤回：经调解双方已达成和解"})
        return
    yield from acts
    t = max([s.at for s in acts] + [t])
    yield from reply(sim, c, unit, max(reply_at, t + timedelta(hours=1)), handler, bureau)


def answer_for(unit: str) -> Callable[[CaseState], dict[str, Any]]:
    def late(state: CaseState) -> dict[str, Any]:
        return {"number": max(n for n, s in state.supervisions.items()
                              if s["target_unit"] == unit and not s["answered"])}
    return late


def unanswered_for(unit: str) -> Callable[[CaseState], bool]:
    return lambda st: any(s["target_unit"] == unit and not s["answered"]
                          for s in st.supervisions.values())
