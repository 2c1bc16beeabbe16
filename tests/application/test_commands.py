"""Commands through the application, on SQLite and PostgreSQL: bad arguments are refused when
the command is built (``command.bad_arguments``, nothing written), a bug inside a command is
not mistaken for bad arguments, and typed commands and actors write what loose ones write."""
from __future__ import annotations

from typing import Any

import pytest

import domain.case
from domain.application import Casetrail, check_actor
from domain.commands import Actor, Note, Register, Transfer
from domain.errors import DomainError
from tests.conftest import BUREAU, GRIEVANCE, HOUSING, at, log_size


@pytest.fixture
def case_a(app: Casetrail) -> str:
    app.register_case(BUREAU, at(2026, 3, 2, 10), case_no="A", **GRIEVANCE)
    return "A"


@pytest.mark.parametrize(("command", "args"), [
    ("transfer", {"to_unit": "yz-zjj", "colour": "red"}),  # unknown field
    ("transfer", {}),  # missing field
    ("transfer", {"to_unit": 7}),  # wrong type
    ("note", {"text": "x", "kind": None}),  # None where text is required
    ("extend", {"days": "5", "reason": "r", "approver": "zhao-lei"}),
    ("answer_supervision", {"number": True, "content": "c"}),
    ("correct", {"target_version": "1", "field": "request", "value": "v", "reason": "r"}),
])
def test_bad_arguments_are_refused_and_nothing_is_written(
        app: Casetrail, case_a: str, command: str, args: dict[str, Any]) -> None:
    before = log_size(app)
    with pytest.raises(DomainError) as info:
        app.execute(case_a, command, BUREAU, at(2026, 3, 3, 10), **args)
    assert (info.value.code, info.value.zh) == ("command.bad_arguments", "办理环节参数无效")
    assert log_size(app) == before


@pytest.mark.parametrize("fields", [
    {**GRIEVANCE, "colour": "red"},
    {k: v for k, v in GRIEVANCE.items() if k != "request"},
    {**GRIEVANCE, "headcount": "3"},
])
def test_a_bad_registration_is_refused_and_nothing_is_written(
        app: Casetrail, fields: dict[str, Any]) -> None:
    before = log_size(app)
    with pytest.raises(DomainError) as info:
        app.register_case(BUREAU, at(2026, 3, 2, 10), case_no="B", **fields)
    assert info.value.code == "command.bad_arguments"
    assert log_size(app) == before


def test_a_bug_inside_a_command_is_not_reported_as_bad_arguments(
        app: Casetrail, case_a: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> str:
        raise TypeError("a bug deep inside the note command")
    monkeypatch.setattr(domain.case, "need_text", broken)
    before = log_size(app)
    with pytest.raises(TypeError, match="a bug deep inside"):
        app.execute(case_a, "note", BUREAU, at(2026, 3, 3, 10), text="走访核实")
    assert log_size(app) == before


def test_a_typed_command_and_actor_write_what_loose_ones_write(app: Casetrail) -> None:
    app.register_case(BUREAU, at(2026, 3, 2, 10), case_no="L", **GRIEVANCE)
    app.execute("L", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    app.execute("L", "note", HOUSING, at(2026, 3, 4, 10), text="走访核实")
    bureau, housing = Actor(**BUREAU), Actor(**HOUSING)
    app.handle_registration(Register(**GRIEVANCE), bureau, at(2026, 3, 2, 10), "T")
    app.handle("T", Transfer(to_unit="yz-zjj"), bureau, at(2026, 3, 3, 10))
    app.handle("T", Note(text="走访核实"), housing, at(2026, 3, 4, 10))
    loose, typed = app.history("L"), app.history("T")
    assert [(f.kind, f.actor, f.data) for f in loose[1:]] == \
        [(f.kind, f.actor, f.data) for f in typed[1:]]
    assert {**loose[0].data, "case_no": "T"} == typed[0].data


def test_check_actor_returns_the_typed_actor(app: Casetrail) -> None:
    checked = check_actor(app.refresh_org(), HOUSING, at(2026, 3, 4, 10))
    assert checked == Actor("yz-zjj", person="liu-yang", post="petition_officer")
