"""Later petitions on the same matter: a duplicate, a bypass visit (越级访), a 回流."""
from __future__ import annotations

from datetime import datetime, timedelta

from domain.case_state import CaseState
from domain.periods import local_date
from simulation.engine import Case, Life, Sim, Step, Wait
from simulation.handling import answer_for, handle, transfer, unanswered_for
from simulation.intake import competent, registration
from simulation.plan import NOTE_STATUSES, PENDING
from simulation.timing import iso_day, moment_after

__all__ = ["later_petition"]


def _settled(state: CaseState) -> bool:
    return state.status in ("served", "reviewed", "final")


def later_petition(sim: Sim, c: Case, original: Case) -> Life:
    """A second petition on an original's matter: a duplicate, a bypass visit, or a 回流."""
    rng, f = c.rng, c.flags
    if c.path == "duplicate":
        w = original.reg_at + timedelta(days=rng.randint(8, 25))
    elif c.path == "bypass":
        w = original.reg_at + timedelta(days=rng.randint(25, 40))
    else:  # 回流: some while after the original was concluded
        w = original.reg_at + timedelta(days=90)
        while True:
            yield Wait(w)
            if _settled(sim.state(original.no)):
                break
            w += timedelta(days=15)
        w += timedelta(days=rng.randint(10, 60))
    yield Wait(w)
    t = c.reg_at = moment_after(w, rng, 0, 1)
    of = original.flags
    f.update({k: of[k] for k in ("location", "category", "registered_category", "matter",
                                 "township", "village", "collective", "anonymous")})
    f["petitioners"] = sim.state(original.no).reg["petitioners"]
    if c.path == "bypass":
        bureau = sim.city.city["xfj"]
        f.update(bypass_of=original.no, channel="visit")
    else:
        bureau = original.area["xfj"]
        f.update(repeat_of=original.no, same_facts=c.path == "duplicate" or f["same_facts"])
    f["registered_by"] = bureau
    yield Step(t, c.no, "register", sim.actor(bureau, t, rng), registration(c, sim))
    st, was = sim.state(c.no), sim.state(original.no).status
    t = moment_after(t, rng, 0, 3)
    officer = sim.actor(bureau, t, rng)
    if c.path == "duplicate":
        yield Step(t, c.no, "mark_repeat", officer,
                   {"original": original.no,
                    "reason": "同一信访人就同一事项再次来信，原事项正在办理中，作重复件处理"})
    elif c.path == "bypass":
        yield from _bypass(sim, c, original, bureau, t, was in ("accepted", "replied"))
    elif st.original_final and st.same_facts:  # art. 36 ¶3: not accepted again
        yield Step(t, c.no, "refuse", officer,
                   {"reason": "该事项已经复核终结，信访人以同一事实和理由再次提出",
                    "basis": "第三十六条第三款"})
        t = moment_after(t, rng, 0, 2)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "refusal", "method": "written", "content": "不再受理告知书"})
    elif st.same_facts:
        yield Step(t, c.no, "mark_repeat", officer,
                   {"original": original.no, "reason": "办结后以同一事实和理由再次信访，并入原件"})
    else:  # new facts and reasons: a new matter, for the unit that handled the original
        f.update(review=0, timing="on_time")
        unit = sim.state(original.no).holder or competent(c)
        t = yield from transfer(sim, c, bureau, unit, t)
        yield from handle(sim, c, unit, t, bureau=bureau, transferred=True)


def _bypass(sim: Sim, c: Case, original: Case, bureau: str, t: datetime,
            pending_below: bool) -> Life:
    """越级访 at the city bureau: not accepted again (art. 19) or merged; then traced down."""
    rng = c.rng
    officer = sim.actor(bureau, t, rng)
    if pending_below:
        yield Step(t, c.no, "refuse", officer,
                   {"reason": "该事项已由有权机关受理且在办理期限内，告知信访人等待办理结果",
                    "basis": "第十九条第三款"})
        t = moment_after(t, rng, 0, 1)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "refusal", "method": "in_person",
                    "content": "您反映的事项已在属地受理办理中，请等待办理结果"})
    else:
        yield Step(t, c.no, "mark_repeat", officer,
                   {"original": original.no, "reason": "越级走访，与原信访事项为同一事项，并入原件"})
    # 一竿子插到底: trace the visit down to the village secretary, grid head, household head
    grid, village = original.flags["location"], original.flags["village"]
    names = "、".join(sim.name(sim.holder_of(u, p, t)) for u, p in (
        (village, "village_secretary"), (grid, "grid_head"), (grid, "household_head")))
    t = moment_after(t, rng, 0, 2)
    yield Step(t, original.no, "note", sim.actor(bureau, t, rng),
               {"kind": "investigation",
                "text": f"越级访倒查：村书记、网格长、双联户长（{names}）未及时发现和化解"},
               when=lambda st: st.status in NOTE_STATUSES)
    holder = sim.state(original.no).holder
    if holder is None or holder == bureau:
        return
    t = moment_after(t, rng, 0, 1)
    yield Step(t, original.no, "supervise", sim.actor(bureau, t, rng),
               {"kind": "phone", "due_date": iso_day(local_date(t) + timedelta(days=5)),
                "target_unit": holder, "content": "信访人越级到市走访，请及时做好稳控化解并反馈"},
               when=lambda st: st.status in PENDING)
    t = moment_after(t, rng, 1, 4)
    yield Step(t, original.no, "answer_supervision", sim.actor(holder, t, rng),
               {"content": "已约见信访人做好解释疏导，正在加快办理"}, late=answer_for(holder),
               when=unanswered_for(holder))
