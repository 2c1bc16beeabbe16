"""NDJSON import and export: a bad line is reported by number and nothing of its case is
written; an export imports into an empty store and reproduces the same cases."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from api.app import build_services
from api.routes.io import EVENT_ARGS, import_ndjson
from domain.case import PetitionCase
from tests.api.conftest import Api, run_lifecycle, ts
from tests.conftest import GRIEVANCE, Clock, log_size

NDJSON = {"content-type": "application/x-ndjson"}


def line(case_no: str, command: str, when: str, unit: str, **args: Any) -> bytes:
    return orjson.dumps({"case_no": case_no, "command": command, "occurred_at": when,
                         "actor": {"unit": unit}, "args": args})


def test_every_event_of_the_core_has_an_import_line() -> None:
    kinds = {name for name, v in vars(PetitionCase).items() if isinstance(v, type)
             and issubclass(v, PetitionCase.Event) and "TOPIC" in vars(v)}
    assert kinds - set(EVENT_ARGS) == {"Event", "Created", "Registered", "LinkedPetition"}


def test_a_bad_line_rejects_its_case_only(api: Api) -> None:
    body = b"\n".join([
        line("OK1", "register", ts(1, 5), "yz-xfj", **GRIEVANCE),
        line("BAD", "register", ts(1, 5), "yz-xfj", **GRIEVANCE),
        line("OK1", "transfer", ts(1, 6), "yz-xfj", to_unit="yz-zjj"),
        line("BAD", "transfer", ts(1, 6), "yz-xfj", to_unit="nowhere"),
        line("BAD", "note", ts(1, 7), "yz-xfj", text="x"),
    ])
    before = log_size(api.core)
    r = api.client.post("/import", content=body, headers=api.h("integration", **NDJSON))
    report = r.json()
    assert report["rejected"] == [{"line": 4, "case_no": "BAD", "code": "unit.unknown",
                                   "title": "单位不存在", "detail": "Unknown unit 'nowhere'",
                                   "field": "to_unit"}]
    assert report["cases_imported"] == 1 and log_size(api.core) == before + 2
    assert api.get("bureau", "/cases/BAD").status_code == 404
    facts = api.get("bureau", "/cases/OK1/history").json()["facts"]
    # business time as stated, recorded time is the import's: the back-filling shows
    assert facts[1]["occurred_at"] == ts(1, 6) and facts[1]["recorded_at"].startswith("2026-11-20")
    assert facts[1]["actor"]["client"] == "legacy-xf"


def test_out_of_scope_actors_and_malformed_lines(api: Api) -> None:
    other = api.token(subject="zjj", kind="client", unit="yz-zjj", roles=["integration"],
                      scope_unit="yz-zjj")
    body = line("X1", "register", ts(1, 5), "yz-xfj", **GRIEVANCE)
    r = api.client.post("/import", content=body, headers={"Authorization": f"Bearer {other}",
                                                          **NDJSON})
    assert r.json()["rejected"][0]["code"] == "actor.out_of_scope"
    r = api.client.post("/import", content=body + b"\n{oops", headers=api.h("integration",
                                                                            **NDJSON))
    assert (r.status_code, r.json()["code"], r.json()["line"]) == (400, "import.malformed_line",
                                                                   2)
    assert api.get("bureau", "/cases/X1").status_code == 404


def test_export_imports_into_an_empty_store_and_reproduces_the_cases(
        api: Api, tmp_path: Path) -> None:
    run_lifecycle(api)
    exported = api.get("integration", "/export").content
    fresh = build_services(f"sqlite:///{tmp_path}/fresh.db", Clock(api.core.clock()))
    try:
        report = import_ndjson(fresh, exported)
        assert report["rejected"] == [] and report["organisation"] == "loaded"
        for case_no in "ABCDEF":
            old, new = api.core.get_case(case_no), fresh.core.get_case(case_no)
            assert new.state == old.state
            strip = [(f.kind, f.occurred_at, f.data, f.depends_on,
                      {k: v for k, v in f.actor.items() if k != "client"}) for f in old.facts]
            assert [(f.kind, f.occurred_at, f.data, f.depends_on,
                     {k: v for k, v in f.actor.items() if k != "client"})
                    for f in new.facts] == strip
        again = orjson.loads(b"[" + b",".join(exported.splitlines()[1:]) + b"]")
        assert len(again) == sum(1 for _ in exported.splitlines()) - 1
    finally:
        fresh.close()


def test_export_by_unit_and_period(api: Api) -> None:
    run_lifecycle(api)
    api.register("bureau", "LATE", ts(9, 1))
    by_unit = api.client.get("/export", params={"unit": "yz-rsj", "organisation": False},
                             headers=api.h("integration")).content.splitlines()
    assert {orjson.loads(x)["case_no"] for x in by_unit} == {"B"}
    late = api.client.get("/export", params={"registered_from": ts(8, 1), "organisation": False},
                          headers=api.h("integration")).content.splitlines()
    assert [orjson.loads(x)["case_no"] for x in late] == ["LATE"]
