"""The deadline calendar from package data + loaded notices + the statutory fallback.

Hand-worked: 15 days from Thu 2026-12-17 = Fri 2027-01-01 (元旦, a statutory holiday) -> Sat 01-02,
Sun 01-03 -> Mon 2027-01-04, provisional (no 2027 notice). With the made-up 2031 fixture loaded,
15 days from Mon 2031-01-13 = Tue 01-28, inside its 春节 break (01-22..01-29) -> Thu 01-30, final.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from domain.calendar_build import PACKAGE, build_calendar, calendar_status
from domain.calendar_notice import parse_notice
from domain.calendar_statutory import FALLBACK_VERSION
from domain.calendar_year import LoadedNotice, calendar_year_id
from domain.case_state import Fact
from domain.clocks import derive_clocks, status_at
from domain.periods import (
    CALENDAR,
    TZ,
    HolidayCalendar,
    add_calendar_days,
    add_working_days,
    deadline_set_by_act,
)

D = date
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "calendar"
PKG = "chinese_calendar-1.11.0"


def loaded(name: str = "2031-fixture.yaml", version: int = 1) -> LoadedNotice:
    path = FIXTURES / name
    parsed = parse_notice(path.read_bytes(), path.name)
    return LoadedNotice(parsed.notice, parsed.sha256, "wangfang",
                        datetime(2030, 11, 5, 9, tzinfo=TZ), calendar_year_id(2031), version)


def test_without_notices_2004_to_2026_are_the_package_day_for_day() -> None:
    cal = build_calendar()
    day = D(2004, 1, 1)
    while day <= D(2026, 12, 31):
        assert cal.is_workday(day) is CALENDAR.is_workday(day), day
        day += timedelta(days=1)
    assert add_calendar_days(D(2025, 9, 16), 15, calendar=cal) == add_calendar_days(
        D(2025, 9, 16), 15)


@pytest.mark.parametrize(("day", "workday"), [
    (D(2027, 1, 1), False),   # 元旦 (Fri): the plain fallback said "working"
    (D(2027, 1, 4), True),    # Mon
    (D(2027, 2, 5), False),   # 除夕 (Fri)
    (D(2027, 2, 10), False),  # 补假 for 初一/初二 on the weekend
    (D(2027, 2, 11), True),
    (D(2027, 10, 5), False),  # 补假 for 国庆 on Sat/Sun
    (D(2003, 12, 31), True),  # before 2004: no fallback holidays (the 2024 rules came later)
])
def test_uncovered_years_rest_on_the_statutory_holidays(day: date, workday: bool) -> None:
    cal = build_calendar()
    assert cal.covers(day) is False
    assert cal.is_workday(day) is workday


def test_a_triage_clock_from_2026_12_17_is_due_2027_01_04_and_provisional() -> None:
    when = datetime(2026, 12, 17, 10, tzinfo=TZ)
    registered = Fact(1, "Registered", when, when, {"unit": "yz-xfj", "person": None,
                                                    "post": None},
                      {"case_no": "T1", "registering_unit": "yz-xfj", "at_petition_bureau": True,
                       "channel": "visit", "matter_type": "grievance", "category": "C03",
                       "location": "dhl-sq1-g1"}, None)
    [triage] = [c for c in derive_clocks([registered], build_calendar()) if c.key == "triage"]
    assert (triage.deadline.last_day, triage.deadline.provisional) == (D(2027, 1, 4), True)
    assert triage.deadline.calendar_version == f"{PKG}+{FALLBACK_VERSION}"
    # provisional never accuses: after the due moment it is shown "provisional", not breached
    assert status_at(triage, datetime(2027, 1, 6, tzinfo=TZ)) == "provisional"
    old = [c for c in derive_clocks([registered]) if c.key == "triage"][0]
    assert old.deadline.last_day == D(2027, 1, 1)  # the default calendar, until phase 2


def test_a_loaded_year_is_covered_and_its_deadlines_are_final() -> None:
    notice = loaded()
    cal = build_calendar([notice])
    assert cal.covers(D(2031, 6, 1)) and not cal.covers(D(2030, 6, 1))
    deadline = add_calendar_days(D(2031, 1, 13), 15, calendar=cal)
    assert (deadline.last_day, deadline.provisional) == (D(2031, 1, 30), False)
    assert deadline.calendar_version == f"{PKG}+{notice.label}"
    assert cal.is_workday(D(2031, 1, 19))  # Sunday, a 调休 working day of the notice
    assert cal.version == f"{PKG}+{notice.label}+{FALLBACK_VERSION}"


def test_a_deadline_names_only_the_sources_of_the_years_it_consulted() -> None:
    cal = build_calendar([loaded()])
    assert add_calendar_days(D(2025, 3, 3), 60, calendar=cal).calendar_version == PKG
    crossing = add_working_days(D(2026, 12, 24), 6, calendar=cal)  # reaches 2027
    assert crossing.calendar_version == f"{PKG}+{FALLBACK_VERSION}" and crossing.provisional
    assert crossing.last_day == D(2027, 1, 4)  # 12/25 12/28-12/31 (5), [元旦 + weekend], 1/4 (6)
    assert deadline_set_by_act(D(2031, 1, 1), calendar=cal).calendar_version == PKG


def test_a_notice_still_decides_its_year_after_the_package_catches_up() -> None:
    # A later package release that also covers 2031 (simulated: 2031-01-19 a holiday there).
    newer = HolidayCalendar(PACKAGE.holidays | {D(2031, 1, 19)}, PACKAGE.workdays,
                            version="chinese_calendar-9.9.9", first_year=2004, last_year=2031)
    notice = loaded()
    cal = build_calendar([notice], newer)
    assert cal.is_workday(D(2031, 1, 19))  # the notice's 调休 working day, not the package's
    assert rows_of(calendar_status({2031: notice}, 2031, newer)) == [
        (2004, 2031, "package"), (2031, 2031, "notice")]


def rows_of(rows: list) -> list[tuple[int, int, str]]:  # type: ignore[type-arg]
    return [(r.first_year, r.last_year, r.source) for r in rows]


def test_status_lists_the_package_span_then_each_later_year() -> None:
    notice = loaded("2031-fixture-revised.yaml", version=2)
    rows = calendar_status({2031: notice}, through=2028)
    assert rows_of(rows) == [(2004, 2026, "package"), (2027, 2027, "fallback"),
                             (2028, 2028, "fallback"), (2029, 2029, "fallback"),
                             (2030, 2030, "fallback"), (2031, 2031, "notice")]
    assert rows[0].version == PKG and rows[1].version == FALLBACK_VERSION
    assert rows[-1].notice is notice and rows[-1].version == notice.label
