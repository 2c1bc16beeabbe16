"""Re-review audits over HTTP: a case's dossier at a cut-off, and what changed between moments.

Both reveal personal data and (for an accusation) its content, so every read is written to the
access log; a caller walled from an accusation gets 404, exactly as for an unknown case; roles
that do not need petitioner personal data get it masked (:func:`api.visibility.mask_audit`).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from api.auth import Principal
from api.deps import (
    OrjsonRoute,
    Services,
    ServicesDep,
    Visible,
    case_not_found,
    permit,
    visible_case,
)
from api.dossier import render
from api.present import not_after_now
from api.problems import OrjsonResponse, Problem
from api.schemas import BusinessTime
from api.visibility import mask_audit
from domain import audit
from domain.errors import NotFound

router = APIRouter(tags=["audit"], route_class=OrjsonRoute)
CaseNoPath = Annotated[str, Path(max_length=64, description="信访件编号")]
Auditor = Annotated[Principal, permit("dossier")]
DOSSIER = {"x-action": "dossier"}


def _seen(svc: Services, p: Principal, case_no: str) -> Visible:
    seen = visible_case(svc, p, case_no)
    if seen.lens.walled:
        raise case_not_found(case_no)
    return seen


def _log(svc: Services, p: Principal, endpoint: str, seen: Visible) -> None:
    """What the document showed of the registration, by the same lens as the case reads."""
    effective = seen.case.effective()
    if effective:
        seen.lens.registration(effective[0].data)
    svc.access.record(p, svc.core.clock(), "GET", endpoint, seen.case.state.case_no,
                      seen.lens.revealed, seen.lens.withheld)


@router.get("/cases/{case_no}/dossier", summary="the case dossier at a cut-off (JSON or HTML)",
            openapi_extra=DOSSIER, responses={200: {"content": {"text/html": {}}}})
def dossier(case_no: CaseNoPath, svc: ServicesDep, p: Auditor,
            as_of: BusinessTime | None = None,
            sense: Literal["happened", "recorded"] = "happened",
            format: Annotated[Literal["json", "html"], Query()] = "json") -> Response:
    """Timeline with actors, clocks, responsibility, findings with their review, corrections and
    the integrity checkpoint, as of ``as_of`` (default now) in the given sense."""
    now = svc.core.clock()
    not_after_now(as_of or now, now, "as_of")
    seen = _seen(svc, p, case_no)
    try:
        d = audit.dossier(svc.core, case_no, as_of or now, sense, generated_at=now)
    except LookupError:
        raise NotFound("case.not_yet_occurred", "该时间点此信访事项尚未发生",
                       "The case did not exist at the cut-off", "as_of") from None
    if not p.sees_personal:
        d = mask_audit(d)
    _log(svc, p, "/cases/{case_no}/dossier", seen)
    media = "text/html; charset=utf-8" if format == "html" else "application/json"
    return Response(render(d, format).encode(), media_type=media)


@router.get("/cases/{case_no}/diff", summary="what changed between two moments",
            openapi_extra=DOSSIER)
def diff(case_no: CaseNoPath, svc: ServicesDep, p: Auditor,
         from_: Annotated[BusinessTime, Query(alias="from")], to: BusinessTime,
         sense: Literal["recorded", "happened"] = "recorded") -> Response:
    """Facts added, values corrected, status, holder, clocks and findings new or gone."""
    if to < from_:
        raise Problem(422, "period.reversed", "起止时间颠倒",
                      "'to' must not be earlier than 'from'", "to")
    not_after_now(to, svc.core.clock(), "to")
    seen = _seen(svc, p, case_no)
    out: dict[str, Any] = audit.diff(seen.case.facts, from_, to, sense, svc.core.refresh_org())
    if not p.sees_personal:
        out = mask_audit(out)
    _log(svc, p, "/cases/{case_no}/diff", seen)
    return OrjsonResponse({"case_no": case_no, **out})
