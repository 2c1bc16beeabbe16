"""Cases: register, every command of the core, and the reads (case, history, as of T, list,
responsibility). Reads of personal data or accusation content are written to the access log."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import (
    OrjsonRoute,
    Reader,
    Services,
    ServicesDep,
    Writing,
    check_refs,
    permit,
    snapshot,
    visible_case,
    writing,
)
from api.present import (
    case_view,
    history_view,
    not_after_now,
    occurred_by,
    recorded_version,
    responsibility,
)
from api.problems import OrjsonResponse
from api.routes.commands import CaseNoPath, add_command_routes, request_fingerprint
from api.schemas import (
    BusinessTime,
    CaseList,
    CaseOut,
    CommandOut,
    HistoryOut,
    RegisterIn,
    ResponsibilityOut,
)
from api.visibility import listable
from domain.application import Batch
from projections.queries import who_held

router = APIRouter(prefix="/cases", tags=["cases"], route_class=OrjsonRoute)


@router.post("", status_code=201, response_model=CommandOut, summary="登记 register a case")
def register(body: RegisterIn, w: Annotated[Writing, writing("register", versioned=False)],
             request: Request) -> Response:
    svc, p, registration = w.svc, w.p, body.command()

    def step(batch: Batch) -> None:
        check_refs(svc, p, "repeat_of", body.repeat_of)
        check_refs(svc, p, "bypass_of", body.bypass_of)
        batch.handle_registration(registration, p.actor(), body.occurred_at, body.case_no)
    return svc.writer.run(p.token_id, w.key, request_fingerprint(w.key, request, body), step,
                          201)


add_command_routes(router)


def _log(svc: Services, p: Principal, endpoint: str, case_no: str, lens: Any) -> None:
    svc.access.record(p, svc.core.clock(), "GET", endpoint, case_no, lens.revealed, lens.withheld)


@router.get("", response_model=CaseList, summary="cases in the caller's scope")
def list_cases(svc: ServicesDep, p: Annotated[Principal, permit("list")],
               status: Annotated[str | None, Query(max_length=64)] = None,
               holder: Annotated[str | None, Query(max_length=128)] = None,
               matter_type: Annotated[str | None, Query(max_length=64)] = None,
               registered_from: BusinessTime | None = None,
               registered_until: BusinessTime | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Response:
    org, now = svc.core.refresh_org(), svc.core.clock()
    rows = [e.row() for e in svc.index.between(registered_from, registered_until)
            if listable(p, e.profile, org, now)]
    rows = [r for r in rows if (status is None or r["status"] == status)
            and (holder is None or r["holder"] == holder)
            and (matter_type is None or r["matter_type"] == matter_type)]
    return OrjsonResponse({"total": len(rows), "items": rows[offset:offset + limit]})


def _read_case(svc: Services, p: Principal, case_no: str) -> Response:
    seen = visible_case(svc, p, case_no)
    view = case_view(seen.case.state, seen.case.effective(), seen.lens)
    _log(svc, p, "/cases/{case_no}", case_no, seen.lens)
    return Response(orjson.dumps(view, option=orjson.OPT_NON_STR_KEYS),
                    media_type="application/json", headers={"ETag": f'"{seen.case.version}"'})


@router.get("/{case_no}", response_model=CaseOut, summary="the case now")
async def get_case(case_no: CaseNoPath, svc: ServicesDep, p: Reader) -> Response:
    """The hottest read: on SQLite it runs on the event loop (about a millisecond of local file
    reads and one log insert, cheaper than the hop to the thread pool); on PostgreSQL, where a
    pooled connection may have to be waited for, in the thread pool."""
    if svc.side.postgres:
        return await run_in_threadpool(_read_case, svc, p, case_no)
    return _read_case(svc, p, case_no)


@router.get("/{case_no}/history", response_model=HistoryOut, summary="every recorded event")
def get_history(case_no: CaseNoPath, svc: ServicesDep, p: Reader) -> Response:
    seen = visible_case(svc, p, case_no)
    view = history_view(seen.case, seen.lens)
    _log(svc, p, "/cases/{case_no}/history", case_no, seen.lens)
    return OrjsonResponse(view)


@router.get("/{case_no}/as-of", response_model=CaseOut, summary="the case as of a moment")
def get_as_of(case_no: CaseNoPath, at: BusinessTime, svc: ServicesDep, p: Reader,
              sense: Literal["recorded", "occurred", "happened"] = "recorded") -> dict[str, Any]:
    """``recorded``: what the system knew at ``at``. ``occurred`` (or ``happened``, the word of
    the dossier and the diff): what had happened by ``at`` in business time, as the record
    (corrections included) says now. Both include ``at``; a future ``at`` is refused."""
    not_after_now(at, svc.core.clock(), "at")
    seen = visible_case(svc, p, case_no)
    if sense == "recorded":
        then = snapshot(svc.core, case_no, recorded_version(seen.case, at))
        state, facts = then.state, then.effective()
    else:
        state, facts = occurred_by(seen.case, at)
    view = case_view(state, facts, seen.lens)
    _log(svc, p, "/cases/{case_no}/as-of", case_no, seen.lens)
    return {**view, "as_of": {"at": at, "sense": sense}}


@router.get("/{case_no}/responsibility", response_model=ResponsibilityOut,
            summary="who was responsible at a moment")
def get_responsibility(case_no: CaseNoPath, svc: ServicesDep, p: Reader,
                       at: BusinessTime | None = None) -> dict[str, Any]:
    """From the responsibility read model (``projections.queries.who_held``): the unit, the
    handler, its post holders, the 包案 leaders and the territorial chain."""
    seen = visible_case(svc, p, case_no)
    moment: datetime = at or svc.core.clock()
    state, _ = occurred_by(seen.case, moment)
    held = svc.views.run(who_held, case_no, moment)
    return responsibility(state, held, svc.core.refresh_org(), moment)
