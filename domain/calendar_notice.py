"""A State Council holiday notice (国务院办公厅关于某年部分节假日安排的通知) as data: parse and check.

One YAML (or JSON) file per year::

    year: 2027
    notice_number: 国办发明电〔2026〕N号
    notice_date: 2026-11-04
    source_url: https://www.gov.cn/…          # text only: never fetched
    holidays:
      - {name: 元旦, dates: [2027-01-01]}
      - {name: 春节, from: 2027-02-05, to: 2027-02-12}
    workdays:                                  # 调休上班日: a weekend worked, for a holiday
      - {date: 2027-02-20, holiday: 春节}

Pure: :func:`parse_notice` takes the file's bytes and name and either returns a
:class:`ParsedNotice` or raises :class:`InvalidInput` with a stable code, a Chinese title and the
offending field. Nothing here knows about the store.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import yaml

from domain.errors import InvalidInput

FIELDS = ("year", "notice_number", "notice_date", "source_url", "holidays", "workdays")
_YEAR_IN_NAME = re.compile(r"^(\d{4})(?!\d)")
_YEAR_IN_NUMBER = re.compile(r"〔(\d{4})〕")


@dataclass(frozen=True)
class Holiday:
    name: str
    dates: tuple[date, ...]  # sorted, distinct


@dataclass(frozen=True)
class Workday:
    date: date
    holiday: str  # the holiday whose arrangement makes this weekend a working day


@dataclass(frozen=True)
class Notice:
    """A year's arrangement, in canonical order (holidays by first day, workdays by date): two
    files that say the same thing give equal notices, whatever their layout."""

    year: int
    notice_number: str
    notice_date: date
    source_url: str
    holidays: tuple[Holiday, ...]
    workdays: tuple[Workday, ...]

    @property
    def holiday_dates(self) -> frozenset[date]:
        return frozenset(d for h in self.holidays for d in h.dates)

    @property
    def workday_dates(self) -> frozenset[date]:
        return frozenset(w.date for w in self.workdays)

    def fields(self) -> dict[str, Any]:
        """JSON-native fields, as an event carries them (dates as ISO text)."""
        return {"year": self.year, "notice_number": self.notice_number,
                "notice_date": self.notice_date.isoformat(), "source_url": self.source_url,
                "holidays": [{"name": h.name, "dates": [d.isoformat() for d in h.dates]}
                             for h in self.holidays],
                "workdays": [{"date": w.date.isoformat(), "holiday": w.holiday}
                             for w in self.workdays]}

    @classmethod
    def from_fields(cls, f: dict[str, Any]) -> Notice:
        """The inverse of :meth:`fields` (an event's payload back into a value)."""
        return cls(f["year"], f["notice_number"], date.fromisoformat(f["notice_date"]),
                   f["source_url"],
                   tuple(Holiday(h["name"], tuple(date.fromisoformat(d) for d in h["dates"]))
                         for h in f["holidays"]),
                   tuple(Workday(date.fromisoformat(w["date"]), w["holiday"])
                         for w in f["workdays"]))


@dataclass(frozen=True)
class ParsedNotice:
    notice: Notice
    sha256: str  # of the file's bytes, as loaded


def bad(en: str, field: str | None = None, zh: str = "节假日通知文件格式无效") -> InvalidInput:
    return InvalidInput("calendar.bad_file", zh, en, field)


def parse_notice(data: bytes, filename: str = "") -> ParsedNotice:
    """Read, shape-check and rule-check one notice file. Refusals, in the order checked:
    calendar.bad_file, calendar.wrong_year, calendar.date_outside_year, calendar.date_conflict,
    calendar.workday_not_weekend."""
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, ValueError) as e:  # ValueError: a bad date
        raise bad(f"not a YAML or JSON file: {str(e).splitlines()[0]}",
                  zh="节假日通知文件无法解析") from None
    notice = _shape(raw)
    check_notice(notice, filename)
    return ParsedNotice(notice, hashlib.sha256(data).hexdigest())


def _shape(raw: Any) -> Notice:
    if not isinstance(raw, dict):
        raise bad("the file must hold a mapping with " + ", ".join(FIELDS))
    missing = [k for k in FIELDS if k not in raw]
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if missing or unknown:
        field = (missing or unknown)[0]
        raise bad(f"missing fields {missing}, unknown fields {unknown}", field,
                  zh="节假日通知文件缺少字段" if missing else "节假日通知文件含未知字段")
    year = raw["year"]
    if type(year) is not int or not 2000 <= year <= 2100:
        raise bad(f"year must be a whole number 2000–2100, not {year!r}", "year")
    holidays = _list(raw["holidays"], "holidays", min_items=1)
    workdays = _list(raw["workdays"], "workdays", min_items=0)
    found = tuple(sorted((_holiday(h, f"holidays[{i}]") for i, h in enumerate(holidays)),
                         key=lambda h: (h.dates[0], h.name)))
    names = [h.name for h in found]
    if len(set(names)) != len(names):
        raise bad(f"a holiday is listed twice: {sorted(names)}", "holidays")
    adjusted = tuple(sorted((_workday(w, f"workdays[{i}]", names) for i, w in enumerate(workdays)),
                            key=lambda w: w.date))
    return Notice(year, _text(raw["notice_number"], "notice_number"),
                  _date(raw["notice_date"], "notice_date"),
                  _text(raw["source_url"], "source_url"), found, adjusted)


def _list(value: Any, field: str, min_items: int) -> list[Any]:
    if value is None and min_items == 0:
        return []
    if not isinstance(value, list) or len(value) < min_items:
        raise bad(f"{field} must be a list" + (" with at least one entry" if min_items else ""),
                  field)
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{field} must be non-empty text, not {value!r}", field)
    return value.strip()


def _date(value: Any, field: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise bad(f"{field} must be a date YYYY-MM-DD, not {value!r}", field)


def _holiday(raw: Any, field: str) -> Holiday:
    if not isinstance(raw, dict) or set(raw) - {"name", "dates", "from", "to"}:
        raise bad("a holiday is {name, dates: [..]} or {name, from, to}", field)
    name = _text(raw.get("name"), f"{field}.name")
    if ("dates" in raw) == ("from" in raw or "to" in raw):
        raise bad("give either dates or from/to, not both or neither", field)
    if "dates" in raw:
        days = [_date(d, f"{field}.dates") for d in _list(raw["dates"], f"{field}.dates", 1)]
    else:
        first, last = _date(raw.get("from"), f"{field}.from"), _date(raw.get("to"), f"{field}.to")
        if last < first or (last - first).days > 31:
            raise bad(f"from {first} to {last} is not a range of 1–32 days", field)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return Holiday(name, tuple(sorted(set(days))))


def _workday(raw: Any, field: str, names: list[str]) -> Workday:
    if not isinstance(raw, dict) or set(raw) != {"date", "holiday"}:
        raise bad("a 调休 working day is {date, holiday}", field)
    holiday = _text(raw["holiday"], f"{field}.holiday")
    if holiday not in names:
        raise bad(f"holiday {holiday!r} is not among the holidays {names}", f"{field}.holiday")
    return Workday(_date(raw["date"], f"{field}.date"), holiday)


def check_notice(notice: Notice, filename: str = "") -> None:
    """The rules a well-formed notice must meet (each refusal names the first offending date)."""
    _check_year(notice, filename)
    y = notice.year
    for d in sorted(notice.holiday_dates | notice.workday_dates):
        if d.year != y:
            raise InvalidInput("calendar.date_outside_year", "日期不在通知所属年度内",
                               f"{d} is not in {y}; a notice lists the days of its own year",
                               "holidays" if d in notice.holiday_dates else "workdays")
    if both := sorted(notice.holiday_dates & notice.workday_dates):
        raise InvalidInput("calendar.date_conflict", "同一日期既是放假日又是调休上班日",
                           f"{both[0]} is listed both as a holiday and as a working day",
                           "workdays")
    for w in notice.workdays:
        if w.date.weekday() < 5:
            raise InvalidInput("calendar.workday_not_weekend", "调休上班日须为周六或周日",
                               f"{w.date} ({w.date:%A}) is a weekday: it is a working day "
                               "anyway; a 调休 working day is a Saturday or Sunday", "workdays")


def _check_year(notice: Notice, filename: str) -> None:
    """The file's name (if it starts with a year), the notice number's 〔year〕 and the notice's
    date must agree with ``year``: a notice is issued in the year before (or, like the 2020
    extension, in the year itself). Catches last year's file with only the year changed."""
    y = notice.year
    named = _YEAR_IN_NAME.match(filename.rsplit("/", 1)[-1])
    if named and int(named.group(1)) != y:
        raise InvalidInput("calendar.wrong_year", "通知年度与文件名不符",
                           f"the file {filename!r} is named for {named.group(1)}, "
                           f"its year is {y}", "year")
    numbered = _YEAR_IN_NUMBER.search(notice.notice_number)
    if numbered and int(numbered.group(1)) not in (y - 1, y):
        raise InvalidInput("calendar.wrong_year", "通知文号年份与通知年度不符",
                           f"{notice.notice_number} was issued in {numbered.group(1)}; a notice "
                           f"for {y} is issued in {y - 1} (or {y})", "notice_number")
    if notice.notice_date.year not in (y - 1, y):
        raise InvalidInput("calendar.wrong_year", "通知发布日期与通知年度不符",
                           f"notice dated {notice.notice_date}; a notice for {y} is dated in "
                           f"{y - 1} (or {y})", "notice_date")


def missing_statutory_days(notice: Notice) -> list[tuple[date, str]]:
    """Statutory holidays (art. 2 of the 办法, not the 补假) the notice does not give as rest
    days: almost surely a typing slip. A warning, not a refusal: the notice is the authority, and
    the lunar library might disagree with it by a day in some year."""
    from domain.calendar_statutory import statutory_holidays
    listed, worked = notice.holiday_dates, notice.workday_dates
    return [(d, name) for name, days in statutory_holidays(notice.year) for d in days
            if d not in listed and (d.weekday() < 5 or d in worked)]
