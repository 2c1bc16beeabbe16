"""The case generator: drives the lives of many cases through the real commands, in batches."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from typing import Any

from domain.application import Batch, Casetrail
from domain.periods import TZ, add_calendar_days, local_date
from simulation.city import City
from simulation.engine import Case, Sim, SimClock, schedule
from simulation.families import later_petition
from simulation.intake import primary
from simulation.plan import PENDING, plan_families

__all__ = ["generate_cases"]


def generate_cases(app: Casetrail, spec: dict[str, Any], n_cases: int, seed: int, start: date,
                   end: date, batch_size: int = 200) -> dict[str, Any]:
    """Create about ``n_cases`` cases registered from ``start`` on, through the real commands.

    Each case's registration and all its acts go into one ``Batch`` (one transaction) with other
    cases, about ``batch_size`` cases per batch. ``spec`` (from :func:`build_city_spec`) must be
    loaded into ``app`` already. No act is later than ``end`` or the app's clock: cases whose
    next act would be are left open. Deterministic: same app clock, spec, seed and dates, same
    histories. A later petition whose moment falls after the cut-off is not registered, so the
    count can fall a little short of ``n_cases``. Case numbers are ``XF<registration date><index>``:
    generate into a store that holds no demo cases yet.
    """
    city = City.of(spec)
    if city.city["xfj"] not in app.refresh_org().units:
        raise ValueError("load the organisation spec into the application first")
    cutoff = min(app.clock(), datetime.combine(end, time(23, 59), TZ))
    sim = Sim(app, city, cutoff)
    summary: dict[str, Any] = {"cases": 0, "events": 0, "batches": 0, "open": 0,
                               "skipped_decisions": 0, "paths": Counter(), "statuses": Counter(),
                               "event_kinds": Counter(), "handling": Counter(), "examples": {},
                               "showcase": None}
    chunk: list[list[Case]] = []
    for family in plan_families(n_cases, seed, start, end, city):
        if chunk and sum(map(len, chunk)) + len(family) > batch_size:
            _run_chunk(sim, chunk, summary)
            chunk = []
        chunk.append(family)
    if chunk:
        _run_chunk(sim, chunk, summary)
    summary["skipped_decisions"] = sim.skipped
    for key in ("paths", "statuses", "event_kinds", "handling"):
        summary[key] = dict(sorted(summary[key].items()))
    return summary


def _run_chunk(sim: Sim, chunk: list[list[Case]], summary: dict[str, Any]) -> None:
    if isinstance(sim.app.clock, SimClock):
        sim.app.clock.start_batch()
    sim.batch = Batch(sim.app)
    sim.org = sim.batch.org
    lives = [primary(sim, family[0]) for family in chunk]
    lives += [later_petition(sim, c, family[0]) for family in chunk for c in family[1:]]
    schedule(sim, lives)
    sim.batch.commit()
    summary["batches"] += 1
    for case in (c for family in chunk for c in family):
        agg = sim.batch.cases.get(case.no)
        if agg is None:
            continue
        status = agg.state.status
        kinds = [fact.kind for fact in agg.facts]
        summary["cases"] += 1
        summary["events"] += len(kinds)
        summary["paths"][case.path] += 1
        summary["statuses"][status] += 1
        summary["open"] += status in PENDING or status == "registered"
        summary["event_kinds"].update(kinds)
        summary["handling"][_timeliness(agg.facts, sim.cutoff)] += 1
        summary["examples"].setdefault(case.path, case.no)
        if summary["showcase"] is None and kinds.count("Transferred") >= 2 and \
                "ExtensionGranted" in kinds and "ReviewRequested" in kinds:
            summary["showcase"] = case.no


def _timeliness(facts: list[Any], cutoff: datetime) -> str:
    """How the 60-day handling clock (31(六) track, plus extensions) went for one case."""
    accepted = next((f for f in facts if f.kind == "Accepted"), None)
    if accepted is None or accepted.data["track"] != "art31_6":
        return "no_clock"
    days = 60 + sum(f.data["days"] for f in facts if f.kind == "ExtensionGranted")
    due = add_calendar_days(local_date(accepted.occurred_at), days).last_day
    reply = next((f for f in facts if f.kind == "ReplyIssued"), None)
    if reply is not None:
        return "on_time" if local_date(reply.occurred_at) <= due else "late"
    if facts[-1].kind == "Withdrawn":
        return "withdrawn"
    return "open_overdue" if local_date(cutoff) > due else "open_in_time"
