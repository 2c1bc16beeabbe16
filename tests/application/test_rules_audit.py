"""An audit of the accountability rules, rule by rule, on real stores (SQLite and PostgreSQL).

Each test builds a history through the application and checks what a supervisor would be told:
which rule, which unit, handler and leader, how many days, as of which moment and in which sense.
A wrong finding is a false accusation of a named official; a missing one lets inaction pass.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.application import Casetrail
from domain.clocks import derive_clocks
from domain.findings import FindingsIndex, load_histories
from domain.periods import TZ
from domain.rules import Thresholds, evaluate
from tests.application.test_case_lifecycle import accepted, registered
from tests.conftest import BUREAU, CITY_BUREAU, GRIEVANCE, HOUSING, LABOUR, Clock, at
from tests.projections.test_findings_model import check_settled

NO_BACKFILL = Thresholds(backfill_days=10_000)
TICK = timedelta(microseconds=1)
DHL = {"unit": "dhl"}


def found(app: Casetrail, case_no: str, as_of: datetime, sense: str = "happened") -> list[Any]:
    return evaluate(app.history(case_no), app.refresh_org(), as_of, NO_BACKFILL, sense).findings


def rules(items: list[Any]) -> list[str]:
    return [f.rule for f in items]


def one(items: list[Any], rule: str) -> Any:
    [f] = [f for f in items if f.rule == rule]
    return f


def told(app: Casetrail, case_no: str) -> str:
    """Accepted on 2026-03-05 (60 days end 05-04, Labour Day: the last day is 05-06), and the
    petitioner told in writing the same day."""
    accepted(app, case_no)
    app.execute(case_no, "notify_petitioner", HOUSING, at(2026, 3, 5, 11), kind="acceptance",
                method="written")
    return case_no


def full_reply(app: Casetrail, case_no: str, when: datetime, opinion: str = "support") -> None:
    app.execute(case_no, "issue_reply", HOUSING, when, opinion=opinion, request="r",
                facts_and_reasons="f", legal_basis="b", rights_notice="n")


# --- acceptance decision (arts. 23, 44(二)) -------------------------------------------------------
def test_a_unit_that_passed_the_matter_on_in_time_is_not_left_undecided(app: Casetrail) -> None:
    """The city bureau transfers to the district bureau, which signs and passes the matter on to
    the housing bureau the next day; the housing bureau never signs. The district bureau decided
    (art. 23 ¶2: a matter for a unit below is transferred on) and must not be named."""
    app.register_case(CITY_BUREAU, at(2026, 3, 2, 10), case_no="A", **GRIEVANCE)
    app.execute("A", "transfer", CITY_BUREAU, at(2026, 3, 3, 10), to_unit="yz-xfj")
    app.execute("A", "receive", BUREAU, at(2026, 3, 4, 10))
    app.execute("A", "notify_petitioner", BUREAU, at(2026, 3, 4, 11), kind="route",
                method="written")
    app.execute("A", "transfer", BUREAU, at(2026, 3, 5, 10), to_unit="yz-zjj")
    assert found(app, "A", at(2026, 3, 25)) == []
    assert found(app, "A", at(2026, 3, 25), "recorded") == []


def test_a_unit_that_passed_the_matter_on_late_decided_late(app: Casetrail) -> None:
    app.register_case(CITY_BUREAU, at(2026, 3, 2, 10), case_no="A", **GRIEVANCE)
    app.execute("A", "transfer", CITY_BUREAU, at(2026, 3, 3, 10), to_unit="yz-xfj")
    app.execute("A", "receive", BUREAU, at(2026, 3, 4, 10))  # decision due by 03-19
    app.execute("A", "notify_petitioner", BUREAU, at(2026, 3, 4, 11), kind="route",
                method="written")
    app.execute("A", "transfer", BUREAU, at(2026, 3, 21, 10), to_unit="yz-zjj")
    late = one(found(app, "A", at(2026, 3, 22)), "ACCEPT-LATE")
    assert (late.unit, late.leader, late.days, late.at) == ("yz-xfj", "zhou-qiang", 2,
                                                            at(2026, 3, 20))
    assert "ACCEPT-UNDECIDED" not in rules(found(app, "A", at(2026, 4, 30)))


def test_after_a_rejected_objection_the_unit_still_owes_a_decision(app: Casetrail) -> None:
    """Rejected objection (the unit keeps the matter): its decision on acceptance is due 15 days
    after the rejection (the reading that accuses least: not 15 days after receipt)."""
    registered(app, "H")
    app.execute("H", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    app.execute("H", "receive", HOUSING, at(2026, 3, 4, 10))
    app.execute("H", "notify_petitioner", HOUSING, at(2026, 3, 4, 11), kind="receipt",
                method="written")
    app.execute("H", "object_to_transfer", HOUSING, at(2026, 3, 5, 10), reasons="不属于本单位")
    app.execute("H", "resolve_objection", BUREAU, at(2026, 3, 10, 10), resolution="rejected")
    assert found(app, "H", at(2026, 3, 26) - TICK) == []  # 03-10 + 15 = 03-25, 24:00
    undecided = found(app, "H", at(2026, 3, 28))
    assert rules(undecided) == ["ACCEPT-UNDECIDED"]
    assert (undecided[0].unit, undecided[0].days) == ("yz-zjj", 3)
    app.execute("H", "accept", HOUSING, at(2026, 3, 20, 10))
    assert found(app, "H", at(2026, 3, 28)) == []


def test_a_withdrawal_before_any_decision_is_undecided_not_decided_late(app: Casetrail) -> None:
    registered(app, "W")
    app.execute("W", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    app.execute("W", "receive", HOUSING, at(2026, 3, 4, 10))  # due 03-19
    app.execute("W", "withdraw", HOUSING, at(2026, 3, 24, 10), reason="不再反映")
    listed = found(app, "W", at(2026, 4, 30))
    assert rules(listed) == ["ACCEPT-UNDECIDED", "NOTICE-OVERDUE"]
    assert [f.days for f in listed] == [5, 5]  # frozen at the withdrawal (03-24)
    assert all(f.category == "inaction" for f in listed)


# --- clocks cancelled by a withdrawal ----------------------------------------------------------
def test_a_withdrawal_after_the_handling_deadline_does_not_erase_the_breach(
        app: Casetrail) -> None:
    told(app, "B")
    app.execute("B", "assign_handler", HOUSING, at(2026, 3, 6), person="li-na")
    before = found(app, "B", at(2026, 5, 20))
    assert rules(before) == ["HANDLING-OVERDUE", "SUPERVISION-NOT-PURSUED"]
    app.execute("B", "withdraw", HOUSING, at(2026, 6, 1, 10), reason="不想再等")
    for as_of in (at(2026, 5, 20), at(2026, 6, 10), at(2027, 1, 1)):
        after = found(app, "B", as_of)
        assert rules(after) == ["HANDLING-OVERDUE", "SUPERVISION-NOT-PURSUED"], as_of
    overdue = found(app, "B", at(2026, 6, 10))[0]
    assert (overdue.unit, overdue.handler, overdue.leader) == ("yz-zjj", "li-na", "chen-jing")
    assert overdue.days == 26 and overdue.at == at(2026, 5, 7)  # 05-06 .. withdrawn 06-01
    assert overdue.evidence[-1] == app.history("B")[-1].version  # the withdrawal is evidence
    assert found(app, "B", at(2026, 5, 20))[0].days == 14  # as of before it: still running


def test_a_withdrawal_before_the_deadline_cancels_every_clock(app: Casetrail) -> None:
    told(app, "M")
    app.execute("M", "supervise", BUREAU, at(2026, 3, 20), kind="written", due_date="2026-03-27")
    app.execute("M", "withdraw", HOUSING, at(2026, 3, 26, 10), reason="已和解")
    assert found(app, "M", at(2026, 12, 1)) == []
    told(app, "M2")
    app.execute("M2", "withdraw", HOUSING, at(2026, 5, 7) - TICK, reason="已和解")  # 23:59:59.9
    assert found(app, "M2", at(2026, 12, 1)) == []


def test_a_reply_withdrawn_before_its_service_limit_is_not_unserved(app: Casetrail) -> None:
    told(app, "C")
    full_reply(app, "C", at(2026, 4, 1, 10), "explain")
    app.execute("C", "withdraw", HOUSING, at(2026, 4, 3, 10), reason="已理解")
    assert found(app, "C", at(2026, 4, 20)) == []
    told(app, "C2")
    full_reply(app, "C2", at(2026, 4, 1, 10), "explain")
    app.execute("C2", "withdraw", HOUSING, at(2026, 4, 15, 10), reason="等不及")
    unserved = one(found(app, "C2", at(2026, 4, 20)), "UNSERVED")
    assert unserved.at == at(2026, 4, 11, 10) and unserved.unit == "yz-zjj"


# --- 推诿 and 督办 ----------------------------------------------------------------------------------
def test_routing_down_the_territorial_chain_is_not_shirking(app: Casetrail) -> None:
    """City bureau → district bureau → street → community: three transfers, each to a unit
    that had not held the matter, none sent back (分层过筛子, arts. 22(二), 23)."""
    app.register_case(CITY_BUREAU, at(2026, 3, 2, 10), case_no="D", **GRIEVANCE)
    app.execute("D", "transfer", CITY_BUREAU, at(2026, 3, 3, 10), to_unit="yz-xfj")
    app.execute("D", "receive", BUREAU, at(2026, 3, 3, 11))
    app.execute("D", "transfer", BUREAU, at(2026, 3, 3, 12), to_unit="dhl")
    app.execute("D", "receive", DHL, at(2026, 3, 3, 13))
    app.execute("D", "transfer", DHL, at(2026, 3, 3, 14), to_unit="dhl-sq1")
    assert found(app, "D", at(2026, 3, 4)) == []


def test_a_matter_passed_back_and_forth_names_the_unit_that_sent_it_back(
        app: Casetrail) -> None:
    """District bureau → housing; housing passes it to labour; labour sends it back to housing;
    housing passes it to labour again: the third return is 推诿, by the housing bureau."""
    registered(app, "S")
    app.execute("S", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    moves = (("yz-zjj", HOUSING, "yz-rsj"), ("yz-rsj", LABOUR, "yz-zjj"),
             ("yz-zjj", HOUSING, "yz-rsj"))
    for n, (_, actor, to) in enumerate(moves):
        app.execute("S", "receive", actor, at(2026, 3, 4 + n, 10))
        app.execute("S", "transfer", actor, at(2026, 3, 4 + n, 11), to_unit=to)
    listed = found(app, "S", at(2026, 3, 8))
    bounce = one(listed, "TRANSFER-BOUNCE")
    assert (bounce.unit, bounce.at, bounce.days) == ("yz-zjj", at(2026, 3, 6, 11), 3)
    assert bounce.people["units"] == ["yz-rsj", "yz-zjj"]


def test_repeated_supervision_counts_only_the_acts_on_the_unit_that_moved(
        app: Casetrail) -> None:
    """One supervision of the labour bureau (answered at once), one of the housing bureau, then
    the housing bureau's reply: nobody moved only after two supervisions of its own."""
    told(app, "N")
    app.execute("N", "supervise", BUREAU, at(2026, 3, 20), kind="written",
                due_date="2026-03-27", target_unit="yz-rsj")
    app.execute("N", "answer_supervision", LABOUR, at(2026, 3, 21), number=1, content="已转告")
    app.execute("N", "supervise", BUREAU, at(2026, 3, 22), kind="written", due_date="2026-03-27")
    app.execute("N", "answer_supervision", HOUSING, at(2026, 3, 23), number=2, content="办理中")
    full_reply(app, "N", at(2026, 3, 24))
    assert found(app, "N", at(2026, 3, 25)) == []
    app.execute("N", "supervise", BUREAU, at(2026, 4, 1), kind="written", due_date="2026-04-08")
    app.execute("N", "supervise", BUREAU, at(2026, 4, 5), kind="listed", due_date="2026-04-12")
    app.execute("N", "approve_reply", HOUSING, at(2026, 4, 6), approver="zhao-lei")
    app.execute("N", "serve_reply", HOUSING, at(2026, 4, 7), method="in_person")
    repeated = one(found(app, "N", at(2026, 4, 8)), "SUPERVISION-REPEATED")
    assert (repeated.unit, repeated.days) == ("yz-zjj", 2)


# --- boundaries --------------------------------------------------------------------------------
def test_a_reply_at_23_59_59_on_the_last_day_is_on_time_and_at_midnight_one_day_late(
        app: Casetrail) -> None:
    told(app, "E1")
    full_reply(app, "E1", datetime(2026, 5, 6, 23, 59, 59, tzinfo=TZ))
    assert found(app, "E1", at(2026, 5, 8)) == []
    told(app, "E2")
    full_reply(app, "E2", at(2026, 5, 7))
    late = found(app, "E2", at(2026, 5, 8))
    assert rules(late) == ["HANDLING-LATE"] and late[0].days == 1


def test_as_of_the_due_moment_exactly(app: Casetrail) -> None:
    told(app, "E3")
    assert found(app, "E3", at(2026, 5, 7) - TICK) == []
    due = found(app, "E3", at(2026, 5, 7))
    assert rules(due) == ["HANDLING-OVERDUE"] and due[0].days == 1 and due[0].at == at(2026, 5, 7)


def test_findings_agree_with_the_extended_clock(app: Casetrail) -> None:
    """A 5-day extension of a limit that rolled over Labour Day (05-04 → 05-06) runs from
    05-06: 05-11; the clock and the finding say the same last day."""
    told(app, "X")
    app.execute("X", "extend", HOUSING, at(2026, 4, 20), days=5, reason="复杂",
                approver="zhao-lei", petitioner_told=True)
    [handling] = [c for c in derive_clocks(app.history("X")) if c.step == "handling"]
    assert handling.deadline.last_day.isoformat() == "2026-05-11"
    assert found(app, "X", at(2026, 5, 12) - TICK) == []
    overdue = found(app, "X", at(2026, 5, 12))
    assert rules(overdue) == ["HANDLING-OVERDUE"] and "2026-05-11" in overdue[0].detail


def test_an_acceptance_deadline_in_2027_accuses_nobody(app: Casetrail, clock: Clock) -> None:
    clock.set(2027, 3, 1, 9)
    registered(app, "P", at(2026, 12, 10, 10))
    app.execute("P", "transfer", BUREAU, at(2026, 12, 11, 10), to_unit="yz-zjj")
    app.execute("P", "receive", HOUSING, at(2026, 12, 20, 10))  # + 15 = 2027-01-04
    result = evaluate(app.history("P"), app.refresh_org(), at(2027, 2, 1), NO_BACKFILL)
    assert result.findings == []
    assert {(p.rule, p.last_day) for p in result.provisional} == {
        ("ACCEPT-UNDECIDED", "2027-01-04"), ("NOTICE-OVERDUE", "2027-01-04")}


# --- who is named -----------------------------------------------------------------------------
def test_nobody_is_invented_when_the_posts_are_vacant_at_the_breach(app: Casetrail) -> None:
    told(app, "V")
    app.execute("V", "assign_handler", HOUSING, at(2026, 3, 6), person="li-na")
    app.vacate_post("yz-zjj", "petition_leader", "chen-jing", at(2026, 4, 1))
    app.vacate_post("yz-zjj", "head", "zhao-lei", at(2026, 4, 1))
    app.fill_post("yz-zjj", "head", "wang-jun", at(2026, 6, 1))  # today's head: not named
    overdue = one(found(app, "V", at(2026, 6, 10)), "HANDLING-OVERDUE")
    assert (overdue.unit, overdue.handler, overdue.leader) == ("yz-zjj", "li-na", None)
    assert "yz-zjj:head" not in overdue.people


# --- what was known (recorded sense) ----------------------------------------------------------
def test_a_correction_changes_the_known_finding_only_from_its_recording(
        app: Casetrail, clock: Clock) -> None:
    clock.set(2026, 3, 5, 12)
    told(app, "G")
    clock.set(2026, 4, 1, 11)
    app.execute("G", "issue_reply", HOUSING, at(2026, 4, 1, 10), opinion="explain",
                request="r", facts_and_reasons="f", legal_basis="", rights_notice="n")
    clock.set(2026, 4, 10, 11)
    reply = [f.version for f in app.history("G") if f.kind == "ReplyIssued"][0]
    app.execute("G", "correct", HOUSING, at(2026, 4, 10, 10), target_version=reply,
                field="legal_basis", value="《信访工作条例》第三十二条", reason="漏录")
    for as_of in (at(2026, 4, 5), at(2026, 4, 10, 11) - TICK):
        assert rules(found(app, "G", as_of, "recorded")) == ["REPLY-INCOMPLETE"], as_of
    assert found(app, "G", at(2026, 4, 10, 11), "recorded") == []


# --- the same history, the same findings ------------------------------------------------------
def test_the_new_histories_settle_and_build_the_same_from_scratch(app: Casetrail) -> None:
    told(app, "B")
    app.execute("B", "withdraw", HOUSING, at(2026, 6, 1, 10), reason="不想再等")
    registered(app, "W")
    app.execute("W", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    app.execute("W", "receive", HOUSING, at(2026, 3, 4, 10))
    app.execute("W", "withdraw", HOUSING, at(2026, 3, 24, 10), reason="不再反映")
    told(app, "C2")
    full_reply(app, "C2", at(2026, 4, 1, 10), "explain")
    app.execute("C2", "withdraw", HOUSING, at(2026, 4, 15, 10), reason="等不及")
    org = app.refresh_org()
    histories = load_histories(app)
    for facts in histories.values():
        assert check_settled(facts, org) > 0
    as_of = at(2026, 6, 30)
    one_by_one = FindingsIndex(org, as_of, NO_BACKFILL)
    for case_no, facts in histories.items():
        one_by_one.update(case_no, facts)
    scratch = FindingsIndex(org, as_of, NO_BACKFILL).build_from_store(app, workers=1)
    assert [f.as_dict() for f in one_by_one.findings()] == [
        f.as_dict() for f in scratch.findings()]
    assert {f.rule for f in scratch.findings()} >= {"HANDLING-OVERDUE", "ACCEPT-UNDECIDED",
                                                      "UNSERVED"}


# --- territory and confidentiality ------------------------------------------------------------
def test_a_bypass_names_who_held_the_territorial_posts_then_and_invents_nobody(
        app: Casetrail) -> None:
    app.vacate_post("dhl-sq1-g1", "grid_head", "he-ping", at(2026, 4, 1))
    app.register_case(CITY_BUREAU, at(2026, 5, 1), case_no="Y1", is_bypass=True, **GRIEVANCE)
    bypass = one(found(app, "Y1", at(2026, 5, 2)), "BYPASS-UNDETECTED")
    assert bypass.unit == "dhl-sq1-g1" and bypass.leader is None
    assert "dhl-sq1-g1:grid_head" not in bypass.people  # vacant on 05-01
    assert bypass.people["dhl-sq1:village_secretary"] == ["he-ping"]
    app.register_case(BUREAU, at(2026, 5, 2), case_no="Y0", **GRIEVANCE)
    app.register_case(CITY_BUREAU, at(2026, 5, 3), case_no="Y2", is_bypass=True,
                      bypass_of="Y0", **GRIEVANCE)
    assert "BYPASS-UNDETECTED" not in rules(found(app, "Y2", at(2026, 5, 4)))


def test_a_read_of_accusation_content_accuses_only_reads_by_the_accused_then(
        app: Casetrail) -> None:
    from domain.rules import evaluate_access

    app.register_case(BUREAU, at(2026, 3, 2), case_no="J1", **{
        **GRIEVANCE, "matter_type": "accusation", "accused": {"persons": ["li-na"]}})

    def read(person: str, unit: str, day: int, fields: list[str]) -> dict[str, Any]:
        return {"reader_unit": unit, "reader_person": person, "case_no": "J1",
                "at": at(2026, 6, day), "endpoint": "GET /cases/J1", "fields": fields}

    records = [read("li-na", "yz-rsj", 2, ["petitioners"]),     # the accused person, elsewhere
               read("sun-li", "yz-zjj", 2, ["petitioners"]),    # a colleague, not accused
               read("li-na", "yz-rsj", 3, ["status"])]          # no accusation content
    seen = evaluate_access(records, app.history, app.refresh_org(), at(2026, 6, 30))
    assert [(f.rule, f.people["reader_person"], f.days) for f in seen] == [
        ("ACCUSATION-SEEN", ["li-na"], 1)]
    assert seen[0].articles == ("第三十条第三款", "第四十六条第（五）项")
    assert evaluate_access(records, app.history, app.refresh_org(), at(2026, 6, 1)) == []
