"""Every endpoint, on SQLite and PostgreSQL (``store_url`` is parametrised)."""
from __future__ import annotations

from domain.application import COMMANDS
from tests.api.conftest import LIFECYCLE, Api, run_lifecycle, ts
from tests.conftest import log_size


def test_the_lifecycle_covers_every_command_of_the_core() -> None:
    assert {step[1] for step in LIFECYCLE} == set(COMMANDS)


def test_every_command_returns_case_version_and_log_position(api: Api) -> None:
    seen: list[dict[str, object]] = []
    run_lifecycle(api, lambda r: seen.append(r.json()))
    assert all(set(body) == {"case_no", "version", "position"} for body in seen)
    assert seen[-1]["position"] == log_size(api.core)
    case = api.get("bureau", "/cases/A").json()
    history = api.get("bureau", "/cases/A/history").json()["facts"]
    assert case["status"] == "reviewed" and case["version"] == len(history)


def test_register_returns_201_with_location_and_etag(api: Api) -> None:
    r = api.register("bureau", "R1", ts(3, 2))
    assert r.status_code == 201
    assert r.headers["location"] == "/cases/R1" and r.headers["etag"] == '"1"'
    assert r.json() == {"case_no": "R1", "version": 1, "position": log_size(api.core)}


def test_the_actor_comes_from_the_token(api: Api) -> None:
    api.register("bureau", "R1", ts(3, 2))
    fact = api.get("bureau", "/cases/R1/history").json()["facts"][0]
    assert fact["actor"]["unit"] == "yz-xfj" and fact["actor"]["person"] == "wu-min"
    assert api.post("bureau", "/cases/R1/note", {"text": "x", "actor": {"unit": "city"}}
                    ).status_code == 422


def test_case_history_and_both_senses_of_as_of(api: Api) -> None:
    run_lifecycle(api)
    case = api.client.get("/cases/A", headers=api.h("bureau"))
    assert case.status_code == 200 and case.headers["etag"] == f'"{case.json()["version"]}"'
    history = api.get("bureau", "/cases/A/history").json()
    assert [f["kind"] for f in history["facts"]][:3] == ["Registered", "Transferred", "Received"]
    assert history["facts"][7]["data"]["text"] == "走访核实"  # the history keeps both values
    occurred = api.get("bureau", "/cases/A/as-of", at=ts(3, 4, 10, ), sense="occurred").json()
    assert occurred["status"] == "accepted" and occurred["as_of"]["sense"] == "occurred"
    # everything was recorded at the test clock's "now": before that, nothing was known
    recorded = api.get("bureau", "/cases/A/as-of", at=ts(3, 4), sense="recorded")
    assert recorded.status_code == 404 and recorded.json()["code"] == "case.not_yet_recorded"
    now = api.get("bureau", "/cases/A/as-of", at="2026-11-20T09:00:00+08:00").json()
    assert now["version"] == case.json()["version"]


def test_responsibility_names_the_holder_its_heads_and_the_handler(api: Api) -> None:
    run_lifecycle(api)
    r = api.get("bureau", "/cases/A/responsibility", at=ts(3, 5, 12)).json()
    assert r["holder"] == "yz-zjj" and r["handler"] == "sun-li"
    assert r["unit_heads"] == ["zhao-lei"] and r["leaders"] == ["chen-jing"]
    before = api.get("bureau", "/cases/A/responsibility", at=ts(2, 1)).json()
    assert before["code"] == "case.not_yet_occurred"


def test_list_filters_and_counts(api: Api) -> None:
    run_lifecycle(api)
    listed = api.get("bureau", "/cases").json()
    assert listed["total"] == 6
    assert [i["case_no"] for i in api.get("bureau", "/cases", status="refused").json()["items"]
            ] == ["B"]
    assert api.get("bureau", "/cases", limit=2).json()["total"] == 6
    assert api.get("labour", "/cases").json()["total"] == 1  # it held B only


def test_organisation_units_posts_and_persons(api: Api) -> None:
    assert api.get("auditor", "/org").json()["units"] == 13
    units = api.get("auditor", "/org/units").json()["items"]
    assert {u["code"]: u["parent"] for u in units}["yz-zjj"] == "yz"
    unit = api.get("auditor", "/org/units/yz-zjj", at=ts(2, 1)).json()
    assert unit["holders_at"]["head"] == ["wang-jun"] and unit["chain"] == ["yz-zjj", "yz", "city"]
    holders = api.get("auditor", "/org/units/yz-zjj/holders", post="head", at=ts(4, 1)).json()
    assert holders["persons"] == ["zhao-lei"]
    person = api.get("auditor", "/org/persons/li-na").json()
    assert {t["unit"] for t in person["terms"]} == {"yz-zjj", "yz-rsj"}
    assert api.get("auditor", "/org/units/nowhere").json()["code"] == "unit.not_found"
    assert api.get("auditor", "/org/persons/nobody").status_code == 404


def test_me_describes_the_token(api: Api) -> None:
    me = api.get("discipline", "/me").json()
    assert me["unit"] == "yz-jw" and me["scope_unit"] == "yz" and me["roles"] == ["supervisor"]


def test_export_then_import_round_trip_on_the_same_engine(api: Api) -> None:
    run_lifecycle(api)
    body = api.get("integration", "/export").content
    r = api.client.post("/import", content=body, params={"dry_run": True},
                        headers=api.h("integration", **{"content-type": "application/x-ndjson"}))
    assert r.status_code == 200
    # all six cases already exist here with exactly these histories: a re-import is a no-op
    assert r.json()["rejected"] == [] and r.json()["already_present"] == list("ABCDEF")
    assert r.json()["organisation"] == "already present"


def test_openapi_docs_are_served(api: Api) -> None:
    assert api.client.get("/docs").status_code == 200
    paths = api.client.get("/openapi.json").json()["paths"]
    assert all(f"/cases/{{case_no}}/{c}" in paths for c in COMMANDS)
