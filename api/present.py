"""Turning a case into what one caller may read (through its :class:`~api.visibility.Lens`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from api.visibility import Lens
from domain.case_state import STATUS_ZH, CaseState, Fact, fold
from domain.catalog import HEAD_POSTS
from domain.context import CLOCK_SKEW
from domain.errors import DomainError, InvalidInput, NotFound
from domain.organisation import OrgDirectory


def case_view(state: CaseState, effective: list[Fact], lens: Lens) -> dict[str, Any]:
    reg = lens.registration(effective[0].data) if effective else {}
    notices = [{k: (None if k == "content" and lens.walled else v) for k, v in n.items()}
               for n in state.notices]
    return {
        "case_no": state.case_no, "version": state.version, "status": state.status,
        "status_zh": STATUS_ZH.get(state.status, state.status), "holder": state.holder,
        "registering_unit": state.registering_unit, "registered_at": state.registered_at,
        "matter_type": state.matter_type, "track": state.track, "handler": state.handler,
        "leaders": list(state.leaders), "registration": reg,
        "state": {
            "transfers": state.transfers, "assignment": state.assignment,
            "supervisions": {str(k): v for k, v in state.supervisions.items()},
            "review": state.review, "rereview": state.rereview, "notices": notices,
            "links": state.links, "extension_days": state.extension_days,
            "evaluations": state.evaluations, "reply_opinion": state.reply_opinion,
            "concluded": state.concluded, "execution_pending": state.execution_pending,
            "mediation_open": state.mediation_open, "hearing_open": state.hearing_open,
        },
        "withheld": sorted(lens.withheld),
    }


def history_view(case: Any, lens: Lens) -> dict[str, Any]:
    return {"case_no": case.state.case_no, "version": case.version,
            "facts": [lens.fact(f) for f in case.facts], "withheld": sorted(lens.withheld)}


def not_after_now(at: datetime, now: datetime, field: str) -> datetime:
    """A past moment: the record cannot say what will be known later, and an answer "as of" a
    future moment would change as acts are recorded, so it is refused, not silently cut at now
    (the same 60 s of clock skew as for acts stated by callers)."""
    if at > now + CLOCK_SKEW:
        raise InvalidInput("as_of.future", "截至时点晚于当前时间",
                           f"{field} {at.isoformat()} is later than now ({now.isoformat()}); "
                           "the record can only be read as of a past moment", field)
    return at


def recorded_version(case: Any, at: datetime) -> int:
    """The last version the system had recorded at ``at`` (what it knew then)."""
    versions = [f.version for f in case.facts if f.recorded_at <= at]
    if not versions:
        raise NotFound("case.not_yet_recorded", "该时间点尚未记录此信访事项",
                       f"Nothing of the case was recorded by {at.isoformat()}", "at")
    return max(versions)


def occurred_by(case: Any, at: datetime) -> tuple[CaseState, list[Fact]]:
    """What had happened by ``at`` in business time, as the record (with corrections) says now."""
    facts = [f for f in case.effective() if f.kind != "Corrected" and f.occurred_at <= at]
    if not facts or facts[0].kind != "Registered":
        raise NotFound("case.not_yet_occurred", "该时间点此信访事项尚未发生",
                       f"The case had not been registered by {at.isoformat()}", "at")
    try:
        return fold(facts), facts
    except (KeyError, TypeError, ValueError, IndexError):
        raise DomainError("as_of.inconsistent", "按业务时间截取的记录前后矛盾",
                          "The acts stated up to that moment do not form a consistent case; "
                          "see the history", "at") from None


HEADS = sorted(HEAD_POSTS)  # the posts whose holders are a unit's heads (负责人), from the catalogue


def responsibility(state: CaseState, held: dict[str, Any] | None, org: OrgDirectory,
                   at: datetime) -> dict[str, Any]:
    """``held``: the read model's answer (:func:`projections.queries.who_held`); without it (no
    segment at ``at``) the fold of the case and the organisation stand in."""
    supervisions = [{"number": n, **s} for n, s in state.supervisions.items()
                    if not s.get("answered")]
    base = {"case_no": state.case_no, "at": at, "status": state.status,
            "supervisions_open": supervisions}
    if held is None:
        holder = state.holder or ""
        return {**base, "holder": state.holder, "unit": state.holder, "handler": state.handler,
                "leaders": list(state.leaders),
                "unit_heads": [p for post in HEADS for p in org.holders(holder, post, at)],
                "petition_leaders": org.holders(holder, "petition_leader", at),
                "petition_officers": org.holders(holder, "petition_officer", at),
                "segment": None, "territory": []}
    return {**base, "holder": held["unit"], "unit": held["unit"], "handler": held["handler"],
            "leaders": held.get("baoan_leader", []),
            "unit_heads": [p for post in HEADS for p in held.get(post, [])],
            "petition_leaders": held.get("petition_leader", []),
            "petition_officers": held.get("petition_officer", []),
            "segment": held.get("segment"), "territory": held.get("territory", [])}
