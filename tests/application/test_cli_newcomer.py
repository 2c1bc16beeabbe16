"""A newcomer's mistakes on the command line: each is one clear line (Chinese first, with a
stable code), a non-zero exit, and nothing written — never a traceback or an empty answer."""
from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import cli
from tests.conftest import ORG_FILE

runner = CliRunner()


@pytest.fixture(scope="module")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('newcomer')}/org.db"
    loaded = runner.invoke(cli, ["load-org", str(ORG_FILE), "--db", url])
    assert loaded.exit_code == 0, loaded.output
    return url


def _refused(args: list[str], code: str) -> str:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, (args, result.output)
    assert f"({code})" in result.output and "✗" in result.output, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output


@pytest.mark.parametrize("args", [
    ["cases"], ["timeline", "XF1"], ["holders", "yz-zjj", "head", "2026-02-01"],
    ["clocks", "XF1"], ["overdue", "--as-of", "2026-06-01"], ["rebuild"],
    ["findings", "list", "--as-of", "2026-06-01"], ["findings", "dossier", "XF1"],
])
def test_a_mistyped_store_path_is_refused_and_no_empty_store_is_left(
        tmp_path: Path, args: list[str]) -> None:
    _refused([*args, "--db", f"sqlite:///{tmp_path}/typo.db"], "store.not_found")
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_postgres_server_is_one_line_not_a_traceback() -> None:
    _refused(["cases", "--db", "postgresql://postgres@127.0.0.1:1/nowhere"], "store.unreachable")


@pytest.mark.parametrize("args, code", [
    (["holders", "nowhere", "head", "2026-02-01"], "unit.unknown"),
    (["holders", "yz-zjj", "chief", "2026-02-01"], "post.unknown"),
    (["queue", "nowhere", "--as-of", "2026-05-10"], "unit.unknown"),
    (["overdue", "--as-of", "2026-06-01", "--unit", "nowhere"], "unit.unknown"),
    (["findings", "list", "--unit", "nowhere", "--as-of", "2026-06-01"], "unit.unknown"),
    (["clocks", "XF1", "2026-06-01"], "case.not_found"),
])
def test_unknown_units_posts_and_cases_are_named_not_answered_with_nothing(
        org_db: str, args: list[str], code: str) -> None:
    _refused([*args, "--db", org_db], code)


@pytest.mark.parametrize("args, code", [
    (["holders", "yz-zjj", "head", "2026-02-30"], "date.invalid"),
    (["holders", "yz-zjj", "head", "1900-01-01"], "date.out_of_range"),
    (["dispatch", "--as-of", "9999-12-31"], "date.out_of_range"),
    (["overdue", "--as-of", "0001-01-01"], "date.out_of_range"),
    (["findings", "list", "--as-of", "2026-13-01"], "date.invalid"),
    (["findings", "list", "--as-of", "9999-12-31"], "date.out_of_range"),
    (["findings", "list", "--as-of", "2026-06-01", "--sense", "bogus"], "sense.invalid"),
    (["findings", "dossier", "XF1", "--format", "pdf"], "format.invalid"),
])
def test_bad_dates_and_options_are_clear_errors(org_db: str, args: list[str], code: str) -> None:
    _refused([*args, "--db", org_db], code)


def test_holders_names_the_person_as_well_as_the_code(org_db: str) -> None:
    who = runner.invoke(cli, ["holders", "yz-xfj", "petition_officer", "2026-06-30",
                              "--db", org_db])
    assert who.exit_code == 0 and who.output.strip() == "吴敏（wu-min）"


def test_a_bundle_of_an_unknown_case_is_refused_in_chinese_first(
        org_db: str, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["integrity", "bundle", "XF1", "-o", str(tmp_path / "b.json"),
                                 "--db", org_db, "--keys", str(tmp_path / "keys"),
                                 "--no-checkpoint"])
    assert result.exit_code == 2 and "case.not_found" in result.output, result.output
    assert not (tmp_path / "b.json").exists()


def test_clock_reports_read_chinese_first_in_beijing_time(tmp_path: Path) -> None:
    """The overdue list as an officer reads it: Chinese headers over the English codes, the
    status in Chinese, instants in Beijing time (UTC+8), not UTC."""
    from datetime import datetime as dt

    from api.cli import _cell
    assert _cell("status", "breached") == "已逾期 breached"
    assert _cell("provisional", False) == "否"
    assert _cell("start_at", dt(2025, 3, 19, 6, 34, tzinfo=UTC)) == "2025-03-19 14:34"
    assert _cell("days_late", None) == ""
