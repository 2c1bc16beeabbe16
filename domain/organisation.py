"""The organisation registry (组织): units in a configurable hierarchy, people, posts held over time.

Units and people are event-sourced aggregates. Levels (city, county, township, village, grid, …)
are data declared by the organisation file, not names in code. A unit's parent can change over
time, and a post is held by a person over an interval [from, until): "who held post P of unit U
at moment T" is answerable for any past moment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate


def unit_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrail:unit:{code}")


def person_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrail:person:{code}")


SCHEME_ID = uuid5(NAMESPACE_URL, "casetrail:org-scheme")


class OrgScheme(Aggregate):
    """The declared levels of the hierarchy (rank 1 is the top), and extra post types."""

    TOPIC = "casetrail:OrgScheme"

    class Event(Aggregate.Event):
        TOPIC = "casetrail:OrgScheme.Event"

    class Created(Event, Aggregate.Created):
        TOPIC = "casetrail:OrgScheme.Created"

    class Defined(Aggregate.Created):
        TOPIC = "casetrail:OrgScheme.Defined"
        levels: list[dict[str, Any]]
        posts: dict[str, str]
        recorded_by: str

    class Redefined(Aggregate.Event):
        TOPIC = "casetrail:OrgScheme.Redefined"
        levels: list[dict[str, Any]]
        posts: dict[str, str]
        recorded_by: str

        def apply(self, agg: OrgScheme) -> None:
            agg.levels, agg.posts = self.levels, self.posts

    def __init__(self, levels: list[dict[str, Any]], posts: dict[str, str], recorded_by: str):
        self.levels, self.posts = levels, posts


class Unit(Aggregate):
    TOPIC = "casetrail:Unit"

    class Event(Aggregate.Event):
        TOPIC = "casetrail:Unit.Event"

    class Created(Event, Aggregate.Created):
        TOPIC = "casetrail:Unit.Created"

    class Registered(Aggregate.Created):
        TOPIC = "casetrail:Unit.Registered"
        code: str
        name: str
        level: str | None
        kind: str
        parent: str | None
        effective_from: datetime
        recorded_by: str

    class ParentChanged(Aggregate.Event):
        TOPIC = "casetrail:Unit.ParentChanged"
        parent: str | None
        effective_from: datetime
        recorded_by: str

        def apply(self, agg: Unit) -> None:
            agg.parents.append((self.effective_from, self.parent))

    class PostFilled(Aggregate.Event):
        TOPIC = "casetrail:Unit.PostFilled"
        post: str
        person: str
        effective_from: datetime
        recorded_by: str

        def apply(self, agg: Unit) -> None:
            agg.terms.append([self.post, self.person, self.effective_from, None])

    class PostVacated(Aggregate.Event):
        TOPIC = "casetrail:Unit.PostVacated"
        post: str
        person: str
        effective_until: datetime
        recorded_by: str

        def apply(self, agg: Unit) -> None:
            for term in agg.terms:
                if term[0] == self.post and term[1] == self.person and term[3] is None:
                    term[3] = self.effective_until

    def __init__(self, code: str, name: str, level: str | None, kind: str, parent: str | None,
                 effective_from: datetime, recorded_by: str) -> None:
        self.code, self.name, self.level, self.kind = code, name, level, kind
        self.parents: list[tuple[datetime, str | None]] = [(effective_from, parent)]
        self.terms: list[list[Any]] = []  # [post, person, from, until|None]


class Person(Aggregate):
    TOPIC = "casetrail:Person"

    class Event(Aggregate.Event):
        TOPIC = "casetrail:Person.Event"

    class Created(Event, Aggregate.Created):
        TOPIC = "casetrail:Person.Created"

    class Registered(Aggregate.Created):
        TOPIC = "casetrail:Person.Registered"
        code: str
        name: str
        recorded_by: str

    def __init__(self, code: str, name: str, recorded_by: str) -> None:
        self.code, self.name = code, name


@dataclass
class UnitRecord:
    code: str
    name: str
    level: str | None
    kind: str
    established: datetime
    parents: list[tuple[datetime, str | None]] = field(default_factory=list)
    terms: list[list[Any]] = field(default_factory=list)
    by_post: dict[str, list[list[Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for term in self.terms:
            self.by_post.setdefault(term[0], []).append(term)

    def parent_at(self, at: datetime) -> str | None:
        current = None
        for since, parent in self.parents:  # appended in effective order by the registry
            if since <= at:
                current = parent
        return current

    def holders(self, post: str, at: datetime) -> list[str]:
        return [t[1] for t in self.by_post.get(post, ())
                if t[2] <= at and (t[3] is None or at < t[3])]

    def add_term(self, term: list[Any]) -> None:
        self.terms.append(term)
        self.by_post.setdefault(term[0], []).append(term)


class OrgDirectory:
    """An in-memory index of the organisation, folded from the org events in log order."""

    def __init__(self) -> None:
        self.units: dict[str, UnitRecord] = {}
        self.persons: dict[str, str] = {}
        self.levels: list[dict[str, Any]] = []
        self.posts: dict[str, str] = {}
        self.position = 0
        self.changes = 0  # organisation events folded so far
        self._by_id: dict[UUID, str] = {}
        self._person_terms: dict[str, list[tuple[str, list[Any]]]] = {}

    def apply(self, event: Any) -> None:
        if isinstance(event, (OrgScheme.Defined, OrgScheme.Redefined)):
            self.levels, self.posts = event.levels, event.posts
        elif isinstance(event, Unit.Registered):
            self._by_id[event.originator_id] = event.code
            self.units[event.code] = UnitRecord(
                event.code, event.name, event.level, event.kind, event.effective_from,
                [(event.effective_from, event.parent)])
        elif isinstance(event, Person.Registered):
            self.persons[event.code] = event.name
        elif isinstance(event, Unit.Event):
            unit = self._unit_of(event.originator_id)
            if isinstance(event, Unit.ParentChanged):
                unit.parents.append((event.effective_from, event.parent))
                unit.parents.sort(key=lambda p: p[0])
            elif isinstance(event, Unit.PostFilled):
                term = [event.post, event.person, event.effective_from, None]
                unit.add_term(term)
                self._person_terms.setdefault(event.person, []).append((unit.code, term))
            elif isinstance(event, Unit.PostVacated):
                for term in unit.terms:
                    if term[0] == event.post and term[1] == event.person and term[3] is None:
                        term[3] = event.effective_until

    def _unit_of(self, originator_id: UUID) -> UnitRecord:
        return self.units[self._by_id[originator_id]]

    # --- queries -----------------------------------------------------------------------------
    def unit_code(self, originator_id: UUID) -> str | None:
        """The code of the unit whose aggregate id this is (None for other aggregates)."""
        return self._by_id.get(originator_id)

    def unit(self, code: str) -> UnitRecord | None:
        return self.units.get(code)

    def holders(self, unit: str, post: str, at: datetime) -> list[str]:
        record = self.units.get(unit)
        return record.holders(post, at) if record else []

    def holds(self, person: str, unit: str, post: str, at: datetime) -> bool:
        return person in self.holders(unit, post, at)

    def posts_held(self, person: str, unit: str, at: datetime) -> list[str]:
        record = self.units.get(unit)
        if not record:
            return []
        return [t[0] for t in record.terms
                if t[1] == person and t[2] <= at and (t[3] is None or at < t[3])]

    def person_posts(self, person: str, at: datetime) -> list[tuple[str, str]]:
        """(unit, post) of every post ``person`` held at ``at``."""
        return [(unit, t[0]) for unit, t in self._person_terms.get(person, ())
                if t[2] <= at and (t[3] is None or at < t[3])]

    def person_terms(self, person: str) -> list[tuple[str, str, datetime, datetime | None]]:
        """(unit, post, from, until|None) of every post ``person`` ever held."""
        return [(unit, t[0], t[2], t[3]) for unit, t in self._person_terms.get(person, ())]

    def chain(self, unit: str, at: datetime) -> list[str]:
        """The unit and its ancestors as they were linked at ``at`` (bottom-up)."""
        out: list[str] = []
        code: str | None = unit
        while code and code in self.units and code not in out:
            out.append(code)
            code = self.units[code].parent_at(at)
        return out

    def is_within(self, unit: str, ancestor: str, at: datetime) -> bool:
        return ancestor in self.chain(unit, at)
