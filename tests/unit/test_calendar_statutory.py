"""The provisional fallback: statutory holidays of the 2024 办法 for a year no source covers.

Hand-worked dates (lunar dates and 清明 from lunar_python 1.4.8, checked against the published
正月初一 / 端午 / 中秋 of each year). 补假 (art. 6): a holiday day on a Sat/Sun is made up on the
first working days after that holiday.

  2027  元旦 Fri 01-01 | 春节 除夕 Fri 02-05, 初一 Sat 02-06, 初二 Sun 02-07, 初三 Mon 02-08,
        补假 Tue 02-09, Wed 02-10 | 清明 Mon 04-05 | 劳动 Sat 05-01, Sun 05-02, 补假 Mon 05-03,
        Tue 05-04 | 端午 Wed 06-09 | 中秋 Wed 09-15 | 国庆 Fri 10-01 .. Sun 10-03, 补假 Mon 10-04,
        Tue 10-05
  2028  元旦 Sat 01-01, 补假 Mon 01-03 | 春节 除夕 Tue 01-25 .. 初三 Fri 01-28 | 清明 Tue 04-04 |
        劳动 Mon 05-01, Tue 05-02 | 端午 Sun 05-28, 补假 Mon 05-29 | 国庆 Sun 10-01 .. Tue 10-03
        (中秋 Tue 10-03 is the same day), 补假 Wed 10-04
  2029  元旦 Mon 01-01 | 春节 除夕 Mon 02-12 .. 初三 Thu 02-15 | 清明 Wed 04-04 | 劳动 Tue 05-01,
        Wed 05-02 | 端午 Sat 06-16, 补假 Mon 06-18 | 中秋 Sat 09-22, 补假 Mon 09-24 | 国庆 Mon
        10-01 .. Wed 10-03
  2030  元旦 Tue 01-01 | 春节 除夕 Sat 02-02, 初一 Sun 02-03, Mon 02-04, Tue 02-05, 补假 Wed 02-06,
        Thu 02-07 | 清明 Fri 04-05 | 劳动 Wed 05-01, Thu 05-02 | 端午 Wed 06-05 | 中秋 Thu 09-12 |
        国庆 Tue 10-01 .. Thu 10-03
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from chinese_calendar import constants as package

from domain.calendar_statutory import fallback_rest_days, statutory_holidays

D = date


def _days(*texts: str) -> list[date]:
    return [date.fromisoformat(t) for t in texts]


FALLBACK = {
    2027: _days("2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08",
                "2027-02-09", "2027-02-10", "2027-04-05", "2027-05-01", "2027-05-02",
                "2027-05-03", "2027-05-04", "2027-06-09", "2027-09-15", "2027-10-01",
                "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05"),
    2028: _days("2028-01-01", "2028-01-03", "2028-01-25", "2028-01-26", "2028-01-27",
                "2028-01-28", "2028-04-04", "2028-05-01", "2028-05-02", "2028-05-28",
                "2028-05-29", "2028-10-01", "2028-10-02", "2028-10-03", "2028-10-04"),
    2029: _days("2029-01-01", "2029-02-12", "2029-02-13", "2029-02-14", "2029-02-15",
                "2029-04-04", "2029-05-01", "2029-05-02", "2029-06-16", "2029-06-18",
                "2029-09-22", "2029-09-24", "2029-10-01", "2029-10-02", "2029-10-03"),
    2030: _days("2030-01-01", "2030-02-02", "2030-02-03", "2030-02-04", "2030-02-05",
                "2030-02-06", "2030-02-07", "2030-04-05", "2030-05-01", "2030-05-02",
                "2030-06-05", "2030-09-12", "2030-10-01", "2030-10-02", "2030-10-03"),
}


@pytest.mark.parametrize("year", sorted(FALLBACK))
def test_the_fallback_rest_days_are_the_hand_worked_ones(year: int) -> None:
    assert list(fallback_rest_days(year)) == FALLBACK[year]


@pytest.mark.parametrize(("year", "name", "days"), [
    (2027, "春节", _days("2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08")),
    (2027, "清明节", _days("2027-04-05")),
    (2027, "端午节", _days("2027-06-09")),
    (2027, "中秋节", _days("2027-09-15")),
    (2028, "中秋节", _days("2028-10-03")),
    (2030, "春节", _days("2030-02-02", "2030-02-03", "2030-02-04", "2030-02-05")),
])
def test_each_statutory_holiday_of_article_2(year: int, name: str, days: list[date]) -> None:
    assert dict(statutory_holidays(year))[name] == tuple(days)


def test_the_days_are_named_and_the_made_up_days_say_so() -> None:
    named = fallback_rest_days(2027)
    assert named[D(2027, 2, 5)] == "春节"
    assert named[D(2027, 2, 9)] == "春节（补假）"
    assert named[D(2027, 10, 4)] == "国庆节（补假）"
    assert fallback_rest_days(2031)[D(2031, 10, 1)] == "国庆节、中秋节"  # 中秋 on National Day


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_fallback_day_is_a_holiday_in_the_package_for_2025_and_2026(year: int) -> None:
    # The statutory days and their 补假 are all inside the breaks the notices gave, e.g. 2026:
    # 清明 Sun 04-05 and its 补假 Mon 04-06 (notice: 04-04..06); 劳动 Sat 05-02 -> 补假 Mon 05-04
    # (notice: 05-01..05); 国庆 Sat 10-03 -> 补假 Mon 10-05 (notice: 10-01..07).
    days = set(fallback_rest_days(year))
    assert days <= set(package.holidays), sorted(days - set(package.holidays))
    assert len(days) >= 13  # 13 statutory days (fewer if 中秋 shares a day with 国庆), + 补假


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_package_has_no_other_weekday_break_than_the_notices_longer_ones(year: int) -> None:
    # Conversely each package holiday on a weekday is a fallback day or part of a longer break
    # the notice arranged around one (so the fallback is a lower bound, never wider).
    fallback = set(fallback_rest_days(year))
    for day in (d for d in package.holidays if d.year == year and d.weekday() < 5):
        near = {day + timedelta(days=k) for k in range(-8, 9)}
        assert near & fallback, day


def test_years_before_the_amended_rules_get_no_fallback_holidays() -> None:
    assert statutory_holidays(2024) == ()
    assert dict(fallback_rest_days(2003)) == {}
