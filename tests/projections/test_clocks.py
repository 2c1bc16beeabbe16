"""Table tests for the clock engine: facts in, clocks with hand-computed dates out.

Hand computation (民法典 201/203; chinese_calendar 1.11.0 data, see tests/unit/test_periods.py):
* triage from Tue 2025-09-16 + 15 = 10-01 (National Day, holiday 10-01..10-08) -> 2025-10-09;
* handling from Mon 2026-03-02 + 60 = 05-01 (Labour Day, 05-01..05-05) -> 2026-05-06;
  a 20-day extension runs from that original expiry (art. 34 extends the 办理期限):
  05-06 + 20 = Tue 2026-05-26, a working day;
* handling from Tue 2025-08-05 + 60 = Sat 10-04 (National Day) -> Thu 2025-10-09; a 3-day
  extension: 10-09 + 3 = Sun 10-12 -> Mon 2025-10-13 (counted from acceptance, 63 days, it
  would end on 10-07 and roll back to 10-09: an approved extension that extends nothing);
* 复核 from 2026-03-02 + 30 = Wed 04-01; a hearing 03-10..03-12 pauses 3 days: + 33 = Sat 04-04
  (清明 04-04..04-06) -> Tue 2026-04-07;
* handling from 2026-12-10 + 60 = Mon 2027-02-08, a year the calendar does not cover:
  provisional (weekend-only fallback); with a (made-up) 2027 table holding 02-06..02-12 as a
  holiday it becomes Mon 2027-02-15 and final.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.case_state import Fact
from domain.clocks import derive_clocks, shown_status, status_at
from domain.periods import HolidayCalendar
from tests.conftest import at

ACTOR = {"unit": "yz-zjj", "person": None, "post": None}


class History:
    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def add(self, event: str, when: datetime, **data: Any) -> History:
        self.facts.append(Fact(len(self.facts) + 1, event, when, when, ACTOR, data, None))
        return self


def registered(when: datetime, at_bureau: bool = True) -> History:
    return History().add(
        "Registered", when, case_no="T1", registering_unit="yz-xfj" if at_bureau else "yz-zjj",
        at_petition_bureau=at_bureau, channel="visit", matter_type="grievance", category="C03",
        location="dhl-sq1-g1")


def accepted(when: datetime) -> History:
    return registered(when, at_bureau=False).add("Accepted", when, track="art31_6")


def clock(h: History, key: str, calendar: HolidayCalendar | None = None) -> Any:
    clocks = derive_clocks(h.facts) if calendar is None else derive_clocks(h.facts, calendar)
    return {c.key: c for c in clocks}[key]


def rereview(hearing: tuple[datetime, datetime] | None) -> History:
    h = accepted(at(2025, 11, 3, 10)).add("ReplyIssued", at(2025, 12, 1, 10), opinion="support")
    h.add("ReplyApproved", at(2025, 12, 2, 10)).add("ReplyServed", at(2025, 12, 3, 10))
    h.add("ReviewRequested", at(2025, 12, 20, 10), level="review", organ="yz-gov")
    h.add("ReviewAccepted", at(2025, 12, 21, 10), level="review")
    h.add("ReviewOpinionIssued", at(2026, 1, 10, 10), level="review", opinion="uphold")
    h.add("ReviewOpinionServed", at(2026, 1, 12, 10), level="review")
    h.add("ReviewRequested", at(2026, 3, 2, 10), level="rereview", organ="city-gov")
    h.add("ReviewAccepted", at(2026, 3, 3, 10), level="rereview")
    if hearing:
        h.add("HearingStarted", hearing[0]).add("HearingEnded", hearing[1])
    return h


def test_triage_deadline_over_national_day_rolls_to_the_first_working_day() -> None:
    c = clock(registered(at(2025, 9, 16, 10)), "triage")
    assert c.deadline.last_day == date(2025, 10, 9)
    assert (c.unit, c.policy_version, c.deadline.calendar_version) == (
        "yz-xfj", "xfgztl-2022.1", "chinese_calendar-1.11.0")
    assert status_at(c, at(2025, 10, 9, 23, 59)) == "running"
    assert status_at(c, at(2025, 10, 10, 0, 0)) == "breached"


def test_triage_met_by_a_transfer_and_late_after_the_last_day() -> None:
    h = registered(at(2025, 9, 16, 10))
    h.add("Transferred", at(2025, 10, 10, 9), mode="transfer", to_unit="yz-zjj",
          from_unit="yz-xfj", due_date=None)
    c = clock(h, "triage")
    assert (c.outcome, c.days_late(), c.stop_kind) == ("met_late", 1, "Transferred")
    assert status_at(c, at(2025, 10, 1)) == "running"


@pytest.mark.parametrize(("extensions", "last_day"), [
    ((), date(2026, 5, 6)),
    ((20,), date(2026, 5, 26)),
    ((10, 10), date(2026, 5, 26)),
])
def test_handling_is_60_days_from_acceptance_plus_extensions(extensions: tuple[int, ...],
                                                              last_day: date) -> None:
    h = accepted(at(2026, 3, 2, 10))
    for i, days in enumerate(extensions):
        h.add("ExtensionGranted", at(2026, 4, 20 + i, 10), days=days)
    c = clock(h, "handling")
    assert c.deadline.last_day == last_day
    assert c.extension_days == sum(extensions)
    # what was due as it stood before the first extension
    assert c.deadline_at(at(2026, 4, 19)).last_day == date(2026, 5, 6)


def test_an_extension_runs_from_the_original_expiry_after_a_holiday_roll() -> None:
    h = accepted(at(2025, 8, 5, 10))
    h.add("ExtensionGranted", at(2025, 9, 30, 10), days=3)
    c = clock(h, "handling")
    assert [t.deadline.last_day for t in c.terms] == [date(2025, 10, 9), date(2025, 10, 13)]
    assert c.deadline.length == 63
    assert status_at(c, at(2025, 10, 10, 9)) == "running"
    assert status_at(c, at(2025, 10, 14, 0)) == "breached"


def test_handling_stops_when_the_reply_is_issued() -> None:
    h = accepted(at(2026, 3, 2, 10)).add("ReplyIssued", at(2026, 5, 7, 9), opinion="support")
    c = clock(h, "handling")
    assert (c.outcome, c.days_late()) == ("met_late", 1)


def test_handling_clock_only_on_the_31_6_track() -> None:
    h = registered(at(2026, 3, 2, 10), at_bureau=False).add("Accepted", at(2026, 3, 2, 11),
                                                            track="art29")
    assert "handling" not in {c.key for c in derive_clocks(h.facts)}


def test_rereview_excludes_hearing_days() -> None:
    c = clock(rereview((at(2026, 3, 10, 9), at(2026, 3, 12, 17))), "rereview_opinion")
    assert c.deadline.last_day == date(2026, 4, 7)
    assert c.deadline.paused_days == 3
    assert status_at(c, at(2026, 3, 11)) == "paused"
    assert c.deadline_at(at(2026, 3, 9)).last_day == date(2026, 4, 1)


def test_rereview_without_hearing() -> None:
    assert clock(rereview(None), "rereview_opinion").deadline.last_day == date(2026, 4, 1)


def test_receipt_notice_stopped_by_a_written_notice() -> None:
    h = registered(at(2026, 3, 2, 10), at_bureau=False)
    h.add("PetitionerNotified", at(2026, 3, 20, 10), kind="receipt", method="written")
    c = clock(h, "receipt_notice")
    assert (c.deadline.last_day, c.outcome, c.days_late()) == (date(2026, 3, 17), "met_late", 3)


def test_assignment_due_date_is_set_by_the_act() -> None:
    h = registered(at(2026, 3, 2, 10))
    h.add("Transferred", at(2026, 3, 3, 10), mode="assign", to_unit="yz-zjj",
          from_unit="yz-xfj", due_date="2026-04-30")
    h.add("AssignmentReported", at(2026, 4, 29, 10))
    c = clock(h, "assignment_report")
    assert (c.unit, c.deadline.last_day, c.outcome) == ("yz-zjj", date(2026, 4, 30), "met")


def test_supervision_clocks_are_one_per_supervision() -> None:
    h = registered(at(2026, 3, 2, 10))
    for n, due in ((1, "2026-03-12"), (2, "2026-03-20")):
        h.add("SupervisionIssued", at(2026, 3, 2 + n, 10), number=n, kind="online",
              target_unit="yz-xfj", due_date=due)
    h.add("SupervisionAnswered", at(2026, 3, 15, 10), number=1)
    clocks = {c.key: c for c in derive_clocks(h.facts)}
    assert clocks["supervision_response:1"].outcome == "met_late"
    assert clocks["supervision_response:2"].outcome == "open"


def test_a_deadline_in_an_uncovered_year_is_provisional_until_the_calendar_has_it() -> None:
    h = accepted(at(2026, 12, 10, 10))
    c = clock(h, "handling")
    assert (c.deadline.last_day, c.deadline.provisional) == (date(2027, 2, 8), True)
    assert status_at(c, at(2026, 12, 20)) == "provisional"
    fuller = calendar_with_2027()
    c2 = clock(h, "handling", fuller)
    assert (c2.deadline.last_day, c2.deadline.provisional) == (date(2027, 2, 15), False)
    assert c2.deadline.calendar_version == "test-2027"


def test_a_reply_after_a_provisional_last_day_is_shown_provisional_not_late() -> None:
    # 60 days from 2026-12-10: Mon 2027-02-08, provisional (no 2027 calendar). A reply on 02-10
    # is late only if 02-08 does not roll; with the 2027 calendar (Spring Festival 02-06..12)
    # it rolls to 02-15 and the reply is on time.
    h = accepted(at(2026, 12, 10, 10)).add("ReplyIssued", at(2027, 2, 10, 10), opinion="support")
    c = clock(h, "handling")
    assert (c.outcome, shown_status(c, at(2027, 3, 1))) == ("met_late", "provisional")
    assert shown_status(clock(h, "handling", calendar_with_2027()), at(2027, 3, 1)) == "met"
    on_time = accepted(at(2026, 12, 10, 10)).add("ReplyIssued", at(2027, 2, 5, 10),
                                                 opinion="support")
    assert shown_status(clock(on_time, "handling"), at(2027, 3, 1)) == "met"


def calendar_with_2027() -> HolidayCalendar:
    from domain.periods import CALENDAR

    return CALENDAR.extended(holidays=[date(2027, 2, d) for d in range(6, 13)], workdays=[],
                             last_year=2027, version="test-2027")


def test_withdrawal_cancels_open_clocks() -> None:
    h = accepted(at(2026, 3, 2, 10)).add("Withdrawn", at(2026, 3, 5, 10))
    assert clock(h, "handling").outcome == "cancelled"


def test_an_upheld_objection_restarts_triage_at_the_bureau() -> None:
    h = registered(at(2026, 3, 2, 10))
    h.add("Transferred", at(2026, 3, 3, 10), mode="transfer", to_unit="yz-zjj",
          from_unit="yz-xfj", due_date=None)
    h.add("Received", at(2026, 3, 4, 10)).add("ObjectionRaised", at(2026, 3, 5, 10))
    h.add("ObjectionResolved", at(2026, 3, 6, 10), resolution="upheld")
    clocks = {c.key: c for c in derive_clocks(h.facts)}
    assert clocks["receipt_notice"].outcome == "cancelled"
    assert clocks["objection"].outcome == "met"
    assert (clocks["triage#2"].unit, clocks["triage#2"].deadline.last_day) == (
        "yz-xfj", date(2026, 3, 23))


def test_a_hearing_opened_after_the_deadline_does_not_show_a_breached_clock_as_paused() -> None:
    # 复核 requested 2026-03-02: + 30 = Wed 04-01. A hearing 04-10..04-12 comes after the period
    # ran out: it extends nothing (art. 36 excludes hearing time *within* the 30 days).
    c = clock(rereview((at(2026, 4, 10, 9), at(2026, 4, 12, 17))), "rereview_opinion")
    assert (c.deadline.last_day, c.deadline.paused_days, c.pauses) == (date(2026, 4, 1), 0, [])
    assert status_at(c, at(2026, 4, 11)) == "breached"
    assert status_at(c, at(2026, 4, 13)) == "breached"


def _by(h: History, event: str, when: datetime, unit: str, **data: Any) -> History:
    h.facts.append(Fact(len(h.facts) + 1, event, when, when, {**ACTOR, "unit": unit}, data,
                        None))
    return h


def _passed_on() -> History:
    # Registered directly at 住建局 (yz-zjj) on Mon 2026-03-02: its notice is due 03-02 + 15 =
    # Tue 03-17. It passes the matter on to a unit below, which signs on Wed 03-04: that unit's
    # notice is due 03-04 + 15 = Thu 03-19.
    h = registered(at(2026, 3, 2, 10), at_bureau=False)
    _by(h, "Transferred", at(2026, 3, 3, 10), "yz-zjj", mode="transfer", to_unit="yz-zjj-sub",
        from_unit="yz-zjj", due_date=None)
    return _by(h, "Received", at(2026, 3, 4, 10), "yz-zjj-sub")


def test_a_notice_meets_the_clock_of_the_unit_that_gave_it() -> None:
    h = _by(_passed_on(), "PetitionerNotified", at(2026, 3, 5, 10), "yz-zjj", kind="route",
            method="written")
    clocks = {c.key: c for c in derive_clocks(h.facts)}
    first, second = clocks["receipt_notice"], clocks["receipt_notice#2"]
    assert (first.unit, first.deadline.last_day, first.outcome) == (
        "yz-zjj", date(2026, 3, 17), "met")
    assert (second.unit, second.deadline.last_day, second.outcome) == (
        "yz-zjj-sub", date(2026, 3, 19), "open")
    assert status_at(second, at(2026, 3, 20)) == "breached"  # the unit below never notified


def test_withdrawal_cancels_the_notice_clock_of_a_unit_that_passed_the_matter_on() -> None:
    h = _by(_passed_on(), "Withdrawn", at(2026, 3, 10, 10), "yz-zjj-sub")
    clocks = {c.key: c for c in derive_clocks(h.facts)}
    assert clocks["receipt_notice"].outcome == "cancelled"
    assert clocks["receipt_notice#2"].outcome == "cancelled"
    assert status_at(clocks["receipt_notice"], at(2026, 3, 20)) == "cancelled"


@pytest.mark.parametrize(("registered_at", "last_day", "why"), [
    (at(2025, 9, 15, 23, 59, 59), date(2025, 9, 30), "Mon 9/15 (not counted) + 15 = Tue 9/30"),
    (at(2025, 9, 16, 0, 0, 1), date(2025, 10, 9), "9/16 + 15 = 10/1 National Day -> Thu 10/9"),
    (datetime(2025, 9, 15, 16, 30, tzinfo=UTC), date(2025, 10, 9), "16:30Z = 00:30 on 9/16 +08"),
    (datetime(2025, 9, 15, 15, 59, 59, tzinfo=UTC), date(2025, 9, 30), "23:59:59 on 9/15 +08"),
])
def test_the_start_day_is_the_shanghai_date_of_the_act(registered_at: datetime, last_day: date,
                                                       why: str) -> None:
    assert clock(registered(registered_at), "triage").deadline.last_day == last_day, why


def test_a_withdrawal_after_the_deadline_is_shown_as_withdrawn_late() -> None:
    # handling from 2026-03-02: 60 days = 05-01, Labour Day, rolled to 05-06
    late = accepted(at(2026, 3, 2, 10)).add("Withdrawn", at(2026, 6, 1, 10))
    assert shown_status(clock(late, "handling"), at(2026, 6, 2)) == "withdrawn_late"
    assert shown_status(clock(late, "handling"), at(2026, 5, 20)) == "breached"
    early = accepted(at(2026, 3, 2, 10)).add("Withdrawn", at(2026, 5, 6, 23))
    assert shown_status(clock(early, "handling"), at(2026, 6, 2)) == "cancelled"
