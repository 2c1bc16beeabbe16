"""Typed commands with no store: each command is built from loose arguments or refused with
``command.bad_arguments``; the registry, the aggregate's methods and the API's request models
all cover the same commands with the same fields; the actor is a typed value that events store
as the same record as always; domain errors carry no HTTP status, the API maps them."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from api.problems import status_of
from api.schemas import COMMAND_MODELS, RegisterIn
from domain.application import HANDLERS
from domain.commands import (
    COMMANDS,
    SHAPES,
    Actor,
    Correct,
    Extend,
    Register,
    Transfer,
    actor_from,
    build,
    build_named,
)
from domain.errors import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    VersionConflict,
)


def _wrong_value(tp: Any) -> Any:
    """A value that is not of type ``tp`` (None for a required text is wrong too)."""
    return "7" if tp is int or tp == int | None else 7


def _bad(cls: type, args: dict[str, Any]) -> DomainError:
    with pytest.raises(InvalidInput) as info:
        build(cls, args)
    assert info.value.code == "command.bad_arguments"
    assert info.value.zh == "办理环节参数无效"
    return info.value


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_unknown_field_is_a_bad_argument(name: str) -> None:
    assert _bad(COMMANDS[name], {"colour": "red"}).field == "colour"


@pytest.mark.parametrize("name", [n for n, c in COMMANDS.items() if SHAPES[c].required])
def test_a_missing_field_is_a_bad_argument(name: str) -> None:
    shape = SHAPES[COMMANDS[name]]
    assert _bad(COMMANDS[name], {}).field in shape.required


@pytest.mark.parametrize("name", [n for n, c in COMMANDS.items()
                                  if any(t is not Any for t in SHAPES[c].types.values())])
def test_a_value_of_the_wrong_type_is_a_bad_argument(name: str) -> None:
    cls = COMMANDS[name]
    shape = SHAPES[cls]
    field, tp = next((f, t) for f, t in shape.types.items() if t is not Any)
    args = {f: "x" for f in shape.required if f != field} | {field: _wrong_value(tp)}
    assert _bad(cls, args).field == field


def test_an_int_is_not_a_bool_and_a_bool_is_not_an_int() -> None:
    good = {"days": 5, "reason": "r", "approver": "zhao-lei"}
    assert build(Extend, good).days == 5
    _bad(Extend, {**good, "days": True})
    _bad(Extend, {**good, "petitioner_told": 1})


def test_a_command_keeps_its_defaults_and_any_value_where_it_takes_any() -> None:
    assert build(Transfer, {"to_unit": "yz-zjj"}) == Transfer(to_unit="yz-zjj")
    assert build(Correct, {"target_version": 2, "field": "note", "value": [1, {"a": None}],
                           "reason": "typo"}).value == [1, {"a": None}]


def test_registration_is_built_the_same_way() -> None:
    _bad(Register, {"channel": "visit"})
    _bad(Register, {"channel": "visit", "matter_type": "grievance", "category": "C03",
                    "location": "x", "request": "r", "petitioners": "张三"})


def test_an_unknown_wire_name_is_refused_as_today() -> None:
    with pytest.raises(InvalidInput) as info:
        build_named("fly", {})
    assert info.value.code == "command.unknown" and info.value.field == "command"


def test_every_command_has_one_aggregate_method_and_one_request_model() -> None:
    assert set(HANDLERS) == set(COMMANDS.values())
    assert len({id(m) for m in HANDLERS.values()}) == len(HANDLERS)
    for name, cls in COMMANDS.items():
        own = [f.name for f in dataclasses.fields(cls)]
        assert list(COMMAND_MODELS[name].model_fields) == ["occurred_at", *own], name


def test_the_register_request_has_the_fields_of_the_register_command() -> None:
    wire = set(RegisterIn.model_fields) - {"case_no", "occurred_at"}
    assert wire == {f.name for f in dataclasses.fields(Register)}


def test_the_actor_is_stored_as_the_same_record_as_before() -> None:
    person = actor_from({"unit": "yz-xfj", "person": "wu-min", "post": "petition_officer"})
    assert person.payload() == {"unit": "yz-xfj", "person": "wu-min",
                                "post": "petition_officer", "on_behalf_of": None,
                                "client": None}
    assert list(person.payload()) == ["unit", "person", "post", "on_behalf_of", "client"]
    imported = Actor("yz-xfj", client="legacy", source_recorded_at="unknown")
    assert list(imported.payload())[-1] == "source_recorded_at"
    assert actor_from(imported) is imported


@pytest.mark.parametrize("record", [None, {}, {"unit": 5}, {"unit": "u", "colour": "red"},
                                    {"unit": "u", "person": ["p"]}])
def test_an_actor_that_is_not_one_is_refused(record: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        actor_from(record)
    assert info.value.code == "actor.invalid" and info.value.field == "actor"


def test_domain_errors_carry_no_status_and_the_api_maps_their_class() -> None:
    assert not hasattr(DomainError("x", "x", "x"), "status")
    assert status_of(NotFound("case.not_found", "x", "x")) == 404
    assert status_of(IllegalTransition("case.closed", "x", "x")) == 409
    assert status_of(VersionConflict()) == 409
    assert status_of(InvalidInput("field.required", "x", "x")) == 422
    assert status_of(DomainError("case.exists", "x", "x")) == 422
