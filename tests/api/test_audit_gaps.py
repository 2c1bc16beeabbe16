"""Gaps found by probing the running API: free text on an accusation behind the wall, the
stored events an inclusion proof carries, NUL characters, unknown units, posts and categories,
numbers given as times, and reversed periods."""
from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.application import Casetrail
from integrity.follower import issue_checkpoint
from integrity.keys import KeyStore
from tests.api.conftest import Api, make_api, ts
from tests.api.test_confidentiality import ACCUSATION, ACCUSER, CONTENT
from tests.conftest import log_size

TOLD = "督办：关于举报人甲反映孙丽收受好处费一案"
NOTE = "举报人甲来电补充了收款账号"
WALLED = ["housing_handler", "housing_officer", "accused_unit"]


@pytest.fixture
def told(sqlite_api: Api) -> Api:
    """The accusation reaches the accused housing bureau by mistake; the petition bureau then
    writes about it in free text: a 督办 and a note, and corrects the note."""
    api = sqlite_api
    assert api.register("bureau", "ACC", ts(3, 2), **ACCUSATION).status_code == 201
    for who, command, body in [
            ("bureau", "transfer", {"to_unit": "yz-zjj", "note": TOLD, "occurred_at": ts(3, 2, 11)}),
            ("housing_officer", "receive", {"occurred_at": ts(3, 3)}),
            ("bureau", "supervise", {"kind": "online", "due_date": "2026-04-30", "content": TOLD,
                                     "target_unit": "yz-zjj", "occurred_at": ts(3, 4)}),
            ("bureau", "note", {"text": "初核", "occurred_at": ts(3, 5)}),
            ("bureau", "correct", {"target_version": 5, "field": "text", "value": NOTE,
                                   "reason": NOTE})]:
        r = api.post(who, f"/cases/ACC/{command}", body)
        assert r.status_code == 200, (command, r.text)
    api.tokens["accused_unit"] = api.token(subject="zjj-system", kind="client", unit="yz-zjj",
                                           roles=["integration"], scope_unit="yz-zjj")
    return api


CASE_READS = ["/cases/ACC", "/cases/ACC/history",
              "/cases/ACC/as-of?at=2026-11-20T09:00:00%2B08:00&sense=occurred"]
SECRETS = [ACCUSER["name"], CONTENT, TOLD, NOTE, "收受好处费", "孙丽"]


@pytest.mark.parametrize("who", WALLED)
def test_free_text_on_an_accusation_never_reaches_the_accused(told: Api, who: str) -> None:
    for path in CASE_READS:
        r = told.client.get(path, headers=told.h(who))
        assert r.status_code == 200, (path, r.text)
        for secret in SECRETS:
            assert secret not in r.text, (who, path, secret)
    case = told.get(who, "/cases/ACC").json()
    assert case["registration"]["accused"] is None and "accused" in case["withheld"]


def test_the_supervisor_still_reads_the_free_text(told: Api) -> None:
    history = told.get("discipline", "/cases/ACC/history").text
    assert TOLD in history and NOTE in history


def test_the_accused_cannot_rewrite_the_bureau_s_notes(told: Api) -> None:
    r = told.post("accused_unit", "/cases/ACC/correct", {
        "target_version": 5, "field": "text", "value": "x", "reason": "y"})
    assert r.status_code == 403 and r.json()["code"] == "confidential.forbidden"


# --- inclusion proofs: the stored event is the accusation itself --------------------------------
@pytest.fixture
def proving(sqlite_app: Casetrail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[Api]:
    """The API with its integrity endpoints (mounted when they read the same store)."""
    monkeypatch.setenv("CASETRAIL_DATABASE_URL", sqlite_app.database_url)
    api = make_api(sqlite_app)
    assert api.register("bureau", "ACC", ts(3, 2), **ACCUSATION).status_code == 201
    assert api.post("bureau", "/cases/ACC/transfer", {"to_unit": "yz-zjj",
                                                      "occurred_at": ts(3, 2, 11)}).status_code == 200
    api.tokens["accused_unit"] = api.token(subject="zjj-system", kind="client", unit="yz-zjj",
                                           roles=["integration"], scope_unit="yz-zjj")
    KeyStore(tmp_path / "keys").generate()
    issue_checkpoint(sqlite_app.database_url, tmp_path / "keys")
    yield api
    api.client.app.state.services.release()


def _proof(api: Api, who: str | None, **params: Any) -> Any:
    headers = api.h(who) if who else {}
    return api.client.get("/integrity/proof/inclusion", params=params, headers=headers)


def _registration_position(api: Api) -> int:
    r = _proof(api, "discipline", case_id=str(_case_id("ACC")), version=1)
    assert r.status_code == 200, r.text
    return int(r.json()["event"]["notification_id"])


def _case_id(case_no: str) -> Any:
    from domain.case import case_id_for
    return case_id_for(case_no)


def test_an_inclusion_proof_needs_a_token(proving: Api) -> None:
    nid = _registration_position(proving)
    r = _proof(proving, None, notification_id=nid)
    assert (r.status_code, r.json()["code"]) == (401, "auth.required")
    assert ACCUSER["name"] not in r.text


@pytest.mark.parametrize("who", ["accused_unit", "housing_handler", "labour"])
def test_a_walled_or_out_of_scope_caller_gets_the_404_of_an_unknown_event(proving: Api,
                                                                          who: str) -> None:
    nid = _registration_position(proving)
    for params, unknown in [({"notification_id": nid}, {"notification_id": 10**9}),
                            ({"case_id": str(_case_id("ACC")), "version": 1},
                             {"case_id": str(_case_id("NOPE")), "version": 1})]:
        r, missing = _proof(proving, who, **params), _proof(proving, who, **unknown)
        assert (r.status_code, r.json()["code"]) == (missing.status_code,
                                                     missing.json()["code"]) == (404, "not_found")
        assert ACCUSER["name"] not in r.text and "ACC" not in r.text


def test_the_stored_event_goes_only_to_roles_that_need_it_and_the_read_is_logged(
        proving: Api) -> None:
    nid = _registration_position(proving)
    full = _proof(proving, "discipline", notification_id=nid).json()
    assert ACCUSER["name"] in base64.b64decode(full["event"]["state_b64"]).decode()
    log = proving.get("discipline", "/access-log", case_no="ACC").json()["items"]
    assert any(e["endpoint"] == "/integrity/proof/inclusion" and "stored_event" in e["revealed"]
               and "accusation_content" in e["revealed"] for e in log)
    masked = _proof(proving, "auditor", notification_id=nid)
    assert masked.status_code == 200 and "event" not in masked.json()
    assert masked.json()["leaf_hash"] == full["leaf_hash"]  # still a verifiable proof


# --- request shape ------------------------------------------------------------------------------
NUL_PATHS = ["/access-log?subject=%00", "/queues/daily?unit=%00", "/queues/overdue?unit=%00",
             "/clocks/running?unit=%00", "/findings?unit=%00", "/cases?holder=a%00b"]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_a_nul_character_is_a_400_on_both_stores(api: Api, path: str) -> None:
    r = api.client.get(path, headers=api.h("discipline"))
    assert (r.status_code, r.json()["code"]) == (400, "request.nul_character"), r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] and r.json()["detail"] and r.json()["field"] == "query"


UNKNOWN = [("/queues/daily?unit=nowhere", 404, "unit.not_found", "unit"),
           ("/queues/overdue?unit=nowhere", 404, "unit.not_found", "unit"),
           ("/clocks/running?unit=nowhere", 404, "unit.not_found", "unit"),
           ("/findings?unit=nowhere", 404, "unit.not_found", "unit"),
           ("/findings?category=lazy", 422, "category.unknown", "category"),
           ("/org/units/yz-zjj/holders?post=nobody", 422, "post.unknown", "post")]


@pytest.mark.parametrize("path,status,code,field", UNKNOWN, ids=[u[0] for u in UNKNOWN])
def test_unknown_units_posts_and_categories_are_named(sqlite_api: Api, path: str, status: int,
                                                      code: str, field: str) -> None:
    r = sqlite_api.client.get(path, headers=sqlite_api.h("bureau"))
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (status, code, field), r.text


def test_known_posts_still_answer(sqlite_api: Api) -> None:
    r = sqlite_api.get("bureau", "/org/units/yz-zjj/holders", post="head")
    assert r.status_code == 200 and r.json()["persons"]


@pytest.mark.parametrize("value", [1772700000, 1772700000.5, "1772700000"])
def test_a_number_is_not_a_business_time_and_writes_nothing(sqlite_api: Api, value: Any) -> None:
    api = sqlite_api
    api.register("bureau", "A", ts(3, 2))
    before = log_size(api.core)
    r = api.post("bureau", "/cases/A/note", {"text": "x", "occurred_at": value})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "field.invalid",
                                                                    "occurred_at"), r.text
    assert log_size(api.core) == before
    q = api.client.get("/cases/A/clocks", params={"at": "1"}, headers=api.h("bureau"))
    assert (q.status_code, q.json()["field"]) == (422, "at")


def test_a_bad_path_parameter_is_reported_as_the_path(sqlite_api: Api) -> None:
    r = sqlite_api.client.get("/cases/" + "x" * 100, headers=sqlite_api.h("bureau"))
    assert r.status_code == 422 and r.json()["detail"].startswith("path case_no")


def test_a_reversed_period_is_refused(sqlite_api: Api) -> None:
    sqlite_api.register("bureau", "A", ts(3, 2))
    r = sqlite_api.client.get("/cases/A/diff", headers=sqlite_api.h("bureau"), params={
        "from": "2026-03-05T00:00:00+08:00", "to": "2026-03-01T00:00:00+08:00"})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "period.reversed", "to")
