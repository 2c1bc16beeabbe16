"""The deadline calendar from its sources: the ``chinese_calendar`` package, the loaded notices, and
the statutory fallback for every other year. Pure: the notices come in as values.

A loaded year is covered (its deadlines are final); a year neither source covers is provisional,
with the statutory holidays of the 2024 办法 (and their 补假) as rest days. If a later package
release covers a year a notice was loaded for, the notice still decides that year: the office
recorded it, and deadlines must not move when a dependency is upgraded.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from domain.calendar_statutory import FALLBACK_VERSION, fallback_rest_days
from domain.calendar_year import LoadedNotice
from domain.periods import HolidayCalendar

PACKAGE = HolidayCalendar.from_package()


class NoticeCalendar(HolidayCalendar):
    """Package data plus loaded notices, with the statutory fallback for uncovered years."""

    def __init__(self, package: HolidayCalendar, notices: Iterable[LoadedNotice]) -> None:
        by_year = {n.year: n for n in notices}
        self.package = package
        self.sources: Mapping[int, str] = {y: by_year[y].label for y in sorted(by_year)}
        keep = [d for d in package.holidays if d.year not in by_year]
        work = [d for d in package.workdays if d.year not in by_year]
        super().__init__(
            [*keep, *(d for n in by_year.values() for d in n.notice.holiday_dates)],
            [*work, *(d for n in by_year.values() for d in n.notice.workday_dates)],
            version="+".join([package.version, *self.sources.values(), FALLBACK_VERSION]),
            first_year=package.first_year, last_year=package.last_year, years=by_year)
        self._versions: dict[frozenset[int], str] = {}

    def fallback_rest_days(self, year: int) -> Collection[date]:
        return fallback_rest_days(year)

    def version_for(self, years: Iterable[int]) -> str:
        """The package, then the notice of each consulted year that has one, then the fallback
        if a consulted year is uncovered: e.g. ``chinese_calendar-1.11.0+notice:2027@…``."""
        key = frozenset(years)
        found = self._versions.get(key)
        if found is None:
            parts = [self.package.version]
            parts += [self.sources[y] for y in sorted(key) if y in self.sources]
            if any(not self._covers_year(y) for y in key):
                parts.append(FALLBACK_VERSION)
            found = self._versions[key] = "+".join(parts)
        return found

    def _covers_year(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year or year in self.years


def build_calendar(notices: Iterable[LoadedNotice] = (),
                   package: HolidayCalendar = PACKAGE) -> NoticeCalendar:
    """The calendar deadlines use: ``package`` data, each notice for its year, the fallback."""
    return NoticeCalendar(package, notices)


@dataclass(frozen=True)
class YearStatus:
    """Where one year's (or one span of years') holidays come from."""

    first_year: int
    last_year: int
    source: str  # "package" | "notice" | "fallback"
    version: str
    notice: LoadedNotice | None = None


def calendar_status(notices: Mapping[int, LoadedNotice], through: int,
                    package: HolidayCalendar = PACKAGE) -> list[YearStatus]:
    """The package's span as one row, then every later year up to ``through`` (and every
    loaded year): its notice, or the provisional fallback."""
    rows = [YearStatus(package.first_year, package.last_year, "package", package.version)]
    rows += [YearStatus(y, y, "notice", n.label, n) for y, n in sorted(notices.items())
             if y <= package.last_year]  # a package release caught up with a loaded year
    last = max([through, *notices])
    for year in range(package.last_year + 1, last + 1):
        loaded = notices.get(year)
        if loaded is not None:
            rows.append(YearStatus(year, year, "notice", loaded.label, loaded))
        else:
            rows.append(YearStatus(year, year, "fallback", FALLBACK_VERSION))
    return rows
