"""Step definitions for features/clocks: deadlines and responsibility, as a supervisor reads them.

Each action step is one call to the application; every ``Then`` first brings the read models up to
date (``catch_up``) and answers from them (``projections.queries``), as the API will.
Units and people are named as in the organisation file (Chinese names).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from domain.application import Casetrail
from projections import queries as Q
from projections.runner import catch_up
from projections.schema import ViewDB
from tests.conftest import GRIEVANCE, Clock, at

scenarios("clocks")

CLOCKS = {"分流转办期限": "triage", "办理期限": "handling", "复核期限": "rereview_opinion",
          "督办反馈期限": "supervision_response:1", "书面告知期限": "receipt_notice"}
STATUS = {"计时中": "running", "已超期": "breached", "暂停计时": "paused", "按期完成": "met",
          "逾期完成": "met_late", "待定": "provisional"}


def _day(text: str) -> datetime:
    """'2026-03-02' is 10:00 that day in Asia/Shanghai."""
    y, m, d = (int(p) for p in text.split("-"))
    return at(y, m, d, 10)


def _date(text: str) -> date:
    return date.fromisoformat(text)


_day.pattern = _date.pattern = r"\d{4}-\d{2}-\d{2}"  # type: ignore[attr-defined]
T = {"Day": _day, "Date": _date}


class Desk:
    """The supervisor's desk: the application and the read models."""

    def __init__(self, app: Casetrail, clock: Clock) -> None:
        self.app, self.today = app, clock
        org = app.refresh_org()
        self.units = {u.name: code for code, u in org.units.items()}
        self.people = {name: code for code, name in org.persons.items()}

    def run(self, case: str, command: str, unit: str, when: datetime, **args: Any) -> None:
        self.app.execute(case, command, {"unit": self.units[unit]}, occurred_at=when, **args)

    def clock(self, case: str, name: str, on: datetime | None = None) -> dict[str, Any]:
        catch_up(self.app)
        with ViewDB(self.app.database_url) as db:
            rows = Q.clocks_at(db, case, on or self.today())
        return {c["clock"]: c for c in rows}[CLOCKS[name]]

    def held(self, case: str, on: datetime) -> dict[str, Any]:
        catch_up(self.app)
        with ViewDB(self.app.database_url) as db:
            found = Q.who_held(db, case, on)
        assert found is not None
        return found


@pytest.fixture
def desk(sqlite_app: Casetrail, clock: Clock) -> Desk:
    return Desk(sqlite_app, clock)


@given("the organisation of 哈密市 and 伊州区 as on file")
def organisation(desk: Desk) -> None:
    assert "伊州区信访局" in desk.units


@given(parsers.parse("{unit} registered case {case} on {day:Day}", extra_types=T))
def registered(desk: Desk, unit: str, case: str, day: datetime) -> None:
    desk.app.register_case({"unit": desk.units[unit]}, occurred_at=day, case_no=case, **GRIEVANCE)


@given(parsers.parse("{unit} accepted case {case} on {day:Day}", extra_types=T))
def accepted(desk: Desk, unit: str, case: str, day: datetime) -> None:
    desk.run(case, "accept", unit, day.replace(hour=11))


@given(parsers.parse("{unit} signed for case {case} on {day:Day}", extra_types=T))
def signed_for(desk: Desk, unit: str, case: str, day: datetime) -> None:
    desk.run(case, "receive", unit, day)


@given(parsers.parse("{unit} transferred case {case} to {to} on {day:Day}", extra_types=T))
def transferred(desk: Desk, unit: str, case: str, to: str, day: datetime) -> None:
    desk.run(case, "transfer", unit, day, to_unit=desk.units[to])


@given(parsers.parse("{unit} assigned {person} to handle case {case} on {day:Day}",
                     extra_types=T))
def handler_assigned(desk: Desk, unit: str, person: str, case: str, day: datetime) -> None:
    desk.run(case, "assign_handler", unit, day, person=desk.people[person])


@given(parsers.parse("{unit} extended case {case} by {days:d} days on {day:Day}, approved by "
                     "{person}", extra_types=T))
def extended(desk: Desk, unit: str, case: str, days: int, day: datetime, person: str) -> None:
    desk.run(case, "extend", unit, day, days=days, reason="需要现场核查",
             approver=desk.people[person])


@given(parsers.parse("{unit} supervised case {case} on {day:Day}, the answer due on {due:Date}",
                     extra_types=T))
def supervised(desk: Desk, unit: str, case: str, day: datetime, due: date) -> None:
    desk.run(case, "supervise", unit, day, kind="online", due_date=due.isoformat())


@given(parsers.parse("case {case} reached 复核 at {organ} on {day:Day}", extra_types=T))
def reached_rereview(desk: Desk, case: str, organ: str, day: datetime) -> None:
    """The whole path up to the 复核 request, months before (setup, not under test)."""
    housing, gov = "伊州区住房和城乡建设局", "伊州区人民政府"
    registered(desk, housing, case, at(2025, 11, 3, 9))
    for command, unit, moment, args in (
            ("accept", housing, at(2025, 11, 3, 10), {}),
            ("issue_reply", housing, at(2025, 12, 1, 10), {"opinion": "support"}),
            ("approve_reply", housing, at(2025, 12, 2, 10), {"approver": "chen-jing"}),
            ("serve_reply", housing, at(2025, 12, 3, 10), {"method": "in_person"}),
            ("request_review", "伊州区信访局", at(2025, 12, 20, 10), {"organ": "yz-gov"}),
            ("accept_review", gov, at(2025, 12, 21, 10), {}),
            ("issue_review_opinion", gov, at(2026, 2, 5, 10), {"opinion": "uphold"}),
            ("serve_review_opinion", gov, at(2026, 2, 10, 10), {"method": "post"}),
            ("request_review", "伊州区信访局", day, {"organ": desk.units[organ],
                                                 "level": "rereview"}),
            ("accept_review", organ, day.replace(hour=15), {})):
        desk.run(case, command, unit, moment, **args)


@given(parsers.parse("today is {day:Date}", extra_types=T))
def today(desk: Desk, day: date) -> None:
    desk.today.set(day.year, day.month, day.day, 9)


@given(parsers.parse("{unit} opened a hearing on case {case} on {first:Day}", extra_types=T))
def hearing_opened(desk: Desk, unit: str, case: str, first: datetime) -> None:
    desk.run(case, "start_hearing", unit, first.replace(hour=9))


@given(parsers.parse("{unit} held a hearing on case {case} from {first:Day} to {last:Day}",
                     extra_types=T))
def hearing(desk: Desk, unit: str, case: str, first: datetime, last: datetime) -> None:
    desk.run(case, "start_hearing", unit, first.replace(hour=9))
    desk.run(case, "end_hearing", unit, last.replace(hour=17))


@when(parsers.parse("{unit} issues its reply on case {case} on {day:Day}", extra_types=T))
def issues_reply(desk: Desk, unit: str, case: str, day: datetime) -> None:
    desk.run(case, "issue_reply", unit, day, opinion="support")


@when(parsers.parse("{unit} answers the supervision of case {case} on {day:Day}",
                    extra_types=T))
def answers(desk: Desk, unit: str, case: str, day: datetime) -> None:
    desk.run(case, "answer_supervision", unit, day, number=1, content="已转住建局办理")


@then(parsers.parse("the {name} of case {case} ends on {last:Date}", extra_types=T))
def ends_on(desk: Desk, name: str, case: str, last: date) -> None:
    assert desk.clock(case, name)["last_day"] == last


@then(parsers.parse("on {day:Day} the {name} of case {case} ended on {last:Date}",
                    extra_types=T))
def ended_on_then(desk: Desk, day: datetime, name: str, case: str, last: date) -> None:
    assert desk.clock(case, name, day)["last_day"] == last


@then(parsers.parse("on {day:Day} the {name} of case {case} is {status}", extra_types=T))
def status_on(desk: Desk, day: datetime, name: str, case: str, status: str) -> None:
    assert desk.clock(case, name, day)["status"] == STATUS[status]


def _overdue(desk: Desk, day: datetime) -> list[dict[str, Any]]:
    catch_up(desk.app)
    with ViewDB(desk.app.database_url) as db:
        return Q.overdue(db, day)


@then(parsers.parse("on {day:Day} the overdue list names the {name} of case {case}",
                    extra_types=T))
def on_overdue_list(desk: Desk, day: datetime, name: str, case: str) -> None:
    assert (case, CLOCKS[name]) in {(c["case_no"], c["clock"]) for c in _overdue(desk, day)}


@then(parsers.parse("on {day:Day} the overdue list does not name the {name} of case {case}",
                    extra_types=T))
def not_on_overdue_list(desk: Desk, day: datetime, name: str, case: str) -> None:
    listed = {(c["case_no"], c["clock"]) for c in _overdue(desk, day)}
    assert (case, CLOCKS[name]) not in listed


@then(parsers.parse("on {day:Day} the overdue search agrees with the overdue list on case {case}",
                    extra_types=T))
def search_agrees(desk: Desk, day: datetime, case: str) -> None:
    """The case search (overdue=true / false) finds the case exactly when one of its clocks is
    on the overdue list."""
    listed = case in {c["case_no"] for c in _overdue(desk, day)}
    with ViewDB(desk.app.database_url) as db:
        found = case in {r["case_no"] for r in Q.search(db, overdue=True, as_of=day)}
        not_found = case in {r["case_no"] for r in Q.search(db, overdue=False, as_of=day)}
    assert (found, not_found) == (listed, not listed)


@then(parsers.parse("the {name} of case {case} was met {days:d} day late"))
def met_late(desk: Desk, name: str, case: str, days: int) -> None:
    c = desk.clock(case, name)
    assert c["status"] == "met_late"
    assert (c["stop_at"].date() - c["last_day"]).days == days


@then(parsers.parse("the {name} of case {case} was met"))
def met(desk: Desk, name: str, case: str) -> None:
    assert desk.clock(case, name)["status"] == "met"


@then(parsers.parse("the {name} of case {case} spent {days:d} days with {unit}"))
def days_with(desk: Desk, name: str, case: str, days: int, unit: str) -> None:
    from domain.case import case_id_for

    catch_up(desk.app)
    with ViewDB(desk.app.database_url) as db:
        rows = db.query("SELECT SUM(days) FROM pv_clock_days WHERE case_id = ? AND clock = ? "
                        "AND unit = ?", (str(case_id_for(case)), CLOCKS[name], desk.units[unit]))
    assert rows[0][0] == days


@then(parsers.parse("on {day:Day} case {case} was held by {unit} with {person} as head",
                    extra_types=T))
def held_with_head(desk: Desk, day: datetime, case: str, unit: str, person: str) -> None:
    held = desk.held(case, day)
    assert (held["unit"], held["head"]) == (desk.units[unit], [desk.people[person]])


@then(parsers.parse("on {day:Day} the grid head of case {case}'s location was {person}",
                    extra_types=T))
def grid_head(desk: Desk, day: datetime, case: str, person: str) -> None:
    grid = desk.held(case, day)["territory"][0]
    assert grid["posts"]["grid_head"] == [desk.people[person]]


@then(parsers.parse("on {day:Day} case {case} was handled by {person} of {unit}", extra_types=T))
def handled_by(desk: Desk, day: datetime, case: str, person: str, unit: str) -> None:
    held = desk.held(case, day)
    assert (held["unit"], held["handler"]) == (desk.units[unit], desk.people[person])


@then(parsers.parse("on {day:Day} case {case} had no handler in {unit}", extra_types=T))
def no_handler(desk: Desk, day: datetime, case: str, unit: str) -> None:
    held = desk.held(case, day)
    assert (held["unit"], held["handler"]) == (desk.units[unit], None)


@given(parsers.parse("{unit} put case {case} in the personal charge (包案) of {person} on "
                     "{day:Day}", extra_types=T))
def leader_assigned(desk: Desk, unit: str, case: str, person: str, day: datetime) -> None:
    desk.run(case, "assign_leader", unit, day, person=desk.people[person])


@given(parsers.parse("{person} left the post of leader in charge of petition work of {unit} on "
                     "{day:Date}", extra_types=T))
def left_petition_leader(desk: Desk, person: str, unit: str, day: date) -> None:
    desk.app.vacate_post(desk.units[unit], "petition_leader", desk.people[person],
                         at(day.year, day.month, day.day))


@given(parsers.parse("a matter in {place} was registered by {unit} as case {case} on {day:Day}",
                     extra_types=T))
def registered_at_place(desk: Desk, place: str, unit: str, case: str, day: datetime) -> None:
    desk.app.register_case({"unit": desk.units[unit]}, occurred_at=day, case_no=case,
                           **{**GRIEVANCE, "location": desk.units[place]})


@then(parsers.parse("on {day:Day} the leader in personal charge of case {case} was {person}",
                    extra_types=T))
def baoan_leader(desk: Desk, day: datetime, case: str, person: str) -> None:
    assert desk.held(case, day)["baoan_leader"] == [desk.people[person]]


@then(parsers.parse("on {day:Day} case {case} had no leader in personal charge", extra_types=T))
def no_baoan_leader(desk: Desk, day: datetime, case: str) -> None:
    assert desk.held(case, day)["baoan_leader"] == []


@then(parsers.parse("on {day:Day} the leader in charge of petition work for case {case} was "
                    "{person}", extra_types=T))
def petition_leader(desk: Desk, day: datetime, case: str, person: str) -> None:
    assert desk.held(case, day)["petition_leader"] == [desk.people[person]]


@then(parsers.parse("on {day:Day} case {case} had no leader in charge of petition work",
                    extra_types=T))
def no_petition_leader(desk: Desk, day: datetime, case: str) -> None:
    assert desk.held(case, day)["petition_leader"] == []


@then(parsers.parse("on {day:Day} the territorial chain of case {case} was {names}",
                    extra_types=T))
def territorial_chain(desk: Desk, day: datetime, case: str, names: str) -> None:
    expected = [desk.units[name.strip()] for name in names.split("→")]
    assert [level["unit"] for level in desk.held(case, day)["territory"]] == expected
