"""The time limits a case's commands check, read from the policy table: the request windows
(objection, review, re-review) and the cap on all extensions together. The clocks read the same
records, so a refusal and a clock never disagree."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.periods import Deadline, local_date
from domain.policy import DEFAULT_TABLE, UnknownPolicy, compute_due, policy_for

# A provisional window (its year's holidays not yet published) is extended by this margin before an
# act is refused: no holiday block or 调休 shift moves a deadline by more, so no act is refused on
# a day that the published calendar could still make timely.
PROVISIONAL_MARGIN = timedelta(days=14)


def window(step: str, start: date) -> Deadline:
    """A request window from the policy record in force on its start day."""
    return compute_due(policy_for(step, start), start)


def past(occurred_at: datetime, deadline: Deadline) -> bool:
    """Is an act at ``occurred_at`` past the window (a provisional one with its margin)?"""
    last = deadline.last_day + (PROVISIONAL_MARGIN if deadline.provisional else timedelta(0))
    return bool(local_date(occurred_at) > last)


def extension_cap(on: date) -> int:
    """The cap on all extensions together (art. 34) in force on ``on``; before the first record
    of the policy table, the first record's."""
    try:
        return policy_for("extension_cap", on).length or 0
    except UnknownPolicy:
        first = min((r for r in DEFAULT_TABLE if r.step == "extension_cap"),
                    key=lambda r: r.effective_from)
        return first.length or 0
