"""The plan of a run: which path each case takes, its intake profile, and the families of cases."""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from simulation.city import City
from simulation.engine import Case
from simulation.matters import CATEGORY_WEIGHTS, ROUTE_OUT
from simulation.timing import DAY, choose, next_workday, office_hours

__all__ = ["PATHS", "FAMILIES", "FORCED", "NOTE_STATUSES", "PENDING", "profile", "plan_families"]


# How a primary case goes (weights for the random part; the first cases cover every path).
PATHS = {
    "transfer": 30, "assign": 8, "direct": 5, "unit_intake": 10, "objection_upheld": 4,
    "objection_rejected": 3, "politics_law": 5, "discipline": 4, "route_out": 7, "refused": 4,
    "withdrawn": 4, "suggestion": 3, "accusation": 2,
    # families: an original case and a later petition on the same matter
    "duplicate": 3, "bypass": 4, "repeat_after": 4,
}
FAMILIES = ("duplicate", "bypass", "repeat_after")
FORCED: list[tuple[str, dict[str, Any]]] = [
    ("objection_upheld", {"timing": "extended", "review": 2, "rereview_hearing": True,
                          "hearing": True, "mediation": True, "leader": True, "intake": "county",
                          "opinion": "not_support", "review_opinion": "uphold"}),
    ("transfer", {"timing": "late", "supervision": "ignored", "opinion": "support",
                  "execution": False}),
    ("assign", {"supervision": "answered", "timing": "on_time", "correction": "service_time"}),
    ("direct", {"mediation": True, "correction": "category", "review": 1,
                "review_opinion": "modify", "opinion": "support"}),
    ("unit_intake", {"channel": "agent", "hearing": True, "correction": "phone"}),
    ("objection_rejected", {"late_accept": True, "timing": "extended_late"}),
    ("politics_law", {}), ("discipline", {}), ("route_out", {}), ("refused", {}),
    ("withdrawn", {}), ("suggestion", {}), ("accusation", {}),
    ("duplicate", {}), ("bypass", {}), ("repeat_after", {"final": True, "same_facts": True}),
    ("repeat_after", {"final": False, "same_facts": False}), ("transfer", {"intake": "city"}),
]
NOTE_STATUSES = ("registered", "transferred", "received", "objected", "accepted", "replied",
                 "served", "reviewed", "final", "refused", "routed_out")
PENDING = ("transferred", "received", "objected", "accepted", "replied")


def profile(path: str, rng: random.Random, city: City, forced: dict[str, Any]) -> dict[str, Any]:
    """The case's intake and how its handling will go (decided up front, acted out later)."""
    area = rng.choice(city.counties)
    town = rng.choice(area.townships)
    village = rng.choice(area.villages[town])
    grids = area.grids[village]
    location = rng.choice(grids) if grids and rng.random() < 0.85 else village
    matter, category = "grievance", choose(rng, CATEGORY_WEIGHTS)
    if path == "politics_law":
        category = "C23"
    elif path == "discipline":
        matter, category = "accusation", "C24"
    elif path == "route_out":
        category = rng.choice(list(ROUTE_OUT))
    elif path == "suggestion":
        matter, category = "suggestion", rng.choice(["C26", "C15", "C01"])
    elif path == "accusation":
        matter, category = "accusation", rng.choice(["C16", "C09"])
    elif path == "objection_upheld":
        category = rng.choice(["C02", "C03", "C05", "C06", "C07", "C13"])
    opinion = choose(rng, {"support": 35, "explain": 45, "not_support": 20})
    review = 0
    if rng.random() < {"not_support": 0.4, "explain": 0.15, "support": 0.03}[opinion]:
        review = 2 if rng.random() < 0.45 else 1
    p = {
        "location": location, "township": town, "village": village, "matter": matter,
        "category": category, "intake": "city" if rng.random() < 0.15 else "county",
        "channel": choose(rng, {"visit": 35, "letter": 20, "online": 30, "phone": 10,
                                "agent": 5}),
        "collective": rng.random() < 0.06,
        "anonymous": path == "discipline" and rng.random() < 0.4,
        "timing": choose(rng, {"on_time": 78, "late": 10, "extended": 9, "extended_late": 3}),
        "late_triage": rng.random() < 0.05, "late_accept": rng.random() < 0.07,
        "late_notice": rng.random() < 0.05, "opinion": opinion, "review": review,
        "review_opinion": choose(rng, {"uphold": 85, "modify": 8, "revoke": 7}),
        "rereview_hearing": rng.random() < 0.2, "mediation": rng.random() < 0.15,
        "hearing": rng.random() < 0.05, "leader": rng.random() < 0.2,
        "supervision": choose(rng, {"": 80, "answered": 15, "ignored": 5}),
        "execution": rng.random() < 0.85, "evaluate": rng.random() < 0.85,
        "correction": choose(rng, {"": 94, "category": 2, "service_time": 2, "phone": 2}),
    }
    p.update(forced)
    if p["channel"] == "agent" and not grids:
        p["channel"] = "visit"
    elif p["channel"] == "agent":
        p["location"] = location if location in grids else grids[0]
    if matter != "grievance":  # only the 31(六) track has a 60-day clock to extend or review
        p.update(timing="on_time" if p["timing"].startswith("extended") else p["timing"],
                 review=0)
    if p["anonymous"] and p["correction"] == "phone":
        p["correction"] = ""
    p["registered_category"] = category
    if p["correction"] == "category":  # registered under 其他 by mistake, corrected later
        p["registered_category"] = "C28" if category != "C28" else "C26"
    p["area"] = area
    return p


def plan_families(n_cases: int, seed: int, start: date, end: date,
                  city: City) -> Iterator[list[Case]]:
    """Families of cases (an original, then its later petitions), numbered and dated; made
    lazily, so a city-year of many thousands of cases is never all in memory."""
    rng = random.Random(f"plan/{seed}")
    span = (end - start).days
    i = k = 0
    while i < n_cases:
        path, forced = FORCED[k] if k < len(FORCED) else (choose(rng, PATHS), {})
        if path in FAMILIES and i + 2 > n_cases:
            path, forced = "transfer", {}
        lead = 360 if path == "repeat_after" or forced.get("review") == 2 else 150
        if k < len(FORCED):  # the cases that cover every path start early enough to finish
            offset = rng.randint(0, min(160, max(0, span - lead)))
        elif path in FAMILIES:  # early enough for the later petition, in a short window too
            offset = rng.randint(0, max(span // 3, span - lead))
        else:
            offset = rng.randint(0, span)
        day = next_workday(start + timedelta(days=offset))
        while day > end and day > start:  # keep registration days within [start, end]
            day -= DAY
        case_rng = random.Random(f"case/{seed}/{i}")
        if path in FAMILIES:  # the original: a plain matter that runs its course
            review = 2 if forced.get("final") or (path == "repeat_after" and case_rng.random() <
                                                 0.5) else int(path == "repeat_after")
            flags = profile("transfer", case_rng, city, {
                "timing": "on_time", "intake": "county", "review": review,
                "review_opinion": "uphold", "opinion": "not_support" if review else "explain",
                "correction": ""})
        else:
            flags = profile(path, case_rng, city, forced)
        reg_at = office_hours(day, case_rng)
        family = [Case(f"XF{day:%Y%m%d}{i + 1:05d}", "transfer" if path in FAMILIES else path,
                       case_rng, reg_at, flags["area"], flags)]
        if path in FAMILIES:
            later_rng = random.Random(f"case/{seed}/{i + 1}")
            later = profile("transfer", later_rng, city, {})
            later["same_facts"] = forced.get("same_facts", later_rng.random() < 0.6)
            family.append(Case(f"XF{day:%Y%m%d}{i + 2:05d}", path, later_rng, reg_at,
                               flags["area"], later))
        yield family
        i += len(family)
        k += 1
