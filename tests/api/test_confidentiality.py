"""The confidentiality wall (art. 30 ¶3, 46(五)) across every read endpoint, and the masks on
petitioner personal data. The accusation names the housing bureau and its handler Sun Li; the
bureau transfers it there by mistake, so the accused unit holds it and still learns nothing."""
from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, ts

ACCUSER = {"name": "举报人甲", "phone": "13912345678", "id_number": "650502198001019999",
           "address": "天山路1号"}
CONTENT = "住建局承办人孙丽收受好处费"
SECRETS = [ACCUSER["name"], ACCUSER["phone"], ACCUSER["id_number"], ACCUSER["address"], CONTENT]
ACCUSATION = {"matter_type": "accusation", "category": "C03", "petitioners": [ACCUSER],
              "request": CONTENT, "facts_and_reasons": CONTENT,
              "accused": {"units": ["yz-zjj"], "persons": ["sun-li"]}}


@pytest.fixture
def walled(sqlite_api: Api) -> Api:
    api = sqlite_api
    assert api.register("bureau", "ACC", ts(3, 2), **ACCUSATION).status_code == 201
    assert api.post("bureau", "/cases/ACC/transfer", {"to_unit": "yz-zjj",
                                                      "occurred_at": ts(3, 2, 11)}).status_code == 200
    # received, never answered: its clocks run into every queue and finding list
    assert api.post("housing_officer", "/cases/ACC/receive",
                    {"occurred_at": ts(3, 3)}).status_code == 200
    assert api.register("bureau", "GRV", ts(3, 2)).status_code == 201
    api.post("bureau", "/cases/GRV/transfer", {"to_unit": "yz-zjj", "occurred_at": ts(3, 2, 11)})
    api.tokens["accused_unit"] = api.token(subject="zjj-system", kind="client", unit="yz-zjj",
                                           roles=["integration"], scope_unit="yz-zjj")
    return api


NOW = "2026-11-20T09:00:00%2B08:00"
READS = ["/cases/ACC", "/cases/ACC/history", "/cases/ACC/responsibility",
         f"/cases/ACC/as-of?at={NOW}&sense=recorded", f"/cases/ACC/as-of?at={NOW}&sense=occurred",
         "/cases/ACC/clocks", f"/cases/ACC/clocks?at={NOW}"]
# audit and supervision views of one case: a walled caller gets 404, as for an unknown case
HIDDEN = ["/cases/ACC/findings", "/cases/ACC/dossier", "/cases/ACC/dossier?format=html",
          f"/cases/ACC/diff?from=2026-03-01T00:00:00%2B08:00&to={NOW}&sense=happened"]
# every list, count, queue and finding: a walled caller sees no trace of the accusation
QUEUES = ["/queues/daily?unit=yz-zjj", "/queues/daily?unit=yz-zjj&as_of=2026-03-31",
          "/queues/weekly?as_of=2026-03-12", "/queues/overdue", "/queues/overdue?unit=yz-zjj",
          "/queues/overdue?as_of=2026-04-01", "/clocks/running",
          "/clocks/running?at=2026-03-10T09:00:00%2B08:00", "/findings", "/findings?case=ACC",
          "/findings?unit=yz-zjj", "/findings?rule=NOTICE-OVERDUE", "/findings?sense=recorded",
          "/findings?rule=ACCUSATION-SEEN"]
LISTS = ["/cases", "/cases?matter_type=accusation", "/export", "/access-log", *QUEUES]
WALLED = ["housing_handler", "housing_head", "housing_officer", "accused_unit"]


def read_everything(api: Api, who: str) -> list[Any]:
    return [api.client.get(path, headers=api.h(who)) for path in READS + HIDDEN + LISTS]


def mentions(value: Any, case_no: str) -> bool:
    """Whether a JSON answer names the case anywhere (as a value or a key)."""
    if isinstance(value, dict):
        return any(k == case_no or mentions(v, case_no) for k, v in value.items())
    if isinstance(value, list):
        return any(mentions(v, case_no) for v in value)
    return value == case_no


def test_every_read_endpoint_is_covered(walled: Api) -> None:
    paths = walled.client.get("/openapi.json").json()["paths"]
    case_reads = {p for p, ops in paths.items() if "get" in ops and p.startswith("/cases/")}
    assert case_reads == {p.split("?")[0].replace("ACC", "{case_no}") for p in READS + HIDDEN}
    lists = {p for p, ops in paths.items() if "get" in ops and not p.startswith(
        ("/cases/", "/org", "/integrity", "/me", "/rules", "/docs", "/openapi"))}
    assert lists == {p.split("?")[0] for p in LISTS}


@pytest.mark.parametrize("who", WALLED)
def test_the_accused_never_sees_the_accuser_or_the_content(walled: Api, who: str) -> None:
    for r in read_everything(walled, who):
        hidden = any(str(r.url).endswith(h.replace("%2B", "+")) or h in str(r.url)
                     for h in HIDDEN)
        assert r.status_code in ((403, 404) if hidden else (200, 403)), (r.url, r.text)
        for secret in SECRETS:
            assert secret not in r.text, (who, str(r.url))


@pytest.mark.parametrize("who", WALLED)
def test_queues_and_findings_leave_no_trace_of_the_accusation(walled: Api, who: str) -> None:
    for path in QUEUES:
        r = walled.client.get(path, headers=walled.h(who))
        assert r.status_code in (200, 403), (path, r.text)
        if r.status_code == 200:
            assert not mentions(r.json(), "ACC"), (who, path)
    for path in HIDDEN:
        r = walled.client.get(path, headers=walled.h(who))
        missing = walled.client.get(path.replace("ACC", "NOPE"), headers=walled.h(who))
        assert (r.status_code, r.json()["code"]) == (missing.status_code,
                                                     missing.json()["code"]), path


def test_the_supervisor_sees_the_accusation_in_the_same_queues(walled: Api) -> None:
    """The control: the same lists do name the case for a caller not walled from it."""
    seen = {path: mentions(walled.client.get(path, headers=walled.h("discipline")).json(), "ACC")
            for path in QUEUES if "ACCUSATION-SEEN" not in path}
    assert seen == {path: True for path in seen}, seen
    for path in HIDDEN:
        assert walled.client.get(path, headers=walled.h("discipline")).status_code == 200, path


@pytest.mark.parametrize("who", WALLED)
def test_lists_and_counts_leave_the_accusation_out(walled: Api, who: str) -> None:
    listed = walled.get(who, "/cases").json()
    assert [i["case_no"] for i in listed["items"]] == ["GRV"] and listed["total"] == 1
    assert walled.get(who, "/cases", matter_type="accusation").json()["total"] == 0


def test_a_walled_reader_is_told_what_was_withheld_and_the_log_says_so(walled: Api) -> None:
    case = walled.get("housing_handler", "/cases/ACC").json()
    assert case["registration"]["petitioners"] is None and case["registration"]["request"] is None
    assert "petitioners" in case["withheld"]
    log = walled.get("discipline", "/access-log", case_no="ACC").json()["items"]
    assert any(e["subject"] == "sun-li" and "petitioners" in e["withheld"] for e in log)


def test_the_accused_cannot_rewrite_the_accusation(walled: Api) -> None:
    r = walled.post("accused_unit", "/cases/ACC/correct", {
        "target_version": 1, "field": "request", "value": "x", "reason": "y"})
    assert r.status_code == 403 and r.json()["code"] == "confidential.forbidden"
    assert CONTENT not in r.text


def test_other_units_cannot_probe_a_case_they_cannot_see(walled: Api) -> None:
    missing = walled.get("labour", "/cases/NOPE")
    hidden = walled.get("labour", "/cases/ACC")
    assert (hidden.status_code, hidden.json()["code"]) == (missing.status_code,
                                                          missing.json()["code"])
    linked = walled.register("labour", "R2", ts(3, 3), repeat_of="ACC")
    assert linked.status_code == 403  # a handler does not register
    probe = walled.register("integration", "R3", ts(3, 3), repeat_of="NOPE")
    assert probe.json()["code"] == "case.unknown_original"


def test_the_supervisor_sees_the_content_and_the_read_is_logged(walled: Api) -> None:
    case = walled.get("discipline", "/cases/ACC").json()
    assert case["registration"]["request"] == CONTENT
    log = walled.get("discipline", "/access-log", case_no="ACC").json()["items"]
    assert {"accusation_content", "personal_data"} <= set(log[-1]["revealed"])
    assert log[-1]["endpoint"] == "/cases/{case_no}" and log[-1]["subject"] == "jw-system"


def test_roles_that_do_not_need_personal_data_see_it_masked(walled: Api) -> None:
    reg = walled.get("auditor", "/cases/GRV").json()["registration"]
    person = reg["petitioners"][0]
    assert person["phone"] == "138****0000" and person["name"].startswith("张")
    assert "13800000000" not in walled.get("auditor", "/cases/GRV/history").text
    assert walled.get("bureau", "/cases/GRV").json()["registration"]["petitioners"][0][
        "phone"] == "13800000000"
