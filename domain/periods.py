"""Statutory periods (期间): pure date arithmetic for the 《信访工作条例》 time limits.

Why this module exists: a deadline computed one day too early turns into a false accusation of
inaction (不作为), so the rules here follow 民法典 arts. 201–203 (DOMAIN.md Part A.2 §1, Part B §2):

* the start day is not counted; counting begins the next day (art. 201);
* a last day that falls on a rest day (weekend or statutory holiday, 法定休假日) rolls forward to the
  next working day (art. 203); an adjusted working day (调休上班日), e.g. a working Sunday, is a
  working day and does not roll;
* a deadline ends at 24:00 Asia/Shanghai of its last day (stored as 00:00 of the next day).

Nothing here reads the clock or does I/O. Holiday data comes from the ``chinese_calendar`` package,
wrapped so that a year it does not cover never raises: such a year falls back to "Mon–Fri working"
and every deadline that consulted it is marked ``provisional`` (to be recomputed once the State
Council notice for that year is published and loaded). A calendar built from loaded notices
(:func:`domain.calendar_build.build_calendar`) covers the notices' years too, and its fallback
knows the statutory holidays (:mod:`domain.calendar_statutory`), so a provisional last day never
falls on one.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import metadata
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _cc_data

TZ = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)


_LOCAL_DATES: dict[datetime, date] = {}


def local_date(dt: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant (UTC dates give off-by-one deadlines).

    Memoised: the clocks and the attribution ask for the same few instants again and again (an
    aware datetime caches its hash; a naive one is never stored, so it still raises)."""
    found = _LOCAL_DATES.get(dt)
    if found is not None:
        return found
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"naive datetime {dt!r}: periods need a timezone-aware instant")
    if len(_LOCAL_DATES) >= 200_000:
        _LOCAL_DATES.clear()
    found = _LOCAL_DATES[dt] = dt.astimezone(TZ).date()
    return found


def _package_version() -> str:
    for dist in ("chinesecalendar", "chinese-calendar"):
        try:
            return f"chinese_calendar-{metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return f"chinese_calendar-{getattr(chinese_calendar, '__version__', 'unknown')}"


class HolidayCalendar:
    """Statutory holidays (法定节假日) and adjusted working days (调休上班日) for a range of years.

    Immutable data plus a version string that every computed :class:`Deadline` records, so a
    replay years later can tell which holiday table produced it.
    """

    def __init__(
        self,
        holidays: Iterable[date],
        workdays: Iterable[date],
        *,
        version: str,
        first_year: int | None = None,
        last_year: int | None = None,
        years: Iterable[int] = (),
    ) -> None:
        """Covered: first_year..last_year (by default those of the dates), plus ``years``
        (single years outside that range, e.g. a loaded notice for a year after a gap)."""
        self.holidays: frozenset[date] = frozenset(holidays)
        self.workdays: frozenset[date] = frozenset(workdays)
        self.years: frozenset[int] = frozenset(years)
        dated = [d.year for d in self.holidays | self.workdays]
        if (first_year is None or last_year is None) and not dated:
            raise ValueError("give first_year/last_year for a calendar without any dates")
        self.first_year: int = first_year if first_year is not None else min(dated)
        self.last_year: int = last_year if last_year is not None else max(dated)
        self.version = version
        if self.first_year > self.last_year:
            raise ValueError(f"first_year {self.first_year} > last_year {self.last_year}")
        if both := self.holidays & self.workdays:
            raise ValueError(f"dates both holiday and working day: {sorted(both)}")
        if outside := sorted(d for d in self.holidays | self.workdays if not self.covers(d)):
            raise ValueError(f"dates outside {self.first_year}-{self.last_year}: {outside}")
        self._rest: dict[int, Collection[date]] = {}

    @classmethod
    def from_package(cls) -> HolidayCalendar:
        """The installed ``chinese_calendar`` data; covered years are those of its holiday table."""
        return cls(
            _cc_data.holidays.keys(),
            _cc_data.workdays.keys(),
            version=_package_version(),
            first_year=min(_cc_data.holidays).year,
            last_year=max(_cc_data.holidays).year,
        )

    def extended(
        self, *, holidays: Iterable[date], workdays: Iterable[date], last_year: int, version: str
    ) -> HolidayCalendar:
        """A new calendar with a later year's data added (e.g. the notice for 2027 is published)."""
        return HolidayCalendar(
            self.holidays | frozenset(holidays),
            self.workdays | frozenset(workdays),
            version=version,
            first_year=self.first_year,
            last_year=last_year,
            years=self.years,
        )

    def covers(self, d: date) -> bool:
        return self.first_year <= d.year <= self.last_year or d.year in self.years

    def is_workday(self, d: date) -> bool:
        """Working day: a 调休 working day, or Mon–Fri that is not a holiday. Never raises:
        outside the covered years it is Mon–Fri less the fallback's rest days (callers mark the
        result provisional)."""
        if not self.covers(d):
            if d.weekday() >= 5:
                return False
            rest = self._rest.get(d.year)
            if rest is None:
                rest = self._rest[d.year] = self.fallback_rest_days(d.year)
            return d not in rest
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)

    def fallback_rest_days(self, year: int) -> Collection[date]:
        """Rest days other than weekends of a year the calendar does not cover: none here
        (plain Mon–Fri); a calendar built from notices knows the statutory holidays."""
        return ()

    def version_for(self, years: Iterable[int]) -> str:
        """The version a deadline that consulted ``years`` records: here the whole calendar's;
        a calendar built from notices names only the sources of those years, so loading one
        year's notice does not change the version of a deadline in another."""
        return self.version

    def is_rest_day(self, d: date) -> bool:
        """Rest day: weekend or statutory holiday, unless it is a 调休 working day."""
        return not self.is_workday(d)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.version!r}, {self.first_year}-{self.last_year})"


CALENDAR = HolidayCalendar.from_package()


@dataclass(frozen=True)
class Deadline:
    """A computed deadline, with what produced it (unit, length, pauses, calendar and policy)."""

    last_day: date
    due_at: datetime  # 24:00 Asia/Shanghai of last_day == 00:00 of the next day, tz-aware
    provisional: bool  # True if a day consulted lies outside the calendar's covered years
    calendar_version: str
    unit: str  # "calendar_days" | "working_days" | "set_by_act"
    length: int
    paused_days: int = 0
    step: str = ""
    policy_version: str = ""

    def __post_init__(self) -> None:
        if self.due_at != end_of_day(self.last_day):
            raise ValueError(f"due_at {self.due_at} is not 24:00 Asia/Shanghai of {self.last_day}")


def end_of_day(d: date) -> datetime:
    """24:00 Asia/Shanghai of ``d`` (00:00 of the next day): the instant a deadline expires."""
    return datetime.combine(d + ONE_DAY, time(0), tzinfo=TZ)


def _next_workday(d: date, calendar: HolidayCalendar) -> tuple[date, bool]:
    """``d`` itself if it is a working day, else the next one; and whether any day was uncovered."""
    provisional = not calendar.covers(d)
    while calendar.is_rest_day(d):
        d += ONE_DAY
        provisional = provisional or not calendar.covers(d)
    return d, provisional


def count_paused_days(start: date, n: int, pauses: Iterable[tuple[date, date]]) -> int:
    """Calendar days of pauses (e.g. 复核 hearings, art. 36) that fall inside an n-day period.

    Each pause ``(first, last)`` is inclusive (a one-day hearing pauses 1 day); overlapping pauses
    count once. Only pause days after ``start`` and inside the period *as extended by the pauses*
    count: the period ends on the n-th non-paused day after ``start``, so a hearing before receipt
    or after the deadline extends nothing.
    """
    paused: set[date] = set()
    for first, last in pauses:
        if last < first:
            raise ValueError(f"pause ends {last} before it starts {first}")
        paused.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    day, counted = start, 0
    while counted < n:
        day += ONE_DAY
        if day not in paused:
            counted += 1
    return (day - start).days - n


def add_calendar_days(
    start: date,
    n: int,
    *,
    roll_forward: bool = True,
    calendar: HolidayCalendar = CALENDAR,
    paused_days: int = 0,
) -> Deadline:
    """n calendar days (日) after ``start`` (not counted), plus ``paused_days``, then roll forward.

    Only the raw last day and the roll-forward days consult the calendar, so only they can make
    the result provisional; with ``roll_forward=False`` the result never depends on holiday data.
    """
    if n < 0 or paused_days < 0:
        raise ValueError(f"period length {n} and paused_days {paused_days} must be >= 0")
    last = raw = start + timedelta(days=n + paused_days)
    provisional = False
    if roll_forward:
        last, provisional = _next_workday(raw, calendar)
    version = calendar.version_for(range(raw.year, last.year + 1) if roll_forward else ())
    return Deadline(last, end_of_day(last), provisional, version, "calendar_days", n, paused_days)


def add_working_days(start: date, n: int, *, calendar: HolidayCalendar = CALENDAR) -> Deadline:
    """The n-th working day (工作日) after ``start`` (not counted); 调休 working days count.

    A rest-day start is not moved: Sat + 1 working day = Mon. (``chinese_calendar.find_workday``
    would first snap Sat to Mon and answer Tue; we follow 民法典 201 literally.)
    """
    if n < 1:
        raise ValueError(f"a working-day period needs n >= 1, got {n}")
    day, counted, provisional = start, 0, False
    while counted < n:
        day += ONE_DAY
        provisional = provisional or not calendar.covers(day)
        if calendar.is_workday(day):
            counted += 1
    version = calendar.version_for(range((start + ONE_DAY).year, day.year + 1))
    return Deadline(day, end_of_day(day), provisional, version, "working_days", n)


def deadline_set_by_act(last_day: date, *, calendar: HolidayCalendar = CALENDAR) -> Deadline:
    """A due date written in an act (交办 / 督办): taken as given, no counting and no roll."""
    return Deadline(last_day, end_of_day(last_day), False, calendar.version_for(()),
                    "set_by_act", 0)


def days_late(deadline: Deadline, done_at: datetime) -> int:
    """0 if done before 24:00 of the last day; else calendar days past it (next day = 1 late)."""
    day = local_date(done_at)
    if done_at < deadline.due_at:
        return 0
    return (day - deadline.last_day).days


def is_overdue(deadline: Deadline, at: datetime) -> bool:
    """True once ``at`` reaches 24:00 of the last day."""
    local_date(at)  # rejects naive instants with a clear message
    return at >= deadline.due_at
