"""The record of holiday notices loaded into the store: one aggregate per year, event-sourced.

``casetrail calendar load FILE`` is a command like any other: it says who loaded which file (its
SHA-256) and when, and it is in the log, so every deadline recomputed because of it can name it.
A revision of a year's notice is an explicit supersede with a reason, also an event. Loading the
same content again writes nothing.

Phase 2 reads these events with :func:`read_notices` (or folds them one by one with
:class:`NoticeBook`) and builds the deadline calendar with
:func:`domain.calendar_build.build_calendar`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.calendar_notice import Notice, ParsedNotice
from domain.errors import DomainError, InvalidInput, VersionConflict
from domain.periods import HolidayCalendar

CALENDAR_TOPICS = ("casetrail:CalendarYear.NoticeLoaded", "casetrail:CalendarYear.NoticeSuperseded")


def calendar_year_id(year: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"casetrail:calendar-year:{year}")


class CalendarYear(Aggregate):
    """The holiday notice in force for one year (the latest loaded or superseding one)."""

    TOPIC = "casetrail:CalendarYear"

    class Event(Aggregate.Event):
        TOPIC = "casetrail:CalendarYear.Event"

    class Created(Event, Aggregate.Created):
        TOPIC = "casetrail:CalendarYear.Created"

    class NoticeLoaded(Aggregate.Created):
        TOPIC = "casetrail:CalendarYear.NoticeLoaded"
        year: int
        notice_number: str
        notice_date: str  # ISO date
        source_url: str
        holidays: list[dict[str, Any]]  # [{name, dates: [ISO date]}]
        workdays: list[dict[str, Any]]  # [{date: ISO date, holiday}]
        sha256: str  # of the loaded file's bytes
        loaded_by: str

    class NoticeSuperseded(Event):
        TOPIC = "casetrail:CalendarYear.NoticeSuperseded"
        year: int
        notice_number: str
        notice_date: str
        source_url: str
        holidays: list[dict[str, Any]]
        workdays: list[dict[str, Any]]
        sha256: str
        loaded_by: str
        reason: str
        replaces: str  # the sha256 of the notice it replaces

        def apply(self, agg: CalendarYear) -> None:
            agg.notice, agg.sha256 = Notice.from_fields(_notice_fields(self)), self.sha256

    def __init__(self, year: int, notice_number: str, notice_date: str, source_url: str,
                 holidays: list[dict[str, Any]], workdays: list[dict[str, Any]], sha256: str,
                 loaded_by: str) -> None:
        self.notice = Notice.from_fields({
            "year": year, "notice_number": notice_number, "notice_date": notice_date,
            "source_url": source_url, "holidays": holidays, "workdays": workdays})
        self.sha256 = sha256


def _notice_fields(event: Any) -> dict[str, Any]:
    return {k: getattr(event, k) for k in ("year", "notice_number", "notice_date", "source_url",
                                           "holidays", "workdays")}


# --- the decision --------------------------------------------------------------------------------

def load_notice(existing: CalendarYear | None, parsed: ParsedNotice, *, loaded_by: str,
                at: datetime, package: HolidayCalendar, supersede: bool = False,
                reason: str = "") -> CalendarYear | None:
    """The aggregate with its new event, or None if this content is already in force.

    Refuses (nothing written): calendar.year_in_package, calendar.not_loaded (supersede with
    nothing to supersede), calendar.already_loaded (different content without supersede),
    calendar.reason_required (supersede without a reason). ``at`` is the recording time."""
    notice = parsed.notice
    _check_not_package_year(notice.year, package)
    if existing is None:
        if supersede:
            raise InvalidInput("calendar.not_loaded", "该年度尚未载入通知，无可替换",
                               f"no notice for {notice.year} is loaded: load it without "
                               "--supersede", "supersede")
        return CalendarYear._create(CalendarYear.NoticeLoaded, id=calendar_year_id(notice.year),
                                    timestamp=at, sha256=parsed.sha256, loaded_by=loaded_by,
                                    **notice.fields())
    if existing.notice == notice:
        return None
    if not supersede:
        raise DomainError("calendar.already_loaded", "该年度已载入内容不同的通知",
                          f"{notice.year} is loaded from {existing.notice.notice_number} "
                          f"(sha256 {existing.sha256[:12]}); to revise it, load with "
                          "--supersede and a --reason", "supersede")
    if not reason.strip():
        raise InvalidInput("calendar.reason_required", "替换已载入的通知须说明理由",
                           "--supersede needs a --reason (e.g. the correcting notice)", "reason")
    existing.trigger_event(CalendarYear.NoticeSuperseded, timestamp=at, sha256=parsed.sha256,
                           loaded_by=loaded_by, reason=reason.strip(), replaces=existing.sha256,
                           **notice.fields())
    return existing


def _check_not_package_year(year: int, package: HolidayCalendar) -> None:
    if package.first_year <= year <= package.last_year:
        raise InvalidInput("calendar.year_in_package", "该年度节假日已由内置数据提供，无需载入",
                           f"{year} is covered by {package.version} "
                           f"({package.first_year}–{package.last_year}); notices are for later "
                           "years", "year")


# --- reading the log -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadedNotice:
    """A notice in force, with the event that put it there (for evidence and versions)."""

    notice: Notice
    sha256: str
    loaded_by: str
    loaded_at: datetime  # recording time of the event
    aggregate_id: UUID
    version: int  # the event's version in its aggregate: 1 loaded, 2+ superseded
    reason: str | None = None
    replaces: str | None = None

    @property
    def year(self) -> int:
        return self.notice.year

    @property
    def label(self) -> str:
        """How a calendar version names this source: notice:<year>@<sha256[:12]>."""
        return f"notice:{self.year}@{self.sha256[:12]}"


class NoticeBook:
    """The notices in force, folded from calendar events in log order (other events ignored)."""

    def __init__(self) -> None:
        self.notices: dict[int, LoadedNotice] = {}

    def apply(self, event: Any) -> LoadedNotice | None:
        if not isinstance(event, (CalendarYear.NoticeLoaded, CalendarYear.NoticeSuperseded)):
            return None
        loaded = LoadedNotice(
            Notice.from_fields(_notice_fields(event)), event.sha256, event.loaded_by,
            event.timestamp, event.originator_id, event.originator_version,
            getattr(event, "reason", None), getattr(event, "replaces", None))
        self.notices[loaded.year] = loaded
        return loaded


def fold_notices(events: Iterable[Any]) -> dict[int, LoadedNotice]:
    book = NoticeBook()
    for event in events:
        book.apply(event)
    return book.notices


def read_notices(app: Any, stop: int | None = None) -> dict[int, LoadedNotice]:
    """The notices in force in ``app``'s log (up to notification ``stop``), by year."""
    book, start = NoticeBook(), 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=500, stop=stop,
                                                  topics=CALENDAR_TOPICS)
        for n in batch:
            book.apply(app.mapper.to_domain_event(n))
        if len(batch) < 500:
            return book.notices
        start = batch[-1].id + 1


def record_notice(app: Any, parsed: ParsedNotice, *, loaded_by: str, package: HolidayCalendar,
                  supersede: bool = False, reason: str = "") -> CalendarYear | None:
    """Decide and save in ``app`` (a :class:`domain.application.Casetrail`), recording time from
    its clock. None: that content is already in force, nothing written."""
    try:
        existing = app.repository.get(calendar_year_id(parsed.notice.year))
    except AggregateNotFoundError:
        existing = None
    agg = load_notice(existing, parsed, loaded_by=loaded_by, at=app.clock(), package=package,
                      supersede=supersede, reason=reason)
    if agg is not None:
        try:
            app.save(agg)
        except IntegrityError:  # another load of the same year won
            raise VersionConflict("calendar year") from None
    return agg
