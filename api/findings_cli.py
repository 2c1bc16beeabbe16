"""`casetrail findings …`: the rule catalogue, findings as of a date, dossiers, and the
supervisor's workflow (confirm, dismiss, annotate, judge, measure, propose, feedback).

Dates: ``2026-05-10`` means the end of that day (24:00 Asia/Shanghai), so everything done that
day counts; a full ISO time (``2026-05-10T15:00``, zone optional) is taken as given.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from domain.commands import Actor
from domain.errors import DomainError
from domain.periods import TZ
from domain.rules import CATEGORIES, RULES, RULES_BY_ID, Thresholds, with_rule_text

app = typer.Typer(help="问责发现 — accountability findings, audits and the supervisor's workflow",
                  no_args_is_help=True, add_completion=False)
console = Console()
DbOption = typer.Option(None, "--db", help="Store URL (sqlite:///file.db or postgresql://…)")
SenseOption = typer.Option("happened", "--sense",
                           help="happened (as it really stood) or recorded (what was known then)")
UnitOption = typer.Option(..., "--unit", help="Acting unit code (a supervising body)")
PersonOption = typer.Option(None, "--person", help="Acting person code")
PostOption = typer.Option(None, "--post", help="The post the person acts in")
CaseOption = typer.Option(None, "--case", help="The finding's case (faster lookup)")
AtOption = typer.Option(None, "--at", help="When it happened (default: now)")


def parse_moment(text: str | None, default: datetime | None = None) -> datetime:
    """A date is the end of that day in Asia/Shanghai; a date-time without zone is local."""
    from api.cli import check_date_range, refuse
    if text is None:
        if default is None:
            refuse("date.invalid", "缺少日期", "a date or time is required")
        return default
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        refuse("date.invalid", "日期格式无效",
               f"not a date (YYYY-MM-DD) or ISO date-time: {text!r}")
    check_date_range(moment.date(), text)
    if len(text) == 10:
        return datetime.combine(moment.date() + timedelta(days=1), time(0), tzinfo=TZ)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _one_of(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        from api.cli import refuse
        refuse(f"{option}.invalid", "选项取值无效",
               f"--{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _open(db: str | None) -> Any:
    from api.cli import existing_store
    from domain.application import Casetrail
    return Casetrail(existing_store(db))


def _actor(unit: str, person: str | None, post: str | None) -> Actor:
    return Actor(unit, person=person or None, post=post or None)


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except DomainError as e:
        console.print(f"[red]✗ {e.zh}[/] ({e.code}): {e.en}")
        raise typer.Exit(2) from None


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2))


@app.command("rules")
def rules(fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """List the rule catalogue: id, category, articles, Chinese and English text."""
    _one_of(fmt, ("table", "json"), "format")
    if fmt == "json":
        _echo_json({"thresholds": dict(Thresholds().__dict__),
                    "rules": [r.as_dict() for r in RULES]})
        return
    table = Table(title="问责规则目录")
    for col in ("规则", "类别", "条款", "说明", "Description"):
        table.add_column(col)
    for r in RULES:
        table.add_row(r.id, CATEGORIES[r.category], "、".join(r.articles), r.zh, r.en)
    console.print(table)


@app.command("list")
def list_(unit: str | None = typer.Option(None, "--unit", help="Responsible unit code"),
          case: str | None = typer.Option(None, "--case", help="Case number"),
          period_from: str | None = typer.Option(None, "--from", help="Breaches from this date"),
          period_to: str | None = typer.Option(None, "--to", help="…up to this date (inclusive)"),
          as_of: str | None = typer.Option(None, "--as-of", help="Evaluate as of (default now)"),
          rule: str | None = typer.Option(None, "--rule", help="Only this rule id"),
          fmt: str = typer.Option("table", "--format", help="table or json"),
          sense: str = SenseOption, db: str | None = DbOption) -> None:
    """Findings for a unit, a case or a period, as of a date."""
    from domain.findings import Query, list_findings, reviews_of
    _one_of(fmt, ("table", "json"), "format")
    _one_of(sense, ("happened", "recorded"), "sense")
    trail = _open(db)
    if unit is not None and trail.refresh_org().unit(unit) is None:
        from api.cli import refuse
        refuse("unit.unknown", "办理单位不存在", f"Unknown unit {unit!r}")
    moment = parse_moment(as_of, trail.clock())
    start = parse_moment(period_from) - timedelta(days=1) if period_from else None
    query = Query(unit=unit, case_no=case, period_from=start,
                  period_to=parse_moment(period_to) if period_to else None, rule=rule)
    found = _run(lambda: list_findings(trail, moment, query, sense=sense, workers=None))
    reviews = reviews_of(trail, [f.id for f in found])
    rows = [{**with_rule_text(f), "review": (reviews.get(f.id) or {}).get("status", "open")}
            for f in found]
    from domain.audit import checkpoint_summary
    checkpoint = checkpoint_summary(trail.database_url)
    if fmt == "json":
        _echo_json({"as_of": moment.isoformat(), "sense": sense,
                    "integrity_checkpoint": checkpoint, "findings": rows})
        return
    basis = (f"；依据日志检查点 tree size {checkpoint['tree_size']} root {checkpoint['root'][:16]}…"
             if checkpoint else "；日志尚无签名检查点 (no signed checkpoint yet)")
    table = Table(title=f"问责发现（截至 {moment:%Y-%m-%d %H:%M}，{len(rows)} 项{basis}）")
    for col in ("时点", "事项", "类别", "规则", "责任单位", "承办人", "领导", "天数", "核实", "编号"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["at"][:16].replace("T", " "), r["case_no"], r["category_zh"],
                      r["rule_zh"], r["unit"] or "", r["handler"] or "", r["leader"] or "",
                      "" if r["days"] is None else str(r["days"]), r["review"], r["id"])
    console.print(table)


@app.command("dossier")
def dossier_cmd(case_no: str,
                as_of: str | None = typer.Option(None, "--as-of", help="Cut-off (default now)"),
                fmt: str = typer.Option("json", "--format", help="json or html"),
                output: Path | None = typer.Option(None, "-o", "--output", help="Write here"),
                sense: str = SenseOption, db: str | None = DbOption) -> None:
    """A case dossier (timeline, clocks, responsibility, findings, corrections) as JSON or HTML."""
    from api.dossier import render
    from domain.audit import dossier
    _one_of(fmt, ("json", "html"), "format")
    _one_of(sense, ("happened", "recorded"), "sense")
    trail = _open(db)
    moment = parse_moment(as_of, trail.clock())
    try:
        data = _run(lambda: dossier(trail, case_no, moment, sense))
    except LookupError as e:
        console.print(f"[red]✗ {e}[/]")
        raise typer.Exit(2) from None
    text = render(data, fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"✓ {output} ({len(data['findings'])} findings)")


def _workflow(result: Any) -> None:
    console.print(f"✓ {result.finding_id}: {result.status} (version {result.version})")


@app.command()
def confirm(finding_id: str, reason: str = typer.Option("", "--reason"),
            unit: str = UnitOption, person: str | None = PersonOption,
            post: str | None = PostOption, case: str | None = CaseOption,
            at: str | None = AtOption, db: str | None = DbOption) -> None:
    """确认 a finding."""
    from domain.findings import confirm_finding
    trail = _open(db)
    _workflow(_run(lambda: confirm_finding(trail, finding_id, _actor(unit, person, post), reason,
                                           case, parse_moment(at, trail.clock()))))


@app.command()
def dismiss(finding_id: str, reason: str = typer.Option(..., "--reason"),
            unit: str = UnitOption, person: str | None = PersonOption,
            post: str | None = PostOption, case: str | None = CaseOption,
            at: str | None = AtOption, db: str | None = DbOption) -> None:
    """排除 a finding, with the reason."""
    from domain.findings import dismiss_finding
    trail = _open(db)
    _workflow(_run(lambda: dismiss_finding(trail, finding_id, _actor(unit, person, post), reason,
                                           case, parse_moment(at, trail.clock()))))


@app.command()
def annotate(finding_id: str, text: str = typer.Option(..., "--text"),
             unit: str = UnitOption, person: str | None = PersonOption,
             post: str | None = PostOption, case: str | None = CaseOption,
             at: str | None = AtOption, db: str | None = DbOption) -> None:
    """Add a note to a finding."""
    from domain.findings import annotate_finding
    trail = _open(db)
    _workflow(_run(lambda: annotate_finding(trail, finding_id, _actor(unit, person, post), text,
                                            case, parse_moment(at, trail.clock()))))


@app.command()
def judge(finding_id: str,
          serious: bool = typer.Option(..., "--serious/--not-serious",
                                       help="Human judgement: were consequences serious"),
          description: str = typer.Option(..., "--description"),
          unit: str = UnitOption, person: str | None = PersonOption,
          post: str | None = PostOption, case: str | None = CaseOption,
          at: str | None = AtOption, db: str | None = DbOption) -> None:
    """Record the human judgement of consequences (严重后果) on a confirmed finding."""
    from domain.findings import judge_consequences
    trail = _open(db)
    _workflow(_run(lambda: judge_consequences(trail, finding_id, _actor(unit, person, post),
                                              serious, description, case,
                                              parse_moment(at, trail.clock()))))


@app.command()
def measure(finding_id: str, kind: str = typer.Option(..., "--measure",
                                                      help="none, correction, talk, notice, "
                                                           "referred, other"),
            description: str = typer.Option("", "--description"),
            unit: str = UnitOption, person: str | None = PersonOption,
            post: str | None = PostOption, case: str | None = CaseOption,
            at: str | None = AtOption, db: str | None = DbOption) -> None:
    """Record the measure taken on a confirmed finding (decided by people, not computed)."""
    from domain.findings import record_measure
    trail = _open(db)
    _workflow(_run(lambda: record_measure(trail, finding_id, _actor(unit, person, post), kind,
                                          description, case, parse_moment(at, trail.clock()))))


@app.command()
def propose(number: str,
            kind: str = typer.Option(..., "--kind",
                                     help="improve_work, improve_policy or accountability"),
            to_unit: str = typer.Option(..., "--to-unit"),
            text: str = typer.Option(..., "--text"),
            cases: list[str] = typer.Option([], "--case", help="Linked case (repeatable)"),
            findings: list[str] = typer.Option([], "--finding", help="Linked finding"),
            unit: str = UnitOption, person: str | None = PersonOption,
            post: str | None = PostOption, at: str | None = AtOption,
            db: str | None = DbOption) -> None:
    """三项建议: a proposal to a unit, linking cases and findings."""
    from domain.findings import propose as make
    trail = _open(db)
    p = _run(lambda: make(trail, number, kind, to_unit, _actor(unit, person, post), text, cases,
                          findings, parse_moment(at, trail.clock())))
    console.print(f"✓ proposal {p.number} ({p.kind}) to {p.to_unit}")


@app.command()
def feedback(number: str,
             outcome: str = typer.Option(..., "--outcome", help="adopted, partly, not_adopted"),
             reasons: str = typer.Option("", "--reasons"),
             unit: str = UnitOption, person: str | None = PersonOption,
             post: str | None = PostOption, at: str | None = AtOption,
             db: str | None = DbOption) -> None:
    """The addressed unit's written feedback on a proposal."""
    from domain.findings import give_feedback
    trail = _open(db)
    p = _run(lambda: give_feedback(trail, number, _actor(unit, person, post), outcome, reasons,
                                   parse_moment(at, trail.clock())))
    console.print(f"✓ proposal {p.number}: feedback {outcome}")


@app.command()
def show(finding_id: str, db: str | None = DbOption) -> None:
    """A finding's workflow (snapshot and every decision) as JSON."""
    from domain.findings import get_review
    review = get_review(_open(db), finding_id)
    if review is None:
        console.print(f"[yellow]no workflow recorded for {finding_id}[/]")
        raise typer.Exit(1)
    _echo_json(review.as_dict())


__all__ = ["app", "parse_moment", "RULES_BY_ID"]
