"""The commands of a petition case: one frozen dataclass per command, and who gives it.

A command carries its fields with their types; :data:`COMMANDS` maps each wire name (the URL
segment, the ``command`` of an import line) to its class. :func:`build` turns loose arguments
(JSON, keyword arguments) into a command and refuses unknown, missing or wrongly typed fields
with ``command.bad_arguments`` before anything runs; what a value means (a known unit, a code of
the catalogue, a date in order) is the aggregate's to check. The API's request models, the
importer and :meth:`domain.application.Batch.execute` all start from these classes. A command's
docstring, where it has one, is its endpoint's description in the API's OpenAPI document.

:class:`Actor` is who acts. Events store it as the same plain record as always
(:meth:`Actor.payload`), so old events replay and new ones are written byte for byte as before.
"""
from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin, get_type_hints

from domain.errors import InvalidInput

BAD_ARGUMENTS = ("command.bad_arguments", "办理环节参数无效")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a unit, optionally a person in a post, on whose behalf, through which client
    system. ``source_recorded_at`` is set by an import only: when the act was recorded in the
    system it comes from (ISO 8601 with offset), or "unknown"."""

    unit: str
    person: str | None = None
    post: str | None = None
    on_behalf_of: str | None = None
    client: str | None = None
    source_recorded_at: str | None = None

    def payload(self) -> dict[str, Any]:
        """The actor as events record it (the keys and their order of every stored event)."""
        data: dict[str, Any] = {"unit": self.unit, "person": self.person, "post": self.post,
                                "on_behalf_of": self.on_behalf_of, "client": self.client}
        if self.source_recorded_at is not None:
            data["source_recorded_at"] = self.source_recorded_at
        return data


ACTOR_KEYS = frozenset(f.name for f in fields(Actor))


def actor_from(data: Actor | Mapping[str, Any]) -> Actor:
    """An Actor from a record such as a token's or an import line's (``actor.invalid`` if it
    is not one)."""
    if isinstance(data, Actor):
        return data
    if not isinstance(data, Mapping) or not isinstance(data.get("unit"), str):
        raise InvalidInput("actor.invalid", "办理主体无效", "actor.unit is required", "actor")
    if not ACTOR_KEYS.issuperset(data):
        raise InvalidInput("actor.invalid", "办理主体含未知字段",
                           f"actor accepts only {sorted(ACTOR_KEYS)}", "actor")
    for key, value in data.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput("actor.invalid", "办理主体字段须为文本", f"actor.{key} must be text",
                               "actor")
    return Actor(**data)


# --- the commands ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A command addressed to an existing case; ``name`` is its wire name."""

    name: ClassVar[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Register:
    """登记: the intake record (arts. 17–23). None (or absent) leaves a field to its default:
    the headcount is the petitioners listed (at least 1), a visit of 5 or more is collective, a
    petition naming a bypassed case is a bypass visit."""

    name: ClassVar[str] = "register"
    channel: str
    matter_type: str
    category: str
    location: str
    request: str
    petitioners: list[Any] = field(default_factory=list)
    collective: bool | None = None
    headcount: int | None = None
    representatives: list[Any] = field(default_factory=list)
    agent: dict[str, Any] | None = None
    facts_and_reasons: str | None = None
    accused: dict[str, Any] | None = None
    attachments: list[Any] = field(default_factory=list)
    repeat_of: str | None = None
    same_facts: bool = False
    bypass_of: str | None = None
    is_bypass: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(Command):
    name = "transfer"
    to_unit: str
    mode: str = "transfer"
    due_date: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HandleDirectly(Command):
    name = "handle_directly"
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteToOrgan(Command):
    name = "route_to_organ"
    organ_kind: str
    to_unit: str
    basis: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteOut(Command):
    name = "route_out"
    item: str
    procedure: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkRepeat(Command):
    name = "mark_repeat"
    original: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Receive(Command):
    name = "receive"


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectToTransfer(Command):
    name = "object_to_transfer"
    reasons: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveObjection(Command):
    name = "resolve_objection"
    resolution: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyPetitioner(Command):
    """The holding or registering unit gives any notice; a unit the matter was transferred
    to and that passed it on may still give its own notice of receipt and route (art. 23
    ¶3: it owes that notice within 15 days of receipt, wherever the matter went next)."""

    name = "notify_petitioner"
    kind: str
    method: str
    content: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Accept(Command):
    name = "accept"


@dataclass(frozen=True, slots=True, kw_only=True)
class Refuse(Command):
    name = "refuse"
    reason: str
    basis: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignHandler(Command):
    name = "assign_handler"
    person: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignLeader(Command):
    name = "assign_leader"
    person: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Note(Command):
    name = "note"
    text: str
    kind: str = "progress"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenMediation(Command):
    name = "open_mediation"
    track: str
    mediator: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConcludeMediation(Command):
    name = "conclude_mediation"
    outcome: str
    agreement_digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StartHearing(Command):
    name = "start_hearing"


@dataclass(frozen=True, slots=True, kw_only=True)
class EndHearing(Command):
    name = "end_hearing"


@dataclass(frozen=True, slots=True, kw_only=True)
class Extend(Command):
    name = "extend"
    days: int
    reason: str
    approver: str
    petitioner_told: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueReply(Command):
    name = "issue_reply"
    opinion: str
    request: str = ""
    facts_and_reasons: str = ""
    legal_basis: str = ""
    rights_notice: str = ""
    document_digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproveReply(Command):
    name = "approve_reply"
    approver: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeReply(Command):
    name = "serve_reply"
    method: str
    outcome: str = "signed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordExecution(Command):
    name = "record_execution"
    details: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluate(Command):
    name = "evaluate"
    target: str
    value: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReview(Command):
    name = "request_review"
    organ: str
    level: str = "review"


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptReview(Command):
    name = "accept_review"


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueReviewOpinion(Command):
    name = "issue_review_opinion"
    opinion: str
    reasons: str = ""
    legal_basis: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeReviewOpinion(Command):
    name = "serve_review_opinion"
    method: str
    outcome: str = "signed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Supervise(Command):
    name = "supervise"
    kind: str
    due_date: str
    content: str = ""
    target_unit: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerSupervision(Command):
    name = "answer_supervision"
    number: int
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportAssignment(Command):
    name = "report_assignment"
    report: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdraw(Command):
    name = "withdraw"
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Correct(Command):
    # 更正: the earlier event (its version), the field, the new value and the reason
    name = "correct"
    target_version: int
    field: str
    value: Any
    reason: str


# wire name -> command; the registry the API, the importer and Batch.execute share
COMMANDS: dict[str, type[Command]] = {cls.name: cls for cls in (
    Transfer, HandleDirectly, RouteToOrgan, RouteOut, MarkRepeat, Receive, ObjectToTransfer,
    ResolveObjection, NotifyPetitioner, Accept, Refuse, AssignHandler, AssignLeader, Note,
    OpenMediation, ConcludeMediation, StartHearing, EndHearing, Extend, IssueReply,
    ApproveReply, ServeReply, RecordExecution, Evaluate, RequestReview, AcceptReview,
    IssueReviewOpinion, ServeReviewOpinion, Supervise, AnswerSupervision, ReportAssignment,
    Withdraw, Correct,
)}


# --- building a command from loose arguments -------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """A command class's fields: their types, which are required, and a check for each."""

    types: dict[str, Any]
    required: frozenset[str]
    checks: dict[str, Callable[[Any], bool]]


def _check_of(tp: Any) -> Callable[[Any], bool]:
    """Does a value have this type (the field's own type; what a list or record holds is the
    aggregate's to check)? An int is not a bool, as in JSON."""
    if tp is Any:
        return lambda _v: True
    if get_origin(tp) in (Union, types.UnionType):
        parts = [_check_of(a) for a in get_args(tp)]
        return lambda v: any(p(v) for p in parts)
    if tp is type(None):
        return lambda v: v is None
    base = get_origin(tp) or tp
    if base is int:
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    return lambda v: isinstance(v, base)


def shape_of(cls: type) -> Shape:
    hints = get_type_hints(cls)
    own = fields(cls)
    required = frozenset(f.name for f in own
                         if f.default is MISSING and f.default_factory is MISSING)
    types_ = {f.name: hints[f.name] for f in own}
    return Shape(types_, required, {k: _check_of(t) for k, t in types_.items()})


SHAPES: dict[type, Shape] = {cls: shape_of(cls) for cls in (Register, *COMMANDS.values())}
CommandT = TypeVar("CommandT", bound="Command | Register")


def _bad(en: str, where: str) -> InvalidInput:
    return InvalidInput(*BAD_ARGUMENTS, en, where)


def build(cls: type[CommandT], args: Mapping[str, Any]) -> CommandT:
    """The command ``cls`` from ``args``; ``command.bad_arguments`` (nothing runs) for a field
    it does not have, one it needs and lacks, or a value of the wrong type."""
    shape = SHAPES[cls]
    if not (shape.types.keys() >= args.keys() and args.keys() >= shape.required):
        raise _shape_error(cls.name, shape, args)
    checks = shape.checks
    for key, value in args.items():
        if not checks[key](value):
            raise _bad(f"{cls.name}: {key} must be {_type_text(shape.types[key])}, not "
                       f"{type(value).__name__}", key)
    return cls(**args)


def _shape_error(label: str, shape: Shape, args: Mapping[str, Any]) -> InvalidInput:
    """The first field ``args`` has and the command has not, else the first it lacks."""
    for key in args:
        if key not in shape.types:
            return _bad(f"{label} takes no field {key!r} (it takes: "
                        f"{', '.join(shape.types) or 'none'})", str(key))
    missing = [key for key in shape.types if key in shape.required and key not in args]
    return _bad(f"{label} needs the field {missing[0]!r}", missing[0])


def _type_text(tp: Any) -> str:
    return str(tp).replace("typing.", "") if not isinstance(tp, type) else tp.__name__


def command_class(name: str) -> type[Command]:
    """The command of this wire name (``command.unknown`` if there is none)."""
    cls = COMMANDS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise InvalidInput("command.unknown", "未知的办理环节", f"Unknown command {name!r}",
                           "command")
    return cls


def build_named(name: str, args: Mapping[str, Any]) -> Command:
    return build(command_class(name), args)
