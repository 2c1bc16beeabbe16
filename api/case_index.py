"""A small in-process index of cases for lists, counts and exports, kept by following the log.

It is the API's seam for the queue projections being built elsewhere: it holds only what
visibility and a list row need (holding units, accusation markers, status, holder), catches up
from its last log position on every use, and is rebuilt from the log at start.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.visibility import HOLDING_FIELDS, Profile, profile_of
from domain.application import Casetrail
from domain.case import BASE_FIELDS, PetitionCase
from domain.case_state import STATUS_ZH, CaseState, Fact


def case_topics() -> tuple[str, ...]:
    out = []
    for value in vars(PetitionCase).values():
        if isinstance(value, type) and issubclass(value, PetitionCase.Event) and \
                "TOPIC" in vars(value) and value is not PetitionCase.Event:
            out.append(value.TOPIC)
    return tuple(sorted(set(out)))


def fact_of(event: Any) -> Fact:
    data = {k: v for k, v in event.__dict__.items() if k not in BASE_FIELDS}
    return Fact(event.originator_version, type(event).__name__, event.occurred_at,
                event.timestamp, event.actor, data, event.depends_on)


@dataclass
class Entry:
    profile: Profile
    state: CaseState
    first_position: int
    positions: list[int] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        s = self.state
        return {"case_no": s.case_no, "version": s.version, "status": s.status,
                "status_zh": STATUS_ZH.get(s.status, s.status), "holder": s.holder,
                "registering_unit": s.registering_unit, "matter_type": s.matter_type,
                "category": s.reg.get("category"), "registered_at": s.registered_at}


class CaseIndex:
    def __init__(self, app: Casetrail) -> None:
        self.app = app
        self.topics = case_topics()
        self.cases: dict[str, Entry] = {}
        self._by_id: dict[Any, str] = {}
        self.position = 0
        self._lock = threading.Lock()

    def refresh(self) -> dict[str, Entry]:
        with self._lock:
            while True:
                batch = self.app.recorder.select_notifications(
                    start=self.position + 1, limit=1000, topics=self.topics)
                for n in batch:
                    self._apply(self.app.mapper.to_domain_event(n), n.id)
                    self.position = n.id
                if len(batch) < 1000:
                    return dict(self.cases)

    def case_no_of(self, case_id: Any) -> str | None:
        """The number of the case with this id (a UUID or its text), None if there is none."""
        from uuid import UUID

        try:
            key = case_id if isinstance(case_id, UUID) else UUID(str(case_id))
        except ValueError:
            return None
        self.refresh()
        return self._by_id.get(key)

    def _apply(self, event: Any, position: int) -> None:
        f = fact_of(event)
        if f.kind == "Registered":
            entry = Entry(profile_of([f]), CaseState(), position)
            self.cases[f.data["case_no"]] = entry
            self._by_id[event.originator_id] = f.data["case_no"]
        else:
            entry = self.cases[self._by_id[event.originator_id]]
        entry.positions.append(position)
        if f.kind == "Corrected":
            case = self.app.get_case(entry.state.case_no, version=f.version)
            entry.state, entry.profile = case.state, profile_of(case.facts)
            return
        entry.state.evolve(f)
        key = HOLDING_FIELDS.get(f.kind)
        if key and f.kind != "Registered":
            p = entry.profile
            entry.profile = Profile(p.case_no, p.held | {f.data[key]}, p.accusation,
                                    p.accused_units, p.accused_persons)

    def between(self, start: datetime | None, end: datetime | None) -> list[Entry]:
        out = []
        for e in self.refresh().values():
            at = e.state.registered_at
            if at is not None and (start is None or at >= start) and (end is None or at < end):
                out.append(e)
        return out
