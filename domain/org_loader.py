"""Load an organisation from a YAML or JSON file, and the checks for single organisation changes.

File shape (see ``examples/organisation.yaml``)::

    levels:        [{code: city, zh: 市, en: City}, …]   # top first; data, not code
    posts:         {village_secretary: 村党组织书记}        # optional extra post types
    units:         [{code, name, level, kind, parent, since}]
    people:        [{code, name}]
    appointments:  [{unit, post, person, from, until}]     # until optional: still in post
    moves:         [{unit, parent, from}]                   # a parent link that changed
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import orjson
import yaml

from domain import catalog as C
from domain.errors import InvalidInput
from domain.organisation import (
    SCHEME_ID,
    OrgDirectory,
    OrgScheme,
    Person,
    Unit,
    UnitRecord,
    person_id,
    unit_id,
)
from domain.periods import TZ


def read_spec(path: str | Path) -> dict[str, Any]:
    text = Path(path).read_text("utf-8")
    try:
        spec = orjson.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as e:
        raise InvalidInput("org.unreadable", "组织文件无法解析", str(e)) from None
    if not isinstance(spec, dict):
        raise InvalidInput("org.unreadable", "组织文件格式无效", "The file must hold a mapping")
    return spec


def as_moment(value: Any, field: str) -> datetime:
    """A date means 00:00 Asia/Shanghai of that day; a date-time must carry its zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime.combine(value, time(0), TZ)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput("date.invalid", "日期格式无效", f"{field}: {value!r}", field) from None
        if len(str(value)) == 10:
            return datetime.combine(moment.date(), time(0), TZ)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment


def _bad(code: str, zh: str, en: str, field: str) -> InvalidInput:
    return InvalidInput(code, zh, en, field)


def build_organisation(spec: dict[str, Any], org: OrgDirectory, now: datetime, recorded_by: str,
                       get: Callable[[Any], Any]) -> list[Any]:
    unknown = set(spec) - {"levels", "posts", "units", "people", "appointments", "moves", "name"}
    if unknown:
        raise _bad("org.unknown_section", "组织文件含未知部分", f"Unknown sections {sorted(unknown)}",
                   sorted(unknown)[0])
    aggregates: dict[Any, Any] = {}
    levels = spec.get("levels") or org.levels
    posts = {**org.posts, **(spec.get("posts") or {})}
    if spec.get("levels") or spec.get("posts"):
        _check_levels(levels)
        scheme = get(SCHEME_ID)
        if scheme is None:
            scheme = OrgScheme._create(OrgScheme.Defined, id=SCHEME_ID, timestamp=now,
                                       levels=levels, posts=posts, recorded_by=recorded_by)
        else:
            scheme.trigger_event(OrgScheme.Redefined, levels=levels, posts=posts,
                                 recorded_by=recorded_by, timestamp=now)
        aggregates[SCHEME_ID] = scheme
    level_codes = {lv["code"] for lv in levels}
    scratch = OrgDirectory()
    scratch.units = {k: UnitRecord(v.code, v.name, v.level, v.kind, v.established,
                                   list(v.parents), [list(t) for t in v.terms])
                     for k, v in org.units.items()}
    scratch.persons = dict(org.persons)
    scratch.posts = posts
    new_units = spec.get("units") or []
    declared = {u.get("code") for u in new_units if isinstance(u, dict)}
    for i, u in enumerate(new_units):
        field = f"units[{i}]"
        if not isinstance(u, dict) or not u.get("code") or not u.get("name"):
            raise _bad("org.unit_invalid", "单位须有编码和名称", f"{field} needs code and name", field)
        if u["code"] in scratch.units:
            raise _bad("unit.exists", "单位编码重复", f"Unit {u['code']} already exists", field)
        if u.get("kind", "territorial") not in C.UNIT_KINDS:
            raise _bad("unit.bad_kind", "单位类别无效", f"{field}.kind must be one of "
                       f"{list(C.UNIT_KINDS)}", field)
        if u.get("level") is not None and u["level"] not in level_codes:
            raise _bad("unit.bad_level", "单位层级未定义", f"{field}.level {u['level']!r} is not "
                       "a declared level", field)
        parent = u.get("parent")
        if parent is not None and parent not in scratch.units and parent not in declared:
            raise _bad("unit.unknown_parent", "上级单位不存在", f"{field}.parent {parent!r}", field)
        since = as_moment(u.get("since", "2000-01-01"), field)
        agg = Unit._create(Unit.Registered, id=unit_id(u["code"]), timestamp=now, code=u["code"],
                           name=u["name"], level=u.get("level"), kind=u.get("kind", "territorial"),
                           parent=parent, effective_from=since, recorded_by=recorded_by)
        aggregates[agg.id] = agg
        scratch.units[u["code"]] = UnitRecord(u["code"], u["name"], u.get("level"),
                                              u.get("kind", "territorial"), since,
                                              [(since, parent)])
    for i, p in enumerate(spec.get("people") or []):
        field = f"people[{i}]"
        if not isinstance(p, dict) or not p.get("code") or not p.get("name"):
            raise _bad("org.person_invalid", "人员须有编码和姓名", f"{field} needs code and name",
                       field)
        if p["code"] in scratch.persons:
            raise _bad("person.exists", "人员编码重复", f"Person {p['code']} already exists", field)
        agg = Person._create(Person.Registered, id=person_id(p["code"]), timestamp=now,
                             code=p["code"], name=p["name"], recorded_by=recorded_by)
        aggregates[agg.id] = agg
        scratch.persons[p["code"]] = p["name"]

    def unit_agg(code: str) -> Any:
        uid = unit_id(code)
        if uid not in aggregates:
            aggregates[uid] = get(uid)
        return aggregates[uid]

    for i, m in enumerate(spec.get("moves") or []):
        field = f"moves[{i}]"
        since = as_moment(m.get("from"), field)
        check_move(scratch, m.get("unit"), m.get("parent"), since, field)
        unit_agg(m["unit"]).trigger_event(Unit.ParentChanged, parent=m.get("parent"),
                                          effective_from=since, recorded_by=recorded_by,
                                          timestamp=now)
        scratch.units[m["unit"]].parents.append((since, m.get("parent")))
        scratch.units[m["unit"]].parents.sort(key=lambda p: p[0])
    for i, a in enumerate(spec.get("appointments") or []):
        field = f"appointments[{i}]"
        if not isinstance(a, dict):
            raise _bad("org.appointment_invalid", "任职记录无效", field, field)
        since = as_moment(a.get("from"), field)
        check_fill(scratch, a.get("unit"), a.get("post"), a.get("person"), since, field)
        agg = unit_agg(a["unit"])
        agg.trigger_event(Unit.PostFilled, post=a["post"], person=a["person"],
                          effective_from=since, recorded_by=recorded_by, timestamp=now)
        term = [a["post"], a["person"], since, None]
        scratch.units[a["unit"]].add_term(term)
        if a.get("until") is not None:
            until = as_moment(a["until"], field)
            check_vacate(scratch, a["unit"], a["post"], a["person"], until, field)
            agg.trigger_event(Unit.PostVacated, post=a["post"], person=a["person"],
                              effective_until=until, recorded_by=recorded_by, timestamp=now)
            term[3] = until
    return list(aggregates.values())


def _check_levels(levels: Any) -> None:
    if not isinstance(levels, list) or not levels:
        raise _bad("org.levels_invalid", "层级定义无效", "levels must be a non-empty list", "levels")
    seen: set[str] = set()
    for i, lv in enumerate(levels):
        if not isinstance(lv, dict) or not lv.get("code") or not lv.get("zh") or lv["code"] in seen:
            raise _bad("org.levels_invalid", "层级须有唯一编码和中文名称",
                       f"levels[{i}] needs a unique code and a zh name", f"levels[{i}]")
        seen.add(lv["code"])


def check_fill(org: OrgDirectory, unit: Any, post: Any, person: Any, since: datetime,
               field: str = "appointment") -> None:
    record = org.unit(unit) if isinstance(unit, str) else None
    if record is None:
        raise _bad("unit.unknown", "单位不存在", f"{field}: unknown unit {unit!r}", field)
    if post not in C.POSTS and post not in org.posts:
        raise _bad("post.unknown", "岗位不存在", f"{field}: unknown post {post!r}", field)
    if person not in org.persons:
        raise _bad("person.unknown", "人员不存在", f"{field}: unknown person {person!r}", field)
    for t in record.terms:
        # the new term [since, open) overlaps any term of the same post and person that has not
        # ended by ``since`` (one that starts later included): the person would be named twice
        if t[0] == post and t[1] == person and (t[3] is None or since < t[3]):
            raise _bad("post.overlap", "任职期间重叠", f"{field}: {person} already holds {post} "
                       f"of {unit} then", field)


def check_vacate(org: OrgDirectory, unit: str, post: str, person: str, until: datetime,
                 field: str = "appointment") -> None:
    record = org.unit(unit)
    open_terms = [t for t in (record.terms if record else [])
                  if t[0] == post and t[1] == person and t[3] is None]
    if not open_terms:
        raise _bad("post.not_held", "该人员未担任该岗位", f"{field}: {person} holds no open "
                   f"{post} term in {unit}", field)
    if until <= open_terms[-1][2]:
        raise _bad("post.bad_interval", "离任时间须晚于任职时间", f"{field}: until must be after "
                   "from", field)


def check_move(org: OrgDirectory, unit: Any, parent: Any, since: datetime,
               field: str = "move") -> None:
    if not isinstance(unit, str) or org.unit(unit) is None:
        raise _bad("unit.unknown", "单位不存在", f"{field}: unknown unit {unit!r}", field)
    if parent is not None and org.unit(parent) is None:
        raise _bad("unit.unknown_parent", "上级单位不存在", f"{field}: unknown parent {parent!r}",
                   field)
    if parent is not None and unit in org.chain(parent, since):
        raise _bad("unit.cycle", "上下级关系形成循环", f"{field}: {unit} would be its own ancestor",
                   field)
