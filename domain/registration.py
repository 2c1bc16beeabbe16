"""登记: the checks of an intake record (arts. 17–23) and the fields of the Registered event.

:func:`checked_registration` reads a :class:`~domain.commands.Register` command against the
organisation and the cases it names, and returns the event's fields (with the defaults filled
in: the headcount, whether the visit is collective or a bypass). It reads no clock.
"""
from __future__ import annotations

from typing import Any

from domain import catalog as C
from domain.commands import Register
from domain.context import Context, check_digest, invalid, need_code, need_text

_CASE_NO_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
_PETITIONER_KEYS = frozenset({"name", "id_number", "phone", "address"})


def checked_registration(ctx: Context, case_no: str, r: Register) -> dict[str, Any]:
    """Validate an intake record and return the Registered event's fields, in their order."""
    if not (isinstance(case_no, str) and 0 < len(case_no) <= 64
            and set(case_no) <= _CASE_NO_CHARS):
        raise invalid("case_no.invalid", "信访件编号格式无效",
                      "case_no must be 1–64 letters, digits, '-', '_' or '.'", "case_no")
    unit = ctx.org.unit(ctx.actor.unit or "")
    if unit is None:
        raise invalid("unit.unknown", "登记单位不存在", "The registering unit is unknown", "actor")
    channel = need_code(r.channel, C.CHANNELS, "channel", "信访形式")
    matter = need_code(r.matter_type, C.MATTER_TYPES, "matter_type", "信访事项类型")
    category = need_code(r.category, C.category_names(), "category", "问题分类")
    if ctx.org.unit(r.location) is None:
        raise invalid("unit.unknown", "问题属地不存在", f"Unknown location unit {r.location!r}",
                      "location")
    petitioners = _petitioners(r.petitioners, matter)
    headcount, collective = _headcount(r, len(petitioners))
    if len(r.representatives) > 5:
        raise invalid("representatives.too_many", "多人走访应推选不超过5名代表（第二十条）",
                      "At most 5 representatives (art. 20)", "representatives")
    _check_parties(r, channel, matter)
    _check_attachments(r.attachments)
    original_final = _original_final(ctx, r)
    return {
        "case_no": case_no, "registering_unit": unit.code,
        "at_petition_bureau": unit.kind == "petition_bureau", "channel": channel,
        "matter_type": matter, "category": category, "location": r.location,
        "petitioners": petitioners, "collective": collective, "headcount": headcount,
        "representatives": [str(p) for p in r.representatives], "agent": r.agent,
        "request": need_text(r.request, "request", "信访请求"),
        "facts_and_reasons": r.facts_and_reasons or "", "accused": r.accused,
        "attachments": r.attachments, "repeat_of": r.repeat_of, "same_facts": r.same_facts,
        "original_final": original_final, "bypass_of": r.bypass_of,
        "is_bypass": r.bypass_of is not None if r.is_bypass is None else r.is_bypass,
    }


def _headcount(r: Register, listed: int) -> tuple[int, bool]:
    """(headcount, collective): by default the petitioners listed (at least 1), and collective
    from 5 people on."""
    headcount = max(1, listed) if r.headcount is None else r.headcount
    if headcount < max(1, listed):
        raise invalid("headcount.invalid", "人数不能少于信访人数",
                      "headcount must be an integer no smaller than the petitioners listed",
                      "headcount")
    collective = headcount >= 5 if r.collective is None else r.collective
    if collective and headcount < 5:
        raise invalid("collective.too_few", "集体访须5人以上", "A collective visit has 5 or more "
                      "people", "collective")
    return headcount, collective


def _check_parties(r: Register, channel: str, matter: str) -> None:
    """An agent-filed petition names its agent; an accusation names whom it accuses."""
    agent, accused = r.agent, r.accused
    if channel == "agent" and not (agent is not None and str(agent.get("name", "")).strip()):
        raise invalid("agent.required", "代办须记录代办人及委托情况",
                      "An agent-filed petition names its agent", "agent")
    if matter == "accusation" and not (accused is not None and (
            accused.get("persons") or accused.get("units"))):
        raise invalid("accused.required", "检举控告须载明被反映人或单位",
                      "An accusation names the accused person or unit", "accused")


def _check_attachments(attachments: list[Any]) -> None:
    for a in attachments:
        if not isinstance(a, dict) or not str(a.get("name", "")).strip():
            raise invalid("attachments.invalid", "附件须有名称", "Each attachment has a name",
                          "attachments")
        check_digest(a.get("sha256"), "attachments")


def _original_final(ctx: Context, r: Register) -> bool:
    """Whether a case this petition repeats or bypasses was finally decided; refused if it is
    unknown or was registered after this petition."""
    final = False
    for name, other in (("repeat_of", r.repeat_of), ("bypass_of", r.bypass_of)):
        if other is None:
            continue
        found = ctx.lookup(other)
        if found is None:
            raise invalid("case.unknown_original", "关联的原信访事项不存在",
                          f"Unknown case {other!r}", name)
        if found.registered_at and found.registered_at > ctx.occurred_at:
            raise invalid("link.before_original", "关联的原信访事项登记时间晚于本次信访",
                          f"Case {other} was registered after this petition", name)
        final = final or found.status == "final"
    return final


def _petitioners(value: list[Any], matter: str) -> list[dict[str, Any]]:
    if not value and matter != "accusation":
        raise invalid("petitioners.required", "须登记信访人（匿名仅限检举控告）",
                      "At least one petitioner (only accusations may be anonymous)",
                      "petitioners")
    for p in value:
        if not isinstance(p, dict) or not str(p.get("name", "")).strip() or \
                set(p) - _PETITIONER_KEYS:
            raise invalid("petitioners.invalid", "信访人信息无效",
                          f"Each petitioner has a name and only {sorted(_PETITIONER_KEYS)}",
                          "petitioners")
    return [dict(p) for p in value]
