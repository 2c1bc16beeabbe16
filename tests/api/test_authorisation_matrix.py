"""Role × endpoint × in-scope / out-of-scope, generated from the OpenAPI document and the role
table (``ROLE_ACTIONS``), not hand-picked.

Expected: no token → 401; a role without the action → 403; a case outside the scope → 404 (the
same as a case that does not exist); otherwise the request gets past authorisation (anything but
401/403/404 — the rules of the case may still refuse it)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from api.auth import ROLE_ACTIONS, ROLES
from tests.api.conftest import Api, ts

NOW = "2026-11-20T09:00:00+08:00"  # the test clock
PLACEHOLDER = {"string": "x", "integer": 1, "boolean": False}


def action_of(method: str, path: str, op: dict[str, Any] | None = None) -> str | None:
    """The permission an operation needs (None: any valid token; "public": no token).

    An operation may declare it in its OpenAPI document (``x-action``); the test then checks
    that what the route enforces is what ``ROLE_ACTIONS`` grants for that action."""
    if op is not None and "x-action" in op:  # "token": any valid token
        return None if op["x-action"] == "token" else op["x-action"]  # type: ignore[no-any-return]
    if path.startswith("/integrity"):
        return "public"
    if path == "/cases":
        return "register" if method == "post" else "list"
    m = re.fullmatch(r"/cases/\{case_no\}/(\w+)", path)
    if method == "post" and m:
        return m.group(1)
    if path.startswith(("/cases/", "/org")):
        return "read"
    return {"/access-log": "access_log", "/export": "export", "/import": "import"}.get(path)


def minimal_body(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        kind = prop.get("type") or next((a.get("type") for a in prop.get("anyOf", [])), "string")
        body[name] = PLACEHOLDER.get(kind, "x")
    return body


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            out.append((method, path, op))
    return out


def placeholder(param: dict[str, Any]) -> str:
    """A valid value for a required query parameter (a moment, a day, or a word)."""
    schema = param.get("schema", {})
    formats = {schema.get("format"), *(a.get("format") for a in schema.get("anyOf", []))}
    if param["name"] == "at" or "date-time" in formats:
        return NOW
    return NOW[:10] if "date" in formats else "head"


def call(api: Api, token: str | None, method: str, path: str, op: dict[str, Any],
         spec: dict[str, Any], case_no: str, ids: dict[str, str] | None = None) -> Any:
    ids = ids or {}
    code = "sun-li" if path.startswith("/org/persons") else "yz-zjj"
    url = path.replace("{case_no}", case_no).replace("{code}", code)
    for name, value in ids.items():
        url = url.replace(f"{{{name}}}", value)
    params = {p["name"]: placeholder(p) for p in op.get("parameters", [])
              if p.get("required") and p["in"] == "query"}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = minimal_body(content["application/json"]["schema"], spec["components"]["schemas"])
        return api.client.request(method, url, json=body, params=params, headers=headers)
    if "application/x-ndjson" in content:
        return api.client.request(method, url, content=b"", params=params, headers={
            **headers, "content-type": "application/x-ndjson"})
    return api.client.request(method, url, params=params, headers=headers)


@pytest.fixture
def matrix(sqlite_api: Api) -> tuple[Api, dict[str, Any], dict[str, dict[str, str]]]:
    api = sqlite_api
    api.register("bureau", "IN", ts(3, 2))
    api.post("bureau", "/cases/IN/transfer", {"to_unit": "yz-zjj", "occurred_at": ts(3, 2, 11)})
    tokens = {role: {
        "in": api.token(subject=f"{role}-in", kind="client", unit="yz-zjj", roles=[role],
                        scope_unit="yz-zjj"),
        "out": api.token(subject=f"{role}-out", kind="client", unit="yz-rsj", roles=[role],
                         scope_unit="yz-rsj")} for role in ROLES}
    # a real finding (the housing bureau never told the petitioner) and a proposal to its unit
    found = api.get("bureau", "/findings", case="IN").json()["items"]
    assert found, "the matrix needs a finding on the in-scope case"
    r = api.post("discipline", "/proposals", {"number": "JY-1", "kind": "improve_work",
                                              "to_unit": "yz-zjj", "text": "改进告知",
                                              "cases": ["IN"]})
    assert r.status_code == 201, r.text
    api.ids = {"finding_id": found[0]["id"], "number": "JY-1"}  # type: ignore[attr-defined]
    return api, api.client.get("/openapi.json").json(), tokens


# path parameters naming a resource whose visibility follows the case's (404 outside scope)
SCOPED = ("{case_no}", "{finding_id}", "{number}")


def test_the_matrix_knows_every_operation(matrix: Any) -> None:
    _, spec, _ = matrix
    unknown = [(m, p) for m, p, op in operations(spec) if action_of(m, p, op) is None
               and p != "/me" and "x-action" not in op]
    declared = {op["x-action"] for _, _, op in operations(spec) if op.get("x-action")} - {"token"}
    granted = set().union(*ROLE_ACTIONS.values())
    assert declared <= granted, declared - granted
    assert unknown == []


def test_no_token_means_401_everywhere_but_the_public_log_proofs(matrix: Any) -> None:
    api, spec, _ = matrix
    for method, path, op in operations(spec):
        if action_of(method, path, op) == "public":
            continue
        r = call(api, None, method, path, op, spec, "IN", api.ids)
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_role_by_endpoint_by_scope(matrix: Any, role: str) -> None:
    api, spec, tokens = matrix
    failures = []
    for method, path, op in operations(spec):
        action = action_of(method, path, op)
        if action == "public":
            continue
        for scope in ("in", "out"):
            r = call(api, tokens[role][scope], method, path, op, spec, "IN", api.ids)
            allowed = action is None or action in ROLE_ACTIONS[role]
            if not allowed:
                expected: Any = {403}
            elif any(p in path for p in SCOPED) and scope == "out":
                expected = {404}
            else:
                expected = "past authorisation"
            ok = r.status_code in expected if isinstance(expected, set) else \
                r.status_code not in (401, 403, 404) and r.status_code < 500
            if not ok:
                failures.append((method, path, scope, r.status_code, r.text[:160]))
    assert failures == []


def test_lists_show_only_cases_in_scope(matrix: Any) -> None:
    api, _, tokens = matrix
    for role in ROLES:
        if "list" not in ROLE_ACTIONS[role]:
            continue
        seen_in = api.client.get("/cases", headers={"Authorization": f"Bearer "
                                                    f"{tokens[role]['in']}"}).json()
        seen_out = api.client.get("/cases", headers={"Authorization": f"Bearer "
                                                     f"{tokens[role]['out']}"}).json()
        assert (seen_in["total"], seen_out["total"]) == (1, 0), role
