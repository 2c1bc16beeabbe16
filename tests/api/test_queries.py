"""The query endpoints (read models, findings, dossiers) and the supervisor's workflow, on SQLite
and PostgreSQL (``api`` is parametrised over both stores)."""
from __future__ import annotations

from typing import Any

import pytest

from domain.rules import RULES
from tests.api.conftest import Api, ts


@pytest.fixture
def open_case(api: Api) -> Api:
    """Q: transferred to the housing bureau and received on 3 March, then left unanswered (its
    receipt notice was due on 18 March). R: the same, but told and accepted in time."""
    for case in ("Q", "R"):
        assert api.register("bureau", case, ts(3, 2)).status_code == 201
        assert api.post("bureau", f"/cases/{case}/transfer", {
            "to_unit": "yz-zjj", "occurred_at": ts(3, 2, 11)}).status_code == 200
        assert api.post("housing_officer", f"/cases/{case}/receive",
                        {"occurred_at": ts(3, 3)}).status_code == 200
    for command, args in (("notify_petitioner", {"kind": "receipt", "method": "written"}),
                          ("accept", {})):
        assert api.post("housing_officer", f"/cases/R/{command}",
                        {**args, "occurred_at": ts(3, 4)}).status_code == 200
    return api


def cases_in(rows: list[dict[str, Any]]) -> set[str]:
    return {r["case_no"] for r in rows}


def test_case_clocks_now_and_then(open_case: Api) -> None:
    api = open_case
    now = api.get("bureau", "/cases/Q/clocks").json()
    notice = next(c for c in now["items"] if c["step"] == "receipt_notice")
    assert notice["last_day"] == "2026-03-18" and notice["status"] == "breached"
    then = api.get("bureau", "/cases/Q/clocks", at=ts(3, 10)).json()
    assert next(c for c in then["items"] if c["step"] == "receipt_notice")["status"] == "running"
    assert api.get("labour", "/cases/Q/clocks").status_code == 404  # out of scope
    assert api.get("bureau", "/cases/NOPE/clocks").json()["code"] == "case.not_found"


def test_the_read_models_follow_each_command(open_case: Api) -> None:
    api = open_case
    assert "Q" in cases_in(api.get("bureau", "/queues/overdue").json()["items"])
    api.post("housing_officer", "/cases/Q/notify_petitioner",
             {"kind": "receipt", "method": "written", "occurred_at": ts(11, 19)})
    notice = [c for c in api.get("bureau", "/cases/Q/clocks").json()["items"]
              if c["step"] == "receipt_notice"]
    assert notice[0]["status"] == "met_late"


def test_queues_daily_weekly_overdue_and_running(open_case: Api) -> None:
    api = open_case
    daily = api.get("housing_head", "/queues/daily", as_of="2026-03-31").json()
    assert daily["unit"] == "yz-zjj" and "Q" in cases_in(daily["items"])
    assert "R" not in cases_in(daily["items"])  # told and accepted in time
    assert api.get("housing_head", "/queues/daily", as_of="2026-03-10").json()["total"] == 0
    weekly = api.get("bureau", "/queues/weekly", as_of="2026-03-12").json()
    assert "Q" in cases_in(weekly["units"]["yz-zjj"])
    assert api.get("bureau", "/queues/weekly", as_of="2026-03-19").json()["units"] == {}
    overdue = api.get("bureau", "/queues/overdue", unit="yz-zjj").json()
    steps = {(c["case_no"], c["step"]) for c in overdue["items"]}
    assert ("Q", "receipt_notice") in steps and ("R", "receipt_notice") not in steps
    assert ("R", "handling") in steps  # accepted on 4 March, never answered
    by_day = api.get("bureau", "/queues/overdue", as_of="2026-03-18").json()
    assert by_day["total"] == 0  # due at the end of the 18th
    running = api.get("bureau", "/clocks/running", at=ts(3, 10), unit="yz-zjj").json()
    assert cases_in(running["items"]) == {"Q", "R"}
    assert api.get("labour", "/queues/overdue").json()["total"] == 0  # out of scope
    assert api.get("bureau", "/queues/daily", as_of="1800-01-01").status_code == 422


def test_responsibility_from_the_read_model(open_case: Api) -> None:
    api = open_case
    r = api.get("bureau", "/cases/Q/responsibility", at=ts(3, 5)).json()
    assert r["holder"] == r["unit"] == "yz-zjj" and r["status"] == "received"
    assert r["unit_heads"] == ["zhao-lei"] and r["petition_officers"] == ["liu-yang"]
    assert r["segment"]["cause"] and [t["unit"] for t in r["territory"]][:1] == ["dhl-sq1-g1"]
    earlier = api.get("bureau", "/cases/Q/responsibility", at=ts(3, 2, 10, )).json()
    assert earlier["holder"] == "yz-xfj"


def test_findings_list_filters_and_scope(open_case: Api) -> None:
    api = open_case
    everything = api.get("bureau", "/findings").json()
    assert everything["total"] == len(everything["items"]) > 0
    notice = api.get("bureau", "/findings", rule="NOTICE-OVERDUE").json()["items"]
    assert cases_in(notice) == {"Q"} and notice[0]["unit"] == "yz-zjj"
    assert notice[0]["rule_zh"] and notice[0]["review"] is None
    assert api.get("bureau", "/findings", case="R", rule="NOTICE-OVERDUE").json()["total"] == 0
    assert api.get("bureau", "/findings", unit="yz-rsj").json()["total"] == 0
    window = api.get("bureau", "/findings", rule="NOTICE-OVERDUE", **{"from": ts(3, 1),
                                                                      "to": ts(3, 18)}).json()
    assert window["total"] == 0
    before = api.get("bureau", "/findings", as_of=ts(3, 10)).json()
    assert "NOTICE-OVERDUE" not in {f["rule"] for f in before["items"]}
    recorded = api.get("bureau", "/findings", sense="recorded", as_of=ts(3, 10)).json()
    assert recorded["total"] == 0  # nothing had been recorded by then
    assert api.get("labour", "/findings").status_code == 403  # a handler does not read them
    outsider = api.token(subject="rsj-head", kind="client", unit="yz-rsj", roles=["unit_head"])
    assert api.client.get("/findings", headers={"Authorization": f"Bearer {outsider}"}
                          ).json()["total"] == 0
    assert api.get("bureau", "/findings", rule="NOPE").status_code == 422
    page = api.get("bureau", "/findings", limit=1, offset=1).json()
    assert page["total"] == everything["total"] and page["items"] == everything["items"][1:2]


def test_case_findings_and_the_rule_catalogue(open_case: Api) -> None:
    api = open_case
    found = api.get("discipline", "/cases/Q/findings").json()
    assert found["case_no"] == "Q" and "NOTICE-OVERDUE" in {f["rule"] for f in found["items"]}
    assert api.get("discipline", "/cases/NOPE/findings").status_code == 404
    rules = api.get("auditor", "/rules").json()
    assert len(rules["rules"]) == len(RULES) and rules["categories"]["slow"] == "慢作为"


def _notice_finding(api: Api) -> str:
    items = api.get("discipline", "/findings", case="Q", rule="NOTICE-OVERDUE").json()["items"]
    return str(items[0]["id"])


def test_the_supervisor_confirms_judges_and_records_a_measure(open_case: Api) -> None:
    api = open_case
    fid = _notice_finding(api)
    r = api.post("discipline", f"/findings/{fid}/confirm", {"reason": "核实属实"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
    assert r.json()["log"][-1]["actor"]["unit"] == "yz-jw"  # the actor is the token's
    assert api.post("discipline", f"/findings/{fid}/judge", {
        "serious": False, "description": "未造成严重后果"}).json()["serious"] is False
    measured = api.post("bureau", f"/findings/{fid}/measure", {"measure": "talk",
                                                               "description": "约谈"})
    assert measured.status_code == 200 and measured.json()["measures"][0]["measure"] == "talk"
    assert api.post("discipline", f"/findings/{fid}/annotate", {"text": "已整改"}
                    ).status_code == 200
    again = api.post("discipline", f"/findings/{fid}/confirm", {})
    assert again.status_code == 409 and again.json()["code"] == "finding.confirmed"
    dismissed = api.post("discipline", f"/findings/{fid}/dismiss", {"reason": "复核后排除"})
    assert dismissed.json()["status"] == "dismissed"
    listed = api.get("bureau", "/findings", case="Q", rule="NOTICE-OVERDUE").json()["items"]
    assert listed[0]["review"]["status"] == "dismissed"


def test_only_supervisors_act_and_only_on_findings_they_can_see(open_case: Api) -> None:
    api = open_case
    fid = _notice_finding(api)
    assert api.post("housing_head", f"/findings/{fid}/confirm", {}).status_code == 403
    assert api.post("auditor", f"/findings/{fid}/confirm", {}).status_code == 403
    elsewhere = api.token(subject="rsj-jw", kind="client", unit="yz-jw", roles=["supervisor"],
                          scope_unit="yz-rsj")
    r = api.client.post(f"/findings/{fid}/confirm", json={},
                        headers={"Authorization": f"Bearer {elsewhere}"})
    assert r.status_code == 404 and r.json()["code"] == "finding.not_found"
    assert api.post("discipline", "/findings/0000/confirm", {}).status_code == 404
    assert api.post("discipline", f"/findings/{fid}/dismiss", {}).status_code == 422
    key = {"Idempotency-Key": "confirm-1"}
    first = api.post("discipline", f"/findings/{fid}/confirm", {"reason": "x"}, **key)
    replay = api.post("discipline", f"/findings/{fid}/confirm", {"reason": "x"}, **key)
    assert first.status_code == replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"


def test_proposals_and_the_addressed_units_feedback(open_case: Api) -> None:
    api = open_case
    fid = _notice_finding(api)
    body = {"number": "JY-2026-1", "kind": "improve_work", "to_unit": "yz-zjj",
            "text": "规范受理告知", "cases": ["Q"], "findings": [fid]}
    r = api.post("discipline", "/proposals", body)
    assert r.status_code == 201 and r.json()["cases"] == ["Q"], r.text
    assert api.post("discipline", "/proposals", body).status_code == 409  # the number is taken
    assert api.post("housing_head", "/proposals", {**body, "number": "x"}).status_code == 403
    hidden = api.post("discipline", "/proposals", {**body, "number": "JY-2", "cases": ["NOPE"]})
    assert hidden.status_code == 422 and hidden.json()["code"] == "case.unknown"
    fb = api.post("housing_head", "/proposals/JY-2026-1/feedback",
                  {"outcome": "partly", "reasons": "人手不足"})
    assert fb.status_code == 200 and fb.json()["feedback"][0]["outcome"] == "partly", fb.text
    labour_head = api.token(subject="rsj-head", kind="client", unit="yz-rsj", roles=["unit_head"])
    other = api.client.post("/proposals/JY-2026-1/feedback", json={"outcome": "adopted"},
                            headers={"Authorization": f"Bearer {labour_head}"})
    assert other.status_code == 404  # not the addressee: the proposal does not exist for it
    assert api.post("housing_head", "/proposals/NOPE/feedback",
                    {"outcome": "adopted"}).status_code == 404
    assert api.post("housing_head", "/proposals/JY-2026-1/feedback",
                    {"outcome": "not_adopted"}).status_code == 422  # reasons required


def test_dossier_json_and_html_is_logged_and_masked(open_case: Api) -> None:
    api = open_case
    d = api.get("discipline", "/cases/Q/dossier").json()
    assert d["case_no"] == "Q" and d["format"] == "casetrail-dossier/1"
    assert "NOTICE-OVERDUE" in {f["rule"] for f in d["findings"]}
    html = api.get("bureau", "/cases/Q/dossier", format="html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "信访事项 Q" in html.text
    masked = api.get("auditor", "/cases/Q/dossier").text
    assert "张三" not in masked and "13800000000" not in masked
    before = api.get("bureau", "/cases/Q/dossier", as_of=ts(2, 1))
    assert before.status_code == 404 and before.json()["code"] == "case.not_yet_occurred"
    assert api.get("labour", "/cases/Q/dossier").status_code == 403
    log = api.get("discipline", "/access-log", case_no="Q").json()["items"]
    endpoints = {(e["subject"], e["endpoint"]) for e in log}
    assert ("jw-system", "/cases/{case_no}/dossier") in endpoints
    assert ("audit-office", "/cases/{case_no}/dossier") in endpoints
    recorded = api.get("discipline", "/cases/Q/dossier", sense="recorded").json()
    assert recorded["sense"] == "recorded"


def test_diff_between_two_moments(open_case: Api) -> None:
    api = open_case
    d = api.get("district_gov", "/cases/R/diff", **{"from": ts(3, 2, 12), "to": ts(3, 5),
                                                     "sense": "happened"})
    body = d.json()
    assert d.status_code == 200 and body["status"] == {"before": "transferred",
                                                       "after": "accepted"}
    assert [f["kind"] for f in body["added"]] == ["Received", "PetitionerNotified", "Accepted"]
    assert api.get("bureau", "/cases/R/diff", **{"from": ts(3, 2)}).status_code == 422
    log = api.get("discipline", "/access-log", case_no="R").json()["items"]
    assert log[-1]["endpoint"] == "/cases/{case_no}/diff"


ACCUSATION = {"matter_type": "accusation", "category": "C03",
              "petitioners": [{"name": "举报人乙", "phone": "13911112222"}],
              "request": "举报违规分配住房", "facts_and_reasons": "举报违规分配住房",
              "accused": {"units": ["yz-rsj"], "persons": []}}


def test_a_read_by_the_accused_becomes_a_46_5_finding(open_case: Api) -> None:
    """Sun Li read the accusation before it was corrected to name her unit: the access log
    shows the accused saw accusation content (art. 30 ¶3, 46(五))."""
    api = open_case
    assert api.register("bureau", "ACC", ts(3, 2), **ACCUSATION).status_code == 201
    api.post("bureau", "/cases/ACC/transfer", {"to_unit": "yz-zjj", "occurred_at": ts(3, 2, 11)})
    assert "举报违规分配住房" in api.get("housing_handler", "/cases/ACC").text
    assert api.get("discipline", "/findings", rule="ACCUSATION-SEEN").json()["total"] == 0
    r = api.post("bureau", "/cases/ACC/correct", {
        "target_version": 1, "field": "accused", "reason": "被举报单位登记有误",
        "value": {"units": ["yz-zjj"], "persons": [], "names": [], "description": ""}})
    assert r.status_code == 200, r.text
    seen = api.get("discipline", "/findings", rule="ACCUSATION-SEEN").json()["items"]
    assert [(f["case_no"], f["people"]["reader_person"]) for f in seen] == [("ACC", ["sun-li"])]
    assert seen[0]["rule"] == "ACCUSATION-SEEN" and "request" in seen[0]["detail"]
    # the reader is walled now: it sees neither the case nor the finding about it
    assert api.get("housing_head", "/findings", rule="ACCUSATION-SEEN").json()["total"] == 0
    assert api.get("housing_head", "/cases/ACC/findings").status_code == 404
    # the supervisor can take the finding through the workflow like any other
    r = api.post("discipline", f"/findings/{seen[0]['id']}/confirm", {"reason": "访问日志属实"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text


def test_reports_state_the_checkpoint_they_were_built_from(open_case: Api, tmp_path: Any) -> None:
    """Every report names the signed checkpoint (tree size, root) of the log it was built from."""
    from integrity.follower import catch_up
    from integrity.keys import KeyStore
    api = open_case
    assert api.get("discipline", "/queues/overdue", as_of="2026-06-01").json()[
        "integrity_checkpoint"] is None
    KeyStore(tmp_path / "keys").generate()
    catch_up(api.core.database_url, tmp_path / "keys", checkpoint_every=1)
    for path, params in (("/queues/overdue", {"as_of": "2026-06-01"}),
                         ("/findings", {"as_of": "2026-06-01T00:00:00+08:00"})):
        body = api.get("discipline", path, **params).json()
        checkpoint = body["integrity_checkpoint"]
        assert checkpoint["tree_size"] >= 1 and len(checkpoint["root"]) == 64, body
