"""The responsibility read model and the queues as a discipline supervisor audits them, on SQLite
and PostgreSQL: nobody is named for a post or a charge they did not hold then, the territorial
chain is whole, a clock's days per holder add up to its own count, and the queues' boundaries.

Queue decisions (what an officer expects):
* 日审核 as of D is the morning's list (00:00 Asia/Shanghai, reproducible whenever it is run): a
  clock whose last day is D is on it, and so is one met later that day — it was due and open
  when the day's review began; it is gone from D+1's.
* A unit's queue lists the clocks *owed by that unit*, not the cases it holds now: after it passed
  a case on, the notice it still owes stays on its list, and the next unit's clocks are not.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.application import Casetrail
from projections import queries as Q
from projections.facts import facts_of_aggregate
from projections.runner import catch_up, rebuild
from projections.schema import ViewDB
from tests.conftest import BUREAU, GRIEVANCE, HOUSING, LABOUR, at

CITY_BUREAU = {"unit": "city-xfj"}
GOV = {"unit": "yz-gov"}
CITY_GOV = {"unit": "city-gov"}


def accepted(app: Casetrail, case_no: str = "A1") -> None:
    """Registered at the district bureau on 02-02, transferred to the housing bureau, signed
    for and accepted there by 02-05."""
    app.register_case(BUREAU, occurred_at=at(2026, 2, 2, 10), case_no=case_no, **GRIEVANCE)
    app.execute(case_no, "transfer", BUREAU, occurred_at=at(2026, 2, 3, 10), to_unit="yz-zjj")
    app.execute(case_no, "receive", HOUSING, occurred_at=at(2026, 2, 4, 10))
    app.execute(case_no, "accept", HOUSING, occurred_at=at(2026, 2, 5, 10))


def rebuilt_equals_incremental(app: Casetrail) -> None:
    """The read models kept up to now equal a rebuild from the whole log, row for row."""
    with ViewDB(app.database_url) as db:
        incremental = db.dump()
    rebuild(app, progress=False)
    with ViewDB(app.database_url) as db:
        assert db.dump() == incremental


def held(app: Casetrail, case_no: str, moment: Any) -> dict[str, Any]:
    """who_held from the read models, checked against a direct fold of the events."""
    catch_up(app)
    with ViewDB(app.database_url) as db:
        found = Q.who_held(db, case_no, moment)
    reference = Q.who_held_from_facts(case_no, facts_of_aggregate(app.history(case_no)),
                                      app.refresh_org(), moment)
    assert found == reference
    assert found is not None
    return found


def chain(answer: dict[str, Any]) -> list[tuple[str, dict[str, list[str]]]]:
    return [(level["unit"], level["posts"]) for level in answer["territory"]]


def days(app: Casetrail, case_no: str, clock: str) -> list[tuple[str | None, int | None]]:
    catch_up(app)
    with ViewDB(app.database_url) as db:
        return [(r["unit"], r["days"]) for r in Q.days_with_holders(db, case_no)
                if r["clock"] == clock]


def clock(app: Casetrail, case_no: str, name: str, moment: Any) -> dict[str, Any]:
    catch_up(app)
    with ViewDB(app.database_url) as db:
        return {c["clock"]: c for c in Q.clocks_at(db, case_no, moment)}[name]


# --- posts: vacancies, back-dated appointments, people in two posts -------------------------------
def test_a_vacant_post_names_nobody_and_a_back_dated_appointment_re_attributes_the_past(
        app: Casetrail) -> None:
    accepted(app)
    app.vacate_post("yz-zjj", "petition_leader", "chen-jing", at(2026, 3, 10))
    assert held(app, "A1", at(2026, 3, 9, 23))["petition_leader"] == ["chen-jing"]
    assert held(app, "A1", at(2026, 3, 20))["petition_leader"] == []  # nobody, not the next
    app.fill_post("yz-zjj", "petition_leader", "sun-li", at(2026, 3, 15))  # recorded later
    assert held(app, "A1", at(2026, 3, 12))["petition_leader"] == []  # still vacant then
    assert held(app, "A1", at(2026, 3, 9, 23))["petition_leader"] == ["chen-jing"]
    assert held(app, "A1", at(2026, 3, 15))["petition_leader"] == ["sun-li"]
    rebuilt_equals_incremental(app)


def test_one_person_in_two_posts_is_named_in_both(app: Casetrail) -> None:
    accepted(app)
    app.fill_post("yz-zjj", "petition_leader", "zhao-lei", at(2026, 3, 20))
    answer = held(app, "A1", at(2026, 3, 25))
    assert answer["head"] == ["zhao-lei"]
    assert answer["petition_leader"] == ["chen-jing", "zhao-lei"]


def test_a_handler_who_became_petition_officer_elsewhere_is_named_there_not_here(
        app: Casetrail) -> None:
    accepted(app)
    app.execute("A1", "assign_handler", HOUSING, occurred_at=at(2026, 2, 6, 10), person="sun-li")
    app.vacate_post("yz-zjj", "handler", "sun-li", at(2026, 3, 10))
    app.fill_post("yz-rsj", "petition_officer", "sun-li", at(2026, 3, 10))
    app.register_case(BUREAU, occurred_at=at(2026, 3, 11, 10), case_no="B1", **GRIEVANCE)
    app.execute("B1", "transfer", BUREAU, occurred_at=at(2026, 3, 12, 10), to_unit="yz-rsj")
    assert held(app, "A1", at(2026, 3, 9))["handler"] == "sun-li"
    after = held(app, "A1", at(2026, 3, 10))
    assert (after["unit"], after["handler"], after["segment"]["cause"]) == (
        "yz-zjj", None, "handler_left")
    assert held(app, "B1", at(2026, 3, 13))["petition_officer"] == ["sun-li"]


def test_a_handler_who_left_and_came_back_in_another_post_is_not_named_again(
        app: Casetrail) -> None:
    accepted(app)
    app.execute("A1", "assign_handler", HOUSING, occurred_at=at(2026, 2, 6, 10), person="sun-li")
    app.vacate_post("yz-zjj", "handler", "sun-li", at(2026, 3, 5))
    app.fill_post("yz-zjj", "petition_officer", "sun-li", at(2026, 4, 1))
    assert held(app, "A1", at(2026, 3, 10))["handler"] is None
    back = held(app, "A1", at(2026, 4, 5))
    assert back["handler"] is None  # the case was not given back to her
    assert back["petition_officer"] == ["liu-yang", "sun-li"]
    app.execute("A1", "assign_handler", HOUSING, occurred_at=at(2026, 4, 6, 10), person="sun-li")
    assert held(app, "A1", at(2026, 4, 7))["handler"] == "sun-li"  # a new assignment does


# --- 领导包案 --------------------------------------------------------------------------------------
def test_a_replaced_baoan_leader_is_named_only_until_replaced(app: Casetrail) -> None:
    accepted(app)
    app.execute("A1", "assign_leader", HOUSING, occurred_at=at(2026, 2, 10, 10),
                person="chen-jing")
    app.execute("A1", "assign_leader", HOUSING, occurred_at=at(2026, 2, 20, 10),
                person="wang-jun")
    assert held(app, "A1", at(2026, 2, 15))["baoan_leader"] == ["chen-jing"]
    assert held(app, "A1", at(2026, 2, 21))["baoan_leader"] == ["wang-jun"]
    assert app.get_case("A1").state.leaders == ["wang-jun"]  # the case state says the same


def test_a_baoan_leader_is_named_only_while_in_a_leadership_post(app: Casetrail) -> None:
    """王军 was head of the housing bureau until 2026-03-01 (organisation file)."""
    accepted(app)
    app.execute("A1", "assign_leader", HOUSING, occurred_at=at(2026, 2, 10, 10),
                person="wang-jun")
    assert held(app, "A1", at(2026, 2, 28, 23))["baoan_leader"] == ["wang-jun"]
    assert held(app, "A1", at(2026, 3, 1))["baoan_leader"] == []
    app.fill_post("yz-gov", "head", "wang-jun", at(2026, 3, 1))  # recorded later: he led on
    assert held(app, "A1", at(2026, 3, 2))["baoan_leader"] == ["wang-jun"]


def test_a_baoan_leader_put_in_charge_before_the_case_reached_the_unit_stays_in_charge(
        app: Casetrail) -> None:
    app.register_case(BUREAU, occurred_at=at(2026, 2, 2, 10), case_no="A1", **GRIEVANCE)
    app.execute("A1", "assign_leader", BUREAU, occurred_at=at(2026, 2, 2, 15), person="ma-hui")
    app.execute("A1", "transfer", BUREAU, occurred_at=at(2026, 2, 3, 10), to_unit="yz-zjj")
    before, after = held(app, "A1", at(2026, 2, 2, 16)), held(app, "A1", at(2026, 2, 4))
    assert (before["unit"], before["baoan_leader"]) == ("yz-xfj", ["ma-hui"])
    assert (after["unit"], after["baoan_leader"]) == ("yz-zjj", ["ma-hui"])


# --- the territorial chain ------------------------------------------------------------------------
def test_the_territorial_chain_lists_every_level_even_without_post_holders(
        app: Casetrail) -> None:
    app.register_case(BUREAU, occurred_at=at(2026, 2, 2, 10), case_no="G1", **GRIEVANCE)
    app.register_case(BUREAU, occurred_at=at(2026, 2, 2, 10), case_no="T1",
                      **{**GRIEVANCE, "location": "dhl"})
    assert chain(held(app, "G1", at(2026, 2, 3))) == [
        ("dhl-sq1-g1", {"grid_head": ["he-ping"]}), ("dhl-sq1", {"village_secretary": ["he-ping"]}),
        ("dhl", {}), ("yz", {}), ("city", {})]
    township = held(app, "T1", at(2026, 2, 3))  # a location given at township level only
    assert [(level["unit"], level["level"]) for level in township["territory"]] == [
        ("dhl", "township"), ("yz", "county"), ("city", "city")]


def test_a_grid_moved_to_another_village_mid_case_changes_the_chain_from_then(
        app: Casetrail) -> None:
    app.load_organisation({"units": [{"code": "dhl-sq2", "name": "二社区", "level": "village",
                                      "kind": "territorial", "parent": "dhl",
                                      "since": "2020-01-01"}],
                           "appointments": [{"unit": "dhl-sq2", "post": "village_secretary",
                                             "person": "sun-li", "from": "2021-01-01"}]})
    accepted(app)
    app.move_unit("dhl-sq1-g1", "dhl-sq2", at(2026, 3, 1))
    assert chain(held(app, "A1", at(2026, 2, 28, 23)))[:3] == [
        ("dhl-sq1-g1", {"grid_head": ["he-ping"]}), ("dhl-sq1", {"village_secretary": ["he-ping"]}),
        ("dhl", {})]
    assert chain(held(app, "A1", at(2026, 3, 1)))[:3] == [
        ("dhl-sq1-g1", {"grid_head": ["he-ping"]}), ("dhl-sq2", {"village_secretary": ["sun-li"]}),
        ("dhl", {})]


# --- days per holder ---------------------------------------------------------------------------
def test_two_transfers_in_one_day_give_the_middle_unit_no_day_and_the_days_add_up(
        app: Casetrail) -> None:
    app.register_case(CITY_BUREAU, occurred_at=at(2026, 3, 2, 10), case_no="A", **GRIEVANCE)
    app.execute("A", "supervise", CITY_BUREAU, occurred_at=at(2026, 3, 3, 10), kind="online",
                due_date="2026-03-13", target_unit="city-xfj")
    app.execute("A", "transfer", CITY_BUREAU, occurred_at=at(2026, 3, 6, 9), to_unit="yz-xfj")
    app.execute("A", "receive", BUREAU, occurred_at=at(2026, 3, 6, 10))
    app.execute("A", "transfer", BUREAU, occurred_at=at(2026, 3, 6, 11), to_unit="yz-zjj")
    app.execute("A", "answer_supervision", CITY_BUREAU, occurred_at=at(2026, 3, 11, 10),
                number=1, content="已转住建局办理")
    assert days(app, "A", "supervision_response:1") == [
        ("city-xfj", 3), ("yz-xfj", 0), ("yz-zjj", 5)]  # 03-03 → 03-11: 8 days


def test_a_transfer_on_the_last_day_leaves_that_day_with_the_sender(app: Casetrail) -> None:
    app.register_case(BUREAU, occurred_at=at(2026, 3, 2, 10), case_no="A", **GRIEVANCE)
    app.execute("A", "supervise", CITY_BUREAU, occurred_at=at(2026, 3, 3, 10), kind="online",
                due_date="2026-03-13")
    app.execute("A", "transfer", BUREAU, occurred_at=at(2026, 3, 13, 15), to_unit="yz-zjj")
    app.execute("A", "answer_supervision", BUREAU, occurred_at=at(2026, 3, 16, 10), number=1,
                content="已转住建局办理")
    assert days(app, "A", "supervision_response:1") == [("yz-xfj", 10), ("yz-zjj", 3)]
    c = clock(app, "A", "supervision_response:1", at(2026, 3, 17))
    assert c["status"] == "met_late"
    assert sum(d for _u, d in days(app, "A", "supervision_response:1")) == (
        c["stop_at"].date() - date(2026, 3, 3)).days


def reach_rereview(app: Casetrail, handler: str | None = None) -> None:
    """Case R, handled by the housing bureau (by ``handler`` if given), reviewed by the district
    government, and its 复核 requested from the city government on 2026-03-02 10:00."""
    app.register_case(HOUSING, occurred_at=at(2025, 11, 3, 9), case_no="R", **GRIEVANCE)
    app.execute("R", "accept", HOUSING, occurred_at=at(2025, 11, 3, 10))
    if handler is not None:
        app.execute("R", "assign_handler", HOUSING, occurred_at=at(2025, 11, 3, 11),
                    person=handler)
    for command, actor, moment, args in (
            ("issue_reply", HOUSING, at(2025, 12, 1, 10), {"opinion": "support"}),
            ("approve_reply", HOUSING, at(2025, 12, 2, 10), {"approver": "chen-jing"}),
            ("serve_reply", HOUSING, at(2025, 12, 3, 10), {"method": "in_person"}),
            ("request_review", BUREAU, at(2025, 12, 20, 10), {"organ": "yz-gov"}),
            ("accept_review", GOV, at(2025, 12, 21, 10), {}),
            ("issue_review_opinion", GOV, at(2026, 2, 5, 10), {"opinion": "uphold"}),
            ("serve_review_opinion", GOV, at(2026, 2, 10, 10), {"method": "post"}),
            ("request_review", BUREAU, at(2026, 3, 2, 10), {"organ": "city-gov",
                                                            "level": "rereview"})):
        app.execute("R", command, actor, occurred_at=moment, **args)


def test_hearing_days_are_no_holders_days_and_the_days_add_up_to_the_clocks_count(
        app: Casetrail) -> None:
    reach_rereview(app)
    for command, actor, moment, args in (
            ("accept_review", CITY_GOV, at(2026, 3, 2, 15), {}),
            ("start_hearing", CITY_GOV, at(2026, 3, 10, 9), {}),
            ("end_hearing", CITY_GOV, at(2026, 3, 12, 17), {}),
            ("issue_review_opinion", CITY_GOV, at(2026, 4, 2, 10), {"opinion": "uphold"})):
        app.execute("R", command, actor, occurred_at=moment, **args)
    # the re-review organ holds the case from the request on (not the housing bureau): a head
    # appointed there starts a new segment
    app.vacate_post("yz-zjj", "petition_officer", "liu-yang", at(2026, 3, 15))  # not its segment
    app.fill_post("city-gov", "head", "wang-jun", at(2026, 3, 20))
    assert {unit for unit, _d in days(app, "R", "rereview_opinion")} == {"city-gov"}
    per_holder = [d for _unit, d in days(app, "R", "rereview_opinion")]
    assert per_holder == [18 - 3, 13]  # 03-02 → 03-20 less the 3 hearing days; 03-20 → 04-02
    with ViewDB(app.database_url) as db:
        (paused,) = db.query("SELECT paused_days FROM pv_clocks WHERE clock = 'rereview_opinion'")
    assert sum(per_holder) == (date(2026, 4, 2) - date(2026, 3, 2)).days - paused[0]
    rebuilt_equals_incremental(app)


# --- queues and search ---------------------------------------------------------------------------
def test_daily_review_and_weekly_dispatch_boundaries(app: Casetrail) -> None:
    """Triage clocks of cases registered on 03-02 end on 03-17; Q2 is transferred (met) at
    15:00 on its last day."""
    for no in ("Q1", "Q2"):
        app.register_case(BUREAU, occurred_at=at(2026, 3, 2, 10), case_no=no, **GRIEVANCE)
    app.execute("Q2", "transfer", BUREAU, occurred_at=at(2026, 3, 17, 15), to_unit="yz-zjj")
    catch_up(app)
    last = date(2026, 3, 17)
    with ViewDB(app.database_url) as db:
        assert clock(app, "Q1", "triage", at(2026, 3, 3))["last_day"] == last

        def queued(day: date) -> list[str]:
            return [c["case_no"] for c in Q.queue(db, "yz-xfj", day)]

        def dispatched(day: date) -> list[str]:
            return [c["case_no"] for c in Q.weekly_dispatch(db, day).get("yz-xfj", [])]

        assert queued(last - timedelta(days=1)) == []
        assert queued(last) == ["Q1", "Q2"]  # Q2 was still open that morning
        assert queued(last + timedelta(days=1)) == ["Q1"]  # overdue stays; met is gone
        assert dispatched(last - timedelta(days=7)) == []  # D+7 is not in D's week
        assert dispatched(last - timedelta(days=6)) == ["Q1", "Q2"]
        assert dispatched(last) == ["Q1", "Q2"]
        assert dispatched(last + timedelta(days=1)) == []
        assert [r["case_no"] for r in Q.search(db, due_within_days=0, as_of=last)] == ["Q1", "Q2"]
        assert Q.search(db, due_within_days=0, as_of=last - timedelta(days=1)) == []


def test_a_units_queue_keeps_what_it_owes_after_passing_the_case_on(app: Casetrail) -> None:
    app.register_case(BUREAU, occurred_at=at(2026, 3, 2, 10), case_no="P", **GRIEVANCE)
    app.execute("P", "transfer", BUREAU, occurred_at=at(2026, 3, 3, 10), to_unit="yz-zjj")
    app.execute("P", "receive", HOUSING, occurred_at=at(2026, 3, 4, 10))
    app.execute("P", "transfer", HOUSING, occurred_at=at(2026, 3, 5, 10), to_unit="yz-rsj")
    app.execute("P", "receive", LABOUR, occurred_at=at(2026, 3, 6, 10))
    catch_up(app)
    with ViewDB(app.database_url) as db:
        notices = [c for c in Q.clocks_at(db, "P", at(2026, 3, 7))
                   if c["step"] == "receipt_notice"]
        housing = next(c for c in notices if c["unit"] == "yz-zjj")
        labour = next(c for c in notices if c["unit"] == "yz-rsj")
        owed = Q.queue(db, "yz-zjj", housing["last_day"])
        assert [(c["case_no"], c["unit"], c["step"]) for c in owed] == [
            ("P", "yz-zjj", "receipt_notice")]  # its own notice, the case now at yz-rsj
        assert [c["unit"] for c in Q.queue(db, "yz-rsj", labour["last_day"])
                if c["step"] == "receipt_notice"] == ["yz-rsj"]
        assert [r["case_no"] for r in Q.search(db, unit="yz-rsj")] == ["P"]  # held now
        assert Q.search(db, unit="yz-zjj") == []


def test_search_by_category_matter_type_and_channel(app: Casetrail) -> None:
    app.register_case(BUREAU, occurred_at=at(2026, 3, 2, 10), case_no="S1", **GRIEVANCE)
    app.register_case(BUREAU, occurred_at=at(2026, 3, 2, 10), case_no="S2",
                      **{**GRIEVANCE, "channel": "letter", "matter_type": "suggestion",
                         "category": "C01"})
    catch_up(app)
    with ViewDB(app.database_url) as db:
        def found(**kw: Any) -> list[str]:
            return [r["case_no"] for r in Q.search(db, **kw)]

        assert found(category="C03") == ["S1"] and found(category="C01") == ["S2"]
        assert found(matter_type="suggestion") == ["S2"]
        assert found(channel="visit") == ["S1"] and found(channel="letter") == ["S2"]
        assert found(channel="letter", category="C03") == []


# --- 复查 / 复核 -----------------------------------------------------------------------------------
def test_the_review_organ_holds_the_case_from_the_request_for_review(app: Casetrail) -> None:
    """Arts. 35, 36: from the request for 复查 on, the matter is with the district government
    (it decides on the request and gives the opinion), and from the request for 复核 with the
    city government; before, with the housing bureau that handled it. The housing bureau's
    people are not named for the review organ's time, nor its days on the review clocks."""
    reach_rereview(app, handler="sun-li")
    before = held(app, "R", at(2025, 12, 10))
    assert (before["unit"], before["handler"]) == ("yz-zjj", "sun-li")
    for moment in (at(2025, 12, 20, 10), at(2026, 1, 10), at(2026, 2, 20)):
        during = held(app, "R", moment)
        assert (during["unit"], during["handler"]) == ("yz-gov", None), moment
    assert held(app, "R", at(2026, 3, 5))["unit"] == "city-gov"
    assert {unit for unit, _d in days(app, "R", "review_opinion")} == {"yz-gov"}
    with ViewDB(app.database_url) as db:
        assert [r["case_no"] for r in Q.search(db, unit="city-gov")] == ["R"]
        assert Q.search(db, unit="yz-zjj") == []
