"""更正: the checks of a correction and the fields of the Corrected event.

A correction names an earlier event (its version), a field, the new value and the reason. Only
the unit that recorded the event, or a petition bureau (a supervising unit), may correct it; the
new value has the old one's type and vocabulary; a corrected time keeps the order of the acts
that depend on each other; and the corrected history must still fold into a state.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import catalog as C
from domain.case_state import Fact, fold
from domain.commands import Correct
from domain.context import (
    CLOCK_SKEW,
    Context,
    invalid,
    need_code,
    need_text,
    parse_datetime,
    refuse,
    unit_exists,
)

if TYPE_CHECKING:
    from domain.case import PetitionCase

NOT_CORRECTABLE = frozenset({"case_no", "window_last_day", "window_provisional", "number",
                             "track", "original_final", "level", "from_unit"})
FIELD_VOCAB: dict[str, dict[str, str]] = {
    "channel": C.CHANNELS, "matter_type": C.MATTER_TYPES, "method": {
        **C.SERVICE_METHODS, **C.NOTICE_METHODS}, "outcome": {**C.SERVICE_OUTCOMES,
                                                              **C.MEDIATION_OUTCOMES},
    "opinion": {**C.OPINIONS, **C.REVIEW_OPINIONS}, "value": C.EVALUATION_VALUES,
    "category": C.category_names(), "kind": {**C.NOTICE_KINDS, **C.SUPERVISION_KINDS},
    "mode": {"transfer": "转送", "assign": "交办"},
}


def checked_correction(case: PetitionCase, ctx: Context, c: Correct) -> dict[str, Any]:
    """Check a correction of ``case`` and return the Corrected event's fields."""
    need_text(c.reason, "reason", "更正理由")
    if not 1 <= c.target_version <= len(case.facts):
        raise invalid("correction.unknown_event", "被更正的事件不存在",
                      f"No event with version {c.target_version!r}", "target_version")
    fact = case.effective()[c.target_version - 1]
    if fact.kind == "Corrected":
        raise refuse("correction.of_correction", "不能更正更正事件，请对原事件再次更正",
                     "Correct the original event again instead", "target_version")
    _check_author(ctx, fact)
    old, value = _checked_value(case, ctx, fact, c.field, c.value)
    probe = Fact(len(case.facts) + 1, "Corrected", ctx.occurred_at, ctx.now,
                 ctx.actor.payload(),
                 {"target_version": c.target_version, "field": c.field, "new_value": value},
                 None)
    try:
        fold([*case.facts, probe])
    except (KeyError, ValueError, TypeError) as e:
        raise invalid("correction.inconsistent", "更正后的记录前后矛盾",
                      f"The corrected history is inconsistent: {e}", "value") from None
    return {"target_version": c.target_version, "field": c.field, "old_value": old,
            "new_value": value, "reason": c.reason}


def _check_author(ctx: Context, fact: Fact) -> None:
    """The unit that recorded the event, or a supervising unit (a petition bureau)."""
    unit = ctx.org.unit(ctx.actor.unit or "")
    if ctx.actor.unit != fact.actor.get("unit") and (
            unit is None or unit.kind not in C.SUPERVISING_KINDS):
        raise refuse("correction.not_author", "只有原记录单位或信访部门可以更正该记录",
                     f"Only {fact.actor.get('unit')} (which recorded it) or a petition bureau "
                     "may correct this event", "actor")


def _checked_value(case: PetitionCase, ctx: Context, fact: Fact, field: str,
                   value: Any) -> tuple[Any, Any]:
    """(old value, new value) of ``field`` of ``fact``, the new one checked."""
    if field == "occurred_at":
        return fact.occurred_at, _checked_time(case, ctx, fact, value)
    if field not in fact.data or field in NOT_CORRECTABLE:
        raise invalid("correction.unknown_field", "该字段不存在或不可更正",
                      f"{fact.kind} has no correctable field {field!r}", "field")
    old = fact.data[field]
    if old is not None and value is not None and type(old) is not type(value):
        raise invalid("correction.wrong_type", "更正值类型不符",
                      f"{field} must be a {type(old).__name__}", "value")
    vocab = FIELD_VOCAB.get(field)
    if vocab is not None:
        need_code(value, vocab, "value", field)
    if field == "location" or field.endswith("_unit"):
        unit_exists(ctx, value, "value")
    if field == "to_unit" and any(f.depends_on == fact.version for f in case.facts):
        raise refuse("correction.moves_holder", "接收单位已签收或办理，不能更正接收单位，请重新转送",
                     "The receiving unit already acted on this transfer; transfer again "
                     "instead of correcting it", "field")
    return old, value


def _checked_time(case: PetitionCase, ctx: Context, fact: Fact, value: Any) -> Any:
    """A corrected business time: not in the future, not before what the act rests on (nor
    before the registration), not after an act that rests on it."""
    when = parse_datetime(value, "value")
    facts = case.effective()
    lower = facts[fact.depends_on - 1].occurred_at if fact.depends_on else None
    if fact.version > 1:
        lower = max(lower or facts[0].occurred_at, facts[0].occurred_at)
    later = [f.occurred_at for f in facts if f.depends_on == fact.version]
    if fact.version == 1:
        later = [f.occurred_at for f in facts[1:]]
    if when > ctx.now + CLOCK_SKEW or (lower and when < lower) or any(
            when > t for t in later):
        raise invalid("correction.out_of_order", "更正后的时间与前后环节顺序矛盾",
                      "The corrected time breaks the order of dependent acts", "value")
    return when
