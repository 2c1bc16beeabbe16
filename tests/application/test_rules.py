"""Accountability rules evaluated over real histories (SQLite; the rules are pure)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.application import Casetrail
from domain.rules import RULES, Thresholds, evaluate_case
from tests.application.test_case_lifecycle import accepted, registered, served
from tests.conftest import BUREAU, GRIEVANCE, HOUSING, at


# The fixtures record March acts in November: leave back-filling out unless a test is about it.
NO_BACKFILL = Thresholds(backfill_days=10_000)


def findings(app: Casetrail, case_no: str, as_of: Any) -> list[Any]:
    return evaluate_case(app.history(case_no), app.refresh_org(), as_of, NO_BACKFILL)


def rules_of(found: list[Any]) -> list[str]:
    return [f.rule for f in found]


def test_catalogue_has_ids_categories_articles_and_both_languages() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.category in ("inaction", "slow", "misconduct")
        assert rule.articles and rule.zh and rule.en


def test_incomplete_reply_names_the_holder_handler_and_leader(sqlite_app: Casetrail) -> None:
    accepted(sqlite_app)
    sqlite_app.execute("A1", "assign_handler", HOUSING, at(2026, 3, 5, 11), person="li-na")
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 1), opinion="not_support",
                       request="r", facts_and_reasons="f")
    found = findings(sqlite_app, "A1", at(2026, 4, 2))
    assert rules_of(found) == ["REPLY-INCOMPLETE"]
    f = found[0]
    assert (f.unit, f.handler, f.leader) == ("yz-zjj", "li-na", "chen-jing")
    assert "法律依据" in f.detail and "权利告知" in f.detail
    assert f.evidence == (6,) and f.category == "misconduct"


def test_refusal_without_basis_is_misconduct(sqlite_app: Casetrail) -> None:
    registered(sqlite_app)
    sqlite_app.execute("A1", "refuse", BUREAU, at(2026, 3, 3), reason="不属于受理范围")
    assert rules_of(findings(sqlite_app, "A1", at(2026, 3, 4))) == ["REFUSAL-NO-BASIS"]


def test_extension_not_told_only_after_the_notice_period(sqlite_app: Casetrail) -> None:
    accepted(sqlite_app)
    sqlite_app.execute("A1", "extend", HOUSING, at(2026, 4, 20), days=10, reason="复杂",
                       approver="zhao-lei")
    assert findings(sqlite_app, "A1", at(2026, 4, 22)) == []
    assert rules_of(findings(sqlite_app, "A1", at(2026, 4, 24))) == ["EXT-NOT-TOLD"]
    sqlite_app.execute("A1", "notify_petitioner", HOUSING, at(2026, 4, 21), kind="extension",
                       method="written")
    assert findings(sqlite_app, "A1", at(2026, 4, 24)) == []


def test_backfilled_act_is_found_and_its_id_is_stable(sqlite_app: Casetrail, clock: Any) -> None:
    clock.set(2026, 3, 20, 9)
    accepted(sqlite_app)  # acts of 2026-03-02..05 recorded on 03-20
    first = evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 3, 21))
    assert set(rules_of(first)) == {"BACKFILL"} and len(first) == 4
    again = evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 3, 21))
    assert [f.id for f in first] == [f.id for f in again]
    assert max(f.days for f in first) == 17  # 03-02 10:00 → 03-20 09:00: 17 whole days
    strict = evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 3, 21),
                           Thresholds(backfill_days=30))
    assert strict == []


def test_supported_opinion_not_executed_after_ninety_days(sqlite_app: Casetrail) -> None:
    served(sqlite_app)  # served 2026-04-02
    assert findings(sqlite_app, "A1", at(2026, 7, 1)) == []
    found = findings(sqlite_app, "A1", at(2026, 7, 10))
    assert rules_of(found) == ["NOT-EXECUTED"] and found[0].unit == "yz-zjj"
    sqlite_app.execute("A1", "record_execution", HOUSING, at(2026, 6, 1), details="已安排住房")
    assert findings(sqlite_app, "A1", at(2026, 7, 10)) == []


def test_as_of_counts_only_acts_that_had_happened(sqlite_app: Casetrail) -> None:
    accepted(sqlite_app)
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 1), opinion="support")
    assert findings(sqlite_app, "A1", at(2026, 3, 31)) == []
    assert rules_of(findings(sqlite_app, "A1", at(2026, 4, 1) + timedelta(hours=1))) == [
        "REPLY-INCOMPLETE"]


def test_bypass_without_any_local_registration_is_traced_to_the_grid(
        sqlite_app: Casetrail) -> None:
    sqlite_app.register_case({"unit": "city-xfj"}, at(2026, 5, 1), case_no="B1",
                             is_bypass=True, **GRIEVANCE)
    found = findings(sqlite_app, "B1", at(2026, 5, 2))
    assert rules_of(found) == ["BYPASS-UNDETECTED"]
    assert found[0].people["dhl-sq1-g1:grid_head"] == ["he-ping"]
    assert found[0].people["dhl-sq1:village_secretary"] == ["he-ping"]
    assert found[0].unit == "dhl-sq1-g1"
