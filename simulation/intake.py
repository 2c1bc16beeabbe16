"""The lives of cases at intake: registration, triage at the petition bureau, routing."""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.periods import add_calendar_days, local_date
from simulation.engine import Case, Life, Sim, Step
from simulation.handling import handle, transfer
from simulation.matters import CATEGORY_UNIT, MATTERS
from simulation.people import Names
from simulation.timing import digest, moment_after

__all__ = ["registration", "competent", "primary"]


def _petitioners(c: Case, sim: Sim, n: int) -> list[dict[str, Any]]:
    rng, names = c.rng, Names(c.rng)
    out = []
    for _ in range(n):
        born = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        body = f"{c.area.area_code}{born:%Y%m%d}{rng.randint(100, 999)}"
        out.append({"name": names(),
                    "phone": f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}",
                    "id_number": body + rng.choice("0123456789X"),
                    "address": sim.city.names.get(c.flags["location"], "")})
    return out


def registration(c: Case, sim: Sim) -> dict[str, Any]:
    rng, f = c.rng, c.flags
    request, facts = MATTERS.get(f["category"], MATTERS["C28"])
    collective = f["collective"]
    petitioners = f.get("petitioners")
    if petitioners is None:
        petitioners = [] if f["anonymous"] else _petitioners(c, sim, 3 if collective else 1)
    fields: dict[str, Any] = {
        "channel": f["channel"], "matter_type": f["matter"], "category": f["registered_category"],
        "location": f["location"], "petitioners": petitioners,
        "headcount": rng.randint(6, 30) if collective else max(1, len(petitioners)),
        "collective": collective, "request": request, "facts_and_reasons": facts,
        "representatives": [p["name"] for p in petitioners] if collective else [],
        "attachments": [{"name": name, "sha256": digest(c.no, name)} for name in
                        rng.sample(["身份证复印件.jpg", "信访材料.pdf", "现场照片.jpg",
                                    "合同复印件.pdf", "欠条.jpg"], rng.randint(0, 2))],
    }
    if f["channel"] == "agent":
        grid = f["location"]
        agent = sim.holder_of(grid, "household_head", c.reg_at)
        fields["agent"] = {"name": sim.name(agent), "role": "双联户长代办", "unit": grid,
                           "document": "代办委托书"}
    if f["matter"] == "accusation":
        fields["accused"] = {"persons": [Names(rng)()], "post": "村委会主任",
                             "units": [sim.city.names[f["village"]]]}
    for key in ("repeat_of", "same_facts", "bypass_of"):
        if key in f:
            fields[key] = f[key]
    return fields


def competent(c: Case) -> str:
    """The unit competent for the matter: the county department, or the township (属地)."""
    suffix = CATEGORY_UNIT.get(c.flags["category"])
    return c.flags["township"] if suffix is None else c.area[suffix]


def primary(sim: Sim, c: Case) -> Life:
    """A petition from registration to wherever its path ends (or the cut-off)."""
    rng, f = c.rng, c.flags
    bureau = (sim.city.city if f["intake"] == "city" else c.area)["xfj"]
    intake = bureau
    if c.path == "unit_intake":  # at the township's 矛调中心, or the department's own window
        intake = f["township"] if rng.random() < 0.5 else competent(c)
    f["registered_by"] = intake
    t = c.reg_at
    yield Step(t, c.no, "register", sim.actor(intake, t, rng), registration(c, sim))
    if f["registered_category"] != f["category"]:
        t = moment_after(t, rng, 0, 2)
        yield Step(t, c.no, "correct", sim.actor(intake, t, rng),
                   {"target_version": 1, "field": "category", "value": f["category"],
                    "reason": "登记时问题分类选择错误，按信访人实际反映内容更正"})
    if c.path == "unit_intake":
        t = moment_after(t, rng, 0, 1)
        yield Step(t, c.no, "notify_petitioner", sim.actor(intake, t, rng),
                   {"kind": "receipt", "method": "in_person", "content": "当场告知已登记接收"})
        yield from handle(sim, c, intake, t, bureau=c.area["xfj"], transferred=False)
        return
    # triage at the petition bureau (art. 22): within 15 days, a few late
    last = add_calendar_days(local_date(t), 15).last_day
    t = moment_after(t, rng, 16, 25) if f["late_triage"] else moment_after(t, rng, 0, 6, last)
    officer = sim.actor(bureau, t, rng)
    if c.path == "politics_law":
        organ = c.area[rng.choice(["zfw", "fy"])]
        yield Step(t, c.no, "route_to_organ", officer,
                   {"organ_kind": "politics_law", "to_unit": organ,
                    "basis": "涉法涉诉，依照第二十二条第二款转同级政法机关依法处理"})
        t = moment_after(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "redirect", "method": rng.choice(["written", "in_person"]),
                    "content": f"您反映的问题属于涉法涉诉事项，已转{sim.city.names[organ]}依法处理"})
        return
    if c.path == "discipline":
        yield Step(t, c.no, "route_to_organ", officer,
                   {"organ_kind": "discipline", "to_unit": c.area["jw"],
                    "basis": "属于纪检监察机关受理的检举控告，按照管理权限转送（第二十二条第三款）"})
        if not f["anonymous"]:
            t = moment_after(t, rng, 0, 3)
            yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                       {"kind": "route", "method": "written",
                        "content": f"已转{sim.city.names[c.area['jw']]}处理"})
        return
    if c.path == "refused" and rng.random() < 0.5:
        yield Step(t, c.no, "refuse", officer,
                   {"reason": "反映事项已由人民法院作出生效判决，不属于信访受理范围",
                    "basis": "第二十八条、第三十一条"})
        t = moment_after(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "refusal", "method": "written", "content": "不予受理告知书"})
        return
    if c.path == "direct":
        yield Step(t, c.no, "handle_directly", officer, {"note": "事项简单，由信访部门直接办理"})
        yield from handle(sim, c, bureau, t, bureau=bureau, transferred=False)
        return
    target = competent(c)
    suffix = CATEGORY_UNIT.get(f["category"])
    if bureau.startswith("city-") and suffix and rng.random() < 0.3:
        target = sim.city.city[suffix]  # a city-level matter, for the city department
    first = target
    if c.path == "objection_upheld":  # misrouted to another department first
        first = next(c.area[s] for s in ("mzj", "zjj", "rsj") if c.area[s] != target)
    t = yield from transfer(sim, c, bureau, first, t)
    yield from handle(sim, c, first, t, bureau=bureau, transferred=True, right_unit=target)
