"""Holiday notice files: shape and rules. Each refusal has its code and names the field.

Fixtures: tests/fixtures/calendar/2031-fixture.yaml is a made-up year (not a State Council
notice); bad/ holds one variant per refusal. domain/data/holidays/2025.yaml is the real 2025
notice, transcribed, and must agree with the chinese_calendar package day for day.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from chinese_calendar import constants as package

from domain.calendar_notice import Notice, missing_statutory_days, parse_notice
from domain.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "calendar"
REAL_2025 = ROOT / "domain" / "data" / "holidays" / "2025.yaml"


def parse(path: Path) -> Notice:
    return parse_notice(path.read_bytes(), path.name).notice


def refused(data: bytes | str, filename: str = "notice.yaml") -> DomainError:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(DomainError) as caught:
        parse_notice(raw, filename)
    return caught.value


@pytest.mark.parametrize(("file", "code", "field"), [
    ("2031-wrong-year.yaml", "calendar.wrong_year", "year"),
    ("2031-date-conflict.yaml", "calendar.date_conflict", "workdays"),
    ("2031-workday-not-weekend.yaml", "calendar.workday_not_weekend", "workdays"),
    ("2031-date-outside-year.yaml", "calendar.date_outside_year", "holidays"),
    ("2031-missing-field.yaml", "calendar.bad_file", "notice_number"),
    ("2031-not-yaml.yaml", "calendar.bad_file", None),
])
def test_each_bad_fixture_is_refused_with_its_code(file: str, code: str, field: str | None) -> None:
    path = FIXTURES / "bad" / file
    error = refused(path.read_bytes(), path.name)
    assert (error.code, error.field) == (code, field)
    assert error.zh and not error.zh.isascii()  # Chinese first


def test_the_fixture_reads_in_canonical_order() -> None:
    notice = parse(FIXTURES / "2031-fixture.yaml")
    assert notice.year == 2031 and "虚构" in notice.notice_number
    assert notice.notice_date == date(2030, 11, 1)
    assert [h.name for h in notice.holidays] == ["元旦", "春节", "清明节", "劳动节", "端午节",
                                                 "国庆节、中秋节"]
    assert notice.holidays[1].dates[0] == date(2031, 1, 22) and len(notice.holidays[1].dates) == 8
    assert [w.date for w in notice.workdays][:2] == [date(2031, 1, 19), date(2031, 2, 8)]
    assert len(notice.holiday_dates) == 26 and len(notice.workday_dates) == 5
    assert missing_statutory_days(notice) == []


def test_the_same_content_in_another_layout_is_the_same_notice() -> None:
    text = (FIXTURES / "2031-fixture.yaml").read_text("utf-8")
    moved = text.replace("  - name: 元旦\n    dates: [2031-01-01]\n", "")
    moved = moved.replace("holidays:\n", "holidays:\n  - {name: 元旦, from: 2031-01-01, "
                                         "to: 2031-01-01}\n", 1)
    a = parse_notice(text.encode(), "2031.yaml")
    b = parse_notice(moved.encode(), "2031.yaml")
    assert a.notice == b.notice and a.sha256 != b.sha256


def test_fields_round_trip_as_an_event_carries_them() -> None:
    notice = parse(FIXTURES / "2031-fixture.yaml")
    assert Notice.from_fields(notice.fields()) == notice


def test_the_2025_notice_agrees_with_the_package() -> None:
    notice = parse(REAL_2025)
    assert notice.notice_number == "国办发明电〔2024〕12号"
    assert notice.holiday_dates == {d for d in package.holidays if d.year == 2025}
    assert notice.workday_dates == {d for d in package.workdays if d.year == 2025}
    assert missing_statutory_days(notice) == []


BASE = """year: 2031
notice_number: 测试〔2030〕1号
notice_date: 2030-11-01
source_url: https://example.invalid/x
holidays:
  - {name: 元旦, dates: [2031-01-01]}
workdays: []
"""


@pytest.mark.parametrize(("old", "new", "code", "field"), [
    ("测试〔2030〕1号", "测试〔2025〕1号", "calendar.wrong_year", "notice_number"),
    ("notice_date: 2030-11-01", "notice_date: 2029-11-01", "calendar.wrong_year", "notice_date"),
    ("year: 2031", "year: '2031'", "calendar.bad_file", "year"),
    ("workdays: []", "workdays: []\nworkday: []", "calendar.bad_file", "workday"),
    ("dates: [2031-01-01]", "dates: [2031-01-01], from: 2031-01-01", "calendar.bad_file",
     "holidays[0]"),
    ("dates: [2031-01-01]", "from: 2031-01-03, to: 2031-01-01", "calendar.bad_file",
     "holidays[0]"),
    ("dates: [2031-01-01]", "dates: ['2031-13-01']", "calendar.bad_file", "holidays[0].dates"),
    ("dates: [2031-01-01]", "dates: [2031-13-01]", "calendar.bad_file", None),  # YAML's own
    ("workdays: []", "workdays: [{date: 2031-01-04, holiday: 春节}]", "calendar.bad_file",
     "workdays[0].holiday"),
    ("source_url: https://example.invalid/x", "source_url: ''", "calendar.bad_file",
     "source_url"),
    ("holidays:\n  - {name: 元旦, dates: [2031-01-01]}", "holidays: []", "calendar.bad_file",
     "holidays"),
])
def test_shape_and_year_refusals(old: str, new: str, code: str, field: str) -> None:
    assert old in BASE
    error = refused(BASE.replace(old, new), "2031.yaml")
    assert (error.code, error.field) == (code, field)


def test_a_notice_issued_in_its_own_year_is_accepted() -> None:
    # like the 2020 Spring Festival extension (国办发明电〔2020〕1号, dated 2020-01-26)
    text = BASE.replace("〔2030〕", "〔2031〕").replace("2030-11-01", "2031-01-02")
    assert parse_notice(text.encode(), "2031.yaml").notice.year == 2031


def test_json_is_read_too() -> None:
    text = ('{"year": 2031, "notice_number": "测试〔2030〕1号", "notice_date": "2030-11-01", '
            '"source_url": "https://example.invalid/x", '
            '"holidays": [{"name": "元旦", "dates": ["2031-01-01"]}], "workdays": []}')
    assert parse_notice(text.encode(), "2031.json").notice == parse_notice(BASE.encode()).notice


def test_a_missing_statutory_day_is_a_warning_not_a_refusal() -> None:
    notice = parse_notice(BASE.encode(), "2031.yaml").notice
    missing = dict((d, n) for d, n in missing_statutory_days(notice))
    assert date(2031, 1, 1) not in missing  # listed
    assert missing[date(2031, 1, 22)] == "春节"  # 除夕, a Wednesday
    assert date(2031, 1, 25) not in missing  # 初三 is a Saturday: a rest day anyway
