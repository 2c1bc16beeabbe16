"""Tokens (issued by the CLI, helpers here), the caller's own grant, and the read-access log."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.access_log import AccessLog
from api.auth import ROLES, Principal, TokenStore
from api.deps import CurrentPrincipal, OrjsonRoute, ServicesDep, permit
from api.schemas import BusinessTime
from api.sidestore import SideStore
from api.visibility import listable
from domain.application import Casetrail
from domain.errors import InvalidInput
from domain.organisation import OrgDirectory

router = APIRouter(tags=["admin"], route_class=OrjsonRoute)
# roles whose jurisdiction is the territory their unit belongs to (its parent), not the unit
JURISDICTION_ROLES = frozenset({"supervisor", "review_organ", "petition_bureau"})


def default_scope(core: Casetrail, unit: str, roles: list[str]) -> str:
    record = core.refresh_org().unit(unit)
    parent = record.parent_at(core.clock()) if record else None
    return parent if parent and JURISDICTION_ROLES & set(roles) else unit


def issue_token(core: Casetrail, side: SideStore, *, subject: str, kind: str, unit: str,
                roles: list[str], person: str | None = None, post: str | None = None,
                scope_unit: str | None = None, include_subunits: bool = True,
                days: int = 90, issued_by: str = "cli", note: str = "",
                ) -> tuple[str, Principal]:
    """Check the grant against the organisation and store a new token (only its hash)."""
    org = core.refresh_org()
    if not subject.strip():
        raise InvalidInput("token.bad_subject", "令牌持有人不能为空",
                           "subject names the person or system holding the token", "subject")
    bad = sorted(set(roles) - set(ROLES)) or ([] if roles else ["(none)"])
    if bad:
        raise InvalidInput("token.bad_role", "角色无效", f"Unknown roles {bad}; choose from "
                           f"{sorted(ROLES)}", "roles")
    if kind not in ("person", "client"):
        raise InvalidInput("token.bad_kind", "令牌主体类型无效", "kind is person or client", "kind")
    for field, code in (("unit", unit), ("scope_unit", scope_unit or unit)):
        if org.unit(code) is None:
            raise InvalidInput("unit.unknown", "单位不存在", f"Unknown unit {code!r}", field)
    if kind == "person" and (person not in org.persons or not post):
        raise InvalidInput("token.person_required", "个人令牌须指定在册人员及其岗位",
                           "A person token names a registered person and the post they act in",
                           "person")
    if not 1 <= days <= 3660:
        raise InvalidInput("token.bad_expiry", "有效期无效", "days must be 1–3660", "days")
    now, ttl = core.clock(), timedelta(days=days)
    if kind == "person":
        ttl = min(ttl, _term_left(org, person or "", unit, post or "", now))
    return TokenStore(side).issue(
        subject=subject, kind=kind, unit=unit, roles=roles, now=now,
        ttl=ttl, person=person, post=post,
        scope_unit=scope_unit or default_scope(core, unit, roles),
        include_subunits=include_subunits, issued_by=issued_by, note=note)


def _term_left(org: OrgDirectory, person: str, unit: str, post: str, now: datetime
               ) -> timedelta:
    """How long the person still holds the post (a token never outlives a term already known
    to end); refused if they do not hold it now: every event it writes would name them in it."""
    record = org.unit(unit)
    ends = [t[3] for t in (record.terms if record else ())
            if t[0] == post and t[1] == person and t[2] <= now and (t[3] is None or now < t[3])]
    if not ends:
        raise InvalidInput("token.post_not_held", "该人员当前未在该单位担任所述岗位",
                           f"{person} does not hold {post} of {unit} now; a person's token acts "
                           "in a post they hold", "post")
    known = [e for e in ends if e is not None]
    return timedelta(days=3660) if len(known) < len(ends) else max(known) - now


def revoke_token(core: Casetrail, side: SideStore, token_id: str, reason: str = "",
                 by: str = "cli") -> bool:
    return TokenStore(side).revoke(token_id, core.clock(), by, reason)


def list_tokens(side: SideStore) -> list[dict[str, Any]]:
    return TokenStore(side).list()


@router.get("/me", summary="the caller's token: subject, roles, unit, scope")
def me(p: CurrentPrincipal) -> dict[str, Any]:
    return p.as_dict()


@router.get("/access-log", summary="reads of personal data and accusation content")
def access_log(svc: ServicesDep, p: Annotated[Principal, permit("access_log")],
               case_no: Annotated[str | None, Query(max_length=64)] = None,
               subject: Annotated[str | None, Query(max_length=200)] = None,
               since: BusinessTime | None = None, until: BusinessTime | None = None,
               after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    cases, org, now = svc.index.refresh(), svc.core.refresh_org(), svc.core.clock()
    entries = AccessLog(svc.side).entries(case_no, subject, since, until, after_id, limit)
    items = [e.as_dict() for e in entries
             if e.case_no in cases and listable(p, cases[e.case_no].profile, org, now)]
    return {"items": items, "next_after_id": entries[-1].entry_id if entries else after_id}
