"""The case lifecycle through the application, on SQLite and PostgreSQL.

Given earlier acts, when a command runs, then these facts — or this refusal, and nothing written.
"""
from __future__ import annotations

import threading
from typing import Any

import pytest

from domain.application import Casetrail
from domain.errors import DomainError, NotFound, VersionConflict
from tests.conftest import (
    BUREAU,
    CITY_BUREAU,
    DISTRICT_GOV,
    GRIEVANCE,
    HOUSING,
    LABOUR,
    at,
    log_size,
    make_app,
)


def registered(app: Casetrail, case_no: str = "A1", when: Any = None, **extra: Any) -> str:
    fields = {**GRIEVANCE, **extra}
    return app.register_case(BUREAU, when or at(2026, 3, 2, 10), case_no=case_no, **fields).case_no


def accepted(app: Casetrail, case_no: str = "A1") -> str:
    registered(app, case_no)
    app.execute(case_no, "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    app.execute(case_no, "receive", HOUSING, at(2026, 3, 4, 10))
    app.execute(case_no, "accept", HOUSING, at(2026, 3, 5, 10))
    return case_no


def served(app: Casetrail, case_no: str = "A1", opinion: str = "support") -> str:
    accepted(app, case_no)
    app.execute(case_no, "issue_reply", HOUSING, at(2026, 4, 1, 10), opinion=opinion,
                request="r", facts_and_reasons="f", legal_basis="b", rights_notice="n")
    app.execute(case_no, "approve_reply", HOUSING, at(2026, 4, 1, 11), approver="zhao-lei")
    app.execute(case_no, "serve_reply", HOUSING, at(2026, 4, 2, 10), method="in_person")
    return case_no


def refused(app: Casetrail, code: str, case_no: str, command: str, actor: dict[str, Any],
            when: Any, **args: Any) -> DomainError:
    before = log_size(app)
    with pytest.raises(DomainError) as info:
        app.execute(case_no, command, actor, when, **args)
    assert info.value.code == code, info.value
    assert info.value.zh and info.value.en
    assert log_size(app) == before, "a refused command must write nothing"
    return info.value


def test_full_path_to_finality_records_every_step(app: Casetrail) -> None:
    served(app)
    app.execute("A1", "request_review", BUREAU, at(2026, 4, 20), organ="yz-gov")
    app.execute("A1", "accept_review", DISTRICT_GOV, at(2026, 4, 21))
    app.execute("A1", "issue_review_opinion", DISTRICT_GOV, at(2026, 5, 10), opinion="uphold")
    app.execute("A1", "serve_review_opinion", DISTRICT_GOV, at(2026, 5, 11), method="post")
    app.execute("A1", "request_review", BUREAU, at(2026, 5, 20), organ="city-gov",
                level="rereview")
    city = {"unit": "city-gov"}
    app.execute("A1", "accept_review", city, at(2026, 5, 21))
    refused(app, "actor.not_review_organ", "A1", "start_hearing", HOUSING, at(2026, 5, 25))
    app.execute("A1", "start_hearing", city, at(2026, 5, 25))
    app.execute("A1", "end_hearing", city, at(2026, 5, 27))
    app.execute("A1", "issue_review_opinion", city, at(2026, 6, 10), opinion="uphold")
    app.execute("A1", "serve_review_opinion", city, at(2026, 6, 11), method="post")
    case = app.get_case("A1")
    assert case.state.status == "final"
    kinds = [f.kind for f in case.facts]
    assert kinds[:4] == ["Registered", "Transferred", "Received", "Accepted"]
    assert kinds.count("ReviewOpinionServed") == 2
    refused(app, "case.closed", "A1", "extend", HOUSING, at(2026, 6, 12), days=5, reason="x",
            approver="zhao-lei")
    refused(app, "case.closed", "A1", "withdraw", HOUSING, at(2026, 6, 12))
    refused(app, "case.closed", "A1", "request_review", BUREAU, at(2026, 6, 12),
            organ="city-gov", level="rereview")


def test_every_event_says_who_and_when(app: Casetrail, clock: Any) -> None:
    clock.set(2026, 5, 20, 9)
    accepted(app)
    for fact in app.history("A1"):
        assert fact.actor["unit"] in ("yz-xfj", "yz-zjj")
        assert fact.occurred_at.year == 2026 and fact.occurred_at.month == 3
        assert fact.recorded_at == clock.now  # set by the system clock, never by the caller


def test_acceptance_before_receipt_is_refused(app: Casetrail) -> None:
    registered(app)
    app.execute("A1", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    refused(app, "case.wrong_stage", "A1", "accept", HOUSING, at(2026, 3, 4))


def test_a_second_acceptance_is_refused(app: Casetrail) -> None:
    accepted(app)
    refused(app, "case.wrong_stage", "A1", "accept", HOUSING, at(2026, 3, 6))


def test_reply_before_acceptance_is_refused(app: Casetrail) -> None:
    registered(app)
    refused(app, "case.wrong_stage", "A1", "issue_reply", BUREAU, at(2026, 3, 3),
            opinion="support")


def test_service_before_the_reply_is_refused(app: Casetrail) -> None:
    accepted(app)
    refused(app, "case.wrong_stage", "A1", "serve_reply", HOUSING, at(2026, 3, 6),
            method="post")


def test_extensions_over_thirty_days_in_total_are_refused(app: Casetrail) -> None:
    accepted(app)
    app.execute("A1", "extend", HOUSING, at(2026, 4, 20), days=20, reason="复杂",
                approver="zhao-lei")
    refused(app, "extension.over_30", "A1", "extend", HOUSING, at(2026, 4, 21), days=11,
            reason="复杂", approver="zhao-lei")
    app.execute("A1", "extend", HOUSING, at(2026, 4, 21), days=10, reason="复杂",
                approver="zhao-lei")
    assert app.get_case("A1").state.extension_days == 30


def test_extension_approved_by_a_former_head_is_refused(app: Casetrail) -> None:
    accepted(app)
    # 王军 was head of the housing bureau until 2026-03-01; 赵磊 since.
    refused(app, "extension.approver_not_head", "A1", "extend", HOUSING, at(2026, 4, 20),
            days=10, reason="复杂", approver="wang-jun")


def test_review_requested_after_thirty_days_is_refused(app: Casetrail) -> None:
    served(app)  # served 2026-04-02; 30 days → 2026-05-02 (Sat, 劳动节 holiday) → rolls
    # 2026 Labour Day holiday runs May 1–5; the last day rolls to Wed 2026-05-06.
    app_refusal = refused(app, "review.too_late", "A1", "request_review", BUREAU,
                          at(2026, 5, 7, 9), organ="yz-gov")
    assert "2026-05-06" in app_refusal.en
    app.execute("A1", "request_review", BUREAU, at(2026, 5, 6, 23, 59), organ="yz-gov")


def test_rereview_before_a_review_opinion_is_refused(app: Casetrail) -> None:
    served(app)
    app.execute("A1", "request_review", BUREAU, at(2026, 4, 20), organ="yz-gov")
    refused(app, "case.wrong_stage", "A1", "request_review", BUREAU, at(2026, 4, 21),
            organ="city-gov", level="rereview")


def test_steps_after_withdrawal_are_refused(app: Casetrail) -> None:
    accepted(app)
    app.execute("A1", "withdraw", HOUSING, at(2026, 3, 10), reason="信访人撤回")
    refused(app, "case.closed", "A1", "issue_reply", HOUSING, at(2026, 3, 11), opinion="support")


@pytest.mark.parametrize("when, code", [
    (at(2026, 12, 1), "time.future"),          # the clock says 2026-11-20
    (at(2026, 3, 1), "time.before_case"),      # registered 2026-03-02
    (at(2026, 3, 4, 9), "time.out_of_order"),  # received 2026-03-04 10:00
])
def test_acts_stated_at_impossible_times_are_refused(app: Casetrail, when: Any, code: str) -> None:
    registered(app)
    app.execute("A1", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
    app.execute("A1", "receive", HOUSING, at(2026, 3, 4, 10))
    refused(app, code, "A1", "accept", HOUSING, when)


def test_a_correction_changes_the_current_state_and_the_history_keeps_both(app: Casetrail) -> None:
    accepted(app)
    app.execute("A1", "correct", BUREAU, at(2026, 3, 6), target_version=1, field="category",
                value="C02", reason="问题分类录入错误")
    case = app.get_case("A1")
    assert case.state.reg["category"] == "C02"
    assert case.facts[0].data["category"] == "C03"  # as recorded
    assert case.effective()[0].corrections == (("category", "C03", "C02"),)
    assert case.facts[-1].kind == "Corrected"


def test_a_correction_that_breaks_the_order_of_acts_is_refused(app: Casetrail) -> None:
    accepted(app)  # received 2026-03-04 10:00, accepted 03-05
    refused(app, "correction.out_of_order", "A1", "correct", HOUSING, at(2026, 3, 6),
            target_version=3, field="occurred_at", value="2026-03-06T10:00:00+08:00",
            reason="签收时间录错")


def test_a_new_petition_on_a_final_matter_is_not_accepted_again(app: Casetrail) -> None:
    test_full_path_to_finality_records_every_step(app)
    app.register_case(HOUSING, at(2026, 7, 1), case_no="A2", repeat_of="A1", same_facts=True,
                      **GRIEVANCE)
    before = log_size(app)
    with pytest.raises(DomainError) as info:
        app.execute("A2", "accept", HOUSING, at(2026, 7, 2))
    assert info.value.code == "final.not_reaccepted"
    assert log_size(app) == before
    app.execute("A2", "refuse", HOUSING, at(2026, 7, 2), reason="不再受理",
                basis="《信访工作条例》第三十六条第三款")
    assert app.get_case("A2").state.status == "refused"
    assert app.get_case("A1").state.links[-1]["other_case"] == "A2"


def test_concurrent_writers_exactly_one_wins(store_url: str, clock: Any) -> None:
    first = make_app(store_url, clock)
    second = Casetrail(store_url, clock=clock)
    try:
        registered(first)
        first.execute("A1", "transfer", BUREAU, at(2026, 3, 3, 10), to_unit="yz-zjj")
        first.execute("A1", "receive", HOUSING, at(2026, 3, 4, 10))
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def act(app: Casetrail, person: str) -> None:
            case = app.get_case("A1")
            barrier.wait()
            try:
                app.execute("A1", "assign_handler", HOUSING, at(2026, 3, 5),
                            expected_version=case.version, person=person)
                outcomes.append("won")
            except VersionConflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=act, args=(a, p))
                   for a, p in ((first, "li-na"), (second, "sun-li"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict", "won"]
        facts = first.history("A1")
        assert [f.kind for f in facts].count("HandlerAssigned") == 1
        # the loser reloads and retries
        second.execute("A1", "note", HOUSING, at(2026, 3, 6), text="重试成功")
        assert first.get_case("A1").version == 5
    finally:
        second.close()
        first.close()


def test_same_case_number_cannot_be_registered_twice(app: Casetrail) -> None:
    registered(app)
    before = log_size(app)
    with pytest.raises(DomainError) as info:
        registered(app)
    assert info.value.code == "case.exists"
    assert log_size(app) == before


def test_unknown_case_is_not_found(app: Casetrail) -> None:
    with pytest.raises(DomainError) as info:
        app.execute("NOPE", "accept", HOUSING, at(2026, 3, 5))
    assert info.value.code == "case.not_found" and isinstance(info.value, NotFound)


def test_posts_are_answered_for_any_past_moment(app: Casetrail) -> None:
    assert app.holders("yz-zjj", "head", at(2026, 2, 28, 23, 59)) == ["wang-jun"]
    assert app.holders("yz-zjj", "head", at(2026, 3, 1)) == ["zhao-lei"]
    assert app.holders("yz-zjj", "handler", at(2026, 7, 1)) == ["sun-li"]
    assert "li-na" in app.holders("yz-rsj", "handler", at(2026, 7, 1))
    assert app.holders("yz-zjj", "head", at(2019, 1, 1)) == []


def test_an_appointment_made_by_another_process_is_seen(store_url: str, clock: Any) -> None:
    first = make_app(store_url, clock)
    second = Casetrail(store_url, clock=clock)
    try:
        accepted(first)
        assert second.holders("yz-zjj", "head", at(2026, 9, 1)) == ["zhao-lei"]
        first.vacate_post("yz-zjj", "head", "zhao-lei", at(2026, 9, 1))
        first.fill_post("yz-zjj", "head", "chen-jing", at(2026, 9, 1))
        assert second.holders("yz-zjj", "head", at(2026, 9, 2)) == ["chen-jing"]
        assert second.holders("yz-zjj", "head", at(2026, 8, 31)) == ["zhao-lei"]
        # the new head can approve an extension the day after; the old one no longer can
        refused(second, "extension.approver_not_head", "A1", "extend", HOUSING,
                at(2026, 9, 2), days=5, reason="复杂", approver="zhao-lei")
    finally:
        second.close()
        first.close()


def test_a_bad_organisation_file_writes_nothing(app: Casetrail) -> None:
    before = log_size(app)
    spec = {"units": [{"code": "new-unit", "name": "新单位", "level": "township",
                       "parent": "yz"}],
            "appointments": [{"unit": "new-unit", "post": "head", "person": "nobody",
                              "from": "2026-01-01"}]}
    with pytest.raises(DomainError) as info:
        app.load_organisation(spec)
    assert info.value.code == "person.unknown"
    assert log_size(app) == before
    assert app.refresh_org().unit("new-unit") is None


def test_marking_a_repeat_links_it_on_the_original(app: Casetrail) -> None:
    registered(app, "A1")
    registered(app, "A2", when=at(2026, 3, 10))
    app.execute("A2", "mark_repeat", BUREAU, at(2026, 3, 11), original="A1")
    assert app.get_case("A2").state.status == "merged"
    link = app.get_case("A1").state.links[-1]
    assert (link["relation"], link["other_case"]) == ("repeat", "A2")


def test_a_withdrawal_is_recorded_only_by_a_unit_that_holds_or_held_the_case(
        app: Casetrail) -> None:
    accepted(app)
    refused(app, "actor.not_holder", "A1", "withdraw", {"unit": "yz-rsj"}, at(2026, 3, 10))


def test_a_baoan_leader_must_hold_a_leadership_post(app: Casetrail) -> None:
    accepted(app)
    refused(app, "leader.not_leader", "A1", "assign_leader", HOUSING, at(2026, 3, 10),
            person="li-na")  # a handler, not a leader
    app.execute("A1", "assign_leader", HOUSING, at(2026, 3, 10), person="chen-jing")


def test_a_provisional_window_refuses_only_beyond_any_holiday_shift(
        app: Casetrail, clock: Any) -> None:
    # 2027 is not covered by the holiday calendar: the objection window is provisional.
    clock.set(2027, 6, 1, 9)
    registered(app, when=at(2027, 3, 1, 10))
    app.execute("A1", "transfer", BUREAU, at(2027, 3, 2, 10), to_unit="yz-zjj")
    app.execute("A1", "receive", HOUSING, at(2027, 3, 3, 10))  # Wed; 5 working days → Wed 03-10
    refused(app, "objection.too_late", "A1", "object_to_transfer", HOUSING, at(2027, 5, 3),
            reasons="不属于本单位职责")
    app.execute("A1", "object_to_transfer", HOUSING, at(2027, 3, 15), reasons="不属于本单位职责")
    fact = app.history("A1")[-1]
    assert fact.data["window_provisional"] is True and fact.data["window_last_day"] == "2027-03-10"


def test_the_review_organ_must_be_above_the_handling_unit(app: Casetrail) -> None:
    served(app)
    refused(app, "review.not_above", "A1", "request_review", BUREAU, at(2026, 4, 20),
            organ="yz-rsj")  # a peer department
    app.execute("A1", "request_review", BUREAU, at(2026, 4, 20), organ="yz-gov")


def test_a_unit_that_signed_for_a_matter_may_pass_it_on_before_accepting(app: Casetrail) -> None:
    app.register_case(CITY_BUREAU, at(2026, 3, 2, 10), case_no="C1", **GRIEVANCE)
    app.execute("C1", "transfer", CITY_BUREAU, at(2026, 3, 3), to_unit="yz-xfj")
    app.execute("C1", "receive", BUREAU, at(2026, 3, 4))
    app.execute("C1", "transfer", BUREAU, at(2026, 3, 5), to_unit="yz-zjj")
    app.execute("C1", "receive", HOUSING, at(2026, 3, 6))
    app.execute("C1", "accept", HOUSING, at(2026, 3, 7))
    state = app.get_case("C1").state
    assert [t["to"] for t in state.transfers] == ["yz-xfj", "yz-zjj"]
    refused(app, "case.wrong_stage", "C1", "transfer", HOUSING, at(2026, 3, 8), to_unit="yz-rsj")


def test_a_unit_that_passed_a_matter_on_may_still_give_its_own_notice(app: Casetrail) -> None:
    """Art. 23 ¶3: the district bureau signed for the matter on 03-04 and owes its notice of
    receipt and route within 15 days, even after passing the matter on to the housing bureau;
    its notice meets its own clock, not the housing bureau's."""
    from domain.clocks import derive_clocks
    from projections.facts import facts_of_aggregate

    app.register_case(CITY_BUREAU, at(2026, 3, 2, 10), case_no="C1", **GRIEVANCE)
    app.execute("C1", "transfer", CITY_BUREAU, at(2026, 3, 3), to_unit="yz-xfj")
    app.execute("C1", "receive", BUREAU, at(2026, 3, 4))
    app.execute("C1", "transfer", BUREAU, at(2026, 3, 5), to_unit="yz-zjj")
    app.execute("C1", "receive", HOUSING, at(2026, 3, 6))
    refused(app, "actor.not_holder", "C1", "notify_petitioner", BUREAU, at(2026, 3, 7),
            kind="acceptance", method="sms")  # not its decision to tell
    refused(app, "actor.not_holder", "C1", "notify_petitioner", LABOUR, at(2026, 3, 7),
            kind="receipt", method="sms")  # never held the matter
    app.execute("C1", "notify_petitioner", BUREAU, at(2026, 3, 7), kind="route", method="sms",
                content="已转伊州区住房和城乡建设局办理")
    notices = {(c.unit, c.outcome) for c in derive_clocks(facts_of_aggregate(app.history("C1")))
               if c.step == "receipt_notice"}
    assert ("yz-xfj", "met") in notices and ("yz-zjj", "open") in notices


def test_an_appointment_overlapping_a_term_of_the_same_post_is_refused(app: Casetrail) -> None:
    """赵磊 is head of the housing bureau from 2026-03-01 (open term): appointing him again from
    an earlier date, or a later one, would name him twice; after his term ends he may return."""
    before = log_size(app)
    for since in (at(2026, 2, 1), at(2026, 3, 1), at(2026, 6, 1)):
        with pytest.raises(DomainError) as info:
            app.fill_post("yz-zjj", "head", "zhao-lei", since)
        assert info.value.code == "post.overlap"
    assert log_size(app) == before
    app.vacate_post("yz-zjj", "head", "zhao-lei", at(2026, 6, 1))
    app.fill_post("yz-zjj", "head", "zhao-lei", at(2026, 7, 1))
    assert app.refresh_org().holders("yz-zjj", "head", at(2026, 7, 2)) == ["zhao-lei"]
