"""``casetrail calendar load|status``: State Council holiday notices, one year per file.

``load`` checks the file, then records it as an event (who, when, the file's SHA-256); a refusal
is one line, Chinese first, with its code, and writes nothing. ``status`` says, year by year,
where the holidays come from: the ``chinese_calendar`` package, a loaded notice, or the
provisional fallback (statutory holidays only). See domain/data/holidays/README.md.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.table import Table

from domain.calendar_build import PACKAGE, YearStatus, build_calendar, calendar_status
from domain.calendar_notice import ParsedNotice, missing_statutory_days, parse_notice
from domain.calendar_year import read_notices, record_notice
from domain.errors import DomainError
from domain.periods import TZ

app = typer.Typer(help="节假日通知 — holiday notices: load one year, show coverage",
                  no_args_is_help=True, add_completion=False)
console = Console()
DbOption = typer.Option(None, "--db", help="Store URL (sqlite:///file.db or postgresql://…)")
SOURCE_ZH = {"package": "内置数据", "notice": "已载入通知", "fallback": "暂定（仅法定节日）"}


def _fail(error: DomainError) -> NoReturn:
    from api.cli import refuse
    refuse(error.code, error.zh, error.en + (f" (field: {error.field})" if error.field else ""))


def _parse(path: Path) -> ParsedNotice:
    try:
        data = path.read_bytes()
    except OSError as e:
        from api.cli import refuse
        refuse("calendar.bad_file", "无法读取节假日通知文件", f"{path}: {e.strerror or e}")
    try:
        return parse_notice(data, path.name)
    except DomainError as e:
        _fail(e)


@app.command()
def load(path: Path,
         supersede: bool = typer.Option(False, "--supersede",
                                        help="Replace the notice already loaded for that year"),
         reason: str = typer.Option("", "--reason", help="Why it is replaced (with --supersede)"),
         by: str = typer.Option("admin", "--by", help="Who loads it (person code)"),
         db: str | None = DbOption) -> None:
    """载入节假日通知 — check a year's notice file and record it as an event."""
    from api.cli import existing_store
    from domain.application import Casetrail
    parsed = _parse(path)  # before the store is opened: a bad file touches nothing
    store = Casetrail(existing_store(db))
    try:
        agg = record_notice(store, parsed, loaded_by=by, package=PACKAGE, supersede=supersede,
                            reason=reason)
    except DomainError as e:
        _fail(e)
    finally:
        store.close()
    n = parsed.notice
    if agg is None:
        console.print(f"= {n.year} 年通知已载入，内容相同，未写入 — already loaded with this "
                      f"content; nothing written (sha256 {parsed.sha256[:12]})")
        return
    verb = "已替换" if agg.version > 1 else "已载入"
    console.print(f"✓ {verb} {n.year} 年节假日通知 {n.notice_number}：放假 {len(n.holiday_dates)} 天，"
                  f"调休上班 {len(n.workday_dates)} 天 — {'superseded' if agg.version > 1 else 'loaded'}"
                  f" by {by}, sha256 {parsed.sha256[:12]}, event version {agg.version}")
    for day, name in missing_statutory_days(n):
        console.print(f"[yellow]⚠ 法定节日 {day}（{name}）未列为放假日，请核对通知[/] — "
                      f"statutory holiday {day} is not a rest day in this file: check it")


@app.command()
def status(db: str | None = DbOption) -> None:
    """节假日数据来源 — where each year's holidays come from (package, notice, or provisional)."""
    from api.cli import existing_store
    from domain.application import Casetrail
    store = Casetrail(existing_store(db))
    try:
        notices = read_notices(store)
    finally:
        store.close()
    rows = calendar_status(notices, through=date.today().year + 1)
    table = Table("年度 year", "来源 source", "通知文号 notice", "SHA-256", "载入时间 loaded at",
                  "载入人 by", "版本 version")
    for row in rows:
        table.add_row(*_cells(row))
    console.print(table)
    console.print(f"期限日历版本 calendar version: {build_calendar(notices.values()).version}")


def _cells(row: YearStatus) -> list[str]:
    years = str(row.first_year) if row.first_year == row.last_year else \
        f"{row.first_year}–{row.last_year}"
    loaded = row.notice
    if loaded is None:
        return [years, SOURCE_ZH[row.source], "", "", "", "", row.version]
    when = loaded.loaded_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    note = "" if loaded.version == 1 else f"（第{loaded.version}版：{loaded.reason}）"
    return [years, SOURCE_ZH[row.source], loaded.notice.notice_number + note,
            loaded.sha256[:12], when, loaded.loaded_by, row.version]
