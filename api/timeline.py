"""A case's full history as a readable timeline in the terminal (rich)."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from domain import catalog as C
from domain.application import Casetrail
from domain.case_state import STATUS_ZH
from domain.periods import TZ

SKIP = {"petitioners", "accused", "attachments", "facts_and_reasons", "registering_unit",
        "at_petition_bureau", "original_final", "representatives"}


def _who(app: Casetrail, actor: dict[str, Any]) -> str:
    unit = app.org.unit(actor.get("unit") or "")
    text = unit.name if unit else str(actor.get("unit"))
    if actor.get("person"):
        text += f" · {app.org.persons.get(actor['person'], actor['person'])}"
    if actor.get("on_behalf_of"):
        text += f"（代 {actor['on_behalf_of']}）"
    return text


UNIT_KEYS = {"to_unit", "from_unit", "target_unit", "organ", "location", "at_unit"}
PERSON_KEYS = {"person", "approver"}


def _details(fact: Any, app: Casetrail | None = None) -> str:
    parts = []
    for key, value in fact.data.items():
        if key in SKIP or value in (None, "", [], {}, False):
            continue
        if app is not None and key in UNIT_KEYS and app.org.unit(str(value)):
            value = app.org.units[str(value)].name
        elif app is not None and key in PERSON_KEYS:
            value = app.org.persons.get(str(value), value)
        parts.append(f"{key}={value}")
    text = "; ".join(parts)
    if fact.corrections:
        text += "  [已更正: " + "; ".join(f"{f}: {o} → {n}" for f, o, n in fact.corrections) + "]"
    return text


def render_timeline(app: Casetrail, case_no: str, console: Console | None = None) -> None:
    console = console or Console()
    app.refresh_org()
    case = app.get_case(case_no)
    state = case.state
    location = app.org.unit(state.reg["location"])
    console.print(f"[bold]信访事项 {case_no}[/]  {C.label(C.MATTER_TYPES, state.matter_type)} · "
                  f"{C.categories()[state.reg['category']]['zh']} · "
                  f"{C.label(C.CHANNELS, state.reg['channel'])} · 属地 "
                  f"{location.name if location else state.reg['location']}")
    holder = app.org.unit(state.holder or "")
    console.print(f"当前状态: [bold]{STATUS_ZH.get(state.status, state.status)}[/]  当前承办: "
                  f"{holder.name if holder else state.holder}  版本 {case.version}")
    table = Table(show_lines=False)
    for col in ("#", "发生时间 (occurred)", "记录时间 (recorded)", "环节", "办理主体", "内容"):
        table.add_column(col)
    for fact in case.effective():
        occurred = fact.occurred_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
        recorded = fact.recorded_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
        late = (fact.recorded_at - fact.occurred_at).days
        if late >= 3:
            recorded += f" [red](补录 +{late}天)[/]"
        table.add_row(str(fact.version), occurred, recorded, C.EVENT_ZH.get(fact.kind, fact.kind),
                      _who(app, fact.actor), _details(fact, app))
    console.print(table)
