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
    assert api.register("bureau", "GRV", ts(3, 2)).status_code == 201
    api.post("bureau", "/cases/GRV/transfer", {"to_unit": "yz-zjj", "occurred_at": ts(3, 2, 11)})
    api.tokens["accused_unit"] = api.token(subject="zjj-system", kind="client", unit="yz-zjj",
                                           roles=["integration"], scope_unit="yz-zjj")
    return api


READS = ["/cases/ACC", "/cases/ACC/history", "/cases/ACC/responsibility",
         "/cases/ACC/as-of?at=2026-11-20T09:00:00%2B08:00&sense=recorded",
         "/cases/ACC/as-of?at=2026-11-20T09:00:00%2B08:00&sense=occurred"]
LISTS = ["/cases", "/cases?matter_type=accusation", "/export", "/access-log"]
WALLED = ["housing_handler", "housing_head", "housing_officer", "accused_unit"]


def read_everything(api: Api, who: str) -> list[Any]:
    return [api.client.get(path, headers=api.h(who)) for path in READS + LISTS]


def test_every_read_endpoint_is_covered(walled: Api) -> None:
    paths = walled.client.get("/openapi.json").json()["paths"]
    case_reads = {p for p, ops in paths.items() if "get" in ops and p.startswith("/cases/")}
    assert case_reads == {p.split("?")[0].replace("ACC", "{case_no}") for p in READS}


@pytest.mark.parametrize("who", WALLED)
def test_the_accused_never_sees_the_accuser_or_the_content(walled: Api, who: str) -> None:
    for r in read_everything(walled, who):
        assert r.status_code in (200, 403), (r.url, r.text)
        for secret in SECRETS:
            assert secret not in r.text, (who, str(r.url))


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
