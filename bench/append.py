"""Append throughput: Casetrail against bare eventsourcing, on the same database, in the same run.

    python -m bench.append [--db sqlite|postgres|both] [--cases 2000] [--repeat 3]
                           [--modes per_case,batch100] [--configs ...] [--pg-url URL]
    python -m bench.append --parts     # per-case medians of each step, both stores
    python -m bench.append --profile   # cProfile of the Casetrail runs

Each case is the same 10-event history: registered at the county petition bureau, transferred to
the housing bureau, route notice, received, accepted, acceptance notice, handler assigned, reply
issued, approved by the head, served.

What is timed (and only this):

* **Casetrail**: for every case, ``Batch(app)`` (which refreshes the organisation view), the
  registration and nine commands — every rule check the API would run, with actors checked
  against who held which post at that moment — then ``Batch.commit()`` (one transaction).
  ``per_case``: one case per Batch/transaction. ``batch100``: 100 cases per Batch/transaction.
* **bare eventsourcing**: an ``Application`` with a plain ``Aggregate`` whose 10 events carry
  exactly the payload Casetrail stores for the same case (actor, occurred_at, depends_on and
  the event's fields, copied from a Casetrail case recorded once before timing); timed are the
  aggregate's creation, its nine ``trigger_event`` calls and ``app.save`` (one aggregate per
  save, or 100 per save).

* **casetrail_lean** (a what-if, not a supported mode): the same commands and checks through a
  ``Batch`` subclass that skips the two reads a Batch makes besides loading the cases it changes
  (re-reading the organisation view; proving a new case number unused). It shows what the fixes
  proposed in ``bench/README.md`` would buy.

Not timed: building the applications, creating tables, loading the organisation. Every run
gets a fresh database (a new SQLite file; a new PostgreSQL schema, dropped afterwards). The
configurations are interleaved inside each repeat (their order rotates) and the median of the
repeats is reported. Transcoders: Casetrail uses ``store:OrjsonTranscoder``; the
``json`` variants set ``TRANSCODER_TOPIC=eventsourcing.persistence:JSONTranscoder``.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from domain.application import Batch, Casetrail
from domain.case import BASE_FIELDS
from domain.periods import TZ
from simulation.city import build_city_spec

CLOCK = datetime(2026, 11, 20, 20, 0, tzinfo=TZ)
START = datetime(2026, 3, 2, 9, 30, tzinfo=TZ)
ORJSON = "store.transcoder:OrjsonTranscoder"
JSON = "eventsourcing.persistence:JSONTranscoder"
PG_URL = os.environ.get("CASETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BUREAU, HOUSING = "yz-xfj", "yz-zjj"
CONFIGS = ("casetrail", "casetrail_json", "casetrail_lean", "bare", "bare_orjson")
MODES = {"per_case": 1, "batch100": 100}
EVENTS_PER_CASE = 10

FIELDS: dict[str, Any] = {
    "channel": "visit", "matter_type": "grievance", "category": "C03", "location": "yz-t01-v1-g1",
    "petitioners": [{"name": "张建国", "phone": "13899021234", "id_number": "650502197803154411",
                     "address": "伊州区东河街道天山社区"}],
    "request": "要求解决公租房申请问题",
    "facts_and_reasons": "符合公共租赁住房申请条件，提交申请一年多未获答复。",
}


# --- the case script (Casetrail) -------------------------------------------------------------

def _who(app: Casetrail, unit: str, post: str, at: datetime) -> dict[str, Any]:
    return {"unit": unit, "person": app.org.holders(unit, post, at)[0], "post": post}


def _script(app: Casetrail) -> list[tuple[str, dict[str, Any], datetime, dict[str, Any]]]:
    """(command, actor, occurred_at, args) for one case; the people in post at those moments."""
    t = [START + timedelta(days=d, hours=h) for d, h in
         ((0, 0), (1, 0), (1, 1), (2, 0), (3, 0), (3, 1), (4, 0), (30, 0), (31, 0), (32, 0))]
    head = app.org.holders(HOUSING, "head", t[8])[0]
    handler = app.org.holders(HOUSING, "handler", t[6])[0]
    return [
        ("register", _who(app, BUREAU, "petition_officer", t[0]), t[0], FIELDS),
        ("transfer", _who(app, BUREAU, "petition_officer", t[1]), t[1], {"to_unit": HOUSING}),
        ("notify_petitioner", _who(app, BUREAU, "petition_officer", t[2]), t[2],
         {"kind": "route", "method": "sms", "content": "您的信访事项已转送伊州区住房和城乡建设局办理"}),
        ("receive", _who(app, HOUSING, "petition_officer", t[3]), t[3], {}),
        ("accept", _who(app, HOUSING, "petition_officer", t[4]), t[4], {}),
        ("notify_petitioner", _who(app, HOUSING, "petition_officer", t[5]), t[5],
         {"kind": "acceptance", "method": "written", "content": "受理告知书：您的信访事项已受理"}),
        ("assign_handler", _who(app, HOUSING, "petition_leader", t[6]), t[6], {"person": handler}),
        ("issue_reply", {"unit": HOUSING, "person": handler, "post": "handler"}, t[7],
         {"opinion": "support", "request": FIELDS["request"],
          "facts_and_reasons": FIELDS["facts_and_reasons"],
          "legal_basis": "《信访工作条例》第三十二条", "rights_notice": "可自收到之日起30日内请求复查"}),
        ("approve_reply", {"unit": HOUSING, "person": head, "post": "head"}, t[8],
         {"approver": head}),
        ("serve_reply", _who(app, HOUSING, "petition_officer", t[9]), t[9],
         {"method": "in_person"}),
    ]


def _add_case(batch: Batch, script: list[Any], case_no: str) -> None:
    for command, actor, at, args in script:
        if command == "register":
            batch.register(actor, at, case_no, **args)
        else:
            batch.execute(case_no, command, actor, at, **args)


class LeanBatch(Batch):
    """What-if (bench only, not a supported mode): the same commands and checks, without the
    two reads a Batch does besides loading the cases it changes — re-reading the organisation
    (``refresh_org``, done by the constructor; here the app's directory is used as loaded) and
    reading the store to prove a new case number is unused (here: a number not in this batch is
    taken as new; the store's unique (case, version) key would still refuse a duplicate)."""

    def _lookup(self, case_no: str) -> Any:
        case = self.cases.get(case_no)
        return case.state if case is not None else None


def casetrail_run(url: str, cases: int, per_txn: int, transcoder: str,
                  lean: bool = False) -> float:
    """Seconds for ``cases`` case histories through the commands, ``per_txn`` cases a Batch."""
    app = Casetrail(url, clock=lambda: CLOCK, env={"TRANSCODER_TOPIC": transcoder})
    try:
        app.load_organisation(SPEC)
        script = _script(app)
        make: Callable[[Casetrail], Batch] = Batch
        if lean:
            org = app.org
            app.refresh_org = lambda max_age=0.0: org  # type: ignore[method-assign]
            make = LeanBatch
        started = time.perf_counter()
        for first in range(0, cases, per_txn):
            batch = make(app)
            for i in range(first, min(cases, first + per_txn)):
                _add_case(batch, script, f"XF20260302B{i:06d}")
            batch.commit()
        elapsed = time.perf_counter() - started
        assert app.recorder.max_notification_id() is not None
        return elapsed
    finally:
        app.close()


# --- bare eventsourcing ----------------------------------------------------------------------

class BareCase(Aggregate):
    """A plain aggregate whose events carry the same payload as a Casetrail case's events."""

    class Opened(Aggregate.Created):
        kind: str
        actor: dict[str, Any]
        occurred_at: datetime
        depends_on: int | None
        fields: dict[str, Any]

    class Happened(Aggregate.Event):
        kind: str
        actor: dict[str, Any]
        occurred_at: datetime
        depends_on: int | None
        fields: dict[str, Any]

        def apply(self, aggregate: BareCase) -> None:
            aggregate.kinds.append(self.kind)

    def __init__(self, kind: str, actor: dict[str, Any], occurred_at: datetime,
                 depends_on: int | None, fields: dict[str, Any]) -> None:
        self.kinds = [kind]


class BareApp(Application[uuid.UUID]):
    name = "bareapp"


def bare_payloads(url: str) -> list[dict[str, Any]]:
    """The payloads of one Casetrail case (recorded once, untimed), for the bare events."""
    app = Casetrail(url, clock=lambda: CLOCK)
    try:
        app.load_organisation(SPEC)
        batch = Batch(app)
        _add_case(batch, _script(app), "XF20260302TEMPLATE")
        case = batch.cases["XF20260302TEMPLATE"]
        events = case.collect_events()
        return [{"kind": type(e).__name__, "actor": e.actor, "occurred_at": e.occurred_at,
                 "depends_on": e.depends_on,
                 "fields": {k: v for k, v in e.__dict__.items() if k not in BASE_FIELDS}}
                for e in events]
    finally:
        app.close()


def bare_run(env: dict[str, str], cases: int, per_txn: int, payloads: list[dict[str, Any]]) -> float:
    app = BareApp(env=env)
    try:
        first, rest = payloads[0], payloads[1:]
        started = time.perf_counter()
        for start in range(0, cases, per_txn):
            aggregates = []
            for i in range(start, min(cases, start + per_txn)):
                opened = {**first, "fields": {**first["fields"], "case_no": f"B{i:06d}"}}
                agg = BareCase._create(BareCase.Opened, **opened)
                for p in rest:
                    agg.trigger_event(BareCase.Happened, **p)
                aggregates.append(agg)
            app.save(*aggregates)
        return time.perf_counter() - started
    finally:
        app.close()


# --- stores ----------------------------------------------------------------------------------

@dataclass
class Store:
    """A fresh database per run: a new SQLite file, or a new PostgreSQL schema."""

    kind: str
    pg_url: str
    root: Path

    def fresh(self) -> tuple[str, dict[str, str], Callable[[], None]]:
        """(Casetrail URL, bare eventsourcing env, cleanup)."""
        if self.kind == "sqlite":
            path = self.root / f"{uuid.uuid4().hex}.db"

            def remove() -> None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            return f"sqlite:///{path}", {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                         "SQLITE_DBNAME": str(path)}, remove
        schema = "bench_" + uuid.uuid4().hex[:12]
        u = urlparse(self.pg_url)
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')

        def drop() -> None:
            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        sep = "&" if "?" in self.pg_url else "?"
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": u.path[1:],
               "POSTGRES_HOST": u.hostname or "127.0.0.1", "POSTGRES_PORT": str(u.port or 5432),
               "POSTGRES_USER": u.username or "postgres", "POSTGRES_PASSWORD": u.password or "",
               "POSTGRES_SCHEMA": schema}
        return f"{self.pg_url}{sep}schema={schema}", env, drop


def one_run(store: Store, config: str, mode: str, cases: int,
            payloads: list[dict[str, Any]]) -> float:
    url, env, cleanup = store.fresh()
    try:
        per_txn = MODES[mode]
        if config == "casetrail":
            seconds = casetrail_run(url, cases, per_txn, ORJSON)
        elif config == "casetrail_json":
            seconds = casetrail_run(url, cases, per_txn, JSON)
        elif config == "casetrail_lean":
            seconds = casetrail_run(url, cases, per_txn, ORJSON, lean=True)
        elif config == "bare":
            seconds = bare_run(env, cases, per_txn, payloads)
        else:
            seconds = bare_run({**env, "TRANSCODER_TOPIC": ORJSON}, cases, per_txn, payloads)
        return cases * EVENTS_PER_CASE / seconds
    finally:
        cleanup()


def stored_sizes(store: Store, payloads: list[dict[str, Any]]) -> dict[str, float]:
    """Average stored state bytes per case event (to show the payloads are comparable)."""
    out = {}
    for config in ("casetrail", "bare"):
        url, env, cleanup = store.fresh()
        try:
            app: Application[Any]
            if config == "casetrail":
                casetrail_run(url, 20, 20, ORJSON)
                app = Casetrail(url, clock=lambda: CLOCK)
            else:
                bare_run(env, 20, 20, payloads)
                app = BareApp(env=env)
            rows = [r for r in app.recorder.select_notifications(start=1, limit=100000)
                    if r.topic.startswith("casetrail:PetitionCase") or "BareCase" in r.topic]
            out[config] = sum(len(r.state) for r in rows) / max(1, len(rows))
            app.close()
        finally:
            cleanup()
    return out


# --- main ------------------------------------------------------------------------------------

SPEC = build_city_spec(7, counties=2, townships_per_county=2, villages_per_township=2)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default="per_case,batch100")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one Casetrail run per store and mode instead of the table")
    ap.add_argument("--parts", action="store_true",
                    help="per-case medians of each step (Batch(), register, commands, commit; "
                         "bare: create, save), one case per transaction, instead of the table")
    args = ap.parse_args(argv)
    modes = args.modes.split(",")
    configs = args.configs.split(",")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="casetrail-bench-") as tmp:
        stores = [Store(k, args.pg_url, Path(tmp)) for k in kinds]
        payloads = bare_payloads(f"sqlite:///{tmp}/template.db")
        if args.profile:
            for store in stores:
                for mode in modes:
                    profile(store, mode, args.cases)
            return
        if args.parts:
            for store in stores:
                parts(store, min(args.cases, 1000), payloads)
            return
        print(f"# {args.cases} cases x {EVENTS_PER_CASE} events, median of {args.repeat}; "
              f"python {sys.version.split()[0]}", flush=True)
        for store in stores:
            sizes = stored_sizes(store, payloads)
            print(f"# {store.kind}: stored state bytes/event casetrail {sizes['casetrail']:.0f}, "
                  f"bare {sizes['bare']:.0f}", flush=True)
        for config in configs:  # warm-up (imports, first connections), not recorded
            one_run(stores[0], config, modes[0], 20, payloads)
        results: dict[tuple[str, str, str], list[float]] = {}
        for r in range(args.repeat):
            for store in stores:
                for mode in modes:
                    order = configs[r % len(configs):] + configs[:r % len(configs)]
                    for config in order:
                        rate = one_run(store, config, mode, args.cases, payloads)
                        results.setdefault((store.kind, mode, config), []).append(rate)
                        print(f"  run {r + 1} {store.kind:8} {mode:9} {config:15} "
                              f"{rate:9,.0f} ev/s", flush=True)
        report(results, kinds, modes, configs)


def report(results: dict[tuple[str, str, str], list[float]], kinds: list[str], modes: list[str],
           configs: list[str]) -> None:
    def med(key: tuple[str, str, str]) -> float:
        return statistics.median(results[key]) if key in results else float("nan")

    print()
    ratios = [("casetrail", "bare"), ("casetrail_json", "bare"), ("casetrail", "casetrail_json"),
              ("casetrail_lean", "bare"), ("bare_orjson", "bare")]
    ratios = [r for r in ratios if r[0] in configs and r[1] in configs]
    head = "| store | mode | " + " | ".join(configs) + " | " + " | ".join(
        f"{a} / {b}" for a, b in ratios) + " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for kind in kinds:
        for mode in modes:
            cells = [f"{med((kind, mode, c)):,.0f}" for c in configs]
            cells += [f"{med((kind, mode, a)) / med((kind, mode, b)):.2f}" for a, b in ratios]
            print(f"| {kind} | {mode} | " + " | ".join(cells) + " |")
    print("\nruns (ev/s): " + "; ".join(
        f"{k[0]}/{k[1]}/{k[2]} " + " / ".join(f"{v:,.0f}" for v in vs)
        for k, vs in results.items()))


def parts(store: Store, cases: int, payloads: list[dict[str, Any]]) -> None:
    """Where a one-case transaction spends its time, step by step (medians over ``cases``)."""
    def ms(xs: list[float]) -> str:
        return f"{statistics.median(xs) * 1e3:6.2f}"

    for lean in (False, True):
        url, _, cleanup = store.fresh()
        app = Casetrail(url, clock=lambda: CLOCK)
        try:
            app.load_organisation(SPEC)
            script = _script(app)
            make: Callable[[Casetrail], Batch] = Batch
            if lean:
                org = app.org
                app.refresh_org = lambda max_age=0.0: org  # type: ignore[method-assign]
                make = LeanBatch
            steps: list[list[float]] = [[], [], [], []]
            for i in range(cases):
                t0 = time.perf_counter()
                batch = make(app)
                t1 = time.perf_counter()
                command, actor, at, fields = script[0]
                batch.register(actor, at, f"XFP{i:06d}", **fields)
                t2 = time.perf_counter()
                for command, actor, at, args in script[1:]:
                    batch.execute(f"XFP{i:06d}", command, actor, at, **args)
                t3 = time.perf_counter()
                batch.commit()
                t4 = time.perf_counter()
                for k, d in enumerate((t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    steps[k].append(d)
            name = "casetrail_lean" if lean else "casetrail"
            print(f"{store.kind:8} {name:15} ms/case: Batch() {ms(steps[0])}  register "
                  f"{ms(steps[1])}  9 commands {ms(steps[2])}  commit {ms(steps[3])}", flush=True)
        finally:
            app.close()
            cleanup()
    url, env, cleanup = store.fresh()
    bare = BareApp(env=env)
    try:
        made, saved = [], []
        first, rest = payloads[0], payloads[1:]
        for i in range(cases):
            t0 = time.perf_counter()
            agg = BareCase._create(BareCase.Opened, **{
                **first, "fields": {**first["fields"], "case_no": f"B{i:06d}"}})
            for p in rest:
                agg.trigger_event(BareCase.Happened, **p)
            t1 = time.perf_counter()
            bare.save(agg)
            made.append(t1 - t0)
            saved.append(time.perf_counter() - t1)
        print(f"{store.kind:8} {'bare':15} ms/case: create 10 events {ms(made)}  "
              f"save {ms(saved)}", flush=True)
    finally:
        bare.close()
        cleanup()


def profile(store: Store, mode: str, cases: int) -> None:
    url, _, cleanup = store.fresh()
    try:
        prof = cProfile.Profile()
        prof.enable()
        seconds = casetrail_run(url, cases, MODES[mode], ORJSON)
        prof.disable()
        print(f"\n## profile {store.kind} {mode}: {cases * EVENTS_PER_CASE / seconds:,.0f} ev/s "
              "(under cProfile)")
        stats = pstats.Stats(prof)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
