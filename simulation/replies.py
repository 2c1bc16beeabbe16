"""The lives of cases after handling: the reply (处理意见书), its service, what follows it, and
复查 / 复核."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.case_state import CaseState
from domain.periods import add_calendar_days, local_date
from simulation.engine import Case, Life, Sim, Step, merged
from simulation.matters import MATTERS
from simulation.timing import DAY, choose, digest, iso_day, moment_after, next_workday, office_hours

__all__ = ["reply"]


def reply(sim: Sim, c: Case, unit: str, t: datetime, handler: str, bureau: str) -> Life:
    """处理意见书: issue, approve, serve; a correction now and then; then what follows."""
    rng, f = c.rng, c.flags
    if not sim.org.posts_held(handler, unit, t):  # the handler has moved: a successor takes over
        handler = rng.choice(sim.org.holders(unit, "handler", t)
                             or sim.org.holders(unit, "petition_officer", t))
        yield Step(t, c.no, "assign_handler", sim.actor(unit, t, rng, ("petition_leader", "head")),
                   {"person": handler})
        t += timedelta(minutes=rng.randint(20, 120))
    request, facts = MATTERS.get(f["category"], MATTERS["C28"])
    yield Step(t, c.no, "issue_reply",
               {"unit": unit, "person": handler, "post": sim.org.posts_held(handler, unit, t)[0]},
               {"opinion": f["opinion"], "request": request, "facts_and_reasons": facts,
                "legal_basis": "《信访工作条例》第三十二条及相关法律政策规定",
                "rights_notice": "如对本处理意见不服，可自收到之日起30日内请求原办理机关的上一级机关复查",
                "document_digest": digest(c.no, "处理意见书")})
    t = moment_after(t, rng, 0, 2)
    post = rng.choice(["head", "petition_leader"])
    approver = sim.holder_of(unit, post, t)
    if approver is None:
        post, approver = "head", sim.holder_of(unit, "head", t)
    yield Step(t, c.no, "approve_reply", {"unit": unit, "person": approver, "post": post},
               {"approver": approver})
    t = moment_after(t, rng, 1, 5)
    method = choose(rng, {"in_person": 50, "post": 25, "electronic": 20, "left": 5})
    yield Step(t, c.no, "serve_reply", sim.actor(unit, t, rng),
               {"method": method, "outcome": "refused" if method == "left" else "signed"})
    served = t
    if f["correction"] == "service_time":
        t = moment_after(t, rng, 1, 2)
        served += timedelta(hours=rng.randint(1, 3))
        yield Step(t, c.no, "correct", sim.actor(unit, t, rng),
                   {"field": "occurred_at", "value": served.isoformat(),
                    "reason": "送达回证显示的实际送达时间与登记时间不符，据实更正"},
                   late=lambda st: {"target_version": st.served_version})
    elif f["correction"] == "phone":
        t = moment_after(t, rng, 0, 2)
        yield Step(t, c.no, "correct", sim.actor(f["registered_by"], t, rng),
                   {"field": "petitioners", "reason": "信访人联系电话登记有误，据信访人告知更正"},
                   late=_corrected_phone(rng))
    yield from _after_service(sim, c, unit, t, served, bureau)


def _corrected_phone(rng: random.Random) -> Callable[[CaseState], dict[str, Any]]:
    phone = f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}"

    def late(state: CaseState) -> dict[str, Any]:
        people = [dict(p) for p in state.reg["petitioners"]]
        people[0]["phone"] = phone
        return {"target_version": 1, "value": people}
    return late


def _after_service(sim: Sim, c: Case, unit: str, t: datetime, served: datetime,
                   bureau: str) -> Life:
    """Execution, the assignment report, evaluations, a follow-up visit, 复查 and 复核."""
    rng, f = c.rng, c.flags
    window = add_calendar_days(local_date(served), 30).last_day
    review_at = moment_after(t, rng, 3, 25, window) if f["review"] else None
    horizon = review_at or served + timedelta(days=45)
    acts: list[Step] = []
    if c.path == "assign":
        at = moment_after(t, rng, 0, 2)
        acts.append(Step(at, c.no, "report_assignment", sim.actor(unit, at, rng),
                         {"report": "已办结并送达处理意见书，信访人表示认可"}))
    if f["opinion"] == "support" and f["execution"]:
        at = moment_after(t, rng, 1, 20)
        if at < horizon:
            acts.append(Step(at, c.no, "record_execution", sim.actor(unit, at, rng),
                             {"details": "已按处理意见落实，相关款项已发放到位"}))
    if f["evaluate"]:
        via_bureau = bureau != unit and c.path != "unit_intake"
        recorder = bureau if c.path != "unit_intake" else unit
        for target in ["unit"] + (["bureau"] if via_bureau else []):
            if rng.random() < 0.08:  # 超期未评价: recorded when the window closes
                at, value = office_hours(next_workday(window + DAY), rng), "none"
            else:
                at = moment_after(t, rng, 1, 20, window)
                value = choose(rng, {"satisfied": 70, "basically_satisfied": 18,
                                     "dissatisfied": 60 if f["review"] else 12})
            acts.append(Step(at, c.no, "evaluate", sim.actor(recorder, at, rng),
                             {"target": target, "value": value}))
    if not f["review"] and rng.random() < 0.3:
        at = moment_after(t, rng, 10, 40)
        acts.append(Step(at, c.no, "note", sim.actor(unit, at, rng),
                         {"kind": "visit", "text": "办结后回访，信访人表示认可处理结果"}))
    if f["opinion"] == "support" and not f["execution"]:
        at = moment_after(t, rng, 20, 40)
        acts.append(Step(at, c.no, "supervise", sim.actor(bureau, at, rng),
                         {"kind": "written", "target_unit": unit,
                          "due_date": iso_day(local_date(at) + timedelta(days=7)),
                          "content": "支持意见至今未落实，请限期落实并反馈"},
                         when=lambda st: st.execution_pending))
    if review_at is None:
        yield from sorted(acts, key=lambda s: s.at)
        return
    acts = [s for s in acts if s.at < review_at or s.command in ("evaluate", "supervise")]
    review_organ = sim.city.city["gov"] if unit.startswith("city-") else c.area["gov"]
    yield from merged(acts, _reviews(sim, c, unit, review_organ, review_at))


def _reviews(sim: Sim, c: Case, unit: str, organ: str, t: datetime) -> Life:
    rng, f = c.rng, c.flags
    served = yield from _review(sim, c, organ, t, "review", f["review_opinion"])
    if f["review_opinion"] in ("revoke", "modify"):
        at = moment_after(served, rng, 5, 25)
        yield Step(at, c.no, "record_execution", sim.actor(unit, at, rng),
                   {"details": "已按复查意见重新作出处理并落实"})
    if f["review"] >= 2 and organ != sim.city.city["gov"]:
        window = add_calendar_days(local_date(served), 30).last_day
        at = moment_after(served, rng, 3, 25, window)
        if f["review_opinion"] in ("revoke", "modify"):
            at = moment_after(max(at, served + 26 * DAY), rng, 0, 0, window)
        yield from _review(sim, c, sim.city.city["gov"], at, "rereview", "uphold")


def _review(sim: Sim, c: Case, organ: str, t: datetime, level: str, opinion: str) -> Life:
    rng, f = c.rng, c.flags
    staff = ("handler", "petition_officer")
    yield Step(t, c.no, "request_review", sim.actor(organ, t, rng, staff),
               {"organ": organ, "level": level})
    t = moment_after(t, rng, 1, 5)
    yield Step(t, c.no, "accept_review", sim.actor(organ, t, rng, staff))
    last = add_calendar_days(local_date(t), 30).last_day
    if level == "rereview" and f["rereview_hearing"]:
        t = moment_after(t, rng, 5, 12)
        yield Step(t, c.no, "start_hearing", sim.actor(organ, t, rng, staff))
        t += timedelta(hours=rng.randint(1, 3))
        yield Step(t, c.no, "end_hearing", sim.actor(organ, t, rng, staff))
    t = moment_after(t, rng, 8, 26, last) if rng.random() < 0.93 else moment_after(t, rng, 31, 40)
    yield Step(t, c.no, "issue_review_opinion", sim.actor(organ, t, rng, ("head",
                                                                              "petition_leader")),
               {"opinion": opinion, "legal_basis": "《信访工作条例》第三十五条"
                if level == "review" else "《信访工作条例》第三十六条",
                "reasons": "原处理意见认定事实清楚，适用政策正确" if opinion == "uphold"
                else "原处理意见认定事实不清，予以纠正"})
    t = moment_after(t, rng, 1, 4)
    yield Step(t, c.no, "serve_review_opinion", sim.actor(organ, t, rng, staff),
               {"method": rng.choice(["in_person", "post"])})
    return t
