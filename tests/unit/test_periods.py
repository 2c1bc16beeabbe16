"""Table tests for domain.periods.

Every expected date is worked out by hand from the chinese_calendar 1.11.0 data (which matches
the State Council notices for 2025 and 2026) and written literally; the reasoning is in the comment.
Rules: start day not counted (民法典 201); a last day on a rest day rolls to the next working day
(203); a 调休 working day (e.g. Sun 2025-09-28) is a working day.

Holiday data used (package 1.11.0):
  2024 Spring Festival Feb 10-17, working Sun Feb 4 and Sun Feb 18.
  2025 New Year Jan 1; Spring Festival Jan 28-Feb 4 (working Sun Jan 26, Sat Feb 8);
       Tomb-sweeping Apr 4-6; Labour Day May 1-5 (working Sun Apr 27);
       Dragon Boat May 31-Jun 2; National Day + Mid-Autumn Oct 1-8 (working Sun Sep 28, Sat Oct 11).
  2026 New Year Jan 1-3 (working Sun Jan 4); Spring Festival Feb 15-23 (working Sat Feb 14 and
       Sat Feb 28); Mid-Autumn Sep 25-27 (working Sun Sep 20); National Day Oct 1-7 (working Sat
       Oct 10). DOMAIN.md's 2026 dates agree with the package.
  2027+: not in the package -> weekend-only fallback, provisional. (A calendar built from loaded
  notices, domain.calendar_build, also rests on the statutory holidays there: see
  tests/unit/test_calendar_build.py.)
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from domain.periods import (
    CALENDAR,
    TZ,
    Deadline,
    HolidayCalendar,
    add_calendar_days,
    add_working_days,
    count_paused_days,
    days_late,
    deadline_set_by_act,
    is_overdue,
    local_date,
)

D = date
SH = TZ

# (start, n, expected last day, reasoning)
CALENDAR_DAY_CASES = [
    # --- DOMAIN.md worked examples ---
    (D(2025, 9, 16), 15, D(2025, 10, 9), "9/16+15 = 10/1 National Day; 10/1-10/8 rest -> Thu 10/9"),
    (D(2025, 9, 13), 15, D(2025, 9, 28), "9/13+15 = Sun 9/28, a 调休 working day -> no roll"),
    (D(2026, 1, 20), 30, D(2026, 2, 24), "1/20+11 = 1/31, +19 = 2/19 Spring Festival -> Tue 2/24"),
    # --- ordinary weeks and weekends ---
    (D(2025, 3, 3), 15, D(2025, 3, 18), "Mon 3/3+15 = Tue 3/18, working"),
    (D(2025, 3, 7), 15, D(2025, 3, 24), "Fri 3/7+15 = Sat 3/22 -> Mon 3/24"),
    (D(2025, 3, 8), 15, D(2025, 3, 24), "Sat 3/8+15 = Sun 3/23 -> Mon 3/24"),
    (D(2025, 3, 3), 0, D(2025, 3, 3), "n=0: the start day itself (Mon), working"),
    # --- National Day 2025 and its 调休 ---
    (D(2025, 9, 26), 15, D(2025, 10, 11), "9/26+4 = 9/30, +11 = Sat 10/11, a 调休 working day"),
    (D(2025, 9, 23), 15, D(2025, 10, 9), "9/23+15 = 10/8, last holiday day -> Thu 10/9"),
    (D(2025, 9, 21), 15, D(2025, 10, 9), "9/21+15 = 10/6 Mid-Autumn (inside the break) -> 10/9"),
    # --- Spring Festival 2025 ---
    (D(2025, 1, 13), 15, D(2025, 2, 5), "1/13+15 = 1/28; 1/28-2/4 rest -> Wed 2/5"),
    (D(2025, 1, 5), 30, D(2025, 2, 5), "1/5+26 = 1/31, +4 = 2/4 last holiday -> Wed 2/5"),
    (D(2025, 1, 11), 15, D(2025, 1, 26), "1/11+15 = Sun 1/26, 调休 working -> no roll"),
    (D(2025, 1, 24), 15, D(2025, 2, 8), "1/24+7 = 1/31, +8 = Sat 2/8, 调休 working -> no roll"),
    # --- Spring Festival 2026 ---
    (D(2026, 1, 30), 15, D(2026, 2, 14), "1/30+1 = 1/31, +14 = Sat 2/14, 调休 working"),
    (D(2026, 2, 1), 15, D(2026, 2, 24), "2/1+15 = 2/16 Spring Festival; to 2/23 -> Tue 2/24"),
    (D(2026, 1, 29), 30, D(2026, 2, 28), "1/29+2 = 1/31, +28 = Sat 2/28, 调休 working"),
    # --- other 2025 holidays ---
    (D(2025, 12, 17), 15, D(2026, 1, 4), "12/17+15 = 1/1/2026; 1/1-1/3 rest; Sun 1/4 working"),
    (D(2024, 12, 17), 15, D(2025, 1, 2), "12/17+15 = Wed 1/1/2025 New Year -> Thu 1/2"),
    (D(2025, 3, 20), 15, D(2025, 4, 7), "3/20+11 = 3/31, +4 = Fri 4/4 Tomb-sweeping; to 4/6 -> 4/7"),
    (D(2025, 4, 16), 15, D(2025, 5, 6), "4/16+15 = Thu 5/1 Labour Day; 5/1-5/5 rest -> Tue 5/6"),
    (D(2025, 4, 12), 15, D(2025, 4, 27), "4/12+15 = Sun 4/27, 调休 working -> no roll"),
    (D(2025, 5, 17), 15, D(2025, 6, 3), "5/17+15 = Sun 6/1 Dragon Boat; 5/31-6/2 rest -> Tue 6/3"),
    # --- other 2026 holidays ---
    (D(2026, 9, 10), 15, D(2026, 9, 28), "9/10+15 = Fri 9/25 Mid-Autumn; 9/25-9/27 -> Mon 9/28"),
    (D(2026, 9, 5), 15, D(2026, 9, 20), "9/5+15 = Sun 9/20, 调休 working -> no roll"),
    (D(2026, 9, 16), 15, D(2026, 10, 8), "9/16+14 = 9/30, +1 = Thu 10/1; 10/1-10/7 -> Thu 10/8"),
    (D(2026, 9, 25), 15, D(2026, 10, 10), "9/25+5 = 9/30, +10 = Sat 10/10, 调休 working"),
    (D(2025, 12, 20), 15, D(2026, 1, 4), "12/20+11 = 12/31, +4 = Sun 1/4/2026, 调休 working"),
    # --- month ends (days are added, not months: 民法典 202 is for month periods) ---
    (D(2025, 1, 31), 30, D(2025, 3, 3), "1/31+28 = 2/28, +2 = Sun 3/2 -> Mon 3/3"),
    (D(2025, 1, 31), 15, D(2025, 2, 17), "1/31+15 = Sat 2/15 -> Mon 2/17"),
    (D(2026, 1, 31), 30, D(2026, 3, 2), "1/31+28 = 2/28, +2 = Mon 3/2"),
    (D(2025, 1, 30), 30, D(2025, 3, 3), "non-leap: 1/30+29 = 2/28, +1 = Sat 3/1 -> Mon 3/3"),
    # --- leap year 2024 ---
    (D(2024, 1, 30), 30, D(2024, 2, 29), "leap: 1/30+1 = 1/31, +29 = Thu 2/29"),
    (D(2024, 2, 14), 15, D(2024, 2, 29), "2/14+15 = Thu 2/29 (leap day), working"),
    (D(2024, 2, 1), 15, D(2024, 2, 18), "2/1+15 = Fri 2/16 SF; Sat 2/17 SF; Sun 2/18 调休 working"),
    # --- 60-day handling and 60+30 extension (art. 34) ---
    (D(2025, 3, 3), 60, D(2025, 5, 6), "3/3+28 = 3/31, +30 = 4/30, +2 = 5/2 Labour -> Tue 5/6"),
    (D(2025, 3, 3), 90, D(2025, 6, 3), "3/3+90: 3/31(28) 4/30(58) 5/31(89) 6/1(90) -> Tue 6/3"),
    (D(2025, 3, 3), 70, D(2025, 5, 12), "60+10 ext: 4/30(58), 5/12(70) Mon"),
    (D(2025, 8, 5), 60, D(2025, 10, 9), "8/31(26) 9/30(56) 10/4(60) National Day -> 10/9"),
    (D(2025, 8, 5), 90, D(2025, 11, 3), "60+30: 9/30(56) 10/31(87) 11/3(90) Mon"),
]


@pytest.mark.parametrize(("start", "n", "expected", "why"), CALENDAR_DAY_CASES)
def test_add_calendar_days(start: date, n: int, expected: date, why: str) -> None:
    deadline = add_calendar_days(start, n)
    assert deadline.last_day == expected, why
    assert deadline.provisional is False
    assert deadline.unit == "calendar_days"
    assert deadline.length == n
    assert deadline.calendar_version == "chinese_calendar-1.11.0"


@pytest.mark.parametrize(("start", "n", "expected", "why"), [
    (D(2025, 9, 16), 15, D(2025, 10, 1), "no roll: 10/1 stays even though it is a holiday"),
    (D(2025, 3, 7), 15, D(2025, 3, 22), "no roll: Sat 3/22 stays"),
    (D(2026, 12, 17), 15, D(2027, 1, 1), "no roll never consults the calendar -> not provisional"),
])
def test_add_calendar_days_without_roll(start: date, n: int, expected: date, why: str) -> None:
    deadline = add_calendar_days(start, n, roll_forward=False)
    assert deadline.last_day == expected, why
    assert deadline.provisional is False


WORKING_DAY_CASES = [
    (D(2025, 9, 26), 5, D(2025, 10, 10), "Sun 9/28(1, 调休) 9/29(2) 9/30(3) 10/9(4) 10/10(5)"),
    (D(2025, 3, 3), 5, D(2025, 3, 10), "Mon: Tue-Fri 3/4-3/7 (4), Mon 3/10 (5)"),
    (D(2025, 3, 7), 5, D(2025, 3, 14), "Fri: 3/10-3/14 Mon-Fri"),
    # Start on a rest day: the start day is still the one not counted, so the first working day
    # after it is day 1. NB chinese_calendar.find_workday(n, start) differs here: it first snaps a
    # rest-day start to the next working day (day 0) and gives one working day later.
    (D(2025, 3, 8), 1, D(2025, 3, 10), "Sat start: Sun rest, Mon 3/10 (1)"),
    (D(2025, 1, 24), 5, D(2025, 2, 7), "Sun 1/26(1) 1/27(2) [1/28-2/4] 2/5(3) 2/6(4) 2/7(5)"),
    (D(2025, 1, 23), 5, D(2025, 2, 6), "1/24(1) Sun 1/26(2) 1/27(3) 2/5(4) 2/6(5)"),
    (D(2025, 2, 5), 3, D(2025, 2, 8), "2/6(1) 2/7(2) Sat 2/8(3, 调休)"),
    (D(2026, 2, 13), 5, D(2026, 2, 27), "Sat 2/14(1, 调休) [2/15-2/23] 2/24 2/25 2/26 2/27(5)"),
    (D(2026, 2, 12), 5, D(2026, 2, 26), "2/13(1) Sat 2/14(2) [2/15-2/23] 2/24 2/25 2/26(5)"),
    (D(2026, 2, 25), 3, D(2026, 2, 28), "2/26(1) 2/27(2) Sat 2/28(3, 调休)"),
    (D(2025, 4, 25), 5, D(2025, 5, 6), "Sun 4/27(1, 调休) 4/28 4/29 4/30(4) [5/1-5/5] 5/6(5)"),
    (D(2025, 10, 1), 1, D(2025, 10, 9), "start on a holiday: 10/2-10/8 rest, Thu 10/9(1)"),
    (D(2025, 10, 3), 3, D(2025, 10, 11), "10/9(1) 10/10(2) Sat 10/11(3, 调休)"),
    (D(2025, 12, 31), 2, D(2026, 1, 5), "[1/1-1/3] Sun 1/4(1, 调休) Mon 1/5(2)"),
    (D(2025, 9, 22), 10, D(2025, 10, 11), "9/23-9/26(4) Sun 9/28(5) 9/29 9/30(7) 10/9 10/10 10/11"),
    (D(2026, 12, 24), 5, D(2026, 12, 31), "Fri 12/25(1) Mon-Thu 12/28-12/31(5); all in 2026"),
]


@pytest.mark.parametrize(("start", "n", "expected", "why"), WORKING_DAY_CASES)
def test_add_working_days(start: date, n: int, expected: date, why: str) -> None:
    deadline = add_working_days(start, n)
    assert deadline.last_day == expected, why
    assert deadline.provisional is False
    assert (deadline.unit, deadline.length) == ("working_days", n)


# --- provisional: 2027 is not in chinese_calendar 1.11.0 -----------------------------------------

@pytest.mark.parametrize(("kind", "start", "n", "expected", "why"), [
    ("cal", D(2026, 12, 17), 15, D(2027, 1, 1), "12/17+15 = Fri 1/1/2027; fallback: Fri works"),
    ("cal", D(2026, 12, 31), 2, D(2027, 1, 4), "12/31+2 = Sat 1/2/2027 -> fallback Mon 1/4"),
    ("cal", D(2026, 11, 15), 60, D(2027, 1, 14), "11/30(15) 12/31(46) 1/14/2027(60) Thu"),
    ("cal", D(2028, 2, 14), 15, D(2028, 2, 29), "leap 2028: 2/14+15 = Tue 2/29, provisional"),
    ("cal", D(2003, 6, 1), 5, D(2003, 6, 6), "before 2004: Fri 6/6/2003, fallback"),
    ("work", D(2026, 12, 24), 6, D(2027, 1, 1), "12/25 12/28-12/31 (5), Fri 1/1/2027 (6)"),
    ("work", D(2026, 12, 31), 1, D(2027, 1, 1), "Fri 1/1/2027 counts under the fallback"),
])
def test_provisional_outside_covered_years(kind: str, start: date, n: int, expected: date,
                                           why: str) -> None:
    add = add_calendar_days if kind == "cal" else add_working_days
    deadline = add(start, n)  # must not raise NotImplementedError like chinese_calendar does
    assert deadline.last_day == expected, why
    assert deadline.provisional is True


def _with_2027() -> HolidayCalendar:
    # Simulated 2027 data (NOT the real notice): New Year Fri 1/1 - Sun 1/3, working Sat 1/9.
    return CALENDAR.extended(holidays={D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)},
                             workdays={D(2027, 1, 9)}, last_year=2027,
                             version="chinese_calendar-1.11.0+sim-2027")


@pytest.mark.parametrize(("kind", "start", "n", "expected", "why"), [
    ("cal", D(2026, 12, 17), 15, D(2027, 1, 4), "Fri 1/1 holiday, 1/2-1/3 rest -> Mon 1/4"),
    ("work", D(2026, 12, 24), 6, D(2027, 1, 4), "12/25 12/28-12/31 (5), [1/1-1/3], Mon 1/4 (6)"),
    ("work", D(2027, 1, 7), 1, D(2027, 1, 8), "Thu -> Fri 1/8 (1)"),
    ("work", D(2027, 1, 7), 2, D(2027, 1, 9), "Fri 1/8 (1), Sat 1/9 simulated 调休 (2)"),
])
def test_published_year_removes_provisional(kind: str, start: date, n: int, expected: date,
                                            why: str) -> None:
    cal = _with_2027()
    add = add_calendar_days if kind == "cal" else add_working_days
    deadline = add(start, n, calendar=cal)
    assert deadline.last_day == expected, why
    assert deadline.provisional is False
    assert deadline.calendar_version == "chinese_calendar-1.11.0+sim-2027"
    assert deadline.calendar_version != add(start, n).calendar_version


def test_roll_forward_into_uncovered_year_is_provisional() -> None:
    # Covered: 2026 only, with 12/31 a holiday. 12/30+1 = Thu 12/31 -> rolls to Fri 1/1/2027,
    # which the calendar does not cover.
    cal = HolidayCalendar({D(2026, 12, 31)}, set(), version="test", first_year=2026,
                          last_year=2026)
    deadline = add_calendar_days(D(2026, 12, 30), 1, calendar=cal)
    assert (deadline.last_day, deadline.provisional) == (D(2027, 1, 1), True)


# --- the calendar wrapper ------------------------------------------------------------------------

def test_package_calendar_metadata() -> None:
    assert CALENDAR.version == "chinese_calendar-1.11.0"
    assert (CALENDAR.first_year, CALENDAR.last_year) == (2004, 2026)


@pytest.mark.parametrize(("day", "workday", "covered"), [
    (D(2025, 9, 28), True, True),    # Sun, 调休 working day
    (D(2025, 10, 1), False, True),   # National Day
    (D(2025, 10, 6), False, True),   # Mid-Autumn inside the National Day break
    (D(2025, 10, 11), True, True),   # Sat, 调休 working day
    (D(2025, 10, 12), False, True),  # ordinary Sunday
    (D(2025, 10, 13), True, True),   # ordinary Monday
    (D(2026, 2, 14), True, True),    # Sat, 调休 working day
    (D(2026, 2, 23), False, True),   # last Spring Festival day (a Monday)
    (D(2026, 12, 31), True, True),   # last covered day
    (D(2027, 1, 1), True, False),    # Fri, fallback: working (the real answer is unknown)
    (D(2027, 1, 2), False, False),   # Sat, fallback: rest
    (D(2003, 12, 31), True, False),  # Wed before coverage
])
def test_calendar_days(day: date, workday: bool, covered: bool) -> None:
    assert CALENDAR.is_workday(day) is workday
    assert CALENDAR.is_rest_day(day) is not workday
    assert CALENDAR.covers(day) is covered


def test_calendar_agrees_with_package_2024_to_2026() -> None:
    day = D(2024, 1, 1)
    while day <= D(2026, 12, 31):
        assert CALENDAR.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_explicit_calendar_derives_years_and_rejects_bad_data() -> None:
    cal = HolidayCalendar({D(2030, 1, 1)}, {D(2031, 2, 1)}, version="v")
    assert (cal.first_year, cal.last_year) == (2030, 2031)
    with pytest.raises(ValueError, match="both"):
        HolidayCalendar({D(2030, 1, 1)}, {D(2030, 1, 1)}, version="v")
    with pytest.raises(ValueError, match="outside"):
        HolidayCalendar({D(2030, 1, 1)}, set(), version="v", first_year=2031, last_year=2031)
    with pytest.raises(ValueError):
        HolidayCalendar(set(), set(), version="v")


def test_single_years_outside_the_range_can_be_covered() -> None:
    # e.g. a notice loaded for 2031 while 2027-2030 are still unpublished
    cal = HolidayCalendar({D(2026, 1, 1), D(2031, 1, 1)}, set(), version="v", first_year=2026,
                          last_year=2026, years={2031})
    assert cal.covers(D(2031, 6, 1)) and not cal.covers(D(2030, 6, 1))
    assert cal.is_workday(D(2031, 1, 1)) is False  # covered: the holiday counts
    deadline = add_calendar_days(D(2030, 12, 17), 15, calendar=cal)  # Wed 1/1/2031 -> Thu 1/2
    assert (deadline.last_day, deadline.provisional) == (D(2031, 1, 2), False)
    assert cal.extended(holidays=(), workdays=(), last_year=2027, version="w").covers(
        D(2031, 1, 1))
    with pytest.raises(ValueError, match="outside"):
        HolidayCalendar({D(2031, 1, 1)}, set(), version="v", first_year=2026, last_year=2026)


def test_the_plain_calendar_has_no_fallback_holidays_and_one_version() -> None:
    assert list(CALENDAR.fallback_rest_days(2027)) == []
    assert CALENDAR.version_for([2025, 2027]) == CALENDAR.version_for(()) == CALENDAR.version
    assert repr(CALENDAR) == "HolidayCalendar('chinese_calendar-1.11.0', 2004-2026)"


# --- pauses (复核 hearing time is not counted, art. 36) -------------------------------------------
# Base: 30 days from Tue 2025-06-03: 6/3+27 = 6/30, +3 = Thu 7/3.

@pytest.mark.parametrize(("pauses", "paused", "expected", "why"), [
    ([], 0, D(2025, 7, 3), "no hearing: Thu 7/3"),
    ([(D(2025, 6, 10), D(2025, 6, 10))], 1, D(2025, 7, 4), "one-day hearing -> Fri 7/4"),
    ([(D(2025, 6, 10), D(2025, 6, 11))], 2, D(2025, 7, 7), "2 days -> Sat 7/5, roll -> Mon 7/7"),
    ([(D(2025, 6, 10), D(2025, 6, 10))] * 2, 1, D(2025, 7, 4), "same day twice counts once"),
    ([(D(2025, 6, 10), D(2025, 6, 12)), (D(2025, 6, 12), D(2025, 6, 13))], 4, D(2025, 7, 7),
     "6/10-6/12 and 6/12-6/13 overlap: 4 days -> Mon 7/7"),
    ([(D(2025, 6, 1), D(2025, 6, 2))], 0, D(2025, 7, 3), "hearing before receipt: ignored"),
    ([(D(2025, 6, 3), D(2025, 6, 3))], 0, D(2025, 7, 3), "hearing on the (uncounted) start day"),
    ([(D(2025, 6, 2), D(2025, 6, 4))], 1, D(2025, 7, 4), "straddles start: only 6/4 counts"),
    ([(D(2025, 7, 10), D(2025, 7, 11))], 0, D(2025, 7, 3), "after the deadline: extends nothing"),
    ([(D(2025, 7, 3), D(2025, 7, 4))], 2, D(2025, 7, 7), "on the last day: 7/3-7/4 -> Sat 7/5 -> 7/7"),
])
def test_pauses(pauses: list[tuple[date, date]], paused: int, expected: date, why: str) -> None:
    assert count_paused_days(D(2025, 6, 3), 30, pauses) == paused, why
    deadline = add_calendar_days(D(2025, 6, 3), 30, paused_days=paused)
    assert deadline.last_day == expected, why
    assert (deadline.length, deadline.paused_days) == (30, paused)


def test_pause_roll_forward_applies_after_pause() -> None:
    # 30 days from Mon 2025-03-03 = Wed 4/2; a 3-day hearing 3/10-3/12 -> Sat 4/5, and
    # 4/4-4/6 is Tomb-sweeping -> Mon 4/7.
    paused = count_paused_days(D(2025, 3, 3), 30, [(D(2025, 3, 10), D(2025, 3, 12))])
    assert paused == 3
    assert add_calendar_days(D(2025, 3, 3), 30, paused_days=paused).last_day == D(2025, 4, 7)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        count_paused_days(D(2025, 6, 3), 30, [(D(2025, 6, 5), D(2025, 6, 4))])
    with pytest.raises(ValueError):
        add_calendar_days(D(2025, 6, 3), -1)
    with pytest.raises(ValueError):
        add_calendar_days(D(2025, 6, 3), 30, paused_days=-1)
    with pytest.raises(ValueError):
        add_working_days(D(2025, 6, 3), 0)


# --- instants: Asia/Shanghai dates, 24:00 ends, lateness ------------------------------------------

@pytest.mark.parametrize(("instant", "expected"), [
    (datetime(2025, 9, 30, 15, 59, 59, tzinfo=UTC), D(2025, 9, 30)),  # 23:59:59 +08
    (datetime(2025, 9, 30, 16, 0, tzinfo=UTC), D(2025, 10, 1)),       # 00:00 +08
    (datetime(2025, 10, 1, 0, 30, tzinfo=SH), D(2025, 10, 1)),
])
def test_local_date(instant: datetime, expected: date) -> None:
    assert local_date(instant) == expected


def test_naive_datetimes_are_refused() -> None:
    deadline = add_calendar_days(D(2025, 9, 16), 15)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2025, 10, 1))
    with pytest.raises(ValueError):
        days_late(deadline, datetime(2025, 10, 12))
    with pytest.raises(ValueError):
        is_overdue(deadline, datetime(2025, 10, 12))


def test_due_at_is_24_00_shanghai_of_last_day() -> None:
    deadline = add_calendar_days(D(2025, 9, 16), 15)  # last day Thu 2025-10-09
    assert deadline.due_at == datetime(2025, 10, 10, 0, 0, tzinfo=SH)
    assert deadline.due_at.utcoffset() == timedelta(hours=8)
    assert deadline.due_at == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)


# Hand-built deadline: last day Thu 2025-10-09, ends 2025-10-10 00:00 +08.
DL = Deadline(D(2025, 10, 9), datetime(2025, 10, 10, tzinfo=SH), False, "x", "calendar_days", 15)


@pytest.mark.parametrize(("done_at", "late", "overdue"), [
    (datetime(2025, 9, 20, 10, 0, tzinfo=SH), 0, False),             # early
    (datetime(2025, 10, 9, 23, 59, 59, 999999, tzinfo=SH), 0, False),  # last instant
    (datetime(2025, 10, 10, 0, 0, tzinfo=SH), 1, True),              # 24:00 = next day: late
    (datetime(2025, 10, 9, 16, 30, tzinfo=UTC), 1, True),   # 10/10 00:30 +08
    (datetime(2025, 10, 9, 15, 30, tzinfo=UTC), 0, False),  # 10/9 23:30 +08
    (datetime(2025, 10, 15, 9, 0, tzinfo=SH), 6, True),              # 10/9 -> 10/15
])
def test_days_late_and_overdue(done_at: datetime, late: int, overdue: bool) -> None:
    assert days_late(DL, done_at) == late
    assert is_overdue(DL, done_at) is overdue


def test_deadline_rejects_inconsistent_due_at() -> None:
    with pytest.raises(ValueError):
        Deadline(D(2025, 10, 9), datetime(2025, 10, 9, 16, 0, tzinfo=SH), False, "x",
                 "calendar_days", 15)


def test_deadline_set_by_act_is_taken_as_given() -> None:
    deadline = deadline_set_by_act(D(2025, 10, 4))  # a Saturday in the holiday: no roll
    assert deadline.last_day == D(2025, 10, 4)
    assert deadline.due_at == datetime(2025, 10, 5, tzinfo=SH)
    assert deadline.unit == "set_by_act"
