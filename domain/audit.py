"""Re-review audits (复查/复核): a case as it stood at any past moment, the difference between two
moments, and the dossier of a case — pure functions of its history and the organisation.

Two senses of "as it stood at T" (:func:`domain.rules.cut`):

* ``recorded`` — what the system knew at T: facts recorded by T, corrections recorded by T;
* ``happened`` — what had happened by T as known now: every fact with business time <= T,
  including acts recorded later, with every correction known now.

The dossier (:func:`build_dossier`) is plain data — timeline with actors, clocks, responsibility
segments, findings, corrections, the integrity checkpoint — with everything sorted, times as
Asia/Shanghai ISO text and no float and no reading of the clock, so :func:`dossier_json` gives the
same bytes for the same history, cut-off and inputs.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from domain import catalog as C
from domain.case_state import STATUS_ZH, Fact, fold
from domain.clocks import derive_clocks, shown_status
from domain.organisation import OrgDirectory
from domain.periods import CALENDAR, TZ, HolidayCalendar
from domain.responsibility import OrgIndex, segments
from domain.rules import (
    CATEGORIES,
    RULES_BY_ID,
    Thresholds,
    cut,
    evaluate,
    with_rule_text,
)

DOSSIER_FORMAT = "casetrail-dossier/1"
PERSONAL_KEYS = ("id_number", "phone", "address")


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(TZ).isoformat()


def plain(value: Any) -> Any:
    """JSON-ready, deterministic: datetimes as Asia/Shanghai ISO text, tuples as lists."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return f"{value:.2f}"
    return value


def _mask(text: Any) -> Any:
    if not isinstance(text, str) or len(text) <= 4:
        return "***" if text else text
    return "*" * (len(text) - 4) + text[-4:]


def _redacted(data: dict[str, Any]) -> dict[str, Any]:
    """Personal identifiers masked (names kept: a review body needs to know whose case it is)."""
    if "petitioners" not in data:
        return data
    people = [{k: (_mask(v) if k in PERSONAL_KEYS else v) for k, v in p.items()}
              for p in data.get("petitioners") or []]
    return {**data, "petitioners": people}


def fact_entry(f: Fact, org: OrgDirectory | None = None, redact: bool = True) -> dict[str, Any]:
    actor = dict(f.actor)
    if org is not None:
        unit = org.unit(actor.get("unit") or "")
        actor["unit_name"] = unit.name if unit else None
        actor["person_name"] = org.persons.get(actor.get("person") or "")
    return {
        "version": f.version, "kind": f.kind, "kind_zh": C.EVENT_ZH.get(f.kind, f.kind),
        "occurred_at": iso(f.occurred_at), "recorded_at": iso(f.recorded_at),
        "recorded_days_after": (f.recorded_at - f.occurred_at).days,
        "actor": plain(actor), "depends_on": f.depends_on,
        "data": plain(_redacted(f.data) if redact else f.data),
        "corrections": [{"field": name, "old": plain(old), "new": plain(new)}
                        for name, old, new in f.corrections],
    }


def _corrections(facts: list[Fact], as_of: datetime, sense: str,
                 org: OrgDirectory | None) -> list[dict[str, Any]]:
    out = []
    for f in facts:
        if f.kind != "Corrected" or (sense == "recorded" and f.recorded_at > as_of):
            continue
        entry = fact_entry(f, org)
        entry["data"] = plain({k: f.data.get(k) for k in ("target_version", "field",
                                                          "old_value", "new_value", "reason")})
        out.append(entry)
    return out


def clock_entries(known: list[Fact], as_of: datetime,
                  calendar: HolidayCalendar = CALENDAR) -> list[dict[str, Any]]:
    out = []
    for c in derive_clocks(known, calendar):
        d, status = c.deadline_at(as_of), shown_status(c, as_of)
        out.append({
            "key": c.key, "step": c.step, "unit": c.unit, "start_at": iso(c.start_at),
            "start_version": c.start_version, "last_day": d.last_day.isoformat(),
            "due_at": iso(d.due_at), "provisional": d.provisional, "paused_days": d.paused_days,
            "policy_version": c.policy_version, "calendar_version": d.calendar_version,
            "status": status, "stop_at": iso(c.stop_at), "stop_kind": c.stop_kind,
            "days_late": None if status == "provisional" else c.days_late(),
            "extension_days": c.extension_days,
            "terms": [{"from_at": iso(t.from_at), "last_day": t.deadline.last_day.isoformat(),
                       "reason": t.reason} for t in c.terms],
        })
    return out


def segment_entries(known: list[Fact], org: OrgDirectory) -> list[dict[str, Any]]:
    segs, _closed = segments(known, OrgIndex(org))
    return [{"seq": s.seq, "from_at": iso(s.from_at), "to_at": iso(s.to_at), "unit": s.unit,
             "handler": s.handler, "cause": s.cause,
             "people": [{"role": r, "unit": u, "person": p} for r, u, p in sorted(
                 s.people, key=lambda x: (x[0], x[1] or "", x[2]))]} for s in segs]


def case_at(facts: list[Fact], as_of: datetime, sense: str = "recorded",
            org: OrgDirectory | None = None) -> dict[str, Any]:
    """The case as it stood at ``as_of`` in the given sense: status, holder and the facts."""
    known = cut(facts, as_of, sense)
    state = fold(known)
    return {
        "as_of": iso(as_of), "sense": sense, "exists": bool(known),
        "case_no": state.case_no or None, "status": state.status or None,
        "status_zh": STATUS_ZH.get(state.status) if state.status else None,
        "holder": state.holder, "handler": state.handler, "track": state.track,
        "extension_days": state.extension_days,
        "facts": [fact_entry(f, org) for f in known],
    }


def diff(facts: list[Fact], t1: datetime, t2: datetime, sense: str = "recorded",
         org: OrgDirectory | None = None, thresholds: Thresholds = Thresholds()) -> dict[str, Any]:
    """What changed between two moments: facts added, values corrected, status, holder, clocks
    and (with the organisation) findings."""
    a, b = cut(facts, t1, sense), cut(facts, t2, sense)
    before = {f.version: f for f in a}
    added = [fact_entry(f, org) for f in b if f.version not in before]
    changed = []
    for f in b:
        old = before.get(f.version)
        if old is None:
            continue
        for name in sorted(set(old.data) | set(f.data) | {"occurred_at"}):
            x = old.occurred_at if name == "occurred_at" else old.data.get(name)
            y = f.occurred_at if name == "occurred_at" else f.data.get(name)
            if x != y:
                changed.append({"version": f.version, "kind": f.kind, "field": name,
                                "before": plain(x), "after": plain(y)})
    sa, sb = fold(a), fold(b)
    ca = {c["key"]: c for c in clock_entries(a, t1)}
    cb = {c["key"]: c for c in clock_entries(b, t2)}
    clocks = [{"key": k, "before": (ca.get(k) or {}).get("status"),
               "after": (cb.get(k) or {}).get("status"),
               "last_day_before": (ca.get(k) or {}).get("last_day"),
               "last_day_after": (cb.get(k) or {}).get("last_day")}
              for k in sorted(set(ca) | set(cb))
              if (ca.get(k) or {}).get("status") != (cb.get(k) or {}).get("status")
              or (ca.get(k) or {}).get("last_day") != (cb.get(k) or {}).get("last_day")]
    out: dict[str, Any] = {
        "from": iso(t1), "to": iso(t2), "sense": sense, "added": added, "changed": changed,
        "status": {"before": sa.status or None, "after": sb.status or None},
        "holder": {"before": sa.holder, "after": sb.holder}, "clocks": clocks,
    }
    if org is not None:
        fa = {f.id: f for f in evaluate(facts, org, t1, thresholds, sense).findings}
        fb = {f.id: f for f in evaluate(facts, org, t2, thresholds, sense).findings}
        out["findings"] = {"new": [with_rule_text(fb[i]) for i in sorted(set(fb) - set(fa))],
                           "gone": [with_rule_text(fa[i]) for i in sorted(set(fa) - set(fb))]}
    return out


def build_dossier(facts: list[Fact], org: OrgDirectory, as_of: datetime,
                  sense: str = "happened", thresholds: Thresholds = Thresholds(),
                  reviews: Mapping[str, Mapping[str, Any]] | None = None,
                  checkpoint: Mapping[str, Any] | None = None,
                  generated_at: datetime | None = None,
                  calendar: HolidayCalendar = CALENDAR) -> dict[str, Any]:
    """The dossier of one case at a cut-off: everything a review body reads, as plain data."""
    known = cut(facts, as_of, sense)
    if not known:
        raise LookupError("the case did not exist at the cut-off")
    state = fold(known)
    result = evaluate(facts, org, as_of, thresholds, sense, calendar)
    reviews = reviews or {}
    findings = []
    for f in result.findings:
        entry = with_rule_text(f)
        entry["review"] = review_as_of(reviews.get(f.id), as_of, sense)
        findings.append(entry)
    timeline = [fact_entry(f, org) for f in known]
    referenced_units = {state.holder, *(t["actor"].get("unit") for t in timeline)}
    referenced_units |= {f["unit"] for f in findings}
    referenced_people = {t["actor"].get("person") for t in timeline}
    referenced_people |= {f["handler"] for f in findings} | {f["leader"] for f in findings}
    segs = segment_entries(known, org)
    for s in segs:
        referenced_units.add(s["unit"])
        referenced_people |= {s["handler"], *(p["person"] for p in s["people"])}
    reg = known[0].data
    return plain({
        "format": DOSSIER_FORMAT,
        "case_no": state.case_no, "as_of": iso(as_of), "sense": sense,
        "generated_at": iso(generated_at),
        "thresholds": dict(thresholds.__dict__),
        "calendar_version": calendar.version,
        "case": {
            "matter_type": state.matter_type,
            "matter_type_zh": C.MATTER_TYPES.get(state.matter_type),
            "category": reg.get("category"), "channel": reg.get("channel"),
            "channel_zh": C.CHANNELS.get(reg.get("channel") or ""),
            "location": reg.get("location"), "registered_at": iso(known[0].occurred_at),
            "registering_unit": reg.get("registering_unit"), "status": state.status,
            "status_zh": STATUS_ZH.get(state.status), "holder": state.holder,
            "handler": state.handler, "track": state.track,
            "extension_days": state.extension_days, "version": known[-1].version,
            "facts_known": len(known), "facts_in_log": len(facts),
        },
        "timeline": timeline,
        "corrections": _corrections(facts, as_of, sense, org),
        "clocks": clock_entries(known, as_of, calendar),
        "responsibility": segs,
        "findings": findings,
        "provisional": [p.as_dict() for p in result.provisional],
        "rules": {r: RULES_BY_ID[r].as_dict() for r in sorted({f.rule for f in result.findings})},
        "categories": CATEGORIES,
        "units": {u: _unit_name(org, u) for u in sorted(x for x in referenced_units if x)},
        "persons": {p: org.persons.get(p, p) for p in sorted(x for x in referenced_people if x)},
        "integrity_checkpoint": dict(checkpoint) if checkpoint else None,
    })


def review_as_of(review: Mapping[str, Any] | None, as_of: datetime,
                 sense: str) -> dict[str, Any] | None:
    """A finding's workflow as it stood at the cut-off (only its entries up to it)."""
    if review is None:
        return None
    key = "recorded_at" if sense == "recorded" else "occurred_at"
    log = [e for e in review.get("log", []) if datetime.fromisoformat(e[key]) <= as_of]
    if not log:
        return None
    status, serious, measures = "open", None, []
    for e in log:
        if e["kind"] in ("Confirmed", "Dismissed"):
            status = e["kind"].lower()
        elif e["kind"] == "ConsequenceJudged":
            serious = e["serious"]
        elif e["kind"] == "MeasureRecorded":
            measures.append({"measure": e["measure"], "description": e["description"]})
    return {"status": status, "serious": serious, "measures": measures, "log": log}


def _unit_name(org: OrgDirectory, code: str) -> str:
    unit = org.unit(code)
    return unit.name if unit else code


def dossier_json(dossier: Mapping[str, Any]) -> str:
    """Canonical text: sorted keys, two-space indent, UTF-8 characters, a final newline."""
    return json.dumps(dossier, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def checkpoint_summary(url: str | None) -> dict[str, Any] | None:
    """The latest integrity checkpoint (tree size, root) if the integrity log exists, else None."""
    try:
        from integrity import checkpoints as integrity
    except ImportError:
        return None
    summary = getattr(integrity, "latest_checkpoint_summary", None)
    if summary is None:
        return None
    found = summary(url)
    return dict(found) if found else None


def dossier(app: Any, case_no: str, as_of: datetime, sense: str = "happened",
            thresholds: Thresholds = Thresholds(), generated_at: datetime | None = None,
            with_checkpoint: bool = True) -> dict[str, Any]:
    """The dossier of a case in the application's store (facts, workflow, checkpoint)."""
    from domain.findings import reviews_of

    facts = app.history(case_no)
    org = app.refresh_org()
    result = evaluate(facts, org, as_of, thresholds, sense)
    reviews = reviews_of(app, [f.id for f in result.findings])
    checkpoint = checkpoint_summary(app.database_url) if with_checkpoint else None
    return build_dossier(facts, org, as_of, sense, thresholds, reviews, checkpoint, generated_at)


__all__ = ["case_at", "diff", "build_dossier", "dossier", "dossier_json", "fact_entry",
           "clock_entries", "segment_entries", "checkpoint_summary", "review_as_of"]
