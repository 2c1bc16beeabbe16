"""Re-review audits: the case at a past moment in both senses, differences, and the dossier."""
from __future__ import annotations

from typing import Any

import pytest

from api.dossier import render_html
from domain.application import Casetrail
from domain.audit import build_dossier, case_at, diff, dossier, dossier_json
from domain.findings import confirm_finding
from domain.rules import Thresholds
from tests.application.test_case_lifecycle import accepted, registered
from tests.conftest import BUREAU, HOUSING, at

NO_BACKFILL = Thresholds(backfill_days=10_000)


def backfilled_reply(app: Casetrail, clock: Any) -> None:
    """Accepted 03-05 (recorded the next morning); the reply of 04-01 is entered on 05-20."""
    clock.set(2026, 3, 6, 9)
    accepted(app)
    app.execute("A1", "notify_petitioner", HOUSING, at(2026, 3, 5, 11), kind="acceptance",
                method="written")
    clock.set(2026, 5, 20, 9)
    app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 1), opinion="support", request="r",
                facts_and_reasons="f", legal_basis="b", rights_notice="n")


def test_as_recorded_versus_as_happened(app: Casetrail, clock: Any) -> None:
    backfilled_reply(app, clock)
    facts = app.history("A1")
    known = case_at(facts, at(2026, 5, 10), "recorded")
    happened = case_at(facts, at(2026, 5, 10), "happened")
    assert (known["status"], len(known["facts"])) == ("accepted", 5)
    assert (happened["status"], len(happened["facts"])) == ("replied", 6)
    assert happened["facts"][-1]["recorded_days_after"] == 49


def test_a_correction_counts_as_recorded_only_from_when_it_was_made(app: Casetrail,
                                                                    clock: Any) -> None:
    clock.set(2026, 3, 6, 9)
    accepted(app)
    clock.set(2026, 4, 10, 9)
    app.execute("A1", "correct", BUREAU, at(2026, 4, 10, 9), target_version=2,
                field="occurred_at", value=at(2026, 3, 2, 15).isoformat(), reason="录入错误")
    facts = app.history("A1")
    before = case_at(facts, at(2026, 4, 1), "recorded")["facts"][1]
    now = case_at(facts, at(2026, 4, 1), "happened")["facts"][1]
    assert before["occurred_at"].startswith("2026-03-03T10:00")
    assert now["occurred_at"].startswith("2026-03-02T15:00") and now["corrections"]
    change = diff(facts, at(2026, 4, 1), at(2026, 4, 11), "recorded")
    assert change["changed"] == [{"version": 2, "kind": "Transferred", "field": "occurred_at",
                                  "before": "2026-03-03T10:00:00+08:00",
                                  "after": "2026-03-02T15:00:00+08:00"}]


def test_diff_between_two_moments_shows_new_facts_clocks_and_findings(app: Casetrail,
                                                                      clock: Any) -> None:
    backfilled_reply(app, clock)
    change = diff(app.history("A1"), at(2026, 5, 10), at(2026, 5, 21), "recorded",
                  app.refresh_org(), NO_BACKFILL)
    assert [f["kind"] for f in change["added"]] == ["ReplyIssued"]
    assert change["status"] == {"before": "accepted", "after": "replied"}
    handling = [c for c in change["clocks"] if c["key"] == "handling"][0]
    assert (handling["before"], handling["after"]) == ("breached", "met")
    assert [f["rule"] for f in change["findings"]["gone"]] == ["HANDLING-OVERDUE"]


def test_dossier_is_reproducible_byte_for_byte(app: Casetrail, clock: Any) -> None:
    backfilled_reply(app, clock)
    first = dossier(app, "A1", at(2026, 6, 1), thresholds=NO_BACKFILL)
    second = dossier(app, "A1", at(2026, 6, 1), thresholds=NO_BACKFILL)
    assert dossier_json(first) == dossier_json(second)
    assert render_html(first) == render_html(second)
    assert first["generated_at"] is None
    assert [c["step"] for c in first["clocks"]][:3] == ["triage", "receipt_notice", "objection"]
    assert first["responsibility"][-1]["unit"] == "yz-zjj"
    assert "integrity_checkpoint" in first
    html = render_html(first)
    assert "审查卷宗" in html and "伊州区住房和城乡建设局" in html and "UNSERVED" in html


def test_dossier_shows_the_workflow_as_it_stood_at_the_cut_off(app: Casetrail,
                                                                clock: Any) -> None:
    accepted(app)
    app.execute("A1", "notify_petitioner", HOUSING, at(2026, 3, 5, 11), kind="acceptance",
                method="written")
    org = app.refresh_org()
    data = dossier(app, "A1", at(2026, 5, 20))
    overdue = [f for f in data["findings"] if f["rule"] == "HANDLING-OVERDUE"][0]
    assert overdue["review"] is None and overdue["unit"] == "yz-zjj"
    confirm_finding(app, overdue["id"], BUREAU, "属实", case_no="A1", at=at(2026, 5, 21))
    later = dossier(app, "A1", at(2026, 5, 22))
    found = [f for f in later["findings"] if f["id"] == overdue["id"]][0]
    assert found["review"]["status"] == "confirmed"
    assert dossier(app, "A1", at(2026, 5, 20)) == data
    plain = build_dossier(app.history("A1"), org, at(2026, 5, 20), generated_at=at(2026, 5, 20))
    assert plain["generated_at"] == "2026-05-20T00:00:00+08:00"


def test_cli_lists_rules_findings_and_writes_a_dossier(app: Casetrail, tmp_path: Any) -> None:
    import json

    from typer.testing import CliRunner

    from api.findings_cli import app as cli

    accepted(app)
    url = app.database_url
    runner = CliRunner()
    rules = runner.invoke(cli, ["rules", "--format", "json"])
    assert rules.exit_code == 0 and "HANDLING-OVERDUE" in rules.output
    listed = runner.invoke(cli, ["list", "--db", url, "--as-of", "2026-05-20", "--unit", "yz-zjj",
                                 "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)["findings"]
    assert {r["rule"] for r in rows} == {"NOTICE-OVERDUE", "HANDLING-OVERDUE"}
    out = tmp_path / "A1.html"
    made = runner.invoke(cli, ["dossier", "A1", "--db", url, "--as-of", "2026-05-20",
                               "--format", "html", "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert "受理后60日" in out.read_text(encoding="utf-8")
    handling = [r for r in rows if r["rule"] == "HANDLING-OVERDUE"][0]
    done = runner.invoke(cli, ["confirm", handling["id"], "--case", "A1", "--unit", "yz-xfj",
                               "--reason", "属实", "--db", url])
    assert done.exit_code == 0 and "confirmed" in done.output
    refused = runner.invoke(cli, ["dismiss", handling["id"], "--unit", "yz-zjj", "--reason", "x",
                                  "--db", url])
    assert refused.exit_code == 2 and "finding.not_supervisor" in refused.output


@pytest.mark.parametrize("moment", [at(2026, 5, 10), at(2026, 5, 20, 9), at(2026, 5, 21)])
@pytest.mark.parametrize("sense", ["recorded", "happened"])
def test_dossier_findings_are_those_the_findings_list_gives(app: Casetrail, clock: Any,
                                                            moment: Any, sense: str) -> None:
    import json

    from typer.testing import CliRunner

    from api.findings_cli import app as cli

    backfilled_reply(app, clock)
    clock.set(2026, 11, 20, 9)
    listed = CliRunner().invoke(cli, ["list", "--db", app.database_url, "--case", "A1",
                                      "--as-of", moment.isoformat(), "--sense", sense,
                                      "--format", "json"])
    assert listed.exit_code == 0, listed.output
    cli_ids = sorted(r["id"] for r in json.loads(listed.output)["findings"])
    data = dossier(app, "A1", moment, sense, with_checkpoint=False)
    assert sorted(f["id"] for f in data["findings"]) == cli_ids


def test_a_provisional_deadline_is_shown_as_such(app: Casetrail, clock: Any) -> None:
    """Accepted on 2026-11-04: day 60 falls in 2027, a year the holiday calendar lacks."""
    registered(app, when=at(2026, 11, 2, 10))
    app.execute("A1", "transfer", BUREAU, at(2026, 11, 2, 11), to_unit="yz-zjj")
    app.execute("A1", "receive", HOUSING, at(2026, 11, 3, 10))
    app.execute("A1", "accept", HOUSING, at(2026, 11, 4, 10))
    data = dossier(app, "A1", at(2026, 11, 20, 9), with_checkpoint=False)
    handling = next(c for c in data["clocks"] if c["step"] == "handling")
    assert (handling["last_day"], handling["provisional"]) == ("2027-01-04", True)
    assert "2027-01-04（暂定）" in render_html(data)
