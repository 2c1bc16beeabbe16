"""The supervisor's workflow on findings, and store-wide listing, on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

import pytest

from domain.application import Casetrail
from domain.errors import DomainError
from domain.findings import (
    FindingsIndex,
    Query,
    annotate_finding,
    confirm_finding,
    dismiss_finding,
    get_review,
    give_feedback,
    judge_consequences,
    list_findings,
    list_proposals,
    load_histories,
    propose,
    record_measure,
)
from domain.rules import evaluate_case
from tests.application.test_case_lifecycle import accepted, registered
from tests.conftest import BUREAU, HOUSING, LABOUR, at, log_size

OVERDUE_AT = at(2026, 5, 20)


def overdue(app: Casetrail) -> Any:
    """Case A1 accepted on 03-05 and never concluded: overdue on 05-07."""
    accepted(app)
    app.execute("A1", "notify_petitioner", HOUSING, at(2026, 3, 5, 11), kind="acceptance",
                method="written")
    found = [f for f in list_findings(app, OVERDUE_AT) if f.rule == "HANDLING-OVERDUE"]
    assert len(found) == 1
    return found[0]


def test_listing_reads_the_log_once_and_filters_by_unit_case_and_period(app: Casetrail) -> None:
    overdue(app)
    registered(app, "B1", at(2026, 4, 1, 10))  # triage overdue from 04-17
    everything = list_findings(app, OVERDUE_AT)
    assert {f.case_no for f in everything} == {"A1", "B1"}
    assert {f.rule for f in list_findings(app, OVERDUE_AT, Query(unit="yz-zjj"))} == {
        "HANDLING-OVERDUE"}
    assert [f.rule for f in list_findings(app, OVERDUE_AT, Query(case_no="B1"))] == [
        "TRIAGE-OVERDUE"]
    april = Query(period_from=at(2026, 4, 1), period_to=at(2026, 5, 1))
    assert [f.case_no for f in list_findings(app, OVERDUE_AT, april)] == ["B1"]


def test_rebuilt_from_the_log_equals_incremental_per_case(app: Casetrail) -> None:
    overdue(app)
    registered(app, "B1", at(2026, 4, 1, 10))
    org = app.refresh_org()
    histories = load_histories(app)
    assert [f.kind for f in histories["A1"]] == [f.kind for f in app.history("A1")]
    rebuilt = FindingsIndex(org, OVERDUE_AT).build(histories)
    incremental = FindingsIndex(org, OVERDUE_AT)
    incremental.update("A1", app.history("A1")[:3])
    incremental.update("B1", app.history("B1"))
    incremental.update("A1", app.history("A1"))
    assert [f.as_dict() for f in rebuilt.findings()] == [
        f.as_dict() for f in incremental.findings()]
    direct = evaluate_case(app.history("A1"), org, OVERDUE_AT)
    assert [f.id for f in direct] == [f.id for f in rebuilt.findings(Query(case_no="A1"))]


def test_histories_read_from_the_store_equal_the_cases_own(app: Casetrail) -> None:
    """The fast reader (straight from the events table) gives every field the aggregate has,
    for every case, including a correction's value and a later time correction."""
    from tests.application.test_case_lifecycle import served

    overdue(app)
    served(app, "C1")
    registered(app, "B1", at(2026, 4, 1, 10))
    app.execute("C1", "correct", BUREAU, at(2026, 4, 3), target_version=1, field="category",
                value="C02", reason="问题分类录入错误")
    histories = load_histories(app)
    assert sorted(histories) == ["A1", "B1", "C1"]
    for case_no, facts in histories.items():
        assert facts == app.history(case_no)
        assert [f.recorded_at for f in facts] == [f.recorded_at for f in app.history(case_no)]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_evaluating_straight_from_the_store_in_processes_equals_the_per_case_build(
        app: Casetrail, workers: int) -> None:
    from tests.application.test_case_lifecycle import served

    overdue(app)
    for n in range(12):  # enough cases for every slice of the id space to hold some
        registered(app, f"R{n:02d}", at(2026, 4, 1 + n, 10))
        if n % 3 == 0:
            served(app, f"S{n:02d}")
    org = app.refresh_org()
    expected = FindingsIndex(org, OVERDUE_AT).build(load_histories(app))
    got = FindingsIndex(org, OVERDUE_AT).build_from_store(app, workers=workers)
    assert list(got.cases) == list(expected.cases)
    assert [f.as_dict() for f in got.findings()] == [f.as_dict() for f in expected.findings()]
    assert len(expected.findings()) >= 13


def test_a_supervisor_confirms_judges_and_records_a_measure(app: Casetrail) -> None:
    finding = overdue(app)
    confirm_finding(app, finding.id, BUREAU, "经核实属实", case_no="A1", at=at(2026, 5, 21))
    judge_consequences(app, finding.id, BUREAU, True, "信访人因久拖未决赴市上访",
                       at=at(2026, 5, 22))
    record_measure(app, finding.id, BUREAU, "correction", "责令限期办结", at=at(2026, 5, 22))
    annotate_finding(app, finding.id, BUREAU, "已电话督促", at=at(2026, 5, 23))
    review = get_review(app, finding.id)
    assert review is not None
    assert (review.status, review.serious, review.rule) == ("confirmed", True, "HANDLING-OVERDUE")
    assert [e["kind"] for e in review.log] == [
        "Opened", "Confirmed", "ConsequenceJudged", "MeasureRecorded", "Annotated"]
    assert review.snapshot["unit"] == "yz-zjj" and review.measures[0]["measure"] == "correction"


def test_dismissal_needs_a_reason_and_closes_the_judgement(app: Casetrail) -> None:
    finding = overdue(app)
    before = log_size(app)
    with pytest.raises(DomainError) as info:
        dismiss_finding(app, finding.id, BUREAU, "  ", case_no="A1")
    assert info.value.code == "field.required" and log_size(app) == before
    dismiss_finding(app, finding.id, BUREAU, "处理意见书已于4月出具，系录入遗漏", case_no="A1")
    with pytest.raises(DomainError) as info:
        judge_consequences(app, finding.id, BUREAU, True, "x")
    assert info.value.code == "finding.dismissed"
    with pytest.raises(DomainError) as info:
        confirm_finding(app, finding.id, BUREAU, "again")
    assert info.value.code == "finding.dismissed"
    assert get_review(app, finding.id).status == "dismissed"  # type: ignore[union-attr]


def test_only_a_supervising_body_acts_and_only_on_real_findings(app: Casetrail) -> None:
    finding = overdue(app)
    with pytest.raises(DomainError) as info:
        confirm_finding(app, finding.id, HOUSING, "自查属实", case_no="A1")
    assert info.value.code == "finding.not_supervisor"
    with pytest.raises(DomainError) as info:
        confirm_finding(app, "0" * 20, BUREAU, "x", case_no="A1")
    assert info.value.code == "finding.not_found"


def test_proposals_under_the_three_powers_with_the_units_feedback(app: Casetrail) -> None:
    finding = overdue(app)
    propose(app, "JY-2026-001", "improve_work", "yz-zjj", BUREAU, "建议建立超期预警台账",
            cases=["A1"], findings=[finding.id], at=at(2026, 5, 25))
    with pytest.raises(DomainError) as info:
        give_feedback(app, "JY-2026-001", LABOUR, "adopted", "")
    assert info.value.code == "proposal.not_addressee"
    with pytest.raises(DomainError) as info:
        give_feedback(app, "JY-2026-001", HOUSING, "partly", "")
    assert info.value.code == "field.required"
    give_feedback(app, "JY-2026-001", HOUSING, "partly", "台账已建，预警系统需经费", at=at(2026, 6, 5))
    [p] = list_proposals(app, to_unit="yz-zjj")
    assert (p["kind_zh"], p["cases"], p["findings"]) == ("改进工作建议", ["A1"], [finding.id])
    assert p["feedback"][0]["outcome"] == "partly"
    with pytest.raises(DomainError) as info:
        propose(app, "JY-2026-002", "sanction", "yz-zjj", BUREAU, "x")
    assert info.value.code == "field.unknown_code"
