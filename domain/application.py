"""The Casetrail application: one event log holding the organisation and every case.

Commands (:mod:`domain.commands`) are addressed to a case by its number (信访件编号). Each
command loads the case, builds a :class:`Context` (the actor, the business time, the recording
time from the system clock, the organisation as it is known), runs the aggregate's method for
that command (:data:`HANDLERS`) — which either raises a :class:`DomainError` or triggers events
— and saves atomically. Concurrent writers on one case: the store's unique (case, version) key
lets exactly one win; the other gets a VersionConflict.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from time import monotonic as _monotonic
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain import catalog as C
from domain import commands as cmd
from domain.case import PetitionCase, case_id_for
from domain.case_state import CaseState, Fact, source_recorded_at
from domain.commands import COMMANDS, Actor, Command, Register, actor_from, build, build_named
from domain.context import Context
from domain.errors import DomainError, InvalidInput, NotFound, VersionConflict
from domain.organisation import SCHEME_ID, OrgDirectory, OrgScheme, Person, Unit, person_id, unit_id
from store.config import (
    APP_NAME,
    application_env,
    database_url,
    ensure_postgres_schema,
    is_postgres,
)

Clock = Callable[[], datetime]
_new_context = object.__new__

ActorLike = Actor | Mapping[str, Any]
# command -> the aggregate's method that decides it (the method takes the command)
HANDLERS: dict[type[Command], Callable[[PetitionCase, Context, Any], None]] = {
    cmd.Transfer: PetitionCase.transfer, cmd.HandleDirectly: PetitionCase.handle_directly,
    cmd.RouteToOrgan: PetitionCase.route_to_organ, cmd.RouteOut: PetitionCase.route_out,
    cmd.MarkRepeat: PetitionCase.mark_repeat, cmd.Receive: PetitionCase.receive,
    cmd.ObjectToTransfer: PetitionCase.object_to_transfer,
    cmd.ResolveObjection: PetitionCase.resolve_objection,
    cmd.NotifyPetitioner: PetitionCase.notify_petitioner, cmd.Accept: PetitionCase.accept,
    cmd.Refuse: PetitionCase.refuse, cmd.AssignHandler: PetitionCase.assign_handler,
    cmd.AssignLeader: PetitionCase.assign_leader, cmd.Note: PetitionCase.note,
    cmd.OpenMediation: PetitionCase.open_mediation,
    cmd.ConcludeMediation: PetitionCase.conclude_mediation,
    cmd.StartHearing: PetitionCase.start_hearing, cmd.EndHearing: PetitionCase.end_hearing,
    cmd.Extend: PetitionCase.extend, cmd.IssueReply: PetitionCase.issue_reply,
    cmd.ApproveReply: PetitionCase.approve_reply, cmd.ServeReply: PetitionCase.serve_reply,
    cmd.RecordExecution: PetitionCase.record_execution, cmd.Evaluate: PetitionCase.evaluate,
    cmd.RequestReview: PetitionCase.request_review, cmd.AcceptReview: PetitionCase.accept_review,
    cmd.IssueReviewOpinion: PetitionCase.issue_review_opinion,
    cmd.ServeReviewOpinion: PetitionCase.serve_review_opinion,
    cmd.Supervise: PetitionCase.supervise, cmd.AnswerSupervision: PetitionCase.answer_supervision,
    cmd.ReportAssignment: PetitionCase.report_assignment, cmd.Withdraw: PetitionCase.withdraw,
    cmd.Correct: PetitionCase.correct,
}
# Seconds an organisation snapshot may be reused before looking for changes by other processes.
ORG_MAX_AGE = 1.0
# Refusals that depend on the organisation: retried once after a fresh look.
ORG_CODES = frozenset({"unit.unknown", "person.unknown", "post.unknown", "actor.post_not_held",
                       "extension.approver_not_head", "reply.approver_not_leader",
                       "handler.not_in_unit", "leader.not_leader", "route.wrong_organ",
                       "review.not_above", "supervision.not_supervisor"})
ORG_TOPICS = (
    "casetrail:OrgScheme.Defined", "casetrail:OrgScheme.Redefined", "casetrail:Unit.Registered",
    "casetrail:Unit.ParentChanged", "casetrail:Unit.PostFilled", "casetrail:Unit.PostVacated",
    "casetrail:Person.Registered",
)


@dataclass(frozen=True)
class Result:
    """What a command returns: the case, its new version and the log position of its last event."""

    case_no: str
    version: int
    position: int | None


def utc_now() -> datetime:
    return datetime.now(UTC)


class Casetrail(Application[UUID]):
    name = APP_NAME

    def __init__(self, url: str | None = None, clock: Clock | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.database_url = database_url(url)
        if is_postgres(self.database_url):
            ensure_postgres_schema(self.database_url)
        super().__init__(env={**application_env(self.database_url), **(env or {})})
        self.clock: Clock = clock or utc_now
        self.org = OrgDirectory()
        self._org_lock = threading.Lock()
        self._org_checked = -1e9

    # --- organisation ----------------------------------------------------------------------------
    def refresh_org(self, max_age: float = 0.0) -> OrgDirectory:
        """Fold any organisation events recorded since the last look (by any process).

        ``max_age`` > 0 skips the look if the last one is younger than that many seconds; a
        command refused for an organisation reason is retried once after a fresh look, so the
        window can delay an answer by at most ``max_age`` but never change it."""
        if max_age and _monotonic() - self._org_checked < max_age:
            return self.org
        with self._org_lock:
            # stamped once the fold is done: a caller within ``max_age`` never gets an
            # organisation another thread is still folding (a half-loaded one)
            looked = _monotonic()
            top = self.recorder.max_notification_id() or 0
            while self.org.position < top:
                batch = self.recorder.select_notifications(
                    start=self.org.position + 1, limit=1000, stop=top, topics=ORG_TOPICS)
                for n in batch:
                    self.org.apply(self.mapper.to_domain_event(n))
                    self.org.position = n.id
                    self.org.changes += 1
                if len(batch) < 1000:
                    # nothing more of the organisation up to ``top``: skip the case events too
                    self.org.position = top
            self._org_checked = looked
            return self.org

    def load_organisation(self, spec: dict[str, Any], recorded_by: str = "loader") -> int:
        """Register levels, units, people and posts from a parsed YAML/JSON file, atomically."""
        from domain.org_loader import build_organisation
        self.refresh_org()
        aggregates = build_organisation(spec, self.org, self.clock(), recorded_by, self._get_or_none)
        self._save(*aggregates)
        self.refresh_org()
        return sum(len(a.pending_events) for a in aggregates) or len(aggregates)

    def fill_post(self, unit: str, post: str, person: str, effective_from: datetime,
                  recorded_by: str = "admin") -> None:
        from domain.org_loader import check_fill
        org = self.refresh_org()
        check_fill(org, unit, post, person, effective_from)
        agg = self.repository.get(unit_id(unit))
        agg.trigger_event(Unit.PostFilled, post=post, person=person,
                          effective_from=effective_from, recorded_by=recorded_by,
                          timestamp=self.clock())
        self._save(agg)

    def vacate_post(self, unit: str, post: str, person: str, effective_until: datetime,
                    recorded_by: str = "admin") -> None:
        from domain.org_loader import check_vacate
        org = self.refresh_org()
        check_vacate(org, unit, post, person, effective_until)
        agg = self.repository.get(unit_id(unit))
        agg.trigger_event(Unit.PostVacated, post=post, person=person,
                          effective_until=effective_until, recorded_by=recorded_by,
                          timestamp=self.clock())
        self._save(agg)

    def move_unit(self, unit: str, parent: str | None, effective_from: datetime,
                  recorded_by: str = "admin") -> None:
        from domain.org_loader import check_move
        org = self.refresh_org()
        check_move(org, unit, parent, effective_from)
        agg = self.repository.get(unit_id(unit))
        agg.trigger_event(Unit.ParentChanged, parent=parent, effective_from=effective_from,
                          recorded_by=recorded_by, timestamp=self.clock())
        self._save(agg)

    def holders(self, unit: str, post: str, at: datetime) -> list[str]:
        """Who held post ``post`` of ``unit`` at moment ``at``."""
        return self.refresh_org().holders(unit, post, at)

    # --- cases -----------------------------------------------------------------------------------
    def register_case(self, actor: ActorLike, occurred_at: datetime | None = None,
                      case_no: str | None = None, **fields: Any) -> Result:
        """登记 from loose fields (see :class:`~domain.commands.Register`)."""
        return self.handle_registration(build(Register, fields), actor, occurred_at, case_no)

    def handle_registration(self, registration: Register, actor: ActorLike,
                            occurred_at: datetime | None = None,
                            case_no: str | None = None) -> Result:
        return self._fresh_retry(
            lambda b: b.handle_registration(registration, actor, occurred_at, case_no))

    def execute(self, case_no: str, command: str, actor: ActorLike,
                occurred_at: datetime | None = None, expected_version: int | None = None,
                **args: Any) -> Result:
        """The command of wire name ``command`` built from ``args``, then :meth:`handle`."""
        return self.handle(case_no, build_named(command, args), actor, occurred_at,
                           expected_version)

    def handle(self, case_no: str, command: Command, actor: ActorLike,
               occurred_at: datetime | None = None, expected_version: int | None = None,
               ) -> Result:
        return self._fresh_retry(
            lambda b: b.handle(case_no, command, actor, occurred_at, expected_version))

    def _fresh_retry(self, step: Callable[[Batch], Any]) -> Result:
        """Run one command; if the organisation as last seen refuses it, look again and retry."""
        return self.prepare(step).commit()[0]

    def prepare(self, step: Callable[[Batch], Any]) -> Batch:
        """``step`` run on a new :class:`Batch` (checked, nothing saved yet); if the organisation
        as last seen refuses it, look again and run it once more on a fresh Batch."""
        try:
            batch = Batch(self)
            step(batch)
        except DomainError as e:
            if e.code not in ORG_CODES or not self._org_may_be_stale():
                raise
            batch = Batch(self)
            step(batch)
        return batch

    def _org_may_be_stale(self) -> bool:
        """Look again now; True if the organisation changed since the last look."""
        before = self.org.changes
        self.refresh_org()
        return self.org.changes != before

    def get_case(self, case_no: str, version: int | None = None) -> PetitionCase:
        if not isinstance(case_no, str):
            raise NotFound("case.not_found", "信访事项不存在", f"No case {case_no!r}", "case_no")
        try:
            return self.repository.get(case_id_for(case_no), version=version)
        except AggregateNotFoundError:
            raise NotFound("case.not_found", "信访事项不存在", f"No case {case_no!r}",
                           "case_no") from None

    def case_state(self, case_no: str) -> CaseState | None:
        try:
            return self.get_case(case_no).state
        except NotFound:
            return None

    def history(self, case_no: str) -> list[Fact]:
        return self.get_case(case_no).facts

    def _get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _save(self, *aggregates: Any, **kwargs: Any) -> list[Any]:
        try:
            return self.save(*aggregates, **kwargs)
        except IntegrityError:
            raise VersionConflict() from None


class Batch:
    """Several commands, on one or many cases, checked in order and saved in one transaction.

    Used for single commands, for atomic pairs (a repeat petition and the link on its original)
    and for bulk import: if any command is refused, nothing of the batch is written.
    """

    def __init__(self, app: Casetrail) -> None:
        self.app = app
        self.org = app.refresh_org(max_age=ORG_MAX_AGE)
        self.cases: dict[str, PetitionCase] = {}
        self.new_cases: set[str] = set()
        self.touched: list[str] = []

    def _case(self, case_no: str) -> PetitionCase:
        if case_no not in self.cases:
            self.cases[case_no] = self.app.get_case(case_no)
        return self.cases[case_no]

    def case(self, case_no: str) -> PetitionCase:
        """The case as this batch sees it (loaded once; later commands of the batch act on it)."""
        return self._case(case_no)

    def _lookup(self, case_no: str) -> CaseState | None:
        try:
            return self._case(case_no).state
        except NotFound:
            return None

    def _context(self, actor: ActorLike, occurred_at: datetime | None) -> Context:
        now = self.app.clock()  # the recording time of this command: the system's clock only
        at = occurred_at or now
        checked = check_actor(self.org, actor, at)
        # == Context(checked, at, now, self.org, self._lookup), without the frozen dataclass's
        # per-field object.__setattr__ calls
        ctx = _new_context(Context)
        ctx.__dict__.update(actor=checked, occurred_at=at, now=now, org=self.org,
                            lookup=self._lookup)
        return ctx

    def register(self, actor: ActorLike, occurred_at: datetime | None = None,
                 case_no: str | None = None, **fields: Any) -> str:
        """登记 from loose fields (see :class:`~domain.commands.Register`)."""
        return self.handle_registration(build(Register, fields), actor, occurred_at, case_no)

    def handle_registration(self, registration: Register, actor: ActorLike,
                            occurred_at: datetime | None = None,
                            case_no: str | None = None) -> str:
        ctx = self._context(actor, occurred_at)
        if case_no is None:
            case_no = f"XF{ctx.occurred_at.astimezone(TZ_CN):%Y%m%d}{secrets.token_hex(4).upper()}"
        if case_no in self.cases or case_no in self.new_cases:
            raise DomainError("case.exists", "该信访件编号已登记", f"Case {case_no} already exists",
                              "case_no")
        # A number already in the store is caught by the store's unique key at commit: no read.
        case = PetitionCase.register(ctx, case_no, registration)
        self.cases[case_no] = case
        self.new_cases.add(case_no)
        self.touched.append(case_no)
        for relation, original in (("repeat", registration.repeat_of),
                                   ("bypass", registration.bypass_of)):
            if original:
                self._case(original).link_petition(ctx, relation, case_no, ctx.actor.unit)
                self.touched.append(original)
        return case_no

    def execute(self, case_no: str, command: str, actor: ActorLike,
                occurred_at: datetime | None = None, expected_version: int | None = None,
                **args: Any) -> None:
        """The command of wire name ``command`` built from ``args``, then :meth:`handle`."""
        self.handle(case_no, build_named(command, args), actor, occurred_at, expected_version)

    def handle(self, case_no: str, command: Command, actor: ActorLike,
               occurred_at: datetime | None = None, expected_version: int | None = None,
               ) -> None:
        case = self._case(case_no)
        if expected_version is not None and case.version != expected_version:
            raise VersionConflict()
        ctx = self._context(actor, occurred_at)
        HANDLERS[type(command)](case, ctx, command)
        self.touched.append(case_no)
        if isinstance(command, cmd.MarkRepeat):
            # the original shows its repeat, in the same transaction
            self._case(command.original).link_petition(ctx, "repeat", case_no, ctx.actor.unit)
            self.touched.append(command.original)

    def commit(self, **save_kwargs: Any) -> list[Result]:
        """Save every case the batch changed, in one transaction (``save_kwargs`` go to the
        recorder, see ``store.SideRows``); one Result per case, in order."""
        try:
            recordings = self.app._save(*self._touched_cases(), **save_kwargs)
        except VersionConflict:
            self.explain_conflict()
            raise
        return self.results({r.domain_event.originator_id: r.notification.id
                             for r in recordings})

    def collect_events(self) -> list[Any]:
        """The new events of every case the batch changed, in order (for a caller that saves
        several batches in one transaction: ``app.save(*events)``); they leave the cases."""
        return [e for case in self._touched_cases() for e in case.collect_events()]

    def results(self, positions: dict[UUID, int]) -> list[Result]:
        """One Result per changed case, given the log position of each case's last new event."""
        return [Result(c, self.cases[c].version, positions.get(self.cases[c].id))
                for c in dict.fromkeys(self.touched)]

    def explain_conflict(self) -> None:
        """After the store refused the batch: ``case.exists`` if a number it registers is taken."""
        for case_no in sorted(self.new_cases):
            if self.app.case_state(case_no) is not None:
                raise DomainError("case.exists", "该信访件编号已登记",
                                  f"Case {case_no} already exists", "case_no") from None

    def _touched_cases(self) -> list[PetitionCase]:
        return [self.cases[c] for c in dict.fromkeys(self.touched)]


from domain.periods import TZ as TZ_CN  # noqa: E402


def check_actor(org: OrgDirectory, actor: ActorLike, at: datetime) -> Actor:
    """Who acts: a known unit, optionally a known person holding the stated post then."""
    checked = actor_from(actor)
    unit, person, post = checked.unit, checked.person, checked.post
    if org.unit(unit) is None:
        raise InvalidInput("unit.unknown", "办理单位不存在", f"Unknown unit {unit!r}", "actor")
    if person is not None and person not in org.persons:
        raise InvalidInput("person.unknown", "办理人不存在", f"Unknown person {person!r}", "actor")
    if post is not None:
        if post not in C.POSTS and post not in org.posts:
            raise InvalidInput("post.unknown", "岗位不存在", f"Unknown post {post!r}", "actor")
        if person is not None and at.tzinfo is not None and not org.holds(
                person, unit, post, at):
            raise DomainError("actor.post_not_held", "办理人当时未担任所述岗位",
                              f"{person} did not hold {post} of {unit} then", "actor")
    source = checked.source_recorded_at
    if source not in (None, "unknown") and source_recorded_at(
            {"source_recorded_at": source}) is None:
        raise InvalidInput("actor.invalid", "原系统录入时间无效",
                           "actor.source_recorded_at must be an ISO 8601 time with an "
                           "offset, or 'unknown'", "actor")
    return checked


def checked_actor_record(org: OrgDirectory, actor: ActorLike, at: datetime) -> dict[str, Any]:
    """:func:`check_actor`, as the record an event stores (for code that writes its own
    events, such as the findings workflow)."""
    return check_actor(org, actor, at).payload()


def iter_batches(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


__all__ = ["Casetrail", "Batch", "Result", "COMMANDS", "HANDLERS", "SCHEME_ID", "OrgScheme",
           "Person", "person_id", "check_actor", "checked_actor_record"]
