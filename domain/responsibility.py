"""Who held a case, and when: segments [from, to) of holding unit, handler and post holders.

A segment changes when the facts move the case (registration, transfer, an upheld objection
sending it back, routing to an organ, a handler assigned, a 包案 leader added) *or* when the
organisation history changes the people in the holding unit's posts (petition officer, leader
in charge of petition work, head) — so attribution names who held the posts at that moment, not
today's office holders. The territorial chain of the case's location (grid → village → township
→ county → city) with its post holders has its own intervals, split the same way.

Business time (``occurred_at``) decides; an act stated earlier than the previous change of holder
takes effect at that change (holders never go back in time). After a case is closed, its last
segment stays with those who held it when it closed.

Nobody is named for a post or a charge they did not hold at that moment: a vacant post names
nobody; a handler who left the unit is not named again for that holding, even if they come back
in another post (only a new assignment names them); a 包案 assignment replaces the earlier one
(the leader in personal charge is the one last put in charge) and names its leader only while
they hold a leadership post. Every unit of the territorial chain is listed, with or without
post holders, so a vacancy or a location above grid level shows as such.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.case_state import CLOSED, Fact
from domain.catalog import LEADER_POSTS
from domain.organisation import OrgDirectory
from domain.periods import local_date

UNIT_POSTS = ("petition_officer", "petition_leader", "head")
TERRITORY_POSTS = ("grid_head", "household_head", "village_secretary", "secretary", "head")
EPOCH = datetime(1, 1, 1, tzinfo=UTC)
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Segment:
    seq: int
    from_at: datetime
    to_at: datetime | None
    unit: str | None
    handler: str | None
    cause: str
    people: tuple[tuple[str, str | None, str], ...]  # (role, unit, person)


@dataclass(frozen=True)
class TerritoryRow:
    from_at: datetime
    to_at: datetime | None
    depth: int
    unit: str
    level: str | None
    post: str | None  # None (with person None): the unit itself, listed even with no holders
    person: str | None


class OrgIndex:
    """The organisation plus cached change points per unit (rebuilt when the org changes)."""

    def __init__(self, org: OrgDirectory) -> None:
        self.org = org
        self._changes: dict[tuple[str, tuple[str, ...]], list[datetime]] = {}
        self._people: dict[str, tuple[list[datetime], list[tuple[Any, ...]]]] = {}
        self._territory: dict[str, tuple[list[datetime], list[list[tuple[Any, ...]]]]] = {}
        self._points: dict[tuple[Any, ...], list[datetime]] = {}
        self._terms: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = {}
        self._leading: dict[str, list[tuple[datetime, datetime | None]]] = {}

    def reset(self) -> None:
        self._changes.clear()
        self._people.clear()
        self._territory.clear()
        self._points.clear()
        self._terms.clear()
        self._leading.clear()

    def segment_points(self, unit: str | None, handler: str | None,
                       leaders: tuple[str, ...] = ()) -> list[datetime]:
        """When a segment of ``unit`` with ``handler`` and 包案 ``leaders`` may change: a change
        of the unit's petition posts, or the start or end of one of the handler's terms in the
        unit or of a leader's leadership terms (sorted)."""
        key = (unit, handler, leaders)
        found = self._points.get(key)
        if found is None:
            points = set(self.changes(unit, UNIT_POSTS)) if unit else set()
            terms = [t for p in leaders for t in self.leader_terms(p)]
            if handler and unit:
                terms += self.handler_terms(unit, handler)
            for since, until in terms:
                points.add(since)
                if until is not None:
                    points.add(until)
            found = self._points[key] = sorted(points)
        return found

    def leader_terms(self, person: str) -> list[tuple[datetime, datetime | None]]:
        """[since, until) of every leadership post (head, leader in charge, secretary) that
        ``person`` held in any unit: a 包案 leader is named only within them."""
        found = self._leading.get(person)
        if found is None:
            found = self._leading[person] = [
                (since, until) for _unit, post, since, until in self.org.person_terms(person)
                if post in LEADER_POSTS]
        return found

    def leads(self, person: str, at: datetime) -> bool:
        return any(since <= at and (until is None or at < until)
                   for since, until in self.leader_terms(person))

    def handler_terms(self, unit: str, person: str) -> list[tuple[datetime, datetime | None]]:
        """[since, until) of every post ``person`` held in ``unit``."""
        key = (unit, person)
        found = self._terms.get(key)
        if found is None:
            record = self.org.unit(unit)
            found = self._terms[key] = [(since, until) for _post, p, since, until in
                                        (record.terms if record else ()) if p == person]
        return found

    def holds_any(self, person: str, unit: str, at: datetime) -> bool:
        """``bool(org.posts_held(person, unit, at))``, from the cached terms."""
        for since, until in self.handler_terms(unit, person):
            if since <= at and (until is None or at < until):
                return True
        return False

    def unit_people(self, unit: str, at: datetime) -> tuple[tuple[str, str, str], ...]:
        """(post, unit, person) of the unit's petition posts at ``at``, from a cached timeline."""
        points, people = self.people_timeline(unit)
        return people[bisect_right(points, at) - 1]

    def people_timeline(self, unit: str) -> tuple[list[datetime], list[tuple[Any, ...]]]:
        """The unit's petition post holders over all time: change points, (post, unit, person)."""
        timeline = self._people.get(unit)
        if timeline is None:
            points = [EPOCH, *self.changes(unit, UNIT_POSTS)]
            people = [tuple((post, unit, p) for post in UNIT_POSTS
                            for p in sorted(self.org.holders(unit, post, t))) for t in points]
            timeline = self._people[unit] = (points, people)
        return timeline

    def territory_timeline(self, location: str) -> tuple[list[datetime], list[list[Any]]]:
        """The chain of ``location`` and its post holders over all time: change points, rows."""
        found = self._territory.get(location)
        if found is None:
            points: list[datetime] = []
            rows: list[list[Any]] = []
            t: datetime | None = EPOCH
            while t is not None:
                chain = self.org.chain(location, t)
                points.append(t)
                rows.append([row for depth, code in enumerate(chain) for row in (
                    (depth, code, self._level(code), None, None),
                    *((depth, code, self._level(code), post, person) for post in TERRITORY_POSTS
                      for person in sorted(self.org.holders(code, post, t))))])
                t = self.next_change(chain, TERRITORY_POSTS, t, parents=True)
            found = self._territory[location] = (points, rows)
        return found

    def _level(self, code: str) -> str | None:
        record = self.org.unit(code)
        return record.level if record else None

    def changes(self, unit: str, posts: tuple[str, ...], parents: bool = False) -> list[datetime]:
        key = (unit, posts + (("@parent",) if parents else ()))
        found = self._changes.get(key)
        if found is None:
            record = self.org.unit(unit)
            points: set[datetime] = set()
            if record is not None:
                for post, _person, since, until in record.terms:
                    if post in posts:
                        points.add(since)
                        if until is not None:
                            points.add(until)
                if parents:
                    points.update(since for since, _p in record.parents)
            found = self._changes[key] = sorted(points)
        return found

    def next_change(self, units: list[str], posts: tuple[str, ...], after: datetime,
                    parents: bool = False) -> datetime | None:
        best = None
        for unit in units:
            points = self.changes(unit, posts, parents)
            i = bisect_right(points, after)
            if i < len(points) and (best is None or points[i] < best):
                best = points[i]
        return best


def holding_spans(facts: list[Fact]) -> tuple[list[tuple[Any, ...]], datetime | None]:
    """[(from_at, unit, handler, leaders, cause)] from the facts, and the closing moment."""
    from domain.clocks import trace

    state, steps = trace(facts)
    return spans_of(steps, state.status)


def spans_of(steps: list[Any], final_status: str) -> tuple[list[tuple[Any, ...]],
                                                            datetime | None]:
    spans: list[tuple[Any, ...]] = []
    handler: str | None = None
    holder: str | None = None
    leaders: tuple[str, ...] = ()
    last: datetime | None = None
    for f, _before, holder_after in steps:
        if holder_after != holder:
            handler, holder = None, holder_after
        kind = f.kind
        if kind == "HandlerAssigned":
            handler = f.data["person"]
        elif kind == "LeaderAssigned":
            leaders = (f.data["person"],)  # the leader now in personal charge replaces the last
        at = f.occurred_at
        if last is not None and not at > last:
            at = last
        last = at
        if not spans:
            spans.append((at, holder, handler, leaders, kind))
        else:
            prev = spans[-1]
            # the same handler assigned again starts a holding of theirs anew (after they left)
            if prev[1] != holder or prev[2] != handler or prev[3] != leaders or \
                    kind == "HandlerAssigned":
                spans.append((at, holder, handler, leaders, kind))
    closed = last if final_status in CLOSED else None
    return spans, closed


def segments(facts: list[Fact], index: OrgIndex,
             spans: tuple[list[tuple[Any, ...]], datetime | None] | None = None
             ) -> tuple[list[Segment], datetime | None]:
    """The holding segments, and the moment the case closed (None while it is open)."""
    found, closed = spans if spans is not None else holding_spans(facts)
    return [Segment(*row) for row in segment_rows(found, closed, index)], closed


def segment_rows(spans: list[tuple[Any, ...]], closed: datetime | None,
                 index: OrgIndex) -> list[tuple[Any, ...]]:
    """The fields of :func:`segments`' segments as plain tuples (seq, from_at, to_at, unit,
    handler, cause, people): what the read models are written from, without building a frozen
    dataclass per segment (the rebuild derives hundreds of thousands)."""
    out: list[tuple[Any, ...]] = []
    last = len(spans) - 1
    segment_points, unit_people = index.segment_points, index.unit_people
    holds_any, leads = index.holds_any, index.leads
    for i, (start, unit, handler, leaders, cause) in enumerate(spans):
        end = spans[i + 1][0] if i < last else closed
        t, why = start, cause
        points = segment_points(unit, handler, leaders) if unit or leaders else ()
        n_points = len(points)
        left = False  # the handler left the unit during this holding: not named again in it
        while True:
            nxt = None
            if n_points:
                j = bisect_right(points, t)
                if j < n_points:
                    nxt = points[j]
                    if end is not None and nxt >= end:
                        nxt = None
            seg_end = nxt if nxt is not None else (end if i < last else None)
            baoan = tuple([("baoan_leader", None, p) for p in leaders if leads(p, t)]) \
                if leaders else ()
            people = baoan + unit_people(unit, t) if unit else baoan
            # a handler who no longer holds a post in the unit is not attributed from then on
            # (coming back in another post does not make the case theirs again)
            current = handler if handler and unit and not left and holds_any(handler, unit, t) \
                else None
            if handler and current is None and why == "post_change" and not left:
                why = "handler_left"
            left = left or (handler is not None and current is None)
            if out and out[-1][1] == t:  # two changes at one instant: keep the later
                out.pop()
            out.append((len(out) + 1, t, seg_end, unit, current, why, people))
            if nxt is None:
                break
            t, why = nxt, "post_change"
    return out


def territory(location: str | None, start: datetime, closed: datetime | None,
              index: OrgIndex) -> list[TerritoryRow]:
    """The territorial chain of ``location`` and its post holders, in intervals from ``start``
    (until the case closed, if it did)."""
    if not location:
        return []
    points, rows = index.territory_timeline(location)
    out: list[TerritoryRow] = []
    j = bisect_right(points, start) - 1  # points[0] is EPOCH, so j >= 0
    while True:
        a = max(points[j], start)
        b = points[j + 1] if j + 1 < len(points) else None
        if b is not None and closed is not None and b >= closed:
            b = None
        out.extend(TerritoryRow(a, b, *row) for row in rows[j])
        if b is None:
            return out
        j += 1


def clock_days(clock: Any, segs: list[Segment]) -> list[tuple[int, str | None, str | None,
                                                                datetime, datetime | None,
                                                                int | None]]:
    """The clock's interval cut by the segments: (seg, unit, handler, from, to, days)."""
    out = []
    start, stop = clock.start_at, clock.stop_at
    if clock.informational:
        due_at = clock.deadline.due_at
        if stop is None or stop > due_at:
            stop = due_at  # a window counts only while it is open
    for s in segs:
        to_at = s.to_at
        if to_at is not None and to_at <= start:
            continue
        from_at = s.from_at
        if stop is not None and from_at >= stop:
            break  # segments are in time order: this one and the later ones start too late
        a = from_at if from_at > start else start
        if stop is None:
            b = to_at
        else:
            b = stop if to_at is None or not to_at < stop else to_at
        if b is not None and b <= a:
            continue
        days = None if b is None else (local_date(b) - local_date(a)).days
        if days and clock.pauses:
            days -= paused_days_between(clock.pauses, local_date(a), local_date(b))
        out.append((s.seq, s.unit, s.handler, a, b, days))
    return out


def paused_days_between(pauses: list[Any], first: date, last: date) -> int:
    """Days after ``first`` up to ``last`` that fall in one of the clock's pauses (a hearing,
    art. 36: its days, first and last included, are not counted), so that a clock's days per
    holder add up to the days its own count ran, not to the calendar days in between."""
    paused: set[date] = set()
    for a, b in pauses:
        d, end = max(local_date(a), first + ONE_DAY), last if b is None else min(local_date(b),
                                                                               last)
        while d <= end:
            paused.add(d)
            d += ONE_DAY
    return len(paused)


def segment_at(segs: list[Segment], at: datetime) -> Segment | None:
    found = None
    for s in segs:
        if s.from_at <= at:
            found = s
    return found
