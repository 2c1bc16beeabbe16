"""Refusals are problem+json with a stable code, Chinese title, English detail and the field at
fault, and write nothing; retries are safe (Idempotency-Key, If-Match)."""
from __future__ import annotations

from typing import Any

import pytest

from api.auth import hash_secret
from tests.api.conftest import Api, ts
from tests.conftest import log_size

BAD_REQUESTS: list[tuple[str, dict[str, Any], int, str]] = [
    ("malformed json", {"content": b'{"text": ', "headers": {"content-type":
                                                              "application/json"}}, 400,
     "body.malformed_json"),
    ("lone surrogate", {"content": b'{"text": "\\ud800"}', "headers": {
        "content-type": "application/json"}}, 400, "body.malformed_json"),
    ("unknown field", {"json": {"text": "x", "colour": "red"}}, 422, "field.unknown"),
    ("wrong type", {"json": {"text": 5}}, 422, "field.invalid"),
    ("missing field", {"json": {}}, 422, "field.required"),
    ("impossible date", {"json": {"text": "x", "occurred_at": "2026-02-30T10:00:00+08:00"}},
     422, "field.invalid"),
    ("naive time", {"json": {"text": "x", "occurred_at": "2026-03-03T10:00:00"}}, 422,
     "time.naive"),
    ("absurd year", {"json": {"text": "x", "occurred_at": "0001-01-01T00:00:00+14:00"}}, 422,
     "field.invalid"),
    ("future act", {"json": {"text": "x", "occurred_at": "2030-01-01T00:00:00+08:00"}}, 422,
     "time.future"),
    ("oversized body", {"json": {"text": "x" * 300_000}}, 413, "body.too_large"),
]


@pytest.mark.parametrize("name,request_kw,status,code", BAD_REQUESTS,
                         ids=[b[0] for b in BAD_REQUESTS])
def test_bad_requests_are_problems_and_write_nothing(sqlite_api: Api, name: str,
                                                     request_kw: dict[str, Any], status: int,
                                                     code: str) -> None:
    api = sqlite_api
    api.register("bureau", "A", ts(3, 2))
    before = log_size(api.core)
    headers = {**api.h("bureau"), **request_kw.pop("headers", {})}
    r = api.client.post("/cases/A/note", headers=headers, **request_kw)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["title"] and body["detail"] and "field" in body
    assert log_size(api.core) == before


def test_unknown_ids_routes_and_methods(api: Api) -> None:
    assert api.post("bureau", "/cases/NOPE/note", {"text": "x"}).json()["code"] == \
        "case.not_found"
    api.register("bureau", "A", ts(3, 2))
    r = api.post("bureau", "/cases/A/transfer", {"to_unit": "nowhere"})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "unit.unknown",
                                                                    "to_unit")
    assert api.client.get("/no/such/route").json()["code"] == "route.not_found"
    assert api.client.delete("/cases/A", headers=api.h("bureau")).status_code == 405
    assert api.post("bureau", "/cases/A/accept", {}).json()["code"] == "case.wrong_stage"


def test_an_idempotent_retry_returns_the_first_result_and_writes_nothing(api: Api) -> None:
    api.register("bureau", "A", ts(3, 2))
    first = api.post("bureau", "/cases/A/note", {"text": "x"}, **{"Idempotency-Key": "n-1"})
    size = log_size(api.core)
    again = api.post("bureau", "/cases/A/note", {"text": "x"}, **{"Idempotency-Key": "n-1"})
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert log_size(api.core) == size
    other = api.post("bureau", "/cases/A/note", {"text": "y"}, **{"Idempotency-Key": "n-1"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency.key_reused")
    # another caller's key space is its own
    fresh = api.post("integration", "/cases/A/note", {"text": "x"}, **{"Idempotency-Key": "n-1"})
    assert fresh.json()["version"] == first.json()["version"] + 1


def test_if_match_refuses_stale_writes_with_412(api: Api) -> None:
    api.register("bureau", "A", ts(3, 2))
    etag = api.client.get("/cases/A", headers=api.h("bureau")).headers["etag"]
    assert api.post("bureau", "/cases/A/note", {"text": "x"}, **{"If-Match": etag}
                    ).status_code == 200
    stale = api.post("bureau", "/cases/A/note", {"text": "y"}, **{"If-Match": etag})
    assert (stale.status_code, stale.json()["code"]) == (412, "version_conflict")
    assert api.post("bureau", "/cases/A/note", {"text": "y"}, **{"If-Match": "W/x"}
                    ).status_code == 400


def test_a_conflict_without_if_match_is_409() -> None:
    from starlette.requests import Request

    from api.problems import _domain
    from domain.errors import VersionConflict
    request = Request({"type": "http", "method": "POST", "path": "/cases/A/note", "headers": [],
                       "query_string": b""})
    assert _domain(request, VersionConflict()).status_code == 409


def test_tokens_expire_are_revocable_and_stored_only_as_hashes(api: Api) -> None:
    from api.routes.admin import revoke_token
    svc = api.client.app.state.services
    secret = api.tokens["bureau"]
    rows = svc.side.query("SELECT token_id, secret_hash FROM api_tokens")
    assert all(secret not in str(r) for r in rows)
    assert any(r[1] == hash_secret(secret) for r in rows)
    token_id = api.get("bureau", "/me").json()["token_id"]
    assert revoke_token(api.core, svc.side, token_id, "left the post")
    assert api.get("bureau", "/me").json()["code"] == "auth.invalid_token"
    api.core.clock.set(2027, 6, 1)  # past the 90-day expiry
    assert api.get("auditor", "/me").status_code == 401


def test_api_tables_are_append_only(api: Api) -> None:
    api.register("bureau", "A", ts(3, 2))
    api.get("bureau", "/cases/A")
    svc = api.client.app.state.services
    for sql in ("UPDATE api_access_log SET subject = 'x'", "DELETE FROM api_access_log",
                "DELETE FROM api_tokens"):
        with pytest.raises(Exception, match="append-only"):
            svc.side.execute(sql)


def test_if_match_star_needs_only_the_case_to_exist(api: Api) -> None:
    """RFC 9110 13.1.1: ``If-Match: *`` holds for any current version of an existing case."""
    api.register("bureau", "A", ts(3, 2))
    assert api.post("bureau", "/cases/A/note", {"text": "x"}, **{"If-Match": "*"}
                    ).status_code == 200
    size = log_size(api.core)
    missing = api.post("bureau", "/cases/NOPE/note", {"text": "x"}, **{"If-Match": "*"})
    assert (missing.status_code, missing.json()["code"]) == (404, "case.not_found")
    assert log_size(api.core) == size


def test_a_body_that_is_not_json_is_415_and_writes_nothing(api: Api) -> None:
    api.register("bureau", "A", ts(3, 2))
    size = log_size(api.core)
    for kind in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = api.h("bureau") | ({"Content-Type": kind} if kind else {})
        r = api.client.post("/cases/A/note", content=b'{"text":"x"}', headers=headers)
        assert r.status_code == 415, (kind, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert (r.json()["code"], r.json()["field"]) == ("body.unsupported_media_type",
                                                         "Content-Type")
    assert log_size(api.core) == size


def test_a_nul_character_in_a_body_string_is_refused_and_writes_nothing(api: Api) -> None:
    api.register("bureau", "A", ts(3, 2))
    size = log_size(api.core)
    for body, field in ((b'{"text":"a\\u0000b"}', "text"),
                        (b'{"text":"x","occurred_at":"2026-03-03T10:00:00+08:00\\u0000"}',
                         "occurred_at")):
        r = api.client.post("/cases/A/note", content=body,
                            headers=api.h("bureau", **{"Content-Type": "application/json"}))
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (
            422, "body.nul_character", field), r.text
    r = api.client.post("/cases", content=b'{"case_no":"B","petitioners":[{"name":"\\u0000"}]}',
                        headers=api.h("bureau", **{"Content-Type": "application/json"}))
    assert (r.status_code, r.json()["field"]) == (422, "petitioners.0.name")
    # the text "\u0000" written out (an escaped backslash) is not a NUL
    ok = api.client.post("/cases/A/note", content=b'{"text":"C:\\\\u0000"}',
                         headers=api.h("bureau", **{"Content-Type": "application/json"}))
    assert ok.status_code == 200, ok.text
    assert log_size(api.core) == size + 1
