"""The organisation: levels, units (with their parent as of a moment), posts held over time."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import OrjsonRoute, Reader, ServicesDep
from api.problems import Problem
from api.schemas import BusinessTime
from domain import catalog as C
from domain.organisation import OrgDirectory, UnitRecord

router = APIRouter(prefix="/org", tags=["organisation"], route_class=OrjsonRoute)
Code = Annotated[str, Path(max_length=128)]


def _terms(record: UnitRecord) -> list[dict[str, Any]]:
    return [{"unit": record.code, "post": t[0], "person": t[1], "from": t[2], "until": t[3]}
            for t in record.terms]


def _unit(org: OrgDirectory, record: UnitRecord, at: datetime) -> dict[str, Any]:
    return {"code": record.code, "name": record.name, "level": record.level,
            "kind": record.kind, "established": record.established,
            "parent": record.parent_at(at), "parents": [
                {"from": since, "parent": parent} for since, parent in record.parents]}


def _known(org: OrgDirectory, code: str) -> UnitRecord:
    record = org.unit(code)
    if record is None:
        raise Problem(404, "unit.not_found", "单位不存在", f"No unit {code!r}", "code")
    return record


@router.get("", summary="levels and post types")
def scheme(svc: ServicesDep, p: Reader) -> dict[str, Any]:
    org = svc.core.refresh_org()
    return {"levels": org.levels, "posts": org.posts, "units": len(org.units),
            "persons": len(org.persons)}


@router.get("/units", summary="all units, linked as they were at a moment")
def units(svc: ServicesDep, p: Reader, at: BusinessTime | None = None,
          ) -> dict[str, Any]:
    org, moment = svc.core.refresh_org(), at or svc.core.clock()
    return {"at": moment, "items": [_unit(org, u, moment) for u in org.units.values()]}


@router.get("/units/{code}", summary="one unit: its chain, sub-units and posts over time")
def unit(code: Code, svc: ServicesDep, p: Reader,
         at: BusinessTime | None = None) -> dict[str, Any]:
    org, moment = svc.core.refresh_org(), at or svc.core.clock()
    record = _known(org, code)
    children = [u.code for u in org.units.values() if u.parent_at(moment) == code]
    holders = {t[0]: record.holders(t[0], moment) for t in record.terms}
    return {**_unit(org, record, moment), "chain": org.chain(code, moment), "children": children,
            "terms": _terms(record), "holders_at": holders}


@router.get("/units/{code}/holders", summary="who held a post of the unit at a moment")
def holders(code: Code, post: Annotated[str, Query(max_length=64)], svc: ServicesDep,
            p: Reader, at: BusinessTime | None = None) -> dict[str, Any]:
    org, moment = svc.core.refresh_org(), at or svc.core.clock()
    _known(org, code)
    posts = {*C.POSTS, *org.posts}
    if post not in posts:
        raise Problem(422, "post.unknown", "岗位类型不存在",
                      f"Unknown post {post!r}; one of {sorted(posts)}", "post")
    return {"unit": code, "post": post, "at": moment, "persons": org.holders(code, post, moment)}


@router.get("/persons/{code}", summary="a person and the posts they held")
def person(code: Code, svc: ServicesDep, p: Reader) -> dict[str, Any]:
    org = svc.core.refresh_org()
    if code not in org.persons:
        raise Problem(404, "person.not_found", "人员不存在", f"No person {code!r}", "code")
    terms = [t for u in org.units.values() for t in _terms(u) if t["person"] == code]
    return {"code": code, "name": org.persons[code], "terms": terms}
