"""What a case's decision needs besides the case (:class:`Context`), and the checks that the
case, its registration and its corrections share: the business time of an act, text, codes of
the catalogue, digests, dates, known units and people, which organ is above which. Each refuses
with a stable code and the field it names; none reads a clock."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.case_state import CaseState, Fact
from domain.commands import Actor
from domain.errors import DomainError, IllegalTransition, InvalidInput
from domain.organisation import OrgDirectory

# A client clock may run a little ahead of ours; beyond this an act "in the future" is refused.
CLOCK_SKEW = timedelta(seconds=60)
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Context:
    """Everything a decision needs besides the case: who, when, the clock, the organisation."""

    actor: Actor
    occurred_at: datetime
    now: datetime
    org: OrgDirectory
    lookup: Callable[[str], CaseState | None] = lambda _no: None


def check_time(ctx: Context, facts: list[Fact], depends_on: int | None) -> None:
    """An act's business time: with a zone, not in the future, not before the case's
    registration (``facts``: the case's effective facts) nor before the act it rests on."""
    at = ctx.occurred_at
    if at.tzinfo is None:
        raise invalid("time.naive", "时间必须带时区", "occurred_at must carry a time zone",
                      "occurred_at")
    if at > ctx.now + CLOCK_SKEW:
        raise invalid("time.future", "办理时间不能晚于当前时间",
                      f"The act is stated at {at.isoformat()}, in the future", "occurred_at")
    if facts and at < facts[0].occurred_at:
        raise invalid("time.before_case", "办理时间早于该信访事项登记时间",
                      "The act is stated before the case was registered", "occurred_at")
    if depends_on is not None:
        prior = facts[depends_on - 1]
        if at < prior.occurred_at:
            raise invalid(
                "time.out_of_order", f"办理时间早于其所依据的{prior.kind}环节",
                f"The act is stated before the {prior.kind} it depends on "
                f"({prior.occurred_at.isoformat()})", "occurred_at")


def refuse(code: str, zh: str, en: str, field: str | None = None) -> DomainError:
    return IllegalTransition(code, zh, en, field)


def invalid(code: str, zh: str, en: str, field: str | None = None) -> DomainError:
    return InvalidInput(code, zh, en, field)


def need_text(value: Any, field: str, zh: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("field.required", f"{zh}不能为空", f"{field} is required", field)
    return value


def need_code(value: Any, vocab: dict[str, str], field: str, zh: str) -> str:
    if value not in vocab:
        allowed = ", ".join(vocab)
        raise invalid("field.unknown_code", f"{zh}取值无效", f"{field} must be one of: {allowed}",
                      field)
    return str(value)


def check_digest(value: Any, field: str) -> None:
    if not (isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)):
        raise invalid("digest.invalid", "附件摘要须为SHA-256十六进制值",
                      "A digest must be 64 lowercase hex characters (SHA-256)", field)


def parse_date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid("date.invalid", "日期格式无效", f"{field} must be a YYYY-MM-DD date",
                      field) from None


def parse_datetime(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise invalid("datetime.invalid", "时间格式无效",
                          f"{field} must be an ISO 8601 date-time with a zone", field) from None
    if when.tzinfo is None:
        raise invalid("time.naive", "时间必须带时区", f"{field} must carry a time zone", field)
    return when


def unit_exists(ctx: Context, code: Any, field: str) -> str:
    if not isinstance(code, str) or ctx.org.unit(code) is None:
        raise invalid("unit.unknown", "单位不存在", f"Unknown unit {code!r}", field)
    return code


def person_exists(ctx: Context, code: Any, field: str) -> str:
    if not isinstance(code, str) or code not in ctx.org.persons:
        raise invalid("person.unknown", "人员不存在", f"Unknown person {code!r}", field)
    return code


def organ_above(org: OrgDirectory, organ: str, below: str | None) -> bool:
    """A review organ: a government/review organ at the same level or higher, or a department
    of a higher level (the level order is the organisation file's)."""
    upper, lower = org.unit(organ), org.unit(below or "")
    if upper is None or upper.kind not in ("review_organ", "territorial", "department"):
        return False
    ranks = {lv["code"]: i for i, lv in enumerate(org.levels)}
    if lower is None or upper.level not in ranks or lower.level not in ranks:
        return True
    if upper.kind == "department":
        return ranks[upper.level] < ranks[lower.level]
    return ranks[upper.level] <= ranks[lower.level]
