"""The README's commands, end to end on a SQLite file (the embedded default)."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import cli
from tests.conftest import ORG_FILE

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli')}/demo.db"
    result = runner.invoke(cli, ["demo", "--db", url, "--cases", "120", "--reset"])
    assert result.exit_code == 0, result.output
    assert "cases: 120" in result.output
    return url


def test_demo_shows_a_case_timeline_with_both_times(demo_db: str) -> None:
    result = runner.invoke(cli, ["cases", "--db", demo_db, "--limit", "3"])
    assert result.exit_code == 0 and "信访件编号" in result.output
    case_no = result.output.split("XF", 1)[1].split()[0].strip("│ ")
    shown = runner.invoke(cli, ["timeline", f"XF{case_no}", "--db", demo_db])
    assert shown.exit_code == 0, shown.output
    assert "登记" in shown.output and "记录时间" in shown.output


def test_who_held_names_the_people_of_that_moment(demo_db: str) -> None:
    cases = runner.invoke(cli, ["cases", "--db", demo_db, "--limit", "1"])
    case_no = "XF" + cases.output.split("XF", 1)[1].split()[0].strip("│ ")
    result = runner.invoke(cli, ["who-held", case_no, "2026-11-20", "--db", demo_db])
    assert result.exit_code == 0, result.output
    assert '"unit"' in result.output and "（" in result.output


def test_queues_and_findings_answer_as_of_a_date(demo_db: str) -> None:
    for args in (["overdue", "--as-of", "2026-06-01", "--json"],
                 ["dispatch", "--as-of", "2026-06-01", "--json"],
                 ["findings", "list", "--as-of", "2026-06-01", "--format", "json"]):
        result = runner.invoke(cli, [*args, "--db", demo_db])
        assert result.exit_code == 0, (args, result.output)
        assert '"integrity_checkpoint"' in result.output  # every report names its log state
    rules = runner.invoke(cli, ["findings", "rules"])
    assert rules.exit_code == 0 and "TRIAGE-OVERDUE" in rules.output


def test_unknown_case_and_bad_date_are_clear_errors(demo_db: str) -> None:
    missing = runner.invoke(cli, ["timeline", "NOPE", "--db", demo_db])
    assert missing.exit_code == 2 and "case.not_found" in missing.output
    bad = runner.invoke(cli, ["holders", "yz-zjj", "head", "2026-13-40", "--db", demo_db])
    assert bad.exit_code == 2 and "date.invalid" in bad.output


def test_load_org_refuses_a_second_load_and_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/org.db"
    first = runner.invoke(cli, ["load-org", str(ORG_FILE), "--db", url])
    assert first.exit_code == 0 and "units" in first.output
    again = runner.invoke(cli, ["load-org", str(ORG_FILE), "--db", url])
    assert again.exit_code == 2 and "unit.exists" in again.output
    who = runner.invoke(cli, ["holders", "yz-zjj", "head", "2026-02-01", "--db", url])
    assert who.output.strip() == "王军（wang-jun）"
