"""``casetrail token issue|revoke|list``: API tokens (the secret is shown once, only its hash kept).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from api.routes.admin import issue_token, list_tokens, revoke_token
from api.sidestore import SideStore
from domain.application import Casetrail
from domain.errors import DomainError
from store.config import database_url, is_postgres, sqlite_path

app = typer.Typer(help="API tokens: issue, revoke, list.", no_args_is_help=True)
DbOpt = Annotated[str | None, typer.Option(
    "--db", "--database-url", envvar="CASETRAIL_DATABASE_URL",
    help="Store URL (sqlite:///file.db or postgresql://…; default sqlite:///casetrail.db)")]


def _open(url: str | None) -> tuple[Casetrail, SideStore]:
    """The store; a SQLite file that does not exist is an error, not a new empty store (a
    mistyped path would otherwise leave a stray database behind)."""
    resolved = database_url(url)
    if not is_postgres(resolved) and not Path(sqlite_path(resolved)).exists():
        typer.echo(f"✗ 数据库文件不存在 (store.not_found): no store at {sqlite_path(resolved)} — "
                   "load an organisation first (casetrail load-org FILE --db URL) or pass --db",
                   err=True)
        raise typer.Exit(2)
    core = Casetrail(url)
    return core, SideStore(core.database_url)


@app.command()
def issue(
    subject: Annotated[str, typer.Option(help="Who holds it: a person code or a system name")],
    unit: Annotated[str, typer.Option(help="The unit it acts for (recorded on every event)")],
    role: Annotated[list[str], typer.Option(help="Role; repeat for several")],
    person: Annotated[str | None, typer.Option(help="Person code (person tokens)")] = None,
    post: Annotated[str | None, typer.Option(help="The post the person acts in")] = None,
    client: Annotated[bool, typer.Option(help="A client system, not a person")] = False,
    scope: Annotated[str | None, typer.Option(
        help="Scope unit (default: the unit; for bureau, supervisor and review organ roles "
             "the territory above it)")] = None,
    subunits: Annotated[bool, typer.Option(help="Scope includes the units under it")] = True,
    days: Annotated[int, typer.Option(help="Days until it expires")] = 90,
    note: Annotated[str, typer.Option(help="Why it was issued")] = "",
    database_url: DbOpt = None,
) -> None:
    """Issue a token and print its secret once."""
    core, side = _open(database_url)
    try:
        secret, grant = issue_token(
            core, side, subject=subject, kind="client" if client else "person", unit=unit,
            roles=role, person=None if client else (person or subject), post=post,
            scope_unit=scope, include_subunits=subunits, days=days, note=note)
    except DomainError as e:
        typer.echo(f"{e.zh} — {e.en}", err=True)
        raise typer.Exit(2) from None
    finally:
        side.close()
        core.close()
    typer.echo(orjson.dumps(grant.as_dict(), option=orjson.OPT_INDENT_2).decode(), err=True)
    typer.echo(secret)


@app.command()
def revoke(token_id: str, reason: Annotated[str, typer.Option()] = "",
           database_url: DbOpt = None) -> None:
    """Revoke a token by its id (tok_…); takes effect on the next request."""
    core, side = _open(database_url)
    try:
        if not revoke_token(core, side, token_id, reason):
            typer.echo(f"No token {token_id}", err=True)
            raise typer.Exit(1)
    finally:
        side.close()
        core.close()
    typer.echo(f"revoked {token_id}")


@app.command("list")
def list_(database_url: DbOpt = None) -> None:
    """List tokens (never their secrets)."""
    core, side = _open(database_url)
    try:
        for t in list_tokens(side):
            typer.echo(orjson.dumps(t).decode())
    finally:
        side.close()
        core.close()
