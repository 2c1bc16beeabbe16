"""NDJSON import and export: a bad line is reported by number and nothing of its case is
written; an export imports into an empty store and reproduces the same cases."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from api.app import build_services
from api.routes.io import EVENT_ARGS, import_ndjson
from domain.case import PetitionCase
from domain.findings import list_findings
from projections.runner import rebuild
from projections.schema import ViewDB
from store.config import is_postgres
from tests.api.conftest import Api, run_lifecycle, ts
from tests.api.test_confidentiality import ACCUSATION
from tests.conftest import GRIEVANCE, Clock, at, drop_schema, log_size, new_store_url

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
            own = ("client", "source_recorded_at")  # set by the importing store
            strip = [(f.kind, f.occurred_at, f.data, f.depends_on,
                      {k: v for k, v in f.actor.items() if k not in own}) for f in old.facts]
            assert [(f.kind, f.occurred_at, f.data, f.depends_on,
                     {k: v for k, v in f.actor.items() if k not in own})
                    for f in new.facts] == strip
            # each imported act keeps when the source recorded it
            assert [f.actor["source_recorded_at"] for f in new.facts
                    if f.kind != "LinkedPetition"] == [
                f.recorded_at.isoformat() for f in old.facts if f.kind != "LinkedPetition"]
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


# --- what a user's file looks like ----------------------------------------------------------
def two_acts(case_no: str) -> bytes:
    return line(case_no, "register", ts(1, 5), "yz-xfj", **GRIEVANCE) + b"\n" + \
        line(case_no, "transfer", ts(1, 6), "yz-xfj", to_unit="yz-zjj")


def test_a_bom_crlf_line_ends_and_a_blank_last_line_are_accepted(sqlite_api: Api) -> None:
    body = b"\xef\xbb\xbf" + two_acts("W1").replace(b"\n", b"\r\n") + b"\r\n\r\n"
    r = sqlite_api.client.post("/import", content=body, headers=sqlite_api.h("integration",
                                                                              **NDJSON))
    assert (r.status_code, r.json()["rejected"], r.json()["events_written"]) == (200, [], 2)


@pytest.mark.parametrize("bad,status,code", [
    (b"\xff\xfe{}", 400, "import.not_utf8"), (b"[1, 2]", 422, "import.not_an_object"),
    (b'"XF1"', 422, "import.not_an_object"), (b"null", 422, "import.not_an_object"),
    (b"{oops", 400, "import.malformed_line")])
def test_a_line_that_cannot_be_read_refuses_the_file_and_writes_nothing(
        sqlite_api: Api, bad: bytes, status: int, code: str) -> None:
    before = log_size(sqlite_api.core)
    r = sqlite_api.client.post("/import", content=two_acts("W1") + b"\n" + bad,
                               headers=sqlite_api.h("integration", **NDJSON))
    assert (r.status_code, r.json()["code"], r.json()["line"]) == (status, code, 3)
    assert log_size(sqlite_api.core) == before


def test_importing_the_same_file_again_writes_nothing_and_says_so(api: Api) -> None:
    run_lifecycle(api)
    exported = api.get("integration", "/export").content
    before = log_size(api.core)
    again = api.client.post("/import", content=exported, headers=api.h("integration", **NDJSON))
    report = again.json()
    assert (report["rejected"], report["events_written"]) == ([], 0)
    assert report["already_present"] == list("ABCDEF") and log_size(api.core) == before
    changed = exported.replace("走访核实".encode(), "电话核实".encode())
    report = api.client.post("/import", content=changed,
                             headers=api.h("integration", **NDJSON)).json()
    assert [(r["case_no"], r["code"]) for r in report["rejected"]] == [("A", "case.exists")]
    assert report["already_present"] == list("BCDEF")
    assert log_size(api.core) == before


@pytest.mark.parametrize("params", [{"unit": "city-xfj"}, {"registered_from": ts(3, 10)},
                                    {"unit": "yz-zjj"}])
def test_a_unit_or_period_export_carries_its_linked_cases_and_imports_alone(
        sqlite_api: Api, tmp_path: Path, params: dict[str, str]) -> None:
    api = sqlite_api
    run_lifecycle(api)
    api.tokens["city"] = api.token(subject="city-xfj-sys", kind="client", unit="city-xfj",
                                   roles=["petition_bureau"], scope_unit="city")
    assert api.register("city", "BYP", ts(3, 20), bypass_of="A").status_code == 201
    exported = api.client.get("/export", params=params, headers=api.h("integration")).content
    assert {orjson.loads(x)["case_no"] for x in exported.splitlines()[1:]} == {"A", "BYP", "E"}
    fresh = build_services(f"sqlite:///{tmp_path}/fresh.db", Clock(api.core.clock()))
    try:
        assert import_ndjson(fresh, exported)["rejected"] == []
        for case_no in ("A", "BYP", "E"):
            assert fresh.core.get_case(case_no).state == api.core.get_case(case_no).state
    finally:
        fresh.close()


def test_an_export_reproduces_the_read_models_and_findings_byte_for_byte(
        api: Api, tmp_path: Path) -> None:
    """Accusations, corrections, supervision, review and re-review, bypass and repeat links,
    and an organisation that changed over time; on the store the test runs on."""
    api.core.move_unit("dhl", "yz", at(2026, 4, 1))
    run_lifecycle(api)
    # after the acts of the head who leaves (his token stops working when he leaves)
    api.core.vacate_post("yz-zjj", "head", "zhao-lei", at(2026, 10, 1))
    api.core.fill_post("yz-zjj", "head", "wang-jun", at(2026, 10, 1))
    api.tokens["city"] = api.token(subject="city-xfj-sys", kind="client", unit="city-xfj",
                                   roles=["petition_bureau"], scope_unit="city")
    assert api.register("bureau", "ACC", ts(3, 2), **ACCUSATION).status_code == 201
    assert api.post("bureau", "/cases/ACC/transfer", {"to_unit": "yz-jw",
                                                      "occurred_at": ts(3, 2, 11)}).status_code == 200
    assert api.register("city", "BYP", ts(3, 20), bypass_of="A").status_code == 201
    assert api.register("bureau", "REP", ts(6, 1), repeat_of="A").status_code == 201
    assert api.post("bureau", "/cases/A/request_review", {
        "organ": "city-gov", "level": "rereview", "occurred_at": ts(5, 25)}).status_code == 200
    exported = api.get("integration", "/export").content
    url, schema = _second_store(api, tmp_path)
    fresh = build_services(url, Clock(api.core.clock()))
    try:
        assert import_ndjson(fresh, exported)["rejected"] == []
        assert _views(fresh.core) == _views(api.core)
        for sense in ("happened", "recorded"):
            assert _findings(fresh.core, sense) == _findings(api.core, sense)
    finally:
        fresh.close()
        if schema:
            drop_schema(schema)


def _second_store(api: Api, tmp_path: Path) -> tuple[str, str | None]:
    kind = "postgres" if is_postgres(api.core.database_url) else "sqlite"
    return new_store_url(kind, tmp_path / "fresh") if kind == "postgres" else \
        (f"sqlite:///{tmp_path}/fresh.db", None)


def _views(core: Any) -> dict[str, Any]:
    rebuild(core, progress=False)
    with ViewDB(core.database_url) as db:
        return db.dump()


def _findings(core: Any, sense: str) -> bytes:
    found = list_findings(core, core.clock(), sense=sense, access_records=())
    assert found
    return orjson.dumps([repr(f) for f in found])


def test_a_migration_is_nobodys_late_record(api: Api) -> None:
    """Imported acts keep the store's own recording time (the import: the back-filling is
    visible), but the back-filling rule judges them by when the system they came from recorded
    them (``recorded_at`` of the line): promptly recorded there, no finding; recorded 30 days
    late there, a finding of 30 days against the unit; not said, nobody accused."""
    def act(case_no: str, command: str, when: str, recorded: str | None, **args: Any) -> bytes:
        body = {"case_no": case_no, "command": command, "occurred_at": when,
                "actor": {"unit": "yz-xfj"}, "args": args}
        return orjson.dumps(body if recorded is None else {**body, "recorded_at": recorded})

    body = b"\n".join([
        act("M1", "register", ts(3, 2), ts(3, 2, 11), **GRIEVANCE),
        act("M1", "transfer", ts(3, 3), ts(3, 3, 11), to_unit="yz-zjj"),
        act("M2", "register", ts(3, 2), "2026-04-01T10:00:00+08:00", **GRIEVANCE),
        act("M3", "register", ts(3, 2), None, **GRIEVANCE)])
    r = api.client.post("/import", content=body, headers=api.h("integration", **NDJSON))
    assert r.status_code == 200 and r.json()["rejected"] == [], r.text
    stored = api.core.history("M1")
    assert all(f.recorded_at > at(2026, 11, 1) for f in stored)  # recorded here at the import
    backfill = [f for f in list_findings(api.core, api.core.clock(), access_records=())
                if f.rule == "BACKFILL"]
    assert [(f.case_no, f.days, f.unit) for f in backfill] == [("M2", 30, "yz-xfj")]
    # an export of the imported store carries the source's recording times on
    lines = [orjson.loads(x) for x in api.get("integration", "/export").content.splitlines()]
    recorded = {(x["case_no"], x["command"]): x.get("recorded_at") for x in lines
                if "case_no" in x}
    assert recorded[("M1", "register")] == ts(3, 2, 11)
    assert recorded[("M2", "register")] == "2026-04-01T10:00:00+08:00"
    assert recorded[("M3", "register")] is None
    # and a source time that is not a time is refused, with nothing written
    size = log_size(api.core)
    bad = act("M4", "register", ts(3, 2), "yesterday", **GRIEVANCE)
    r = api.client.post("/import", content=bad, headers=api.h("integration", **NDJSON))
    assert [x["case_no"] for x in r.json()["rejected"]] == ["M4"]
    assert log_size(api.core) == size


def test_a_promptly_recorded_history_imports_with_the_same_findings(api: Api,
                                                                    tmp_path: Path) -> None:
    """The source recorded each act an hour after it happened; imported months later, the
    findings (both senses, as of the import) are the source's: no false back-filling."""
    from datetime import datetime, timedelta

    from tests.api.conftest import LIFECYCLE

    clock = api.core.clock
    later = clock.now  # type: ignore[attr-defined]

    def at_hour_after(when: str) -> None:
        clock.now = datetime.fromisoformat(when) + timedelta(hours=1)  # type: ignore[attr-defined]

    for case in "ABCDEF":
        at_hour_after(ts(3, 2))
        assert api.register("bureau", case, ts(3, 2)).status_code == 201
    for case, command, who, when, args in LIFECYCLE:
        at_hour_after(when)
        r = api.post(who, f"/cases/{case}/{command}", {**args, "occurred_at": when})
        assert r.status_code == 200, (case, command, r.text)
    clock.now = later  # type: ignore[attr-defined]
    exported = api.get("integration", "/export").content
    url, schema = _second_store(api, tmp_path)
    fresh = build_services(url, Clock(later + timedelta(days=30)))
    try:
        assert import_ndjson(fresh, exported)["rejected"] == []
        for sense in ("happened", "recorded"):
            source = list_findings(api.core, later, sense=sense, access_records=())
            imported = list_findings(fresh.core, later + timedelta(days=30), sense=sense,
                                     access_records=())
            assert not any(f.rule == "BACKFILL" for f in source)
            assert [repr(f) for f in imported] == [repr(f) for f in list_findings(
                api.core, later + timedelta(days=30), sense=sense, access_records=())]
    finally:
        fresh.close()
        if schema:
            drop_schema(schema)
