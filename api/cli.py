"""The `casetrail` command line.

The store is chosen by ``--db`` or the environment variable CASETRAIL_DATABASE_URL
(default ``sqlite:///casetrail.db``: a file in the working directory).
"""
from __future__ import annotations

import importlib
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from domain.errors import DomainError

cli = typer.Typer(help="Casetrail — 信访事项全过程留痕与问责审计 (petition case audit trail)",
                  no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
console = Console()
DbOption = typer.Option(None, "--db", help="Store URL (sqlite:///file.db or postgresql://…)")


def _open(db: str | None):  # type: ignore[no-untyped-def]
    from domain.application import Casetrail
    return Casetrail(existing_store(db))


def _fail(error: DomainError) -> NoReturn:
    refuse(error.code, error.zh, error.en)


def refuse(code: str, zh: str, en: str) -> NoReturn:
    """One line, Chinese first with the stable code, and exit 2 with nothing written."""
    console.print(f"[red]✗ {zh}[/] ({code}): {en}")
    raise typer.Exit(2)


def existing_store(db: str | None) -> str:
    """The store's URL, if the store is there. A mistyped SQLite path must not leave a new
    empty store behind (and answer every question with "nothing"), and a PostgreSQL server
    that does not answer is one line after a few seconds, not a 30 s wait and a traceback."""
    from store.config import database_url, is_postgres, postgres_conninfo, sqlite_path
    url = database_url(db)
    if not is_postgres(url):
        if not Path(sqlite_path(url)).is_file():
            refuse("store.not_found", "数据库文件不存在",
                   f"no store at {sqlite_path(url)}; check --db, or create one with "
                   "`casetrail demo` or `casetrail load-org FILE`")
        return url
    import psycopg
    info = postgres_conninfo(url)
    try:
        psycopg.connect(host=info["host"], port=info["port"], dbname=info["dbname"],
                        user=info["user"], password=info["password"], connect_timeout=5).close()
    except psycopg.Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        refuse("store.unreachable", "无法连接数据库",
               f"cannot connect to PostgreSQL at {info['host']}:{info['port']}: {reason}")
    return url


# Dates a question can be about: earlier or later ones are typing mistakes (and overflow the
# date arithmetic near year 9999).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def check_date_range(day: date, text: str) -> None:
    if not EARLIEST <= day <= LATEST:
        refuse("date.out_of_range", "日期超出可查询范围",
               f"{text!r} is outside {EARLIEST.year}–{LATEST.year}")


def _known_unit(db: str | None, unit: str | None) -> None:
    if unit is not None and _open(db).refresh_org().unit(unit) is None:
        refuse("unit.unknown", "办理单位不存在", f"Unknown unit {unit!r}")


@cli.command("load-org")
def load_org(path: Path, db: str | None = DbOption) -> None:
    """导入组织机构 — load an organisation (levels, units, people, posts) from a YAML or JSON file."""
    from domain.application import Casetrail
    from domain.org_loader import read_spec
    app = Casetrail(db)  # the one command (with demo) that may create the store
    try:
        n = app.load_organisation(read_spec(path))
    except DomainError as e:
        _fail(e)
    org = app.refresh_org()
    console.print(f"✓ loaded {path}: {len(org.units)} units, {len(org.persons)} people ({n} events)")


@cli.command()
def demo(db: str | None = DbOption,
         cases: int = typer.Option(300, help="How many cases to generate"),
         seed: int = typer.Option(7, help="Random seed (same seed, same city)"),
         reset: bool = typer.Option(False, help="Delete the SQLite file first")) -> None:
    """生成演示数据 — build a demo city with a few hundred cases and show one case.

    A realistic prefecture-level city (units, people, posts over time) and cases along every
    statutory path, in the store given by --db (default ./casetrail.db)."""
    from store.config import database_url, is_postgres, sqlite_path
    url = database_url(db)
    if not is_postgres(url):
        path = Path(sqlite_path(url))
        if path.exists():
            if not reset:
                console.print(f"[yellow]{path} already exists[/]: use --reset to rebuild the demo, "
                              "or `casetrail timeline CASE_NO` to look around.")
                raise typer.Exit(1)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    from simulation.demo import run_demo
    with console.status("building the demo city and its cases…"):
        summary = run_demo(url, cases=cases, seed=seed)
    _catch_up_projections(url)
    console.print(f"✓ demo store at {url}")
    for key in ("cases", "events", "open", "statuses", "paths", "seconds"):
        if key in summary:
            console.print(f"  {key}: {summary[key]}")
    if summary.get("show"):
        from api.timeline import render_timeline
        render_timeline(_open(url), summary["show"], console)
        console.print(f"\nNext: `casetrail timeline {summary['show']}`, `casetrail cases`, "
                      "`casetrail serve` (API docs at http://127.0.0.1:8000/docs)")


def _catch_up_projections(url: str) -> None:
    try:
        runner = importlib.import_module("projections.runner")
    except ImportError:
        return
    runner.catch_up(url)


@cli.command()
def timeline(case_no: str, db: str | None = DbOption) -> None:
    """信访事项全过程 — one case's full history as a timeline (business time and recording time)."""
    from api.timeline import render_timeline
    try:
        render_timeline(_open(db), case_no, console)
    except DomainError as e:
        _fail(e)


@cli.command()
def cases(db: str | None = DbOption, limit: int = 20) -> None:
    """最近登记的信访事项 — the most recently registered cases."""
    from rich.table import Table

    from domain.case_state import STATUS_ZH
    app = _open(db)
    seen: list[str] = []
    for n in reversed(app.recorder.select_notifications(
            start=1, limit=10**9, topics=("casetrail:PetitionCase.Registered",))):
        seen.append(app.mapper.to_domain_event(n).case_no)
        if len(seen) >= limit:
            break
    table = Table("信访件编号", "状态", "当前承办", "事项类型")
    for case_no in seen:
        state = app.get_case(case_no).state
        table.add_row(case_no, STATUS_ZH.get(state.status, state.status), state.holder or "",
                      state.matter_type)
    console.print(table)


@cli.command()
def holders(unit: str, post: str, when: str, db: str | None = DbOption) -> None:
    """岗位任职查询 — who held POST of UNIT at WHEN (a date or an ISO date-time)."""
    moment = _when(when)
    org = _open(db).refresh_org()
    _known_unit(db, unit)
    from domain.catalog import POSTS
    if post not in POSTS and post not in org.posts:
        refuse("post.unknown", "岗位不存在",
               f"Unknown post {post!r}; posts: {', '.join(sorted({*POSTS, *org.posts}))}")
    names = org.holders(unit, post, moment)
    console.print(", ".join(f"{org.persons.get(n, n)}（{n}）" for n in names)
                  if names else "空缺 (vacant)")


@cli.command()
def serve(db: str | None = DbOption, host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1) -> None:
    """启动HTTP接口 — serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn
    if db:
        os.environ["CASETRAIL_DATABASE_URL"] = db
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


def _when(text: str | None) -> datetime:
    from domain.org_loader import as_moment
    from domain.periods import TZ
    if text is None:
        return datetime.now(TZ)
    try:
        moment = as_moment(text if "T" in text else datetime.fromisoformat(text).date(), "when")
    except (DomainError, ValueError):
        refuse("date.invalid", "日期格式无效",
               f"not a date (YYYY-MM-DD) or ISO date-time: {text!r}")
    check_date_range(moment.date(), text)
    return moment


def _views(db: str | None) -> str:
    from projections.runner import RebuildUnfinished, catch_up
    from store.config import database_url
    url = database_url(existing_store(db))
    try:
        catch_up(url)
    except RebuildUnfinished:
        console.print("[red]✗ 查询视图正在重建或重建中断[/] (views.rebuild_unfinished): a rebuild "
                      "of the read models is running or was interrupted; run `casetrail "
                      "rebuild` and try again")
        raise typer.Exit(2) from None
    return url


def _print_rows(rows: list[dict], columns: list[str], as_json: bool, url: str) -> None:
    """A report: its rows and the integrity checkpoint (tree size, root) it was built from."""
    from domain.audit import checkpoint_summary
    checkpoint = checkpoint_summary(url)
    if as_json:
        import orjson
        console.print_json(orjson.dumps({"integrity_checkpoint": checkpoint, "items": rows},
                                        default=str).decode())
        return
    from rich.table import Table
    basis = (f"日志检查点 tree size {checkpoint['tree_size']} root {checkpoint['root'][:16]}…"
             if checkpoint else "日志尚无签名检查点 (no signed checkpoint yet)")
    table = Table(*(f"{HEADERS_ZH.get(c, c)}\n{c}" for c in columns), caption=basis)
    for row in rows:
        table.add_row(*(_cell(c, row.get(c)) for c in columns))
    console.print(table)


# what a reader sees first: the Chinese name of each column and value, the English code below
HEADERS_ZH = {"case_no": "信访件编号", "clock": "期限", "unit": "单位", "start_at": "起算时间",
              "last_day": "届满日", "status": "状态", "days_late": "超期日数", "provisional": "待定",
              "policy_version": "政策版本", "calendar_version": "日历版本"}


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "status":
        from api.dossier import CLOCK_STATUS_ZH
        return f"{CLOCK_STATUS_ZH.get(value, value)} {value}"
    if column == "provisional":
        return "是" if value else "否"
    if isinstance(value, datetime) and value.tzinfo is not None:
        from domain.periods import TZ
        return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M")  # Beijing time, as officers read
    return str(value)


@cli.command("who-held")
def who_held(case_no: str, when: str, db: str | None = DbOption,
             json: bool = typer.Option(False, "--json")) -> None:
    """责任主体查询 — who held CASE_NO at WHEN, as they were then.

    The unit, handler, petition officer, leader in charge, 包案 leaders, and the territorial
    chain with its post holders."""
    from projections.queries import who_held as query
    answer = query(_views(db), case_no, _when(when))
    if answer is None:
        console.print(f"[yellow]信访事项 {case_no} 在该时刻尚未登记或不存在[/] (case.not_found)")
        raise typer.Exit(1)
    import orjson

    from domain.application import Casetrail
    org = Casetrail(db).refresh_org()
    console.print_json(orjson.dumps(_named(answer, org), default=str).decode())


def _named(value: object, org: object) -> object:
    """Unit and person codes shown with their names: 赵磊（zhao-lei）."""
    if isinstance(value, dict):
        return {k: v if k in ("case_no", "from", "to", "cause", "level") else _named(v, org)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_named(v, org) for v in value]
    if isinstance(value, str):
        unit = org.unit(value)  # type: ignore[attr-defined]
        if unit is not None:
            return f"{unit.name}（{value}）"
        name = org.persons.get(value)  # type: ignore[attr-defined]
        if name:
            return f"{name}（{value}）"
    return value


CLOCK_COLUMNS = ["case_no", "clock", "unit", "start_at", "last_day", "status", "days_late",
                 "provisional", "policy_version", "calendar_version"]


@cli.command()
def clocks(case_no: str, when: str | None = typer.Argument(None), db: str | None = DbOption,
           json: bool = typer.Option(False, "--json")) -> None:
    """法定期限 — every statutory clock of CASE_NO, its due date and status at WHEN.

    WHEN is a date or an ISO date-time (default: now)."""
    from projections.queries import clocks_at
    url = _views(db)
    try:
        _open(db).get_case(case_no)
    except DomainError as e:
        _fail(e)
    rows = clocks_at(url, case_no, _when(when))
    _print_rows([{"case_no": case_no, **r} for r in rows], CLOCK_COLUMNS, json, url)


@cli.command()
def queue(unit: str, as_of: str = typer.Option(..., "--as-of"), db: str | None = DbOption,
          json: bool = typer.Option(False, "--json")) -> None:
    """日审核 — everything of UNIT due or overdue as of a date (that morning)."""
    from projections.queries import queue as query
    url = _views(db)
    _known_unit(db, unit)
    _print_rows(query(url, unit, _when(as_of).date()), CLOCK_COLUMNS, json, url)


@cli.command()
def dispatch(as_of: str = typer.Option(..., "--as-of"), db: str | None = DbOption,
             json: bool = typer.Option(False, "--json")) -> None:
    """周调度 — statutory clocks due in the next 7 days, by unit."""
    from projections.queries import weekly_dispatch
    url = _views(db)
    by_unit = weekly_dispatch(url, _when(as_of).date())
    rows = [{"unit": unit, **r} for unit, items in sorted(by_unit.items()) for r in items]
    _print_rows(rows, ["unit", *CLOCK_COLUMNS], json, url)


@cli.command()
def overdue(as_of: str = typer.Option(..., "--as-of"), unit: str | None = None,
            db: str | None = DbOption, json: bool = typer.Option(False, "--json")) -> None:
    """逾期清单 — statutory clocks past their deadline as of a date (optionally for one unit)."""
    from projections.queries import overdue as query
    url = _views(db)
    _known_unit(db, unit)
    _print_rows(query(url, _when(as_of), unit), CLOCK_COLUMNS, json, url)


def _mount(module: str, name: str, help_text: str) -> None:
    try:
        sub = importlib.import_module(module).app
    except (ImportError, AttributeError):
        return
    cli.add_typer(sub, name=name, help=help_text)


_mount("api.integrity_cli", "integrity", "防篡改 — tamper evidence: Merkle log, checkpoints, proofs")
_mount("api.tokens_cli", "token", "接口令牌 — API tokens: issue, list, revoke")
_mount("projections.cli", "projections", "查询视图 — read models: catch up, rebuild, queries")
_mount("api.findings_cli", "findings",
       "问责发现 — accountability findings, supervisor workflow, dossiers")
_mount("api.calendar_cli", "calendar", "节假日通知 — holiday notices: load a year, show coverage")


def _mount_verify() -> None:
    try:
        from api.integrity_cli import verify as integrity_verify
    except ImportError:
        return
    cli.command("verify", help="完整性核验 — verify the whole store against its Merkle log, checkpoints and "
                "witness files (exit 0 intact, 1 tampered, 2 cannot read).")(integrity_verify)


_mount_verify()


@cli.command()
def rebuild(db: str | None = DbOption) -> None:
    """重建查询视图 — rebuild every read model from the whole event log.

    A progress bar on a terminal, one summary line otherwise."""
    import time

    from projections.runner import rebuild as run_rebuild
    from store.config import database_url
    started = time.monotonic()
    # a bar only on a terminal: in CI or a pipe, one plain line when done
    n = run_rebuild(database_url(existing_store(db)), progress=console.is_terminal)
    console.print(f"✓ read models rebuilt from {n} events in {time.monotonic() - started:.1f} s")


def main() -> None:
    try:
        cli()
    except DomainError as e:  # pragma: no cover - commands catch their own
        console.print(f"[red]✗ {e.zh}[/] ({e.code}): {e.en}")
        sys.exit(2)


if __name__ == "__main__":
    main()
