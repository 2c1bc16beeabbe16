"""The statutory holidays (法定节假日) of a year no notice covers yet: the provisional fallback.

Why: until the State Council publishes a year's arrangement (国务院办公厅关于某年部分节假日安排的
通知) and it is loaded, deadlines reaching that year are provisional. Treating such a year as plain
Mon–Fri let a provisional last day fall on New Year's Day or in the Spring Festival; the law
already fixes those days, so the fallback knows them.

《全国年节及纪念日放假办法》 as amended in November 2024 (in force from 2025-01-01), art. 2:
元旦 1 day (01-01); 春节 4 days (除夕 to 正月初三); 清明节 1 day (the 清明 solar term); 劳动节 2 days
(05-01, 05-02); 端午节 1 day (五月初五); 中秋节 1 day (八月十五); 国庆节 3 days (10-01 to 10-03).
Art. 6: a holiday for all citizens that falls on a Saturday or Sunday is made up (补假) on a working
day; the fallback gives it on the first working days after that holiday. The 调休 (swapped
working weekends) and the longer breaks of each year's notice are policy, not law: only a loaded
notice brings them.

Lunar dates and the solar term come from ``lunar_python`` (6tail's maintained library), never from
hand tables. Years before 2025 get nothing here: the amended rules do not apply to them.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from importlib import metadata
from types import MappingProxyType

from lunar_python import Lunar, Solar

LAW = "《全国年节及纪念日放假办法》（2024年修订）"
FIRST_YEAR = 2025  # the amended 办法 applies from 2025-01-01
ONE_DAY = timedelta(days=1)
IN_LIEU = "（补假）"


def _library_version() -> str:
    try:
        return f"lunar_python-{metadata.version('lunar_python')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - installed with the project
        return "lunar_python-unknown"


# Names the fallback in every calendar version string that used it.
FALLBACK_VERSION = f"statutory-2024@{_library_version()}"


def _solar(s: Solar) -> date:
    return date(s.getYear(), s.getMonth(), s.getDay())


def _lunar(year: int, month: int, day: int) -> date:
    return _solar(Lunar.fromYmd(year, month, day).getSolar())


def _qingming(year: int) -> date:
    # the 清明 solar term of the lunar year that holds mid-April of ``year``
    return _solar(Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"])


def _spring_festival(year: int) -> list[date]:
    first = _lunar(year, 1, 1)  # 正月初一; 除夕 is the day before (腊月廿九 or 三十)
    return [first - ONE_DAY, first, first + ONE_DAY, first + 2 * ONE_DAY]


@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> tuple[tuple[str, tuple[date, ...]], ...]:
    """(name, days) of each holiday of art. 2 in ``year``, in calendar order; () before 2025.

    中秋 can fall on 10-01..10-03 (2028, 2031): the two holidays then share a day."""
    if year < FIRST_YEAR:
        return ()
    found = [
        ("元旦", (date(year, 1, 1),)),
        ("春节", tuple(_spring_festival(year))),
        ("清明节", (_qingming(year),)),
        ("劳动节", (date(year, 5, 1), date(year, 5, 2))),
        ("端午节", (_lunar(year, 5, 5),)),
        ("中秋节", (_lunar(year, 8, 15),)),
        ("国庆节", (date(year, 10, 1), date(year, 10, 2), date(year, 10, 3))),
    ]
    return tuple(sorted(found, key=lambda h: (h[1][0], -len(h[1]))))  # 国庆节 before 中秋节


@lru_cache(maxsize=256)
def fallback_rest_days(year: int) -> Mapping[date, str]:
    """Every statutory holiday of ``year`` and its 补假 days (art. 6), each with its name.

    No holiday is near the end of December, so a 补假 never spills into the next year."""
    named: dict[date, str] = {}
    for name, days in statutory_holidays(year):
        for d in days:
            named[d] = f"{named[d]}、{name}" if d in named else name
    for name, days in statutory_holidays(year):
        owed = sum(1 for d in days if d.weekday() >= 5)
        d = days[-1]
        while owed:
            d += ONE_DAY
            if d.weekday() < 5 and d not in named:
                named[d] = name + IN_LIEU
                owed -= 1
    return MappingProxyType(dict(sorted(named.items())))
