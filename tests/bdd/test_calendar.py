"""Step definitions for features/calendar: holiday notices, as the petition bureau loads them.

Loading is one call (``record_notice``, what ``casetrail calendar load`` runs). Deadlines are read
from the case's own facts with the calendar built from the notices in the store
(``read_notices`` + ``build_calendar``): the read models take that calendar in phase 2.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from domain.application import Casetrail
from domain.calendar_build import PACKAGE, build_calendar
from domain.calendar_notice import parse_notice
from domain.calendar_year import calendar_year_id, read_notices, record_notice
from domain.clocks import derive_clocks
from domain.errors import DomainError
from domain.periods import HolidayCalendar, add_calendar_days
from tests.conftest import GRIEVANCE, Clock, at, log_size

scenarios("calendar")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "calendar"
CLOCKS = {"分流转办期限": "triage", "办理期限": "handling"}
FINAL = {"待定": True, "final": False}


def _day(text: str) -> date:
    return date.fromisoformat(text)


_day.pattern = r"\d{4}-\d{2}-\d{2}"  # type: ignore[attr-defined]
T = {"Day": _day}


class Office:
    """The petition bureau's desk: the store, its clock, the last refusal and the log size."""

    def __init__(self, app: Casetrail, clock: Clock) -> None:
        self.app, self.clock = app, clock
        org = app.refresh_org()
        self.units = {u.name: code for code, u in org.units.items()}
        self.people = {name: code for code, name in org.persons.items()}
        self.error: DomainError | None = None
        self.error_checked = False
        self.size_before = log_size(app)

    def calendar(self) -> HolidayCalendar:
        return build_calendar(read_notices(self.app).values())

    def load(self, person: str, file: str, reason: str | None = None) -> None:
        path = FIXTURES / file
        assert self.error is None or self.error_checked, f"unexpected refusal: {self.error}"
        self.error, self.error_checked, self.size_before = None, False, log_size(self.app)
        try:
            parsed = parse_notice(path.read_bytes(), path.name)
            record_notice(self.app, parsed, loaded_by=self.people[person], package=PACKAGE,
                          supersede=reason is not None, reason=reason or "")
        except DomainError as refusal:
            self.error = refusal

    def act(self, day: date) -> datetime:
        self.clock.set(day.year, day.month, day.day, 18)  # recorded the same evening
        return at(day.year, day.month, day.day, 10)


@pytest.fixture
def office(sqlite_app: Casetrail, clock: Clock) -> Iterator[Office]:
    desk = Office(sqlite_app, clock)
    yield desk
    assert desk.error is None or desk.error_checked, f"unexpected refusal: {desk.error}"


@given("the organisation of 哈密市 and 伊州区 as on file")
def organisation(office: Office) -> None:
    assert "伊州区信访局" in office.units


@given(parsers.parse("no holiday notice for {year:d} has been loaded"))
def no_notice(office: Office, year: int) -> None:
    assert year not in read_notices(office.app)


@given(parsers.parse("{unit} registered case {case} on {day:Day}", extra_types=T))
@when(parsers.parse("{unit} registers case {case} on {day:Day}", extra_types=T))
def registers(office: Office, unit: str, case: str, day: date) -> None:
    office.app.register_case({"unit": office.units[unit]}, occurred_at=office.act(day),
                             case_no=case, **GRIEVANCE)


@when(parsers.parse("{unit} accepts case {case} on {day:Day}", extra_types=T))
def accepts(office: Office, unit: str, case: str, day: date) -> None:
    office.app.execute(case, "accept", {"unit": office.units[unit]},
                       office.act(day).replace(hour=11))


@given(parsers.parse('{person} loaded the holiday notice file "{file}"'))
@when(parsers.parse('{person} loads the holiday notice file "{file}"'))
def loads(office: Office, person: str, file: str) -> None:
    office.load(person, file)


@when(parsers.parse('{person} loads the holiday notice file "{file}" as a correction because '
                    '"{reason}"'))
@when(parsers.parse('{person} loads the holiday notice file "{file}" as a correction because ""'))
def corrects(office: Office, person: str, file: str, reason: str = "") -> None:
    office.load(person, file, reason)


@then(parsers.parse("the {name} of case {case} ends on {day:Day}, {state}", extra_types=T))
def clock_ends(office: Office, name: str, case: str, day: date, state: str) -> None:
    clocks = derive_clocks(office.app.history(case), office.calendar())
    [clock] = [c for c in clocks if c.key == CLOCKS[name]]
    assert (clock.deadline.last_day, clock.deadline.provisional) == (day, FINAL[state])


@given(parsers.parse("{unit} registering a petition on {start:Day} would have until {day:Day}, "
                     "{state}", extra_types=T))
@then(parsers.parse("{unit} registering a petition on {start:Day} would have until {day:Day}, "
                    "{state}", extra_types=T))
def triage_would_end(office: Office, unit: str, start: date, day: date, state: str) -> None:
    assert unit == "伊州区信访局"  # the 15-day triage limit (art. 21)
    deadline = add_calendar_days(start, 15, calendar=office.calendar())
    assert (deadline.last_day, deadline.provisional) == (day, FINAL[state])


@then(parsers.parse("the holidays of {year:d} follow {number}, loaded by {person}"))
def follows(office: Office, year: int, number: str, person: str) -> None:
    loaded = read_notices(office.app)[year]
    assert loaded.notice.notice_number.startswith(number)
    assert loaded.loaded_by == office.people[person]


@then(parsers.parse('the correction of {year:d} gives the reason "{reason}" and replaces the file '
                    '{person} loaded'))
def correction(office: Office, year: int, reason: str, person: str) -> None:
    loaded = read_notices(office.app)[year]
    assert (loaded.version, loaded.reason) == (2, reason)
    first, _ = office.app.repository.event_store.get(calendar_year_id(year))
    assert (loaded.replaces, first.loaded_by) == (first.sha256, office.people[person])


@then(parsers.parse('the load is refused with "{code}"'))
def refused(office: Office, code: str) -> None:
    assert office.error is not None and office.error.code == code, office.error
    office.error_checked = True


@then("nothing was recorded")
def nothing_recorded(office: Office) -> None:
    assert log_size(office.app) == office.size_before
