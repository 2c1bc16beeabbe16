"""Accountability findings (问责发现), the rule catalogue, and the supervisor's workflow.

Lists come from the findings engine (:func:`domain.findings.list_findings`) plus the
confidentiality rule 46(五) (:func:`domain.rules.evaluate_access`) fed from the API's own access
log. Only cases the caller may learn exist are evaluated into the answer: a finding on an
accusation never reaches a caller walled from it, and neither does its count.

The workflow (confirm, dismiss, annotate, judge consequences, record a measure; proposals under
art. 40 and their feedback) is recorded as events by :mod:`domain.findings`; only the supervisor
and petition bureau roles may act, and only on findings of cases they may see. Feedback is given
by the addressed unit; to anyone else a proposal does not exist (404).

This module does not use ``from __future__ import annotations``: the annotations of a review
endpoint are evaluated when :func:`_review_endpoint` defines it, so each names its own request
model and role, and FastAPI reads them from there; nothing is rewritten afterwards.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from api.auth import Principal
from api.deps import (
    CurrentPrincipal,
    IdempotencyKey,
    OrjsonRoute,
    Services,
    ServicesDep,
    case_not_found,
    listable_cases,
    permit,
    visible_case,
)
from api.idempotency import fingerprint
from api.problems import Problem
from api.routes.queries import known_unit
from api.schemas import (
    AnnotateIn,
    BusinessTime,
    ConfirmIn,
    DismissIn,
    FeedbackIn,
    JudgeIn,
    MeasureIn,
    ProposalIn,
    ReviewIn,
)
from domain import findings as F
from domain.audit import checkpoint_summary
from domain.errors import NotFound
from domain.rules import (
    CATEGORIES,
    RULES,
    RULES_BY_ID,
    Finding,
    Thresholds,
    access_records_from_log,
    evaluate_access,
    with_rule_text,
)

router = APIRouter(tags=["findings"], route_class=OrjsonRoute)
CaseNoPath = Annotated[str, Path(max_length=64, description="信访件编号")]
FindingPath = Annotated[str, Path(max_length=64, description="问责发现编号")]
NumberPath = Annotated[str, Path(max_length=128, description="建议编号")]
Sense = Literal["happened", "recorded"]
ACCESS_RULE = "ACCUSATION-SEEN"
THRESHOLDS = Thresholds()


def _finding_not_found(finding_id: str) -> NotFound:
    return NotFound("finding.not_found", "问责发现不存在", f"No finding {finding_id!r}",
                    "finding_id")


# --- evaluation, within what the caller may see ----------------------------------------------
def _history(svc: Services) -> Callable[[str], Any]:
    def history(case_no: str) -> Any:
        try:
            return svc.core.history(case_no)
        except NotFound:
            return None
    return history


def access_findings(svc: Services, cases: set[str], as_of: datetime) -> list[Finding]:
    """ACCUSATION-SEEN (art. 30 ¶3, 46(五)) over the access log, for these (accusation) cases."""
    index = svc.index.refresh()
    wanted = sorted(c for c in cases if c in index and index[c].profile.accusation)
    entries: list[Any] = []
    for case_no in wanted:
        after = 0
        while True:
            page = svc.access.entries(case_no=case_no, until=None, after_id=after, limit=1000)
            entries += page
            if len(page) < 1000:
                break
            after = page[-1].entry_id
    if not entries:
        return []
    return evaluate_access(access_records_from_log(entries), _history(svc),
                           svc.core.refresh_org(), as_of)


def visible_findings(svc: Services, p: Principal, as_of: datetime, query: F.Query,
                     sense: str) -> list[Finding]:
    allowed = listable_cases(svc, p)
    if query.case_no is not None and query.case_no not in allowed:
        return []  # unknown, out of scope or walled: the same empty answer
    found = [f for f in F.list_findings(svc.core, as_of, query, THRESHOLDS, sense,
                                        access_records=())
             if f.case_no in allowed]
    if query.rule in (None, ACCESS_RULE):
        scope = {query.case_no} if query.case_no else allowed
        found += [f for f in access_findings(svc, scope, as_of) if query.keeps(f)]
    return sorted(found, key=lambda f: (f.at, f.case_no, f.rule, f.id))


def _review(svc: Services, finding_id: str) -> dict[str, Any] | None:
    review = F.get_review(svc.core, finding_id)
    if review is None:
        return None
    return {"status": review.status, "serious": review.serious, "measures": review.measures,
            "version": review.version}


def _rows(svc: Services, found: list[Finding]) -> list[dict[str, Any]]:
    return [{**with_rule_text(f), "review": _review(svc, f.id)} for f in found]


# --- reads ------------------------------------------------------------------------------------
@router.get("/rules", summary="the rule catalogue (问责规则目录)", openapi_extra={"x-action": "token"})
def rules(p: CurrentPrincipal) -> dict[str, Any]:
    return {"rules": [r.as_dict() for r in RULES], "categories": CATEGORIES,
            "thresholds": dict(THRESHOLDS.__dict__)}


@router.get("/findings", summary="findings in the caller's scope",
            openapi_extra={"x-action": "findings"})
def list_findings(
        svc: ServicesDep, p: Annotated[Principal, permit("findings")],
        as_of: BusinessTime | None = None,
        unit: Annotated[str | None, Query(max_length=128, description="responsible unit")] = None,
        case: Annotated[str | None, Query(max_length=64, description="信访件编号")] = None,
        from_: Annotated[BusinessTime | None, Query(alias="from")] = None,
        to: BusinessTime | None = None,
        rule: Annotated[str | None, Query(max_length=64)] = None,
        category: Annotated[str | None, Query(max_length=32)] = None,
        sense: Sense = "happened",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    """As of ``as_of`` (default now); ``from``/``to`` bound the breach moment [from, to)."""
    moment = as_of or svc.core.clock()
    if rule is not None and rule not in RULES_BY_ID:
        raise Problem(422, "rule.unknown", "规则不存在", f"Unknown rule {rule!r}", "rule")
    if category is not None and category not in CATEGORIES:
        raise Problem(422, "category.unknown", "问责类别不存在",
                      f"Unknown category {category!r}; one of {sorted(CATEGORIES)}", "category")
    known_unit(svc, unit)
    query = F.Query(unit=unit, case_no=case, period_from=from_, period_to=to, rule=rule,
                    category=category)
    found = visible_findings(svc, p, moment, query, sense)
    return {"integrity_checkpoint": checkpoint_summary(svc.core.database_url),
            "as_of": moment, "sense": sense, "total": len(found),
            "items": _rows(svc, found[offset:offset + limit])}


@router.get("/cases/{case_no}/findings", summary="the findings of one case",
            openapi_extra={"x-action": "findings"})
def case_findings(case_no: CaseNoPath, svc: ServicesDep,
                  p: Annotated[Principal, permit("findings")],
                  as_of: BusinessTime | None = None, sense: Sense = "happened") -> dict[str, Any]:
    seen = visible_case(svc, p, case_no)
    if seen.lens.walled:
        raise case_not_found(case_no)
    moment = as_of or svc.core.clock()
    found = visible_findings(svc, p, moment, F.Query(case_no=case_no), sense)
    return {"integrity_checkpoint": checkpoint_summary(svc.core.database_url),
            "case_no": case_no, "as_of": moment, "sense": sense, "total": len(found),
            "items": _rows(svc, found)}


# --- the workflow -----------------------------------------------------------------------------
def _once(svc: Services, p: Principal, key: str | None, request: Request, body: BaseModel,
          act: Callable[[], Response]) -> Response:
    fp = fingerprint(request.method, request.url.path, body.model_dump(mode="json"))
    return svc.idempotency.run(p.token_id, key, fp, svc.core.clock(), act)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def locate(svc: Services, p: Principal, finding_id: str, case_no: str | None) -> str:
    """The case of a finding the caller may act on (404 otherwise, as for an unknown id)."""
    allowed = listable_cases(svc, p)
    review = F.get_review(svc.core, finding_id)
    if review is not None:
        if review.case_no in allowed and case_no in (None, review.case_no):
            return str(review.case_no)
        raise _finding_not_found(finding_id)
    if case_no is not None and case_no not in allowed:
        raise _finding_not_found(finding_id)
    query = F.Query(case_no=case_no)
    for f in F.list_findings(svc.core, svc.core.clock(), query, THRESHOLDS):
        if f.id == finding_id and f.case_no in allowed:
            return f.case_no
    raise _finding_not_found(finding_id)


VERBS: dict[str, tuple[str, type[ReviewIn], Callable[..., Any], tuple[str, ...]]] = {
    "confirm": ("confirm_finding", ConfirmIn, F.confirm_finding, ("reason",)),
    "dismiss": ("dismiss_finding", DismissIn, F.dismiss_finding, ("reason",)),
    "annotate": ("annotate_finding", AnnotateIn, F.annotate_finding, ("text",)),
    "judge": ("judge_consequences", JudgeIn, F.judge_consequences, ("serious", "description")),
    "measure": ("record_measure", MeasureIn, F.record_measure, ("measure", "description")),
}


def _review_endpoint(verb: str) -> Callable[..., Response]:
    action, model, command, fields = VERBS[verb]

    def endpoint(finding_id: FindingPath, body: model,  # type: ignore[valid-type]
                 svc: ServicesDep, p: Annotated[Principal, permit(action)],
                 key: IdempotencyKey, request: Request) -> Response:
        def act() -> Response:
            case_no = locate(svc, p, finding_id, body.case_no)
            review = command(svc.core, finding_id, p.actor(),
                             *(getattr(body, f) for f in fields), case_no=case_no,
                             at=body.occurred_at)
            return _json(review.as_dict())
        return _once(svc, p, key, request, body, act)

    return endpoint


for _verb, (_action, _model, _command, _) in VERBS.items():
    router.add_api_route(f"/findings/{{finding_id}}/{_verb}", _review_endpoint(_verb),
                         methods=["POST"], name=f"{_verb}_finding",
                         summary=(_model.__doc__ or _verb).splitlines()[0][:80],
                         openapi_extra={"x-action": _action})


def proposal_view(svc: Services, p: Principal, proposal: F.Proposal) -> dict[str, Any]:
    """The proposal as this caller may read it: cases it may not learn of are left out, and so
    are the findings on them."""
    out = proposal.as_dict()
    allowed = listable_cases(svc, p)
    hidden = [c for c in out["cases"] if c not in allowed]
    out["cases"] = [c for c in out["cases"] if c in allowed]
    if hidden or out["findings"]:
        now = svc.core.clock()
        hidden_ids = {f.id for c in hidden for f in F.list_findings(svc.core, now,
                                                                     F.Query(case_no=c))}
        keep = []
        for fid in out["findings"]:
            review = F.get_review(svc.core, fid)
            if fid not in hidden_ids and (review is None or review.case_no in allowed):
                keep.append(fid)
        out["findings"] = keep
    return out


@router.post("/proposals", status_code=201, summary="三项建议: a proposal to a unit (art. 40)",
             openapi_extra={"x-action": "propose"})
def propose(body: ProposalIn, svc: ServicesDep, p: Annotated[Principal, permit("propose")],
            key: IdempotencyKey, request: Request) -> Response:
    def act() -> Response:
        allowed = listable_cases(svc, p)
        for no in body.cases:
            if no not in allowed:
                raise Problem(422, "case.unknown", "关联的信访事项不存在", f"Unknown case {no!r}",
                              "cases")
        proposal = F.propose(svc.core, body.number, body.kind, body.to_unit, p.actor(),
                             body.text, body.cases, body.findings, at=body.occurred_at)
        return _json(proposal_view(svc, p, proposal), 201)
    return _once(svc, p, key, request, body, act)


@router.post("/proposals/{number}/feedback", summary="the addressed unit's written feedback",
             openapi_extra={"x-action": "give_feedback"})
def feedback(number: NumberPath, body: FeedbackIn, svc: ServicesDep,
             p: Annotated[Principal, permit("give_feedback")], key: IdempotencyKey,
             request: Request) -> Response:
    def act() -> Response:
        proposal = F.get_proposal(svc.core, number)
        if proposal is None or proposal.to_unit != p.unit:
            raise NotFound("proposal.not_found", "建议不存在", f"No proposal {number!r}",
                           "number")
        done = F.give_feedback(svc.core, number, p.actor(), body.outcome, body.reasons,
                               at=body.occurred_at)
        return _json(proposal_view(svc, p, done))
    return _once(svc, p, key, request, body, act)
