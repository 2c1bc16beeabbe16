"""The simulation engine: acts (steps), the lives of cases as generators, the simulated system
clock, and the scheduler that runs the acts of many cases in business-time order."""
from __future__ import annotations

import heapq
import itertools
import random
import zlib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.application import Batch, Casetrail
from domain.case_state import CaseState
from domain.errors import DomainError
from simulation.city import Area, City

__all__ = ["Step", "Wait", "Life", "GeneratorBug", "Case", "SimClock", "Sim", "merged", "schedule"]


@dataclass
class Step:
    """One act: a command on a case, by an actor, at a business time.

    ``late`` computes arguments from the case's state when the act is done (a supervision's
    number); ``when`` is a decision taken at that moment (supervise only if still pending)."""

    at: datetime
    case_no: str
    command: str
    actor: dict[str, Any]
    args: dict[str, Any] = field(default_factory=dict)
    late: Callable[[CaseState], dict[str, Any]] | None = None
    when: Callable[[CaseState], bool] | None = None


@dataclass
class Wait:
    """Resume the case's simulation at ``at`` (to look at another case as it then stands)."""

    at: datetime


Life = Generator["Step | Wait", None, Any]


class GeneratorBug(RuntimeError):
    """A command the generator issued was refused: the generator broke a rule."""


@dataclass
class Case:
    no: str
    path: str
    rng: random.Random
    reg_at: datetime
    area: Area
    flags: dict[str, Any]


class SimClock:
    """The system clock of a simulated city: each command is recorded a few minutes to a few
    hours after the act it states (deterministic), never after ``ceiling`` (the demo's "now"),
    and never earlier than the command before it in the same batch."""

    def __init__(self, ceiling: datetime) -> None:
        self.ceiling = self.now = ceiling
        self._last: datetime | None = None

    def __call__(self) -> datetime:
        return self.now

    def start_batch(self) -> None:
        self._last = None

    def record(self, step: Step) -> None:
        lag = 5 + zlib.crc32(f"{step.case_no}|{step.command}|{step.at.isoformat()}".encode()) % 175
        moment = min(self.ceiling, step.at + timedelta(minutes=lag))
        if self._last is not None and moment < self._last:
            moment = self._last
        self.now = self._last = moment


class Sim:
    """What the lives of one batch share: the app, the city, the open Batch, the cut-off."""

    def __init__(self, app: Casetrail, city: City, cutoff: datetime) -> None:
        self.app, self.city, self.cutoff = app, city, cutoff
        self.org = app.org
        self.batch: Batch | None = None
        self.skipped = 0

    def state(self, case_no: str) -> CaseState:
        assert self.batch is not None
        return self.batch.cases[case_no].state

    def actor(self, unit: str, at: datetime, rng: random.Random,
              posts: tuple[str, ...] = ("petition_officer", "handler", "head")) -> dict[str, Any]:
        for post in posts:
            holders = self.org.holders(unit, post, at)
            if holders:
                return {"unit": unit, "person": rng.choice(holders), "post": post}
        return {"unit": unit}

    def holder_of(self, unit: str, post: str, at: datetime) -> str | None:
        holders = self.org.holders(unit, post, at)
        return holders[0] if holders else None

    def name(self, person: str | None) -> str:
        return self.org.persons.get(person or "", "") or "（空缺）"

    def run(self, step: Step) -> None:
        assert self.batch is not None
        if step.when is not None and not step.when(self.state(step.case_no)):
            self.skipped += 1
            return
        args = dict(step.args)
        if step.late is not None:
            args.update(step.late(self.state(step.case_no)))
        if isinstance(self.app.clock, SimClock):
            self.app.clock.record(step)
        try:
            if step.command == "register":
                self.batch.register(step.actor, step.at, step.case_no, **args)
            else:
                self.batch.execute(step.case_no, step.command, step.actor, step.at, **args)
        except DomainError as e:
            raise GeneratorBug(f"{step.case_no} {step.command} at {step.at.isoformat()} by "
                               f"{step.actor} {args}: {e}") from e


def merged(acts: list[Step], life: Life) -> Life:
    """Yield ``acts`` and the steps of ``life`` in business-time order; return life's value."""
    pending = sorted(acts, key=lambda s: s.at)
    while True:
        try:
            nxt = next(life)
        except StopIteration as stop:
            yield from pending
            return stop.value
        while pending and pending[0].at < nxt.at:
            yield pending.pop(0)
        yield nxt


def schedule(sim: Sim, lives: list[Life]) -> None:
    """Run the acts of all lives in business-time order; acts after the cut-off are not done."""
    heap: list[tuple[datetime, int, Step | Wait, Life]] = []
    order = itertools.count()

    def advance(life: Life) -> None:
        nxt = next(life, None)
        if nxt is not None:
            heapq.heappush(heap, (nxt.at, next(order), nxt, life))

    for life in lives:
        advance(life)
    while heap:
        at, _, act, life = heapq.heappop(heap)
        if at > sim.cutoff:
            continue  # the rest of this case lies after the cut-off: it stays open
        if isinstance(act, Step):
            sim.run(act)
        advance(life)
