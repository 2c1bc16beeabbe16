"""Who sees which case, and what of it: unit scope, the confidentiality wall, personal-data masks.

* Scope: a caller sees a case if a unit that holds or held it (the registering unit, a transfer
  or routing target, a review organ) is its scope unit or, with sub-units, under it now.
* The wall (art. 30 ¶3, 46(五)): for an accusation (检举控告), a caller is *walled* if it is an
  accused person, holds a post in an accused unit, or its acting unit or scope unit is an accused
  unit or lies under one. A walled caller never receives the accuser's identity or the
  accusation content; lists, counts and exports leave the case out altogether.
* Masks: petitioner personal data (name, ID number, phone, address) is masked unless a role
  needs it (:data:`api.auth.SEES_PERSONAL`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.auth import Principal
from domain.case_state import Fact, effective_facts
from domain.organisation import OrgDirectory

ACCUSATION = "accusation"
HOLDING_FIELDS = {"Registered": "registering_unit", "Transferred": "to_unit",
                  "RoutedToOrgan": "to_unit", "ReviewRequested": "organ"}
# what identifies the accuser or states the accusation, wherever it appears in the history
CONTENT_FIELDS = frozenset({"petitioners", "agent", "representatives", "request",
                            "facts_and_reasons", "attachments"})
PERSONAL_FIELDS = frozenset({"petitioners", "agent", "representatives"})
# free text written on a case after registration: on an accusation it can restate the content
# or name the accuser (a 督办 "关于举报某某…", a note of the accuser's call), so a walled caller
# gets none of it (art. 30 ¶3: 有关情况 too); codes, dates and actors stay
FREE_TEXT = {"Transferred": ("note",), "HandledDirectly": ("note",), "MarkedRepeat": ("reason",),
             "ObjectionRaised": ("reasons",), "ObjectionResolved": ("reason",),
             "PetitionerNotified": ("content",),
             "AcceptanceRefused": ("reason",), "Noted": ("text",), "ExtensionGranted": ("reason",),
             "ReplyIssued": ("request", "facts_and_reasons", "legal_basis", "rights_notice"),
             "OpinionExecuted": ("details",), "Evaluated": ("reason",),
             "ReviewOpinionIssued": ("reasons", "legal_basis"), "SupervisionIssued": ("content",),
             "SupervisionAnswered": ("content",), "AssignmentReported": ("report",),
             "Withdrawn": ("reason",), "Corrected": ("reason",)}
FREE_TEXT_FIELDS = frozenset(k for keys in FREE_TEXT.values() for k in keys)
# what a walled caller never gets of a correction: the old and new values of these fields
WALLED_VALUES = CONTENT_FIELDS | FREE_TEXT_FIELDS | {"accused"}


@dataclass(frozen=True)
class Profile:
    """What visibility needs to know about a case (every value ever recorded, not only current)."""

    case_no: str
    held: frozenset[str]
    accusation: bool
    accused_units: frozenset[str]
    accused_persons: frozenset[str]


def profile_of(facts: list[Fact]) -> Profile:
    held: set[str] = set()
    matter: set[str] = set()
    units: set[str] = set()
    persons: set[str] = set()
    for f in [*facts, *effective_facts(facts)]:
        key = HOLDING_FIELDS.get(f.kind)
        if key and isinstance(f.data.get(key), str):
            held.add(f.data[key])
        if f.kind == "Registered":
            matter.add(f.data.get("matter_type", ""))
            accused = f.data.get("accused") or {}
            if isinstance(accused, dict):
                units.update(str(u) for u in accused.get("units") or [])
                persons.update(str(p) for p in accused.get("persons") or [])
    case_no = str(facts[0].data.get("case_no", "")) if facts else ""
    return Profile(case_no, frozenset(held), ACCUSATION in matter, frozenset(units),
                   frozenset(persons))


def covers(p: Principal, unit: str, org: OrgDirectory, at: datetime) -> bool:
    if unit == p.scope_unit:
        return True
    return p.include_subunits and org.is_within(unit, p.scope_unit, at)


def can_see(p: Principal, prof: Profile, org: OrgDirectory, at: datetime) -> bool:
    return any(covers(p, u, org, at) for u in prof.held)


def walled(p: Principal, prof: Profile, org: OrgDirectory, at: datetime) -> bool:
    if not prof.accusation:
        return False
    if p.person and (p.person in prof.accused_persons or any(
            org.posts_held(p.person, u, at) for u in prof.accused_units)):
        return True
    mine = set(org.chain(p.unit, at)) | set(org.chain(p.scope_unit, at)) | {p.unit, p.scope_unit}
    return bool(mine & prof.accused_units)


def listable(p: Principal, prof: Profile, org: OrgDirectory, at: datetime) -> bool:
    """In lists, counts, searches and exports a walled caller does not learn the case exists."""
    return can_see(p, prof, org, at) and not walled(p, prof, org, at)


# --- masking -------------------------------------------------------------------------------------
def mask_text(value: Any, keep_head: int = 1, keep_tail: int = 0) -> Any:
    if not isinstance(value, str) or not value:
        return value
    tail = value[-keep_tail:] if keep_tail and len(value) > keep_head + keep_tail else ""
    return value[:keep_head] + "*" * max(2, len(value) - keep_head - len(tail)) + tail


def mask_person(person: Any) -> Any:
    if not isinstance(person, dict):
        return "***"
    rules = {"name": (1, 0), "id_number": (4, 4), "phone": (3, 4), "address": (0, 0)}
    return {k: mask_text(v, *rules.get(k, (0, 0))) for k, v in person.items()}


@dataclass
class Lens:
    """How one caller reads one case; collects what was revealed and withheld for the log."""

    walled: bool
    personal: bool
    accusation: bool
    revealed: set[str]
    withheld: set[str]

    def registration(self, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        if self.walled:
            for k in (CONTENT_FIELDS | {"accused"}) & out.keys():
                out[k] = None
                self.withheld.add(k)
            return out
        # the log names the category and the fields (the 46(五) rule reads field names)
        if self.accusation and (out.get("request") or out.get("facts_and_reasons")):
            self.revealed.add("accusation_content")
            self.revealed.update(k for k in CONTENT_FIELDS - PERSONAL_FIELDS if out.get(k))
        people = [(k, out.get(k)) for k in ("petitioners", "agent", "representatives")]
        if not any(v for _, v in people):
            return out
        if self.personal:
            self.revealed.add("personal_data")
            self.revealed.update(k for k, v in people if v)
            return out
        out["petitioners"] = [mask_person(x) for x in out.get("petitioners") or []]
        out["agent"] = mask_person(out["agent"]) if out.get("agent") else out.get("agent")
        out["representatives"] = [mask_text(r) for r in out.get("representatives") or []]
        self.withheld.add("personal_data")
        return out

    def fact(self, f: Fact) -> dict[str, Any]:
        data = self.registration(f.data) if f.kind == "Registered" else dict(f.data)
        actor = dict(f.actor)
        corrections = [list(c) for c in f.corrections]
        if self.walled:
            for k in FREE_TEXT.get(f.kind, ()):
                if data.get(k):
                    data[k] = None
                    self.withheld.add(k)
            if f.kind == "Corrected" and data.get("field") in WALLED_VALUES:
                data["old_value"] = data["new_value"] = None
                self.withheld.add(data["field"])
            corrections = [[c[0], None, None] if c[0] in WALLED_VALUES else c
                           for c in corrections]
            actor["on_behalf_of"] = None if actor.get("on_behalf_of") else actor.get(
                "on_behalf_of")
        elif not self.personal:
            if f.kind == "Corrected" and data.get("field") in PERSONAL_FIELDS:
                data["old_value"] = data["new_value"] = "***"
            corrections = [[c[0], "***", "***"] if c[0] in PERSONAL_FIELDS else c
                           for c in corrections]
            if actor.get("on_behalf_of"):
                actor["on_behalf_of"] = mask_text(actor["on_behalf_of"])
        return {"version": f.version, "kind": f.kind, "occurred_at": f.occurred_at,
                "recorded_at": f.recorded_at, "actor": actor, "depends_on": f.depends_on,
                "data": data, "corrections": corrections}


def lens_for(p: Principal, prof: Profile, org: OrgDirectory, at: datetime) -> Lens:
    return Lens(walled(p, prof, org, at), p.sees_personal, prof.accusation, set(), set())


# --- audit documents (dossier, diff): built by the domain, masked here for the caller ----------
AUDIT_VALUES = frozenset({"old", "new", "before", "after", "old_value", "new_value"})


def mask_audit(value: Any) -> Any:
    """An audit document with petitioner personal data masked wherever it appears: registration
    data, corrections of personal fields, and who acted on a petitioner's behalf."""
    if isinstance(value, list):
        return [mask_audit(v) for v in value]
    if not isinstance(value, dict):
        return value
    personal_field = value.get("field") in PERSONAL_FIELDS
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k == "petitioners" and isinstance(v, list):
            out[k] = [mask_person(x) for x in v]
        elif k == "agent" and v:
            out[k] = mask_person(v)
        elif k == "representatives" and isinstance(v, list):
            out[k] = [mask_text(x) for x in v]
        elif k == "on_behalf_of" and v:
            out[k] = mask_text(v)
        elif personal_field and k in AUDIT_VALUES:
            out[k] = "***"
        else:
            out[k] = mask_audit(v)
    return out
