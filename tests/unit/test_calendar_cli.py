"""`casetrail calendar load|status` on a real store (SQLite and PostgreSQL): refusals write
nothing, a reload of the same content writes nothing, a supersede is one more event."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import calendar_cli
from api.cli import cli
from domain.application import Casetrail
from domain.calendar_year import CalendarYear, calendar_year_id, read_notices
from tests.conftest import ORG_FILE

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "calendar"
FIXTURE, REVISED = FIXTURES / "2031-fixture.yaml", FIXTURES / "2031-fixture-revised.yaml"
runner = CliRunner()


@pytest.fixture
def db(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(calendar_cli.console, "width", 220)  # one table row per line
    assert runner.invoke(cli, ["load-org", str(ORG_FILE), "--db", store_url]).exit_code == 0
    yield store_url


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["calendar", *args, "--db", db])
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def events(db: str) -> int:
    app = Casetrail(db)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def notices(db: str) -> dict[int, object]:
    app = Casetrail(db)
    try:
        return read_notices(app)  # type: ignore[return-value]
    finally:
        app.close()


@pytest.mark.parametrize(("file", "code"), [
    ("bad/2031-wrong-year.yaml", "calendar.wrong_year"),
    ("bad/2031-date-conflict.yaml", "calendar.date_conflict"),
    ("bad/2031-workday-not-weekend.yaml", "calendar.workday_not_weekend"),
    ("bad/2031-date-outside-year.yaml", "calendar.date_outside_year"),
    ("bad/2031-missing-field.yaml", "calendar.bad_file"),
    ("bad/2031-not-yaml.yaml", "calendar.bad_file"),
    ("no-such-file.yaml", "calendar.bad_file"),
    ("../../../domain/data/holidays/2025.yaml", "calendar.year_in_package"),
])
def test_a_refused_file_is_one_chinese_line_with_its_code_and_writes_nothing(
        db: str, file: str, code: str) -> None:
    before = events(db)
    exit_code, out = run(db, "load", str(FIXTURES / file))
    assert exit_code == 2 and out.startswith("✗ ") and f"({code})" in out
    assert not out[2].isascii()  # Chinese first
    assert events(db) == before


def test_load_then_reload_then_supersede(db: str) -> None:
    before = events(db)
    exit_code, out = run(db, "load", str(FIXTURE), "--by", "wangfang")
    assert exit_code == 0 and out.startswith("✓ 已载入 2031 年节假日通知 测试夹具〔2030〕0号")
    assert "by wangfang" in out and events(db) == before + 1
    exit_code, out = run(db, "load", str(FIXTURE))
    assert (exit_code, events(db)) == (0, before + 1) and "未写入" in out
    for extra, code in (((), "calendar.already_loaded"),
                        (("--supersede",), "calendar.reason_required")):
        exit_code, out = run(db, "load", str(REVISED), *extra)
        assert exit_code == 2 and f"({code})" in out and events(db) == before + 1
    exit_code, out = run(db, "load", str(REVISED), "--supersede", "--reason", "更正端午节安排")
    assert exit_code == 0 and out.startswith("✓ 已替换") and events(db) == before + 2
    app = Casetrail(db)
    try:
        agg = app.repository.get(calendar_year_id(2031))
        assert isinstance(agg, CalendarYear) and agg.version == 2
        assert read_notices(app)[2031].reason == "更正端午节安排"
    finally:
        app.close()


def test_status_names_each_years_source(db: str) -> None:
    exit_code, out = run(db, "status")
    assert exit_code == 0
    assert "2004–2026 内置数据" in out and "chinese_calendar-1.11.0" in out
    assert "2027 暂定（仅法定节日）" in out and "2031" not in out
    run(db, "load", str(FIXTURE), "--by", "wangfang")
    exit_code, out = run(db, "status")
    sha = notices(db)[2031].sha256[:12]  # type: ignore[attr-defined]
    assert f"2031 已载入通知 测试夹具〔2030〕0号（虚构，非国务院办公厅通知） {sha}" in out
    assert "wangfang" in out and f"notice:2031@{sha}" in out
    assert "2030 暂定（仅法定节日）" in out


def test_a_missing_store_is_refused(tmp_path: Path) -> None:
    exit_code, out = run(f"sqlite:///{tmp_path}/none.db", "status")
    assert exit_code == 2 and "(store.not_found)" in out
    assert not (tmp_path / "none.db").exists()


def test_calendar_events_leave_the_read_models_alone(db: str) -> None:
    """Phase 1: the events are in the log, the read models skip them (no topic of theirs)."""
    from projections.runner import catch_up, rebuild
    run(db, "load", str(FIXTURE), "--by", "wangfang")
    app = Casetrail(db)
    try:
        catch_up(app)
    finally:
        app.close()
    assert rebuild(db, progress=False) == events(db) - 1  # all but the calendar event
