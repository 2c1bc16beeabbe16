"""Clocks and queues, answered from the read models (:mod:`projections.queries`).

Each answer is brought up to the end of the log first (:class:`api.readmodels.ReadModels`).
Rows are clocks: case, step, unit, due date and status as of the moment — no petitioner data and
no accusation content. Lists keep only the cases the caller may learn exist (its scope, minus any
accusation it is walled from), so a walled caller sees no trace of such a case in any queue.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.auth import Principal
from api.deps import (
    OrjsonRoute,
    Reader,
    Services,
    ServicesDep,
    listable_cases,
    permit,
    visible_case,
)
from api.problems import Problem
from api.schemas import BusinessDay, BusinessTime
from domain.audit import checkpoint_summary
from domain.periods import local_date
from projections.queries import clocks_at, overdue, queue, running_or_breached, weekly_dispatch

router = APIRouter(tags=["clocks and queues"], route_class=OrjsonRoute)
CaseNoPath = Annotated[str, Path(max_length=64, description="信访件编号")]
UnitQuery = Annotated[str | None, Query(max_length=128, description="单位代码")]
Lister = Annotated[Principal, permit("list")]
LIST = {"x-action": "list"}


def _kept(rows: list[dict[str, Any]], allowed: set[str]) -> list[dict[str, Any]]:
    return [r for r in rows if r["case_no"] in allowed]


def known_unit(svc: Services, unit: str | None) -> str | None:
    """An unknown unit code is a 404, not an empty queue (units are public: /org/units)."""
    if unit is not None and svc.org().unit(unit) is None:
        raise Problem(404, "unit.not_found", "单位不存在", f"No unit {unit!r}", "unit")
    return unit


@router.get("/cases/{case_no}/clocks", summary="the case's statutory clocks as of a moment",
            openapi_extra={"x-action": "read"})
def case_clocks(case_no: CaseNoPath, svc: ServicesDep, p: Reader,
                at: BusinessTime | None = None) -> dict[str, Any]:
    """Every clock started by ``at`` (default now): its due date as it stood then and its status
    (running, paused, breached, met, met_late, provisional, withdrawn_late…)."""
    visible_case(svc, p, case_no)
    moment = at or svc.core.clock()
    return {"integrity_checkpoint": checkpoint_summary(svc.core.database_url),
            "case_no": case_no, "at": moment, "items": svc.views.run(clocks_at, case_no, moment)}


@router.get("/queues/daily", summary="日审核: a unit's items due by a day", openapi_extra=LIST)
def daily(svc: ServicesDep, p: Lister, unit: UnitQuery = None,
          as_of: BusinessDay | None = None) -> dict[str, Any]:
    """Everything of ``unit`` (default: the caller's unit) due on or before ``as_of`` (default
    today) and still open that morning."""
    day = as_of or local_date(svc.core.clock())
    unit = known_unit(svc, unit) or p.unit
    rows = _kept(svc.views.run(queue, unit, day), listable_cases(svc, p))
    return {"integrity_checkpoint": checkpoint_summary(svc.core.database_url),
            "unit": unit, "as_of": day, "total": len(rows), "items": rows}


@router.get("/queues/weekly", summary="周调度: open clocks due in the coming week, by unit",
            openapi_extra=LIST)
def weekly(svc: ServicesDep, p: Lister, as_of: BusinessDay | None = None) -> dict[str, Any]:
    day = as_of or local_date(svc.core.clock())
    allowed = listable_cases(svc, p)
    units = {u: kept for u, rows in svc.views.run(weekly_dispatch, day).items()
             if (kept := _kept(rows, allowed))}
    return {"integrity_checkpoint": checkpoint_summary(svc.core.database_url),
            "as_of": day, "total": sum(len(v) for v in units.values()), "units": units}


@router.get("/queues/overdue", summary="open statutory clocks past due", openapi_extra=LIST)
def overdue_clocks(svc: ServicesDep, p: Lister, as_of: BusinessTime | BusinessDay | None = None,
                   unit: UnitQuery = None) -> dict[str, Any]:
    """``as_of`` is a moment or a day (its morning); default now."""
    moment: datetime | date = as_of or svc.core.clock()
    rows = _kept(svc.views.run(overdue, moment, known_unit(svc, unit)), listable_cases(svc, p))
    return {"integrity_checkpoint": checkpoint_summary(svc.core.database_url),
            "as_of": moment, "unit": unit, "total": len(rows), "items": rows}


@router.get("/clocks/running", summary="statutory clocks open at a moment", openapi_extra=LIST)
def running(svc: ServicesDep, p: Lister, at: BusinessTime | None = None,
            unit: UnitQuery = None) -> dict[str, Any]:
    """Running, paused, breached or provisional at ``at`` (default now)."""
    moment = at or svc.core.clock()
    rows = _kept(svc.views.run(running_or_breached, moment, known_unit(svc, unit)),
                 listable_cases(svc, p))
    return {"integrity_checkpoint": checkpoint_summary(svc.core.database_url),
            "at": moment, "unit": unit, "total": len(rows), "items": rows}
