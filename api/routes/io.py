"""Bulk import and export in NDJSON.

One line per act, in log order::

    {"organisation": {...}}                                  # optional first line (export adds it)
    {"case_no": "XF1", "command": "register", "occurred_at": "...", "actor": {...}, "args": {...}}
    {"case_no": "XF1", "command": "transfer", "occurred_at": "...", "actor": {...}, "args": {...}}

Import keeps each act's business time; its recorded time is the import time, so back-filling
stays visible. Each line is validated by the same request models and the same domain rules as the
API. A bad line is reported with its number and nothing of that case is written (nor of cases
that name it); the other cases are written in one transaction. A line that cannot be read at
all (not UTF-8, not JSON, not a JSON object) names no case: the whole file is refused, with its
line number, and nothing is written. A UTF-8 byte-order mark, CRLF line ends and blank lines
are accepted. Importing a file again is safe: a case the store already holds with exactly the
file's acts is reported under ``already_present`` and nothing of it is written; a case number
the store holds with a different history is rejected (``case.exists``).

Export writes the same lines, so an export imports into an empty store and reproduces the same
cases. ``unit`` selects the cases the unit (or a unit now under it) holds or ever held;
``registered_from``/``registered_until`` the cases *registered* in the period, each with its
whole history (a case registered before the period is not included, even if it was acted on
in the period: its history could not be imported without its registration). Either way the
export also carries every case linked to a chosen one (repeat or bypass petitions, both ways,
transitively) that the caller may list, so that the file imports on its own and the links
survive.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, JsonValue, ValidationError
from starlette.responses import StreamingResponse

from api.auth import Principal
from api.case_index import fact_of
from api.deps import OrjsonRoute, Services, ServicesDep, permit, snapshot
from api.problems import Problem
from api.schemas import COMMAND_MODELS, BusinessTime, CaseNo, Code, RegisterIn, Strict, Text
from api.visibility import covers, lens_for, listable
from domain import commands as K
from domain.application import Batch
from domain.case_state import Fact
from domain.commands import COMMANDS, SHAPES, Actor, Command, Register, build
from domain.errors import DomainError
from domain.organisation import OrgDirectory

router = APIRouter(tags=["import/export"], route_class=OrjsonRoute)

# event -> the command that records it; an exported act's args are the command's fields
EVENT_COMMANDS: dict[str, type[Command]] = {
    "Transferred": K.Transfer, "HandledDirectly": K.HandleDirectly,
    "RoutedToOrgan": K.RouteToOrgan, "RoutedOut": K.RouteOut, "MarkedRepeat": K.MarkRepeat,
    "Received": K.Receive, "ObjectionRaised": K.ObjectToTransfer,
    "ObjectionResolved": K.ResolveObjection, "PetitionerNotified": K.NotifyPetitioner,
    "Accepted": K.Accept, "AcceptanceRefused": K.Refuse, "HandlerAssigned": K.AssignHandler,
    "LeaderAssigned": K.AssignLeader, "Noted": K.Note, "MediationOpened": K.OpenMediation,
    "MediationConcluded": K.ConcludeMediation, "HearingStarted": K.StartHearing,
    "HearingEnded": K.EndHearing, "ExtensionGranted": K.Extend, "ReplyIssued": K.IssueReply,
    "ReplyApproved": K.ApproveReply, "ReplyServed": K.ServeReply,
    "OpinionExecuted": K.RecordExecution, "Evaluated": K.Evaluate,
    "ReviewRequested": K.RequestReview, "ReviewAccepted": K.AcceptReview,
    "ReviewOpinionIssued": K.IssueReviewOpinion, "ReviewOpinionServed": K.ServeReviewOpinion,
    "SupervisionIssued": K.Supervise, "SupervisionAnswered": K.AnswerSupervision,
    "AssignmentReported": K.ReportAssignment, "Withdrawn": K.Withdraw, "Corrected": K.Correct,
}
EVENT_ARGS: dict[str, tuple[str, tuple[str, ...]]] = {
    kind: (cls.name, tuple(SHAPES[cls].types)) for kind, cls in EVENT_COMMANDS.items()}
# derived by the core from another act, not imported as lines of their own
DERIVED = frozenset({"LinkedPetition"})
REGISTRATION_DERIVED = ("case_no", "registering_unit", "at_petition_bureau", "original_final")
# where one case names another: the export carries both (the core records a link on each)
LINK_FIELDS = {"Registered": ("repeat_of", "bypass_of"), "MarkedRepeat": ("original",),
               "LinkedPetition": ("other_case",)}
BOM = b"\xef\xbb\xbf"


class LineActor(Strict):
    unit: Code
    person: Code | None = None
    post: Code | None = None
    on_behalf_of: Text | None = None


class ActLine(Strict):
    case_no: CaseNo
    command: Code
    occurred_at: BusinessTime
    actor: LineActor
    args: dict[str, JsonValue] = {}
    # when the source system recorded the act: kept on the event (actor.source_recorded_at) for
    # the back-filling rule; the store's own recording time is the import's
    recorded_at: BusinessTime | None = None


class OrgLine(Strict):
    organisation: dict[str, JsonValue]


@dataclass
class Step:
    line: int
    case_no: str
    command: Command | Register
    occurred_at: datetime
    actor: Actor


@dataclass
class Report:
    lines: int = 0
    rejected: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: set[str] = field(default_factory=set)
    events: int = 0
    position: int | None = None
    organisation: str = "absent"
    present: set[str] = field(default_factory=set)

    def reject(self, case_no: str, line: int, code: str, title: str, detail: str,
               where: str | None) -> None:
        self.rejected.setdefault(case_no, {"line": line, "case_no": case_no, "code": code,
                                           "title": title, "detail": detail, "field": where})

    def as_dict(self, dry_run: bool) -> dict[str, Any]:
        return {"dry_run": dry_run, "lines": self.lines, "organisation": self.organisation,
                "cases_imported": len(self.cases), "events_written": self.events,
                "position": self.position, "already_present": sorted(self.present),
                "rejected": sorted(self.rejected.values(), key=lambda r: r["line"])}


def _parse(body: bytes, report: Report, p: Principal | None, svc: Services) -> tuple[
        list[Step], dict[str, Any] | None]:
    steps: list[Step] = []
    spec: dict[str, Any] | None = None
    for number, raw in enumerate(body.removeprefix(BOM).split(b"\n"), start=1):
        if not raw.strip():
            continue
        report.lines += 1
        data = _json_line(raw, number)
        if isinstance(data, dict) and "organisation" in data and not steps and spec is None:
            spec = _validated(OrgLine, data, number).organisation  # type: ignore[attr-defined]
            continue
        if not isinstance(data, dict):
            raise Problem(422, "import.not_an_object", "导入行不是JSON对象",
                          f"Line {number} is a JSON {_json_kind(data)}, not an object; "
                          "nothing was imported", "body", line=number)
        if not isinstance(data.get("case_no"), str):
            raise Problem(422, "import.no_case", "导入行缺少信访件编号",
                          f"Line {number} names no case; nothing was imported", "case_no",
                          line=number)
        step = _step(number, data, report, p)
        if step is not None:
            steps.append(step)
    return steps, spec


def _json_kind(value: Any) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _json_line(raw: bytes, number: int) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Problem(400, "import.not_utf8", "导入行不是UTF-8编码",
                      f"Line {number} is not UTF-8 (byte {e.start + 1}); nothing was imported",
                      "body", line=number) from None
    raise Problem(400, "import.malformed_line", "导入行不是有效的JSON",
                  f"Line {number} is not valid JSON; nothing was imported", "body", line=number)


def _validated(model: type[BaseModel], data: Any, number: int) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        raise LineError(number, "field.invalid", "导入行字段无效", f"{where}: {err['msg']}",
                        where) from None


class LineError(Exception):
    def __init__(self, line: int, code: str, zh: str, en: str, where: str | None) -> None:
        super().__init__(en)
        self.line, self.code, self.zh, self.en, self.where = line, code, zh, en, where


def _step(number: int, data: dict[str, Any], report: Report, p: Principal | None
          ) -> Step | None:
    case_no = data["case_no"]
    try:
        line: Any = _validated(ActLine, data, number)
        command = _command(line.command, line.args, number)
    except LineError as e:
        report.reject(case_no, e.line, e.code, e.zh, e.en, e.where)
        return None
    recorded = "unknown" if line.recorded_at is None else line.recorded_at.isoformat()
    actor = Actor(**line.actor.model_dump(), client=p.subject if p is not None else None,
                  source_recorded_at=recorded)
    return Step(number, case_no, command, line.occurred_at, actor)


def _command(name: str, args: dict[str, Any], number: int) -> Command | Register:
    """The line's command, its args checked by the API's request model of that command."""
    if name == "register":
        return _validated(RegisterIn, args, number).command()  # type: ignore[attr-defined]
    if name not in COMMAND_MODELS:
        raise LineError(number, "command.unknown", "未知的办理环节", f"Unknown command {name!r}",
                        "command")
    checked = _validated(COMMAND_MODELS[name], args, number)
    return build(COMMANDS[name], checked.model_dump(exclude_unset=True, exclude={"occurred_at"}))


def _attempt(svc: Services, steps: list[Step], report: Report, p: Principal | None) -> Batch:
    batch = Batch(svc.core)
    org, now = batch.org, svc.core.clock()
    known = svc.index.refresh()
    for s in steps:
        if s.case_no in report.rejected:
            continue
        try:
            _scope(p, s, org, now, known)
            # the core leaves a number already in the store to the store's unique key at
            # commit, which would refuse the whole batch (and a dry run never commits)
            if isinstance(s.command, Register) and s.case_no in known:
                raise DomainError("case.exists", "该信访件编号已登记",
                                  f"Case {s.case_no} already exists", "case_no")
            _submit(batch, s)
        except DomainError as e:
            report.reject(s.case_no, s.line, e.code, e.zh, e.en, e.field)
    return batch


def _submit(batch: Batch, s: Step) -> None:
    if isinstance(s.command, Register):
        batch.handle_registration(s.command, s.actor, s.occurred_at, s.case_no)
    else:
        batch.handle(s.case_no, s.command, s.actor, s.occurred_at)


def _scope(p: Principal | None, s: Step, org: OrgDirectory, now: datetime,
           known: dict[str, Any]) -> None:
    if p is None:
        return
    if not covers(p, s.actor.unit, org, now):
        raise DomainError("actor.out_of_scope", "办理单位不在令牌范围内",
                          f"{s.actor.unit} is outside the token's scope", "actor")
    if s.case_no in known and not listable(p, known[s.case_no].profile, org, now):
        raise DomainError("case.exists", "该信访件编号已登记", f"Case {s.case_no} already exists",
                          "case_no")


def import_ndjson(svc: Services, body: bytes, p: Principal | None = None,
                  dry_run: bool = False) -> dict[str, Any]:
    """Validate and write an NDJSON history; ``p`` None is a trusted (CLI) import."""
    report = Report()
    steps, spec = _parse(body, report, p, svc)
    if spec is not None:
        report.organisation = _organisation(svc, spec, p, dry_run)
    report.present = _already_present(svc, steps, report, p)
    steps = [s for s in steps if s.case_no not in report.present]
    while True:
        before = len(report.rejected)
        batch = _attempt(svc, steps, report, p)
        if len(report.rejected) == before:
            break
    if batch.touched:
        report.cases = set(batch.touched)
        report.events = sum(len(c.pending_events) for c in batch.cases.values())
        if not dry_run:
            results = batch.commit()
            report.position = max((r.position or 0) for r in results) or None
    return report.as_dict(dry_run)


def _already_present(svc: Services, steps: list[Step], report: Report, p: Principal | None
                     ) -> set[str]:
    """The file's cases that the store already holds with exactly the events the file's acts
    give (a repeated import): the acts are replayed in a batch that is never committed and
    compared with the stored events, all but their recording time."""
    known, org, now = svc.index.refresh(), svc.core.refresh_org(), svc.core.clock()
    # a case the caller may not list is refused as "exists" like any other, without saying more
    again = {s.case_no for s in steps if s.case_no in known and s.case_no not in report.rejected
             and (p is None or listable(p, known[s.case_no].profile, org, now))}
    scratch, failed = Batch(svc.core), set()
    for s in steps:
        if s.case_no not in again or s.case_no in failed:
            continue
        try:
            _submit(scratch, s)
        except DomainError:
            failed.add(s.case_no)
    out = set()
    for case_no in again - failed:
        replayed = [_same(fact_of(e)) for e in scratch.cases[case_no].pending_events]
        if replayed == [_same(f) for f in snapshot(svc.core, case_no).facts]:
            out.add(case_no)
    return out


_NOT_EXPORTED = frozenset({"client", "source_recorded_at"})  # set by the importing store


def _same(f: Fact) -> tuple[Any, ...]:
    actor = {k: v for k, v in f.actor.items() if k not in _NOT_EXPORTED}
    return f.version, f.kind, f.occurred_at, actor, f.data, f.depends_on


def _organisation(svc: Services, spec: dict[str, Any], p: Principal | None,
                  dry_run: bool) -> str:
    org = svc.core.refresh_org()
    units = [u.get("code") for u in spec.get("units") or [] if isinstance(u, dict)]
    if org.units and all(u in org.units for u in units):
        return "already present"
    if org.units:
        raise Problem(409, "org.exists", "组织机构已存在且与导入不一致",
                      "The store already holds a different organisation", "organisation")
    if dry_run:
        return "would be loaded"
    svc.core.load_organisation(spec, recorded_by=p.subject if p else "import")
    return "loaded"


@router.post("/import", summary="import an NDJSON history (one act per line)",
             openapi_extra={"requestBody": {"content": {"application/x-ndjson": {
                 "schema": {"type": "string"}}}, "required": True}})
async def import_history(request: Request, svc: ServicesDep, p: Annotated[Principal, permit("import")],
                         dry_run: bool = False) -> dict[str, Any]:
    body = await request.body()
    return await run_in_threadpool(import_ndjson, svc, body, p, dry_run)


# --- export --------------------------------------------------------------------------------------
def org_spec(org: OrgDirectory) -> dict[str, Any]:
    units, moves, appointments = [], [], []
    for u in org.units.values():
        (since, parent), *later = u.parents
        units.append({"code": u.code, "name": u.name, "level": u.level, "kind": u.kind,
                      "parent": parent, "since": since})
        moves += [{"unit": u.code, "parent": par, "from": t} for t, par in later]
        appointments += [{"unit": u.code, "post": t[0], "person": t[1], "from": t[2],
                          "until": t[3]} for t in u.terms]
    return {"levels": org.levels, "posts": org.posts, "units": units, "moves": moves,
            "people": [{"code": c, "name": n} for c, n in org.persons.items()],
            "appointments": appointments}


def act_line(case_no: str, f: Any) -> dict[str, Any] | None:
    actor = {k: v for k, v in f.actor.items() if k not in _NOT_EXPORTED and v is not None}
    # an act imported before keeps the recording time of the system it first came from
    recorded = f.actor.get("source_recorded_at") or f.recorded_at.isoformat()
    if f.kind == "Registered":
        command, args = "register", {k: v for k, v in f.data.items()
                                     if k not in REGISTRATION_DERIVED}
    elif f.kind in DERIVED:
        return None
    else:
        command, names = EVENT_ARGS[f.kind]
        data = {**f.data, "value": f.data["new_value"]} if f.kind == "Corrected" else f.data
        args = {k: data[k] for k in names if k in data}
    return {"case_no": case_no, "command": command, "occurred_at": f.occurred_at,
            "actor": actor, "args": args,
            "recorded_at": None if recorded == "unknown" else recorded}


def export_lines(svc: Services, p: Principal, unit: str | None, start: datetime | None,
                 end: datetime | None, organisation: bool) -> Iterator[bytes]:
    org, now = svc.core.refresh_org(), svc.core.clock()
    known = svc.index.refresh()
    chosen = [e.state.case_no for e in svc.index.between(start, end)
              if listable(p, e.profile, org, now)
              and (unit is None or any(u == unit or org.is_within(u, unit, now)
                                       for u in e.profile.held))]
    facts = _with_links(svc, p, chosen, known, org, now)
    if organisation:
        yield orjson.dumps({"organisation": org_spec(org)}) + b"\n"
    order = sorted((pos, case_no, v) for case_no in facts
                   for v, pos in enumerate(known[case_no].positions, start=1))
    for case_no, case_facts in facts.items():
        lens = lens_for(p, known[case_no].profile, org, now)
        lens.registration(case_facts[0].data)
        svc.access.record(p, now, "GET", "/export", case_no, lens.revealed, set())
    for _, case_no, version in order:
        line = act_line(case_no, facts[case_no][version - 1])
        if line is not None:
            yield orjson.dumps(line) + b"\n"


def _with_links(svc: Services, p: Principal, chosen: list[str], known: dict[str, Any],
                org: OrgDirectory, now: datetime) -> dict[str, list[Any]]:
    """The chosen cases' facts, and those of every case linked to them that the caller may
    list (transitively): a link is recorded on both cases, so one alone would not import (its
    original unknown) or would come back without the link."""
    facts: dict[str, list[Any]] = {}
    todo = list(chosen)
    while todo:
        case_no = todo.pop()
        if case_no in facts or case_no not in known or \
                not listable(p, known[case_no].profile, org, now):
            continue
        facts[case_no] = snapshot(svc.core, case_no).facts
        todo += [f.data[k] for f in facts[case_no] for k in LINK_FIELDS.get(f.kind, ())
                 if isinstance(f.data.get(k), str)]
    return facts


@router.get("/export", summary="export cases as NDJSON (all, a unit's, or a period's)",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}}})
def export(svc: ServicesDep, p: Annotated[Principal, permit("export")],
           unit: Annotated[str | None, Query(max_length=128)] = None,
           registered_from: BusinessTime | None = None,
           registered_until: BusinessTime | None = None,
           organisation: bool = True) -> StreamingResponse:
    if unit is not None and svc.core.refresh_org().unit(unit) is None:
        raise Problem(404, "unit.not_found", "单位不存在", f"No unit {unit!r}", "unit")
    lines = list(export_lines(svc, p, unit, registered_from, registered_until, organisation))
    return StreamingResponse(iter(lines), media_type="application/x-ndjson")
