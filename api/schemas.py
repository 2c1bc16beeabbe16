"""Request and response models. Requests forbid unknown fields and use strict types; business
times must carry a zone. One model per command is built, once at import, from the command's
dataclass (:mod:`domain.commands`, whose ``COMMANDS`` is the registry the API, the importer and
the core share), so the API cannot drift from the core.
"""
from __future__ import annotations

import dataclasses
import inspect
import typing
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    create_model,
)

from domain.commands import COMMANDS, SHAPES, Command, Register, build

MIN_YEAR, MAX_YEAR = 1949, 2100


def _bounded(t: datetime) -> datetime:
    if not MIN_YEAR <= t.year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return t


def _bounded_day(d: date) -> date:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return d


def _text_only(value: Any) -> Any:
    """A time is RFC 3339 text: a bare number (pydantic would read Unix seconds) is refused."""
    bare = isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()
    if isinstance(value, int | float) or bare:
        raise ValueError("a time must be an RFC 3339 string such as 2026-03-02T10:00:00+08:00, "
                         "not a number")
    return value


BusinessTime = Annotated[AwareDatetime, BeforeValidator(_text_only), AfterValidator(_bounded)]
BusinessDay = Annotated[date, BeforeValidator(_text_only), AfterValidator(_bounded_day)]
Text = Annotated[StrictStr, StringConstraints(max_length=20_000)]
Code = Annotated[StrictStr, StringConstraints(min_length=1, max_length=128)]
CaseNo = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
Version = Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Petitioner(Strict):
    name: Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]
    id_number: Annotated[StrictStr, StringConstraints(max_length=64)] | None = None
    phone: Annotated[StrictStr, StringConstraints(max_length=64)] | None = None
    address: Annotated[StrictStr, StringConstraints(max_length=500)] | None = None


class Agent(Strict):
    name: Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]
    phone: Annotated[StrictStr, StringConstraints(max_length=64)] | None = None
    relation: Text | None = None
    authorisation: Text | None = None


class Accused(Strict):
    units: list[Code] = Field(default_factory=list, max_length=50)
    persons: list[Code] = Field(default_factory=list, max_length=50)
    names: list[Text] = Field(default_factory=list, max_length=50)
    description: Text = ""


class Attachment(Strict):
    name: Annotated[StrictStr, StringConstraints(min_length=1, max_length=500)]
    sha256: Annotated[StrictStr, StringConstraints(max_length=64)]


class RegisterIn(Strict):
    """登记: the intake record (arts. 17–23). The registering unit is the caller's unit."""

    # the fields of domain.commands.Register (a test checks they are the same), with the
    # shapes of the wire: petitioners, agent, accused and attachments as records

    case_no: CaseNo | None = None
    occurred_at: BusinessTime | None = None
    channel: Code
    matter_type: Code
    category: Code
    location: Code
    petitioners: list[Petitioner] = Field(default_factory=list, max_length=500)
    collective: StrictBool | None = None
    headcount: Count | None = None
    representatives: list[Annotated[StrictStr, StringConstraints(max_length=200)]] = Field(
        default_factory=list, max_length=50)
    agent: Agent | None = None
    request: Text
    facts_and_reasons: Text = ""
    accused: Accused | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=200)
    repeat_of: CaseNo | None = None
    same_facts: StrictBool = False
    bypass_of: CaseNo | None = None
    is_bypass: StrictBool | None = None

    def fields(self) -> dict[str, Any]:
        """The fields of the :class:`~domain.commands.Register` command (None: left to its
        default, except an explicit null agent or accused)."""
        data = self.model_dump(exclude_unset=True, exclude={"case_no", "occurred_at"})
        return {k: v for k, v in data.items() if v is not None or k in ("agent", "accused")}

    def command(self) -> Register:
        return build(Register, self.fields())


_TYPES: dict[Any, Any] = {
    str: Text, int: Annotated[StrictInt, Field(ge=-(2**53), le=2**53)], bool: StrictBool,
    Any: JsonValue,
}


def _field_type(annotation: Any) -> Any:
    if annotation in _TYPES:
        return _TYPES[annotation]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and args[0] in _TYPES:
        return _TYPES[args[0]] | None
    raise TypeError(f"no API type for {annotation!r}")


def command_model(cls: type[Command]) -> type[BaseModel]:
    """The request model of a command: ``occurred_at``, then the command's fields in order, each
    with its type made strict and bounded for the wire and its default."""
    fields: dict[str, Any] = {"occurred_at": (BusinessTime | None, None)}
    types = SHAPES[cls].types
    for f in dataclasses.fields(cls):
        default = ... if f.default is dataclasses.MISSING else f.default
        fields[f.name] = (_field_type(types[f.name]), default)
    return create_model(f"{cls.__name__}In", __base__=Strict, __doc__=_doc(cls), **fields)


def _doc(cls: type[Command]) -> str:
    """The command's own docstring (its first paragraph), else its wire name in words."""
    doc = inspect.getdoc(cls) or ""
    if doc.startswith(f"{cls.__name__}("):  # the signature a dataclass writes when there is none
        doc = ""
    return doc.split("\n\n")[0] or cls.name.replace("_", " ")


COMMAND_MODELS: dict[str, type[BaseModel]] = {
    name: command_model(cls) for name, cls in COMMANDS.items()}


class CommandOut(BaseModel):
    """The case, its new version and the log position of its last event (to wait for views)."""

    case_no: str
    version: int
    position: int | None


class FactOut(BaseModel):
    version: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    actor: dict[str, Any]
    depends_on: int | None
    data: dict[str, Any]
    corrections: list[list[Any]]


class CaseOut(BaseModel):
    case_no: str
    version: int
    status: str
    status_zh: str
    holder: str | None
    registering_unit: str | None
    registered_at: datetime | None
    matter_type: str
    track: str | None
    handler: str | None
    leaders: list[str]
    registration: dict[str, Any]
    state: dict[str, Any]
    withheld: list[str]
    as_of: dict[str, Any] | None = None


class HistoryOut(BaseModel):
    case_no: str
    version: int
    facts: list[FactOut]
    withheld: list[str]


class CaseRow(BaseModel):
    case_no: str
    version: int
    status: str
    status_zh: str
    holder: str | None
    registering_unit: str | None
    matter_type: str
    category: str | None
    registered_at: datetime | None


class CaseList(BaseModel):
    total: int
    items: list[CaseRow]


class ResponsibilityOut(BaseModel):
    """Who was responsible at a moment (the responsibility read model: ``who_held``).

    ``holder``/``unit``: the unit holding the case; ``handler``; ``leaders``: 包案 leaders in
    personal charge; ``unit_heads``, ``petition_leaders``, ``petition_officers``: the unit's post
    holders when its holding began; ``territory``: the territorial chain of the case's location
    (unit, level and post holders at each depth); ``segment``: the holding interval and cause."""

    case_no: str
    at: datetime
    status: str
    holder: str | None
    unit: str | None = None
    handler: str | None
    leaders: list[str]
    unit_heads: list[str]
    petition_leaders: list[str]
    petition_officers: list[str] = []
    segment: dict[str, Any] | None = None
    territory: list[dict[str, Any]] = []
    supervisions_open: list[dict[str, Any]]


# --- the supervisor's workflow on findings, and proposals (三项建议) -------------------------
class ReviewIn(Strict):
    """Acting on a finding. ``case_no`` (optional) narrows where the finding is looked for."""

    case_no: CaseNo | None = None
    occurred_at: BusinessTime | None = None


class ConfirmIn(ReviewIn):
    """确认: the finding holds."""

    reason: Text = ""


class DismissIn(ReviewIn):
    """排除: the finding does not hold (a reason is required)."""

    reason: Text


class AnnotateIn(ReviewIn):
    """批注: a note on the finding."""

    text: Text


class JudgeIn(ReviewIn):
    """严重后果: the human judgement of consequences (on a confirmed finding)."""

    serious: StrictBool
    description: Text


class MeasureIn(ReviewIn):
    """The measure taken (on a confirmed finding), as decided by people: none, correction, talk,
    notice, referred, other."""

    measure: Code
    description: Text = ""


class ProposalIn(Strict):
    """三项建议 (art. 40): improve_work / improve_policy / accountability, to a unit."""

    number: Code
    kind: Code
    to_unit: Code
    text: Text
    cases: list[CaseNo] = Field(default_factory=list, max_length=500)
    findings: list[Code] = Field(default_factory=list, max_length=500)
    occurred_at: BusinessTime | None = None


class FeedbackIn(Strict):
    """The addressed unit's written feedback: adopted / partly / not_adopted (with reasons)."""

    outcome: Code
    reasons: Text = ""
    occurred_at: BusinessTime | None = None
