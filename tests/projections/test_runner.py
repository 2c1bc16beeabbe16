"""The runner on SQLite and PostgreSQL: exactly-once, resumable, rebuild == incremental, and the
queries answered from the read models agree with a direct fold of the events."""
from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from domain.application import Casetrail
from projections import queries as Q
from projections import replay as replay_module
from projections.facts import facts_of_aggregate
from projections.replay import replay
from projections.runner import (
    RebuildUnfinished,
    Runner,
    catch_up,
    rebuild,
    recompute_provisional,
)
from projections.schema import ViewDB
from store.config import is_postgres, sqlite_path
from tests.conftest import BUREAU, GRIEVANCE, HOUSING, ROOT, at
from tests.projections.test_clocks import calendar_with_2027

HANDLER_LI = {"unit": "yz-zjj", "person": "li-na", "post": "handler"}


def story(app: Casetrail, case_no: str = "A1", start: int = 2) -> list[tuple[str, dict]]:
    """A grievance registered at the district bureau, transferred to the housing bureau,
    accepted, handled by Li Na, extended, replied and served."""
    app.register_case(BUREAU, occurred_at=at(2026, 2, start, 10), case_no=case_no, **GRIEVANCE)
    steps = [
        ("transfer", BUREAU, at(2026, 2, start + 3, 10), {"to_unit": "yz-zjj"}),
        ("receive", HOUSING, at(2026, 2, start + 4, 10), {}),
        ("notify_petitioner", HOUSING, at(2026, 2, start + 5, 10),
         {"kind": "receipt", "method": "written"}),
        ("accept", HOUSING, at(2026, 2, start + 6, 10), {}),
        ("assign_handler", HOUSING, at(2026, 2, start + 7, 10), {"person": "li-na"}),
        ("extend", HOUSING, at(2026, 4, 1, 10),
         {"days": 20, "reason": "需要现场核查", "approver": "zhao-lei"}),
        ("issue_reply", HOUSING, at(2026, 5, 20, 10), {"opinion": "support"}),
    ]
    for command, actor, when, args in steps:
        app.execute(case_no, command, actor, occurred_at=when, **args)
    return []


def test_incremental_equals_rebuild_byte_for_byte(app: Casetrail) -> None:
    with ViewDB(app.database_url) as db:
        runner = Runner(app, db)
        app.register_case(BUREAU, occurred_at=at(2026, 2, 2, 10), case_no="A1", **GRIEVANCE)
        runner.catch_up(batch=1)
        story(app, "A2", start=5)
        runner.catch_up(batch=3)
        incremental = db.dump()
        rebuild(app, progress=False)
        assert db.dump() == incremental
        assert len(incremental["pv_cases"]) == 2
        assert replay(app, workers=2) == app.recorder.max_notification_id()  # two processes
        assert db.dump() == incremental
        assert db.position("casetrail_views") == app.recorder.max_notification_id()


def test_an_interrupted_rebuild_is_never_caught_up_on_and_a_new_one_completes(app: Casetrail,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    story(app)
    catch_up(app)
    with ViewDB(app.database_url) as db:
        complete = db.dump()

    def power_cut(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(replay_module, "_load", power_cut)
    with pytest.raises(RuntimeError):
        rebuild(app, progress=False)
    monkeypatch.undo()
    with pytest.raises(RebuildUnfinished):  # partial rows: never built upon
        catch_up(app)
    rebuild(app, progress=False)
    assert catch_up(app) == 0
    with ViewDB(app.database_url) as db:
        assert db.dump() == complete


def test_a_failed_rebuild_leaves_no_scratch_files_and_no_none_adapter(
        app: Casetrail, monkeypatch: pytest.MonkeyPatch) -> None:
    story(app)
    original = replay_module._cases

    def fails_after_writing(*args: object, **kwargs: object) -> int:
        original(*args, **kwargs)  # the rows are in the worker's scratch file (SQLite)
        raise RuntimeError("power cut")

    monkeypatch.setattr(replay_module, "_cases", fails_after_writing)
    with pytest.raises(RuntimeError):
        rebuild(app, progress=False)
    monkeypatch.undo()
    assert (type(None), sqlite3.PrepareProtocol) not in sqlite3.adapters
    if not is_postgres(app.database_url):
        folder = Path(sqlite_path(app.database_url)).resolve().parent
        assert not list(folder.glob(".casetrail-rebuild-*"))
    rebuild(app, progress=False)
    with ViewDB(app.database_url) as db:
        assert len(db.dump()["pv_cases"]) == 1


def test_resumes_after_a_crash_without_loss_or_double_apply(app: Casetrail,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    story(app)
    calls = {"n": 0}
    original = ViewDB.insert

    def flaky(self: ViewDB, table: str, rows: object) -> None:
        calls["n"] += 1
        if calls["n"] == 12:
            raise RuntimeError("power cut")
        original(self, table, rows)

    monkeypatch.setattr(ViewDB, "insert", flaky)
    with pytest.raises(RuntimeError):
        catch_up(app, batch=4)
    monkeypatch.setattr(ViewDB, "insert", original)
    catch_up(app, batch=4)
    with ViewDB(app.database_url) as db:
        after_crash = db.dump()
        assert db.position("casetrail_views") == app.recorder.max_notification_id()
    rebuild(app, progress=False)
    with ViewDB(app.database_url) as db:
        assert db.dump() == after_crash


def test_who_held_matches_a_direct_fold_at_every_step(app: Casetrail) -> None:
    story(app)
    catch_up(app)
    facts = facts_of_aggregate(app.history("A1"))
    org = app.refresh_org()
    with ViewDB(app.database_url) as db:
        for moment in (at(2026, 2, 1), at(2026, 2, 3), at(2026, 2, 6, 9), at(2026, 2, 8, 12),
                       at(2026, 2, 28, 23), at(2026, 3, 1, 0), at(2026, 6, 2), at(2027, 1, 1)):
            assert Q.who_held(db, "A1", moment) == Q.who_held_from_facts("A1", facts, org,
                                                                          moment), moment


def test_who_held_names_the_holders_then_not_now(app: Casetrail) -> None:
    story(app)
    catch_up(app)
    with ViewDB(app.database_url) as db:
        feb = Q.who_held(db, "A1", at(2026, 2, 20))
        assert feb is not None
        assert (feb["unit"], feb["handler"], feb["head"]) == ("yz-zjj", "li-na", ["wang-jun"])
        assert feb["territory"][0]["posts"] == {"grid_head": ["he-ping"]}
        march = Q.who_held(db, "A1", at(2026, 3, 5))
        assert march is not None and march["head"] == ["zhao-lei"]
        june = Q.who_held(db, "A1", at(2026, 6, 2))
        assert june is not None and june["handler"] is None  # Li Na moved to another unit
        assert Q.who_held(db, "A1", at(2026, 1, 1)) is None


def test_clock_queries_and_queues(app: Casetrail) -> None:
    story(app)
    app.register_case(BUREAU, occurred_at=at(2026, 3, 2, 10), case_no="B1", **GRIEVANCE)
    catch_up(app)
    with ViewDB(app.database_url) as db:
        clocks = {c["clock"]: c for c in Q.clocks_at(db, "A1", at(2026, 3, 31))}
        assert clocks["handling"]["last_day"] == date(2026, 4, 9)  # 02-08 + 60, before the extension
        assert clocks["handling"]["status"] == "running"
        later = {c["clock"]: c for c in Q.clocks_at(db, "A1", at(2026, 5, 21))}
        assert later["handling"]["last_day"] == date(2026, 4, 29)  # + 80
        assert later["handling"]["status"] == "met_late"
        assert later["triage"]["status"] == "met"
        breached = Q.running_or_breached(db, at(2026, 5, 1))
        assert {(c["case_no"], c["clock"], c["status"]) for c in breached} == {
            ("A1", "handling", "breached"), ("B1", "triage", "breached")}
        assert [c["case_no"] for c in Q.queue(db, "yz-xfj", date(2026, 3, 17))] == ["B1"]
        assert Q.queue(db, "yz-xfj", date(2026, 3, 16)) == []
        weekly = Q.weekly_dispatch(db, date(2026, 3, 12))
        assert [c["case_no"] for c in weekly["yz-xfj"]] == ["B1"]
        assert [c["clock"] for c in Q.overdue(db, date(2026, 5, 1), unit="yz-zjj")] == [
            "handling"]
        assert [c["case_no"] for c in Q.search(db, overdue=True, as_of=date(2026, 5, 1))] == [
            "A1", "B1"]
        assert [c["case_no"] for c in Q.search(db, unit="yz-xfj", due_within_days=7,
                                               as_of=date(2026, 3, 12))] == ["B1"]
        assert [c["case_no"] for c in Q.search(db, status="replied", channel="visit",
                                               category="C03", matter_type="grievance")] == ["A1"]


def test_an_organisation_change_recorded_later_re_attributes_the_past(app: Casetrail) -> None:
    story(app)
    catch_up(app)
    app.fill_post("yz-zjj", "petition_officer", "sun-li", at(2026, 2, 1))
    catch_up(app)
    with ViewDB(app.database_url) as db:
        held = Q.who_held(db, "A1", at(2026, 2, 20))
        assert held is not None and held["petition_officer"] == ["liu-yang", "sun-li"]
        incremental = db.dump()
    rebuild(app, progress=False)
    with ViewDB(app.database_url) as db:
        assert db.dump() == incremental


def test_provisional_clocks_are_recomputed_when_the_calendar_grows(app: Casetrail) -> None:
    app.clock.now = at(2026, 12, 20, 9)  # type: ignore[attr-defined]
    app.register_case(HOUSING, occurred_at=at(2026, 12, 10, 10), case_no="P1", **GRIEVANCE)
    app.execute("P1", "accept", HOUSING, occurred_at=at(2026, 12, 10, 11))
    catch_up(app)
    with ViewDB(app.database_url) as db:
        (handling,) = [c for c in Q.clocks_at(db, "P1", at(2026, 12, 20))
                       if c["clock"] == "handling"]
        assert (handling["last_day"], handling["status"]) == (date(2027, 2, 8), "provisional")
    assert recompute_provisional(app, calendar=calendar_with_2027()) == 1
    with ViewDB(app.database_url) as db:
        (handling,) = [c for c in Q.clocks_at(db, "P1", at(2026, 12, 20))
                       if c["clock"] == "handling"]
        assert (handling["last_day"], handling["status"]) == (date(2027, 2, 15), "running")
        assert handling["calendar_version"] == "test-2027"


def test_territory_after_closing_stays_with_those_in_post_when_it_closed(app: Casetrail) -> None:
    """The territorial chain is stored once per location (not per case): a closed case still
    names the chain as it stood when it closed, whatever changes at or after that instant."""
    app.register_case(BUREAU, occurred_at=at(2026, 2, 2, 10), case_no="W1", **GRIEVANCE)
    app.register_case(BUREAU, occurred_at=at(2026, 2, 2, 10), case_no="W2", **GRIEVANCE)
    app.execute("W1", "withdraw", BUREAU, occurred_at=at(2026, 3, 1, 10), reason="撤回")
    app.execute("W2", "refuse", BUREAU, occurred_at=at(2026, 2, 2, 10), reason="不属于受理范围")
    catch_up(app)
    changes = (at(2026, 2, 2, 10), at(2026, 2, 20), at(2026, 3, 1, 10), at(2026, 4, 1))
    for i, when in enumerate(changes):
        old, new = ("he-ping", "sun-li") if i % 2 == 0 else ("sun-li", "he-ping")
        app.vacate_post("dhl-sq1-g1", "grid_head", old, when)
        app.fill_post("dhl-sq1-g1", "grid_head", new, when)
        tick = timedelta(microseconds=1)
        catch_up(app)
        org = app.refresh_org()
        with ViewDB(app.database_url) as db:
            for no in ("W1", "W2"):
                facts = facts_of_aggregate(app.history(no))
                for moment in (*changes, *(c - tick for c in changes), at(2027, 1, 1)):
                    assert Q.who_held(db, no, moment) == Q.who_held_from_facts(
                        no, facts, org, moment), (i, no, moment)


def test_a_runner_started_before_a_rebuild_never_writes_into_its_partial_rows(
        app: Casetrail, monkeypatch: pytest.MonkeyPatch) -> None:
    story(app)
    with ViewDB(app.database_url) as db:
        runner = Runner(app, db)  # at position 0: nothing caught up yet

        def power_cut(*args: object, **kwargs: object) -> None:
            raise RuntimeError("power cut")

        monkeypatch.setattr(replay_module, "_load", power_cut)
        with pytest.raises(RuntimeError):
            rebuild(app, progress=False)  # the tables are empty and marked "rebuilding"
        monkeypatch.undo()
        with pytest.raises(RebuildUnfinished):
            runner.catch_up()
        assert db.dump()["pv_cases"] == []
    rebuild(app, progress=False)
    assert catch_up(app) == 0


def _cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true", "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                          **kwargs)  # type: ignore[call-overload]


def test_the_rebuild_command_outside_a_terminal_prints_one_plain_line_and_equals_itself(
        app: Casetrail) -> None:
    story(app)
    first = _cli("rebuild", "--db", app.database_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines() == [
        f"✓ read models rebuilt from {app.recorder.max_notification_id()} events in "
        f"{first.stdout.split(' in ')[-1].strip()}"]  # no bar drawn into a CI log
    with ViewDB(app.database_url) as db:
        rows = db.dump()
    assert _cli("rebuild", "--db", app.database_url).returncode == 0
    with ViewDB(app.database_url) as db:
        assert db.dump() == rows


def test_the_rebuild_command_on_a_terminal_shows_a_progress_bar(sqlite_app: Casetrail) -> None:
    story(sqlite_app)
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "rebuild", "--db",
                             sqlite_app.database_url], cwd=ROOT, stdin=terminal,
                            stdout=terminal, stderr=terminal,
                            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    os.close(terminal)
    shown = b""
    while True:
        ready, _w, _x = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert proc.wait(timeout=60) == 0
    text = shown.decode(errors="replace")
    assert "rebuilding read models" in text and "━" in text
    assert "✓ read models rebuilt from" in text


def test_a_killed_rebuild_leaves_a_marked_state_that_queries_refuse_and_a_new_one_completes(
        app: Casetrail) -> None:
    story(app)
    rebuild(app, progress=False)
    with ViewDB(app.database_url) as db:
        complete = db.dump()
    killed = subprocess.run(
        [sys.executable, "-c", (
            "import os, signal, sys\n"
            "import projections.replay as r\n"
            "from projections.runner import rebuild\n"
            "def killed(*a, **k):\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"  # kill -9 mid-way
            "r._load = killed\n"
            f"rebuild({app.database_url!r}, progress=False)\n")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9
    refused = _cli("who-held", "A1", "2026-03-01", "--db", app.database_url)
    assert refused.returncode == 2 and "views.rebuild_unfinished" in refused.stdout
    with pytest.raises(RebuildUnfinished):
        catch_up(app)
    if not is_postgres(app.database_url):  # the killed rebuild's scratch directory
        folder = Path(sqlite_path(app.database_url)).resolve().parent
        assert list(folder.glob(".casetrail-rebuild-*"))
    assert _cli("rebuild", "--db", app.database_url).returncode == 0
    if not is_postgres(app.database_url):
        assert not list(folder.glob(".casetrail-rebuild-*"))  # removed by the next rebuild
    with ViewDB(app.database_url) as db:
        assert db.dump() == complete
    assert _cli("who-held", "A1", "2026-03-01", "--db", app.database_url).returncode == 0


def test_a_withdrawal_after_the_deadline_reads_withdrawn_late(app: Casetrail) -> None:
    """The read models say what the findings say: the handling limit (05-06) was missed, then
    the petitioner withdrew (06-01). A withdrawal on the last day is a plain cancellation."""
    for no, withdrawn in (("W1", at(2026, 6, 1, 10)), ("W2", at(2026, 5, 6, 23))):
        app.register_case(HOUSING, occurred_at=at(2026, 3, 2, 9), case_no=no, **GRIEVANCE)
        app.execute(no, "accept", HOUSING, occurred_at=at(2026, 3, 2, 10))
        app.execute(no, "withdraw", HOUSING, occurred_at=withdrawn, reason="信访人撤回")
    catch_up(app)
    with ViewDB(app.database_url) as db:
        status = {no: {c["clock"]: c["status"] for c in Q.clocks_at(db, no, at(2026, 7, 1))}
                  ["handling"] for no in ("W1", "W2")}
        assert status == {"W1": "withdrawn_late", "W2": "cancelled"}
        assert not [c for c in Q.overdue(db, at(2026, 7, 1)) if c["case_no"] in ("W1", "W2")]
