"""Tokens and the read-access log, as a demanding user probes them: a person's token is good only
while the person holds the post it names; expiry is exact; the CLI's errors write nothing; every
read that reveals personal data is logged and a refused read is not."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.auth import TokenStore
from api.routes.admin import issue_token
from api.tokens_cli import app as token_cli
from domain.errors import InvalidInput
from tests.api.conftest import Api, run_lifecycle, ts
from tests.conftest import at


def grant(**over: object) -> dict[str, object]:
    return {"subject": "sun-li", "kind": "person", "unit": "yz-zjj", "person": "sun-li",
            "post": "handler", "roles": ["handler"], **over}


def test_a_person_token_is_refused_for_a_post_the_person_does_not_hold(sqlite_api: Api) -> None:
    side = sqlite_api.client.app.state.services.side
    before = side.query("SELECT token_id FROM api_tokens")
    with pytest.raises(InvalidInput) as refused:  # Wu Min is the bureau's petition officer
        sqlite_api.token(**grant(subject="wu-min", person="wu-min", post="head",
                                 unit="yz-xfj", roles=["unit_head"]))
    assert (refused.value.code, refused.value.field) == ("token.post_not_held", "post")
    with pytest.raises(InvalidInput):  # Li Na left the housing bureau on 2026-06-01
        sqlite_api.token(**grant(subject="li-na", person="li-na"))
    assert side.query("SELECT token_id FROM api_tokens") == before


def test_a_person_token_never_outlives_a_term_already_known_to_end(sqlite_api: Api) -> None:
    sqlite_api.core.vacate_post("yz-zjj", "handler", "sun-li", at(2026, 12, 31))
    _, who = issue_token(sqlite_api.core, sqlite_api.client.app.state.services.side,
                         **grant(days=90))  # type: ignore[arg-type]
    assert datetime.fromisoformat(who.expires_at) == at(2026, 12, 31)


def test_a_token_stops_working_when_its_holder_leaves_the_post(sqlite_api: Api) -> None:
    core, side = sqlite_api.core, sqlite_api.client.app.state.services.side
    tokens = TokenStore(side, org=core.refresh_org)
    secret, _ = tokens.issue(subject="sun-li", kind="person", unit="yz-zjj", roles=["handler"],
                             now=core.clock(), ttl=timedelta(days=90), person="sun-li",
                             post="handler")
    assert tokens.verify(secret, core.clock()) is not None
    core.vacate_post("yz-zjj", "handler", "sun-li", core.clock() + timedelta(hours=1))
    assert tokens.verify(secret, core.clock()) is not None  # still in post for an hour
    later = core.clock() + timedelta(hours=1)
    assert tokens.verify(secret, later) is None and tokens.cached(secret, later) is None
    client, _ = tokens.issue(subject="zjj-system", kind="client", unit="yz-zjj",
                             roles=["handler"], now=core.clock(), ttl=timedelta(days=90))
    assert tokens.verify(client, later) is not None  # a client system holds no post


def test_a_token_is_refused_from_the_exact_instant_it_expires(sqlite_api: Api) -> None:
    secret = sqlite_api.token(subject="audit-1", kind="client", unit="city", roles=["auditor"],
                              days=1)
    me = {"Authorization": f"Bearer {secret}"}
    expiry = sqlite_api.core.clock() + timedelta(days=1)
    sqlite_api.core.clock.now = expiry - timedelta(microseconds=1)
    assert sqlite_api.client.get("/me", headers=me).status_code == 200  # now cached
    sqlite_api.core.clock.now = expiry
    r = sqlite_api.client.get("/me", headers=me)
    assert (r.status_code, r.json()["code"]) == (401, "auth.invalid_token")


@pytest.mark.parametrize("command", [
    ["issue", "--subject", "wu-min", "--unit", "yz-xfj", "--role", "petition_bureau",
     "--post", "petition_officer"],
    ["revoke", "tok_0000"], ["list"]])
def test_the_token_cli_never_creates_a_store_at_a_mistyped_path(tmp_path: Path,
                                                                command: list[str]) -> None:
    missing = tmp_path / "typo.db"
    for option in ("--database-url", "--db"):  # --db as in every other command
        r = CliRunner().invoke(token_cli, [*command, option, f"sqlite:///{missing}"])
        assert r.exit_code == 2 and "store.not_found" in r.output and "no store at" in r.output
    assert not missing.exists()


# --- the read-access log --------------------------------------------------------------------
REVEALING = ["/cases/A", "/cases/A/history", f"/cases/A/as-of?at={ts(4, 1)}&sense=occurred",
             "/cases/A/as-of?at=2026-11-20T09:00:00%2B08:00&sense=recorded",
             "/cases/A/dossier", "/cases/A/dossier?format=html",
             f"/cases/A/diff?from={ts(3, 1)}&to={ts(5, 1)}", "/export"]


def test_every_read_that_reveals_personal_data_is_logged_with_its_endpoint(api: Api) -> None:
    run_lifecycle(api)
    log = api.client.app.state.services.access
    for path in REVEALING:
        before = log.entries(case_no="A")
        assert api.client.get(path.replace("+", "%2B"), headers=api.h("bureau")).status_code == 200
        new = log.entries(case_no="A", after_id=before[-1].entry_id if before else 0)
        assert len(new) == 1, path
        assert new[0].subject == "wu-min" and "personal_data" in new[0].revealed, path
        assert new[0].endpoint == path.split("?")[0].replace("/A", "/{case_no}"), path
    by_bureau = api.get("discipline", "/access-log", case_no="A", subject="wu-min").json()
    assert len(by_bureau["items"]) == len(REVEALING)


@pytest.mark.parametrize("who,path", [
    ("labour", "/cases/A"), ("labour", "/cases/A/history"), ("labour", "/cases/A/dossier"),
    ("housing_officer", "/cases/A/dossier"),
    ("bureau", "/cases/A/as-of?at=2020-01-01T00:00:00%2B08:00"),
    ("bureau", "/cases/A/as-of?at=2020-01-01T00:00:00%2B08:00&sense=occurred"),
    ("bureau", "/cases/A/dossier?as_of=2020-01-01T00:00:00%2B08:00")])
def test_a_refused_read_logs_no_reveal(sqlite_api: Api, who: str, path: str) -> None:
    run_lifecycle(sqlite_api)
    log = sqlite_api.client.app.state.services.access
    before = len(log.entries())
    assert sqlite_api.client.get(path, headers=sqlite_api.h(who)).status_code in (403, 404)
    assert len(log.entries()) == before
