"""Accountability rules evaluated over real histories (SQLite; the rules are pure)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.application import Casetrail
from domain.periods import CALENDAR
from domain.rules import (
    RULES,
    RULES_BY_ID,
    Thresholds,
    evaluate,
    evaluate_access,
    evaluate_case,
)
from tests.application.test_case_lifecycle import accepted, registered, served
from tests.conftest import BUREAU, CITY_BUREAU, GRIEVANCE, HOUSING, LABOUR, at

# The fixtures record March acts in November: leave back-filling out unless a test is about it.
NO_BACKFILL = Thresholds(backfill_days=10_000)


def findings(app: Casetrail, case_no: str, as_of: Any, sense: str = "happened") -> list[Any]:
    return evaluate_case(app.history(case_no), app.refresh_org(), as_of, NO_BACKFILL, sense)


def rules_of(found: list[Any]) -> list[str]:
    return [f.rule for f in found]


def told(app: Casetrail, case_no: str = "A1") -> str:
    """Accepted on 2026-03-05, and the petitioner told in writing the same day."""
    accepted(app, case_no)
    app.execute(case_no, "notify_petitioner", HOUSING, at(2026, 3, 5, 11), kind="acceptance",
                method="written")
    return case_no


def test_catalogue_has_ids_categories_articles_and_both_languages() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.category in ("inaction", "slow", "misconduct")
        assert rule.articles and rule.zh and rule.en
    assert {r.basis for r in RULES} == {"facts", "clock", "access"}
    assert RULES_BY_ID["HANDLING-OVERDUE"].articles == ("第三十四条", "第四十五条第（一）项")


def test_incomplete_reply_names_the_holder_handler_and_leader(sqlite_app: Casetrail) -> None:
    told(sqlite_app)
    sqlite_app.execute("A1", "assign_handler", HOUSING, at(2026, 3, 5, 11), person="li-na")
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 1), opinion="not_support",
                       request="r", facts_and_reasons="f")
    found = findings(sqlite_app, "A1", at(2026, 4, 2))
    assert rules_of(found) == ["REPLY-INCOMPLETE"]
    f = found[0]
    assert (f.unit, f.handler, f.leader) == ("yz-zjj", "li-na", "chen-jing")
    assert "法律依据" in f.detail and "权利告知" in f.detail
    assert f.evidence == (7,) and f.category == "misconduct"


def test_refusal_without_basis_is_misconduct(sqlite_app: Casetrail) -> None:
    registered(sqlite_app)
    sqlite_app.execute("A1", "refuse", BUREAU, at(2026, 3, 3), reason="不属于受理范围")
    assert rules_of(findings(sqlite_app, "A1", at(2026, 3, 4))) == ["REFUSAL-NO-BASIS"]


def test_extension_not_told_only_after_the_notice_period(sqlite_app: Casetrail) -> None:
    told(sqlite_app)
    sqlite_app.execute("A1", "extend", HOUSING, at(2026, 4, 20), days=10, reason="复杂",
                       approver="zhao-lei")
    assert findings(sqlite_app, "A1", at(2026, 4, 22)) == []
    assert rules_of(findings(sqlite_app, "A1", at(2026, 4, 24))) == ["EXT-NOT-TOLD"]
    sqlite_app.execute("A1", "notify_petitioner", HOUSING, at(2026, 4, 21), kind="extension",
                       method="written")
    assert findings(sqlite_app, "A1", at(2026, 4, 24)) == []


def test_backfilled_act_is_found_and_its_id_is_stable(sqlite_app: Casetrail, clock: Any) -> None:
    clock.set(2026, 3, 20, 9)
    told(sqlite_app)  # acts of 2026-03-02..05 recorded on 03-20
    first = evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 3, 21))
    assert set(rules_of(first)) == {"BACKFILL"} and len(first) == 5
    again = evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 3, 21))
    assert [f.id for f in first] == [f.id for f in again]
    assert max(f.days for f in first) == 17  # 03-02 10:00 → 03-20 09:00: 17 whole days
    strict = evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 3, 21),
                           Thresholds(backfill_days=30))
    assert strict == []
    # as of a moment before the back-filling was done there is nothing to find yet
    assert evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 3, 19, 12)) == []


def test_supported_opinion_not_executed_after_ninety_days(sqlite_app: Casetrail) -> None:
    served(sqlite_app)  # served 2026-04-02
    sqlite_app.execute("A1", "notify_petitioner", HOUSING, at(2026, 4, 2, 11), kind="acceptance",
                       method="written")  # (late: the receipt notice is a separate finding)
    found = [f for f in findings(sqlite_app, "A1", at(2026, 7, 1)) if f.rule != "NOTICE-LATE"]
    assert found == []
    found = findings(sqlite_app, "A1", at(2026, 7, 10))
    assert "NOT-EXECUTED" in rules_of(found)
    assert [f for f in found if f.rule == "NOT-EXECUTED"][0].unit == "yz-zjj"
    sqlite_app.execute("A1", "record_execution", HOUSING, at(2026, 6, 1), details="已安排住房")
    assert "NOT-EXECUTED" not in rules_of(findings(sqlite_app, "A1", at(2026, 7, 10)))


def test_as_of_counts_only_acts_that_had_happened(sqlite_app: Casetrail) -> None:
    told(sqlite_app)
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 1), opinion="support")
    assert findings(sqlite_app, "A1", at(2026, 3, 31)) == []
    assert rules_of(findings(sqlite_app, "A1", at(2026, 4, 1) + timedelta(hours=1))) == [
        "REPLY-INCOMPLETE"]
    assert findings(sqlite_app, "A1", at(2026, 3, 1)) == []  # before the case existed


def test_bypass_without_any_local_registration_is_traced_to_the_grid(
        sqlite_app: Casetrail) -> None:
    sqlite_app.register_case({"unit": "city-xfj"}, at(2026, 5, 1), case_no="B1",
                             is_bypass=True, **GRIEVANCE)
    found = findings(sqlite_app, "B1", at(2026, 5, 2))
    assert rules_of(found) == ["BYPASS-UNDETECTED"]
    assert found[0].people["dhl-sq1-g1:grid_head"] == ["he-ping"]
    assert found[0].people["dhl-sq1:village_secretary"] == ["he-ping"]
    assert found[0].unit == "dhl-sq1-g1"


# --- statutory clocks -------------------------------------------------------------------------
def test_triage_overdue_then_late_names_the_bureau(sqlite_app: Casetrail) -> None:
    registered(sqlite_app)  # 2026-03-02 at the district bureau: triage due 03-17
    found = findings(sqlite_app, "A1", at(2026, 3, 20))
    assert rules_of(found) == ["TRIAGE-OVERDUE"]
    assert (found[0].unit, found[0].leader, found[0].days) == ("yz-xfj", "zhou-qiang", 3)
    assert found[0].at == at(2026, 3, 18)  # 24:00 of the last day
    sqlite_app.execute("A1", "transfer", BUREAU, at(2026, 3, 19), to_unit="yz-zjj")
    found = findings(sqlite_app, "A1", at(2026, 3, 19, 12))
    assert rules_of(found) == ["TRIAGE-LATE"] and found[0].days == 2
    assert found[0].category == "slow" and found[0].evidence == (1, 2)


def test_receipt_notice_and_acceptance_decision(sqlite_app: Casetrail) -> None:
    registered(sqlite_app)
    sqlite_app.execute("A1", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    sqlite_app.execute("A1", "receive", HOUSING, at(2026, 3, 4, 10))  # notice due 03-19
    found = findings(sqlite_app, "A1", at(2026, 3, 25))
    assert rules_of(found) == ["ACCEPT-UNDECIDED", "NOTICE-OVERDUE"]
    assert {f.days for f in found} == {6} and {f.unit for f in found} == {"yz-zjj"}
    sqlite_app.execute("A1", "accept", HOUSING, at(2026, 3, 21))
    sqlite_app.execute("A1", "notify_petitioner", HOUSING, at(2026, 3, 22), kind="acceptance",
                       method="written")
    found = findings(sqlite_app, "A1", at(2026, 3, 25))
    assert rules_of(found) == ["ACCEPT-LATE", "NOTICE-LATE"]
    assert [f.days for f in found] == [2, 3]


def test_handling_deadline_rolls_over_the_labour_day_holiday(sqlite_app: Casetrail) -> None:
    told(sqlite_app)  # accepted 03-05: 60 days end 05-04, a holiday; rolls to 05-06
    assert findings(sqlite_app, "A1", at(2026, 5, 6, 23)) == []
    found = findings(sqlite_app, "A1", at(2026, 5, 8))
    assert rules_of(found) == ["HANDLING-OVERDUE"] and found[0].days == 2
    assert "2026-05-06" in found[0].detail and found[0].category == "inaction"
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 5, 7), opinion="support",
                       request="r", facts_and_reasons="f", legal_basis="b", rights_notice="n")
    found = findings(sqlite_app, "A1", at(2026, 5, 8))
    assert rules_of(found) == ["HANDLING-LATE"] and found[0].days == 1


def test_overdue_handling_names_the_handler_who_held_it_at_the_breach(
        sqlite_app: Casetrail) -> None:
    told(sqlite_app)
    sqlite_app.execute("A1", "assign_handler", HOUSING, at(2026, 3, 6), person="li-na")
    sqlite_app.execute("A1", "assign_handler", HOUSING, at(2026, 4, 10), person="sun-li")
    found = findings(sqlite_app, "A1", at(2026, 5, 20))
    assert rules_of(found) == ["HANDLING-OVERDUE", "SUPERVISION-NOT-PURSUED"]
    assert found[1].unit == "yz-xfj"  # the bureau let it pass for 7 days without supervising
    assert (found[0].handler, found[0].leader) == ("sun-li", "chen-jing")
    assert found[0].people["yz-zjj:head"] == ["zhao-lei"]


def test_an_extension_moves_the_handling_deadline(sqlite_app: Casetrail) -> None:
    told(sqlite_app)
    sqlite_app.execute("A1", "extend", HOUSING, at(2026, 4, 20), days=10, reason="复杂",
                       approver="zhao-lei", petitioner_told=True)
    # 03-05 + 60 = 05-04 (Labour Day) -> 05-06; the extension runs from there (art. 34):
    # 05-06 + 10 = Sat 05-16 -> Mon 05-18
    assert findings(sqlite_app, "A1", at(2026, 5, 18, 23)) == []
    found = findings(sqlite_app, "A1", at(2026, 5, 20))
    assert rules_of(found) == ["HANDLING-OVERDUE"] and found[0].days == 2
    assert found[0].evidence == (4, 6)


def test_assignment_report_overdue_and_the_bureau_that_did_not_supervise(
        sqlite_app: Casetrail) -> None:
    registered(sqlite_app)
    sqlite_app.execute("A1", "transfer", BUREAU, at(2026, 3, 3), to_unit="yz-zjj",
                       mode="assign", due_date="2026-03-31")
    sqlite_app.execute("A1", "receive", HOUSING, at(2026, 3, 4))
    sqlite_app.execute("A1", "accept", HOUSING, at(2026, 3, 5))
    sqlite_app.execute("A1", "notify_petitioner", HOUSING, at(2026, 3, 5, 11), kind="acceptance",
                       method="written")
    found = findings(sqlite_app, "A1", at(2026, 4, 5))
    assert rules_of(found) == ["ASSIGNMENT-OVERDUE"] and found[0].days == 5
    found = findings(sqlite_app, "A1", at(2026, 4, 10))
    assert rules_of(found) == ["ASSIGNMENT-OVERDUE", "SUPERVISION-NOT-PURSUED"]
    assert found[1].unit == "yz-xfj" and found[1].articles == ("第四十三条",)
    sqlite_app.execute("A1", "supervise", BUREAU, at(2026, 4, 3), kind="written",
                       due_date="2026-04-20")
    assert rules_of(findings(sqlite_app, "A1", at(2026, 4, 10))) == ["ASSIGNMENT-OVERDUE"]
    sqlite_app.execute("A1", "report_assignment", HOUSING, at(2026, 4, 8), report="已办结")
    found = findings(sqlite_app, "A1", at(2026, 4, 10))
    assert "ASSIGNMENT-LATE" in rules_of(found)


def test_supervision_ignored_late_and_repeated(sqlite_app: Casetrail) -> None:
    told(sqlite_app)
    sqlite_app.execute("A1", "supervise", BUREAU, at(2026, 3, 20), kind="written",
                       due_date="2026-03-27")
    found = findings(sqlite_app, "A1", at(2026, 3, 30))
    assert rules_of(found) == ["SUPERVISION-IGNORED"]
    assert (found[0].unit, found[0].articles) == ("yz-zjj", ("第四十条", "第四十五条第（一）项"))
    found = findings(sqlite_app, "A1", at(2026, 4, 5))
    assert rules_of(found) == ["SUPERVISION-IGNORED", "SUPERVISION-NOT-PURSUED"]
    sqlite_app.execute("A1", "supervise", BUREAU, at(2026, 4, 1), kind="listed",
                       due_date="2026-04-08")
    sqlite_app.execute("A1", "answer_supervision", HOUSING, at(2026, 4, 2), number=1,
                       content="正在办理")
    sqlite_app.execute("A1", "answer_supervision", HOUSING, at(2026, 4, 2), number=2,
                       content="正在办理")
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 3), opinion="support",
                       request="r", facts_and_reasons="f", legal_basis="b", rights_notice="n")
    found = findings(sqlite_app, "A1", at(2026, 4, 5))
    assert rules_of(found) == ["SUPERVISION-LATE", "SUPERVISION-REPEATED"]
    assert found[0].days == 6 and found[1].days == 2


def test_review_and_rereview_opinions_late_with_hearing_days_excluded(
        sqlite_app: Casetrail) -> None:
    served(sqlite_app)
    sqlite_app.execute("A1", "notify_petitioner", HOUSING, at(2026, 3, 5, 11), kind="acceptance",
                       method="written")
    sqlite_app.execute("A1", "request_review", BUREAU, at(2026, 4, 20), organ="yz-gov")
    gov = {"unit": "yz-gov"}
    sqlite_app.execute("A1", "accept_review", gov, at(2026, 4, 21))
    found = findings(sqlite_app, "A1", at(2026, 5, 25))
    assert rules_of(found) == ["REVIEW-OVERDUE"] and found[0].unit == "yz-gov"  # due 05-20
    sqlite_app.execute("A1", "issue_review_opinion", gov, at(2026, 5, 26), opinion="uphold")
    sqlite_app.execute("A1", "serve_review_opinion", gov, at(2026, 5, 27), method="post")
    found = findings(sqlite_app, "A1", at(2026, 5, 28))
    assert rules_of(found) == ["REVIEW-LATE"] and found[0].days == 6
    city = {"unit": "city-gov"}
    sqlite_app.execute("A1", "request_review", BUREAU, at(2026, 6, 1), organ="city-gov",
                       level="rereview")  # due 07-01
    sqlite_app.execute("A1", "accept_review", city, at(2026, 6, 2))
    sqlite_app.execute("A1", "start_hearing", city, at(2026, 6, 10))
    sqlite_app.execute("A1", "end_hearing", city, at(2026, 6, 14))  # 5 days paused
    sqlite_app.execute("A1", "issue_review_opinion", city, at(2026, 7, 6), opinion="uphold")
    assert "REREVIEW-LATE" not in rules_of(findings(sqlite_app, "A1", at(2026, 7, 7)))


def test_unserved_opinion_and_transfer_bounce(sqlite_app: Casetrail) -> None:
    told(sqlite_app)
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 1), opinion="explain",
                       request="r", facts_and_reasons="f", legal_basis="b", rights_notice="n")
    found = findings(sqlite_app, "A1", at(2026, 4, 20))
    assert rules_of(found) == ["UNSERVED"] and found[0].at == at(2026, 4, 11)
    registered(sqlite_app, "B2")
    for n, (to, actor) in enumerate((("yz-zjj", HOUSING), ("yz-rsj", LABOUR),
                                     ("yz-zjj", HOUSING))):
        day = at(2026, 3, 3 + n)
        sqlite_app.execute("B2", "transfer", BUREAU, day, to_unit=to)
        sqlite_app.execute("B2", "receive", actor, day + timedelta(hours=1))
        if len([f for f in sqlite_app.history("B2") if f.kind == "Transferred"]) < 3:
            sqlite_app.execute("B2", "object_to_transfer", actor, day + timedelta(hours=2),
                               reasons="不属于本单位职责")
            sqlite_app.execute("B2", "resolve_objection", BUREAU, day + timedelta(hours=3),
                               resolution="upheld")
    found = findings(sqlite_app, "B2", at(2026, 3, 6))
    assert rules_of(found) == ["TRANSFER-BOUNCE"] and found[0].days == 3
    assert found[0].people["units"] == ["yz-rsj", "yz-xfj", "yz-zjj"]


# --- provisional deadlines, senses, access ---------------------------------------------------
def test_a_provisional_deadline_never_accuses_until_the_calendar_covers_it(
        sqlite_app: Casetrail, clock: Any) -> None:
    clock.set(2027, 3, 1, 9)
    registered(sqlite_app, "P1", at(2026, 12, 1, 10))
    sqlite_app.execute("P1", "transfer", BUREAU, at(2026, 12, 2), to_unit="yz-zjj")
    sqlite_app.execute("P1", "receive", HOUSING, at(2026, 12, 3))
    sqlite_app.execute("P1", "accept", HOUSING, at(2026, 12, 4))
    sqlite_app.execute("P1", "notify_petitioner", HOUSING, at(2026, 12, 4, 11),
                       kind="acceptance", method="written")
    history, org = sqlite_app.history("P1"), sqlite_app.refresh_org()
    result = evaluate(history, org, at(2027, 2, 20), NO_BACKFILL)
    assert result.findings == []
    assert [(p.rule, p.last_day) for p in result.provisional] == [
        ("HANDLING-OVERDUE", "2027-02-02")]
    published = CALENDAR.extended(holidays=[date(2027, 2, d) for d in range(6, 14)],
                                  workdays=[], last_year=2027, version="cal-2027")
    result = evaluate(history, org, at(2027, 2, 20), NO_BACKFILL, calendar=published)
    assert rules_of(result.findings)[0] == "HANDLING-OVERDUE" and result.provisional == []
    assert result.findings[0].days == 18


def test_recorded_sense_sees_what_the_system_knew(sqlite_app: Casetrail, clock: Any) -> None:
    clock.set(2026, 3, 6, 9)
    told(sqlite_app)
    clock.set(2026, 5, 20, 9)  # the reply of 04-01 is entered on 05-20
    sqlite_app.execute("A1", "issue_reply", HOUSING, at(2026, 4, 1), opinion="support",
                       request="r", facts_and_reasons="f", legal_basis="b", rights_notice="n")
    assert "HANDLING-OVERDUE" not in rules_of(findings(sqlite_app, "A1", at(2026, 5, 10)))
    known = findings(sqlite_app, "A1", at(2026, 5, 10), sense="recorded")
    assert rules_of(known) == ["HANDLING-OVERDUE"] and known[0].days == 4
    assert known[0].evidence == (4,)
    later = evaluate_case(sqlite_app.history("A1"), sqlite_app.org, at(2026, 5, 21))
    assert "BACKFILL" in rules_of(later)


def test_accusation_read_by_the_accused_unit(sqlite_app: Casetrail) -> None:
    sqlite_app.register_case(BUREAU, at(2026, 3, 2), case_no="J1", **{
        **GRIEVANCE, "matter_type": "accusation", "accused": {"units": ["yz-zjj"]}})
    records = [
        {"reader_unit": "yz-zjj", "reader_person": "liu-yang", "case_no": "J1",
         "at": "2026-03-04T02:00:00+00:00", "endpoint": "GET /cases/J1",
         "fields": ["petitioners", "request"]},
        {"reader_unit": "yz-zjj", "reader_person": "liu-yang", "case_no": "J1",
         "at": "2026-03-05T02:00:00+00:00", "endpoint": "GET /cases/J1", "fields": ["status"]},
        {"reader_unit": "yz-rsj", "reader_person": None, "case_no": "J1",
         "at": "2026-03-04T02:00:00+00:00", "endpoint": "GET /cases/J1",
         "fields": ["petitioners"]},
    ]
    found = evaluate_access(records, sqlite_app.history, sqlite_app.refresh_org(),
                            at(2026, 3, 10))
    assert rules_of(found) == ["ACCUSATION-SEEN"]
    assert found[0].people["reader_person"] == ["liu-yang"] and found[0].unit == "yz-xfj"
    assert "petitioners" in found[0].detail and found[0].days == 1


def test_city_bureau_bypass_has_its_own_triage_clock(sqlite_app: Casetrail) -> None:
    sqlite_app.register_case(CITY_BUREAU, at(2026, 5, 1), case_no="B1", is_bypass=True,
                             **GRIEVANCE)
    found = findings(sqlite_app, "B1", at(2026, 5, 30))
    assert rules_of(found) == ["BYPASS-UNDETECTED", "TRIAGE-OVERDUE"]
    assert found[1].unit == "city-xfj"
