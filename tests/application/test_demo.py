"""The demo generator: a realistic city, and case histories made through the real commands.

Every path the regulation knows shows up in a modest run, the same seed gives the same history
(on either store, and across stores), and nothing is written at a business time after the clock.
"""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from domain.application import Casetrail
from domain.case import PetitionCase
from domain.periods import TZ
from simulation.city import build_city_spec
from simulation.generator import generate_cases

START, END = date(2025, 1, 1), date(2026, 11, 20)
CLOCK = datetime.combine(END, time(20, 0), TZ)
N_CASES = 150
SMALL_CITY = {"counties": 2, "townships_per_county": 3, "villages_per_township": 2}

EVERY_KIND = sorted(
    name for name, cls in vars(PetitionCase).items()
    if isinstance(cls, type) and issubclass(cls, PetitionCase.Event)
    and name not in ("Event", "Created"))
EVERY_PATH = {"transfer", "assign", "direct", "unit_intake", "objection_upheld",
              "objection_rejected", "politics_law", "discipline", "route_out", "refused",
              "withdrawn", "suggestion", "accusation", "duplicate", "bypass", "repeat_after"}


def generated(url: str, seed: int = 7, n: int = N_CASES) -> tuple[Casetrail, dict[str, Any]]:
    app = Casetrail(url, clock=lambda: CLOCK)
    spec = build_city_spec(seed, **SMALL_CITY)
    app.load_organisation(spec, recorded_by="demo")
    return app, generate_cases(app, spec, n, seed, START, END, batch_size=60)


def histories(app: Casetrail) -> dict[str, list[tuple[Any, ...]]]:
    """Every case's facts, in log order of registration: (kind, occurred_at, actor, data, depends_on)."""
    numbers: list[str] = []
    start = 1
    while True:
        rows = app.recorder.select_notifications(
            start=start, limit=500, topics=("casetrail:PetitionCase.Registered",))
        numbers += [app.mapper.to_domain_event(n).case_no for n in rows]
        if len(rows) < 500:
            break
        start = rows[-1].id + 1
    return {no: [(f.kind, f.occurred_at, f.actor, f.data, f.depends_on) for f in app.history(no)]
            for no in numbers}


def test_the_city_has_every_level_organ_and_post_change() -> None:
    spec = build_city_spec(7)
    levels = {u["level"] for u in spec["units"]}
    kinds = {u["kind"] for u in spec["units"]}
    assert levels == {"city", "county", "township", "village", "grid"}
    assert kinds == {"territorial", "department", "petition_bureau", "review_organ",
                     "politics_law", "discipline", "joint_conference"}
    assert sum(u["level"] == "county" and u["kind"] == "territorial" for u in spec["units"]) == 4
    assert sum(u["level"] == "township" for u in spec["units"]) == 24
    assert sum(u["level"] == "village" for u in spec["units"]) == 96
    posts = {a["post"] for a in spec["appointments"]}
    assert {"head", "petition_leader", "petition_officer", "handler", "grid_head",
            "household_head", "village_secretary"} <= posts
    assert "village_secretary" in spec["posts"]
    ended = [a for a in spec["appointments"] if a.get("until")]
    successors = {(a["unit"], a["post"], a["from"]) for a in spec["appointments"]}
    assert any((a["unit"], "head", a["until"]) in successors for a in ended), "a head replaced"
    assert any(a["post"] == "handler" and any(
        b["person"] == a["person"] and b["unit"] != a["unit"] and b["from"] == a["until"]
        for b in spec["appointments"]) for a in ended), "a handler who moved units"
    assert len({p["name"] for p in spec["people"]}) == len(spec["people"])
    assert build_city_spec(7) == spec and build_city_spec(8) != spec


def test_generator_walks_every_path_through_the_real_commands(store_url: str) -> None:
    app, summary = generated(store_url)
    try:
        assert summary["cases"] >= N_CASES - 2
        assert set(summary["paths"]) == EVERY_PATH
        assert set(summary["event_kinds"]) == set(EVERY_KIND), (
            set(EVERY_KIND) - set(summary["event_kinds"]))
        statuses = summary["statuses"]
        for status in ("served", "reviewed", "final", "refused", "routed_out", "merged",
                       "withdrawn"):
            assert statuses.get(status), f"no case ends {status}: {statuses}"
        assert summary["open"] > 0, "some cases are still open at the cut-off"
        handling = summary["handling"]
        assert handling["on_time"] > handling["late"] > 0, handling

        show = app.get_case(summary["showcase"])
        kinds = [f.kind for f in show.facts]
        assert kinds.count("Transferred") >= 2 and "ExtensionGranted" in kinds
        assert "ReviewRequested" in kinds
        extension = next(f for f in show.facts if f.kind == "ExtensionGranted")
        assert app.org.holds(extension.data["approver"], show.state.holder, "head",
                             extension.occurred_at)

        facts = [f for h in histories(app).values() for f in h]
        assert max(f[1] for f in facts) <= CLOCK, "no act after the application's clock"
        resolutions = {f[3]["resolution"] for f in facts if f[0] == "ObjectionResolved"}
        assert resolutions == {"upheld", "rejected"}
        assert {f[3]["level"] for f in facts if f[0] == "ReviewOpinionServed"} == {
            "review", "rereview"}
        links = [f[3] for f in facts if f[0] == "LinkedPetition"]
        assert any(link["relation"] == "bypass" and link["at_unit"] == "city-xfj"
                   for link in links)
        assert any(link["relation"] == "repeat" and link["after_conclusion"] for link in links)
        numbers = {f[3]["number"] for f in facts if f[0] == "SupervisionIssued"}
        assert len([f for f in facts if f[0] == "SupervisionAnswered"]) < len(
            [f for f in facts if f[0] == "SupervisionIssued"]) and numbers, "some ignored"
        assert {f[3]["organ_kind"] for f in facts if f[0] == "RoutedToOrgan"} == {
            "politics_law", "discipline"}
    finally:
        app.close()


def test_same_seed_gives_the_same_history_on_either_store(store_url: str,
                                                          tmp_path: Path) -> None:
    first, _ = generated(store_url, n=60)
    second, _ = generated(f"sqlite:///{tmp_path}/again.db", n=60)
    other, _ = generated(f"sqlite:///{tmp_path}/other.db", seed=8, n=20)
    try:
        one, two = histories(first), histories(second)
        assert list(one) == list(two)
        assert one == two
        assert sum(map(len, one.values())) > 500
        assert histories(other) != {k: one[k] for k in list(one)[:20]}
    finally:
        for app in (first, second, other):
            app.close()


@pytest.mark.parametrize("field", ["counties", "townships_per_county", "villages_per_township"])
def test_a_bigger_city_still_loads(field: str, sqlite_url: str) -> None:
    spec = build_city_spec(3, **{**SMALL_CITY, field: SMALL_CITY[field] + 4})
    app = Casetrail(sqlite_url, clock=lambda: CLOCK)
    try:
        app.load_organisation(spec)
        assert len(app.org.units) == len(spec["units"])
        summary = generate_cases(app, spec, 25, 3, START, END)
        assert summary["cases"] >= 23
    finally:
        app.close()
