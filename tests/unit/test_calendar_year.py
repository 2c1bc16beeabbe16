"""The loading decision: given the year's record, when a notice is loaded, then these events (or
this refusal and no event). Pure: no store."""
from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import pytest

from domain.calendar_build import PACKAGE
from domain.calendar_notice import ParsedNotice, parse_notice
from domain.calendar_year import (
    CALENDAR_TOPICS,
    CalendarYear,
    calendar_year_id,
    fold_notices,
    load_notice,
)
from domain.errors import DomainError
from domain.periods import TZ

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "calendar"
T1 = datetime(2030, 11, 5, 9, 30, tzinfo=TZ)
T2 = datetime(2030, 12, 1, 14, 0, tzinfo=TZ)


def notice(name: str = "2031-fixture.yaml") -> ParsedNotice:
    path = FIXTURES / name
    return parse_notice(path.read_bytes(), path.name)


def loaded() -> CalendarYear:
    agg = load_notice(None, notice(), loaded_by="wangfang", at=T1, package=PACKAGE)
    assert agg is not None
    agg.collect_events()
    return agg


def test_a_first_load_records_who_when_and_the_files_hash() -> None:
    parsed = notice()
    agg = load_notice(None, parsed, loaded_by="wangfang", at=T1, package=PACKAGE)
    assert agg is not None and agg.id == calendar_year_id(2031)
    [event] = agg.collect_events()
    assert isinstance(event, CalendarYear.NoticeLoaded)
    assert (event.year, event.sha256, event.loaded_by, event.timestamp) == (
        2031, parsed.sha256, "wangfang", T1)
    assert event.notice_number == parsed.notice.notice_number
    assert event.holidays[0] == {"name": "元旦", "dates": ["2031-01-01"]}
    assert event.workdays[0] == {"date": "2031-01-19", "holiday": "春节"}


def test_loading_the_same_content_again_writes_nothing() -> None:
    agg = loaded()
    assert load_notice(agg, notice(), loaded_by="lina", at=T2, package=PACKAGE) is None
    assert load_notice(agg, notice(), loaded_by="lina", at=T2, package=PACKAGE,
                       supersede=True, reason="再次载入") is None
    assert agg.pending_events == []


@pytest.mark.parametrize(("supersede", "reason", "code"), [
    (False, "", "calendar.already_loaded"),
    (False, "更正", "calendar.already_loaded"),
    (True, "", "calendar.reason_required"),
    (True, "   ", "calendar.reason_required"),
])
def test_different_content_needs_a_supersede_with_a_reason(supersede: bool, reason: str,
                                                            code: str) -> None:
    agg = loaded()
    with pytest.raises(DomainError) as caught:
        load_notice(agg, notice("2031-fixture-revised.yaml"), loaded_by="lina", at=T2,
                    package=PACKAGE, supersede=supersede, reason=reason)
    assert caught.value.code == code
    assert agg.pending_events == [] and agg.version == 1


def test_a_supersede_is_its_own_event_with_the_reason_and_what_it_replaced() -> None:
    agg, first, revised = loaded(), notice(), notice("2031-fixture-revised.yaml")
    out = load_notice(agg, revised, loaded_by="lina", at=T2, package=PACKAGE, supersede=True,
                      reason="更正端午节安排")
    assert out is agg
    [event] = agg.collect_events()
    assert isinstance(event, CalendarYear.NoticeSuperseded)
    assert (event.reason, event.replaces, event.sha256, event.loaded_by) == (
        "更正端午节安排", first.sha256, revised.sha256, "lina")
    assert agg.notice == revised.notice and agg.version == 2


def test_supersede_without_a_loaded_year_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        load_notice(None, notice(), loaded_by="lina", at=T1, package=PACKAGE, supersede=True,
                    reason="x")
    assert caught.value.code == "calendar.not_loaded"


def test_a_year_the_package_covers_is_refused() -> None:
    path = ROOT / "domain" / "data" / "holidays" / "2025.yaml"
    with pytest.raises(DomainError) as caught:
        load_notice(None, parse_notice(path.read_bytes(), path.name), loaded_by="lina", at=T1,
                    package=PACKAGE)
    assert caught.value.code == "calendar.year_in_package"


def test_folding_keeps_the_notice_in_force_per_year() -> None:
    agg = load_notice(None, notice(), loaded_by="wangfang", at=T1, package=PACKAGE)
    assert agg is not None
    load_notice(agg, notice("2031-fixture-revised.yaml"), loaded_by="lina", at=T2,
                package=PACKAGE, supersede=True, reason="更正")
    events = agg.collect_events()
    first = fold_notices(events[:1])[2031]
    assert (first.version, first.loaded_by, first.loaded_at, first.reason) == (
        1, "wangfang", T1, None)
    now = fold_notices([object(), *events])[2031]
    assert (now.version, now.reason, now.replaces) == (2, "更正", first.sha256)
    assert now.notice == notice("2031-fixture-revised.yaml").notice
    assert now.label == f"notice:2031@{now.sha256[:12]}"


def test_the_id_is_deterministic_per_year() -> None:
    assert calendar_year_id(2031) == uuid5(NAMESPACE_URL, "casetrail:calendar-year:2031")
    assert calendar_year_id(2031) != calendar_year_id(2032)


def test_calendar_topics_are_new_and_listed() -> None:
    """No other class in the code base registers a topic of these names (a clash would make
    the store decode one event as the other)."""
    ours = {v.TOPIC for v in vars(CalendarYear).values() if hasattr(v, "TOPIC")}
    assert set(CALENDAR_TOPICS) <= ours
    others: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.name.startswith("calendar") or ".venv" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "TOPIC" for t in node.targets) \
                    and isinstance(node.value, ast.Constant):
                others.add(node.value.value)
    assert others, "found no other TOPIC to compare with"
    assert not ours & others
