"""The demo run (``casetrail demo``): the demo city and a few hundred cases from 2025-01-01 to
2026-11-20, recorded by a simulated system clock a little after each act."""
from __future__ import annotations

import time as _time
from datetime import date, datetime, time
from typing import Any

from domain.application import Casetrail
from domain.periods import TZ
from simulation.city import build_city_spec
from simulation.engine import SimClock
from simulation.generator import generate_cases

__all__ = ["DEMO_START", "DEMO_END", "run_demo"]

DEMO_START, DEMO_END = date(2025, 1, 1), date(2026, 11, 20)


def run_demo(url: str | None, cases: int = 300, seed: int = 7) -> dict[str, Any]:
    """Create the app on ``url``, load the demo city, generate ``cases`` cases from 2025-01-01
    to 2026-11-20; return the summary and one case worth showing (``show``: transfers, an
    extension and a review)."""
    clock = SimClock(datetime.combine(DEMO_END, time(20, 0), TZ))
    app = Casetrail(url, clock=clock)
    try:
        started = _time.perf_counter()
        spec = build_city_spec(seed)
        summary = {"org_events": app.load_organisation(spec, recorded_by="demo")}
        summary.update(generate_cases(app, spec, cases, seed, DEMO_START, DEMO_END))
        summary["seconds"] = round(_time.perf_counter() - started, 2)
        summary["show"] = summary["showcase"]
        return summary
    finally:
        app.close()
