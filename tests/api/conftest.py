"""API fixtures: the HTTP app over the shared ``app`` (one store per test, SQLite and PostgreSQL),
a token factory, and the named callers of the example organisation."""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.admin import issue_token
from domain.application import Casetrail
from tests.conftest import GRIEVANCE

# name -> token grant (person tokens act in the post they hold in the example organisation)
CALLERS: dict[str, dict[str, Any]] = {
    "bureau": dict(subject="wu-min", kind="person", unit="yz-xfj", person="wu-min",
                   post="petition_officer", roles=["petition_bureau"]),
    "housing_officer": dict(subject="liu-yang", kind="person", unit="yz-zjj", person="liu-yang",
                            post="petition_officer", roles=["registrar"]),
    "housing_handler": dict(subject="sun-li", kind="person", unit="yz-zjj", person="sun-li",
                            post="handler", roles=["handler"]),
    "housing_head": dict(subject="zhao-lei", kind="person", unit="yz-zjj", person="zhao-lei",
                         post="head", roles=["unit_head"]),
    "district_gov": dict(subject="ma-hui", kind="person", unit="yz-gov", person="ma-hui",
                         post="head", roles=["review_organ"]),
    "labour": dict(subject="rsj-system", kind="client", unit="yz-rsj", roles=["handler"]),
    "discipline": dict(subject="jw-system", kind="client", unit="yz-jw", roles=["supervisor"]),
    "auditor": dict(subject="audit-office", kind="client", unit="city", roles=["auditor"]),
    "integration": dict(subject="legacy-xf", kind="client", unit="yz-xfj",
                        roles=["integration"], scope_unit="city"),
}


@dataclass
class Api:
    """A test client with tokens by caller name."""

    client: TestClient
    core: Casetrail
    tokens: dict[str, str]

    def h(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def token(self, **grant: Any) -> str:
        secret, _ = issue_token(self.core, self.client.app.state.services.side, **grant)
        return secret

    def post(self, who: str, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(path, json=body if body is not None else {},
                                headers=self.h(who, **headers))

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.h(who))

    def register(self, who: str, case_no: str, occurred_at: str, **fields: Any) -> Any:
        body = {**GRIEVANCE, **fields, "case_no": case_no, "occurred_at": occurred_at}
        return self.post(who, "/cases", body)


def make_api(core: Casetrail, raise_server_exceptions: bool = True) -> Api:
    client = TestClient(create_app(core=core), raise_server_exceptions=raise_server_exceptions)
    api = Api(client, core, {})
    api.tokens = {name: api.token(**grant) for name, grant in CALLERS.items()}
    return api


@pytest.fixture
def api(app: Casetrail) -> Iterator[Api]:
    made = make_api(app)
    yield made
    made.client.app.state.services.release()


@pytest.fixture
def sqlite_api(sqlite_app: Casetrail) -> Iterator[Api]:
    made = make_api(sqlite_app)
    yield made
    made.client.app.state.services.release()


def ts(month: int, day: int, hour: int = 10) -> str:
    return f"2026-{month:02d}-{day:02d}T{hour:02d}:00:00+08:00"


Step = tuple[str, str, str, str, dict[str, Any]]  # (case, command, caller, occurred_at, args)

# Every command of the core, in an order the rules accept (see test_endpoints).
LIFECYCLE: list[Step] = [
    ("A", "transfer", "bureau", ts(3, 2, 11), {"to_unit": "yz-zjj", "mode": "assign",
                                                "due_date": "2026-04-30"}),
    ("A", "receive", "housing_officer", ts(3, 3), {}),
    ("A", "notify_petitioner", "housing_officer", ts(3, 3, 11),
     {"kind": "receipt", "method": "written"}),
    ("A", "accept", "housing_officer", ts(3, 4), {}),
    ("A", "assign_handler", "housing_head", ts(3, 4, 11), {"person": "sun-li"}),
    ("A", "assign_leader", "housing_head", ts(3, 4, 12), {"person": "chen-jing"}),
    ("A", "note", "housing_handler", ts(3, 5), {"text": "走访核实"}),
    ("A", "open_mediation", "housing_handler", ts(3, 6), {"track": "petition"}),
    ("A", "conclude_mediation", "housing_handler", ts(3, 7), {"outcome": "failed"}),
    ("A", "start_hearing", "housing_handler", ts(3, 8), {}),
    ("A", "end_hearing", "housing_handler", ts(3, 9), {}),
    ("A", "extend", "housing_head", ts(4, 20), {"days": 10, "reason": "需补充调查",
                                                 "approver": "zhao-lei"}),
    ("A", "issue_reply", "housing_handler", ts(4, 25), {"opinion": "support"}),
    ("A", "approve_reply", "housing_head", ts(4, 26), {"approver": "chen-jing"}),
    ("A", "serve_reply", "housing_handler", ts(4, 27), {"method": "post"}),
    ("A", "record_execution", "housing_handler", ts(5, 10), {"details": "已安排配租"}),
    ("A", "report_assignment", "housing_handler", ts(5, 11), {"report": "已办结"}),
    ("A", "evaluate", "bureau", ts(5, 12), {"target": "unit", "value": "satisfied"}),
    ("A", "supervise", "bureau", ts(5, 13), {"kind": "online", "due_date": "2026-06-30"}),
    ("A", "answer_supervision", "housing_handler", ts(5, 14), {"number": 1, "content": "已落实"}),
    ("A", "request_review", "bureau", ts(5, 15), {"organ": "yz-gov"}),
    ("A", "accept_review", "district_gov", ts(5, 16), {}),
    ("A", "issue_review_opinion", "district_gov", ts(5, 20), {"opinion": "uphold"}),
    ("A", "serve_review_opinion", "district_gov", ts(5, 21), {"method": "post"}),
    ("A", "correct", "housing_handler", ts(5, 22), {"target_version": 8, "field": "text",
                                                     "value": "入户走访核实",
                                                     "reason": "笔误"}),
    ("B", "transfer", "bureau", ts(3, 2, 11), {"to_unit": "yz-rsj"}),
    ("B", "receive", "labour", ts(3, 3), {}),
    ("B", "object_to_transfer", "labour", ts(3, 4), {"reasons": "不属于本单位职责"}),
    ("B", "resolve_objection", "bureau", ts(3, 5), {"resolution": "upheld"}),
    ("B", "handle_directly", "bureau", ts(3, 6), {}),
    ("B", "refuse", "bureau", ts(3, 7), {"reason": "已经依法处理"}),
    ("C", "route_to_organ", "bureau", ts(3, 2, 11), {"organ_kind": "politics_law",
                                                      "to_unit": "yz-zfw"}),
    ("D", "route_out", "bureau", ts(3, 2, 11), {"item": "31_1", "procedure": "民事诉讼"}),
    ("E", "mark_repeat", "bureau", ts(3, 2, 11), {"original": "A"}),
    ("F", "withdraw", "bureau", ts(3, 2, 11), {"reason": "信访人撤回"}),
]


def run_lifecycle(api: Api, check: Callable[[Any], None] | None = None) -> None:
    for case in "ABCDEF":
        r = api.register("bureau", case, ts(3, 2))
        assert r.status_code == 201, r.text
    for case, command, who, when, args in LIFECYCLE:
        r = api.post(who, f"/cases/{case}/{command}", {**args, "occurred_at": when})
        assert r.status_code == 200, (case, command, r.text)
        if check:
            check(r)
