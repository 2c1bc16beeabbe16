"""Tamper-evidence benchmarks: follower vs. the core's import rate, and a full verify of ~1M events.

    python bench/integrity.py                          # SQLite, 1,000,000 synthetic events
    python bench/integrity.py --db postgres            # PostgreSQL (a throwaway schema)
    python bench/integrity.py --events 50000 --live-events 20000   # small and quick

Phase 1 (live): one process appends events through the eventsourcing application in batches
of 100 aggregates x 5 events (the core's batched import), while a second process runs the
integrity follower (``run_forever``, checkpoint every 10,000 events). Reports the writer's
rate, the follower's rate and the lag once the writer stops.

Phase 2 (synthetic): a fresh store whose events table (created by the library) is filled
DIRECTLY with ``executemany`` (SQLite) / ``COPY`` (PostgreSQL) - synthetic rows shaped like real
events (UUID originators, 5 versions each, ~230-byte orjson state with Chinese text); no
domain objects are built. Then it times: the follower catching up from zero, an on-demand
checkpoint, ``run_verify`` over the whole store, inclusion proofs (random events, open store)
and a consistency proof. Figures are printed; nothing is asserted.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402

from integrity.backends import open_store  # noqa: E402
from integrity.follower import IntegrityFollower, catch_up, issue_checkpoint  # noqa: E402
from integrity.hashing import leaf_hashes  # noqa: E402
from integrity.keys import KeyStore  # noqa: E402
from integrity.proofs import consistency_proof, inclusion_proof  # noqa: E402
from integrity.verify import run_verify  # noqa: E402
from store.config import application_env, ensure_postgres_schema, postgres_conninfo  # noqa: E402

TOPIC_OPEN = "casetrail:PetitionCase.Registered"
TOPIC_NOTE = "casetrail:PetitionCase.Handled"


class BenchCase(Aggregate):
    @event("Registered")
    def __init__(self, case_no: str, request: str) -> None:
        self.case_no = case_no

    @event("Handled")
    def handle(self, step: int, note: str) -> None:
        self.step = step


class BenchApp(Application):
    name = "casetrail"


def _app(url: str) -> BenchApp:
    return BenchApp(env=application_env(url))


# --- phase 1: follower while the core appends ------------------------------------------------

def _writer(url: str, n_events: int, built: mp.Event, started: mp.Event,
            done_at: mp.Value) -> None:
    app = _app(url)
    per_case, per_save = 5, 100
    aggs = []
    for i in range(n_events // per_case):
        c = BenchCase(f"XF{i:08d}", "要求解决住房保障问题，申请廉租房三年未获答复")
        for s in range(per_case - 1):
            c.handle(s, f"第{s}次办理：已转交区住建局，限期十五日内答复")
        aggs.append(c)
    built.set()
    started.wait()
    t0 = time.perf_counter()
    for k in range(0, len(aggs), per_save):
        app.save(*aggs[k:k + per_save])
    done_at.value = time.perf_counter() - t0
    app.close()


def _follower(url: str, keys: str, target: int, ready: mp.Event, started: mp.Event,
              out: mp.Queue) -> None:
    f = IntegrityFollower(url, keys, batch_size=5000, checkpoint_every=10_000,
                          checkpoint_interval=5.0)
    f.catch_up()
    ready.set()
    started.wait()
    t0 = time.perf_counter()
    lags, done, checkpoints = [], 0, 0
    store = open_store(url, readonly=True)
    while done < target:
        res = f.catch_up()
        done += res.leaves_added
        checkpoints += len(res.checkpoints)
        head = store.fetchone(f"SELECT MAX({store.nid_col}) FROM {store.events}")[0] or 0
        lags.append(head - (f._tracking or (0, 0))[0])
        if not res.leaves_added:
            time.sleep(0.02)
    out.put({"elapsed": time.perf_counter() - t0, "events": done, "checkpoints": checkpoints,
             "max_lag": max(lags), "median_lag": statistics.median(lags)})
    store.close()
    f.close()


def _run_writer(url: str, n_events: int, keys: str | None) -> tuple[float, dict | None]:
    _app(url).close()  # create the tables
    ctx = mp.get_context("fork")
    ready, built, started = ctx.Event(), ctx.Event(), ctx.Event()
    done_at = ctx.Value("d", 0.0)
    q: mp.Queue = ctx.Queue()
    w = ctx.Process(target=_writer, args=(url, n_events, built, started, done_at))
    w.start()
    f = None
    if keys is not None:
        f = ctx.Process(target=_follower, args=(url, keys, n_events, ready, started, q))
        f.start()
        ready.wait()
    built.wait()
    started.set()
    w.join()
    res = None
    if f is not None:
        res = q.get()
        f.join()
    return done_at.value, res


def live(new_url: Any, keys: str, n_events: int) -> None:
    alone, _ = _run_writer(new_url("alone"), n_events, None)
    print(f"[live] core batched import alone     : {n_events:,} events in {alone:.2f}s "
          f"= {n_events / alone:,.0f} ev/s (app.save of 100 aggregates x 5 events)")
    took, res = _run_writer(new_url("live"), n_events, keys)
    assert res is not None
    print(f"[live] core import with the follower : {n_events / took:,.0f} ev/s "
          f"({took:.2f}s; {100 * (took / alone - 1):+.0f}% vs alone)")
    print(f"[live] integrity follower            : all {res['events']:,} events logged "
          f"{res['elapsed']:.2f}s after the writer started = {res['events'] / res['elapsed']:,.0f}"
          f" ev/s, {res['elapsed'] - took:+.2f}s after the writer's last save; "
          f"{res['checkpoints']} checkpoints; lag median {res['median_lag']:,.0f}, "
          f"max {res['max_lag']:,} events")


# --- phase 2: synthetic store ----------------------------------------------------------------

def _rows(n: int, seed: int = 7):  # noqa: ANN202 - a generator of row tuples
    """Synthetic rows: (originator UUID, version, topic, orjson state of ~230 bytes)."""
    rnd = random.Random(seed)
    per_case = 5
    ts = "2026-03-02T10:00:00.123456+08:00"
    head = orjson.dumps({
        "timestamp": {"_type_": "datetime_iso", "_data_": ts},
        "actor": {"unit": "yz-xfj", "person": "wu-min", "post": "petition_officer"},
        "occurred_at": {"_type_": "datetime_iso", "_data_": ts},
    })[:-1] + b',"note":"\xe7\xac\xac'  # ,"note":"第
    tail = '次办理：已转交区住建局，限期十五日内答复"}'.encode()
    for i in range(0, n, per_case):
        oid = uuid.UUID(bytes=rnd.randbytes(16))
        for v in range(1, min(per_case, n - i) + 1):
            state = head + str(i + v).encode() + tail
            yield oid, v, TOPIC_OPEN if v == 1 else TOPIC_NOTE, state


def fill(url: str, n: int) -> float:
    _app(url).close()  # the library creates the events table exactly as in production
    t0 = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        from store.config import sqlite_path

        conn = sqlite3.connect(sqlite_path(url))
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -400000")
        batch = []
        for oid, v, topic, state in _rows(n):
            batch.append((oid.hex, v, topic, state))
            if len(batch) == 50_000:
                conn.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", batch)
                batch.clear()
        conn.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", batch)
        conn.commit()
        conn.close()
    else:
        import psycopg

        c = postgres_conninfo(url)
        with psycopg.connect(host=c["host"], port=c["port"], dbname=c["dbname"], user=c["user"],
                             password=c["password"] or None) as conn, conn.cursor() as cur:
            with cur.copy(f'COPY "{c["schema"]}".casetrail_events '
                          "(originator_id, originator_version, topic, state) "
                          "FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(["uuid", "int8", "text", "bytea"])
                for row in _rows(n):
                    cp.write_row(row)
            conn.commit()
    return time.perf_counter() - t0


def synthetic(url: str, keys: str, n: int, proofs: int) -> None:
    dt = fill(url, n)
    print(f"[synthetic] wrote {n:,} rows directly in {dt:.1f}s ({n / dt:,.0f} rows/s)")

    with open_store(url, readonly=True) as st:
        rows = next(st.iter_event_batches(100_000))
    t0 = time.perf_counter()
    leaf_hashes(rows)
    dt = time.perf_counter() - t0
    print(f"[synthetic] leaf hashing alone (in memory): {len(rows) / dt:,.0f} ev/s")

    t0 = time.perf_counter()
    res = catch_up(url, keys, batch_size=10_000, checkpoint_every=100_000,
                   checkpoint_interval=None)
    dt = time.perf_counter() - t0
    print(f"[synthetic] follower catch-up from zero: {res.leaves_added:,} events in {dt:.1f}s = "
          f"{res.leaves_added / dt:,.0f} ev/s, {len(res.checkpoints)} checkpoints")

    t0 = time.perf_counter()
    rec = issue_checkpoint(url, keys)
    print(f"[synthetic] on-demand checkpoint at size {rec.tree_size:,}: "
          f"{(time.perf_counter() - t0) * 1000:.1f} ms (incl. consistency self-checks)")

    for label, kd in (("operator keys", keys),):
        t0 = time.perf_counter()
        code, report = run_verify(url, [], kd)
        dt = time.perf_counter() - t0
        print(f"[synthetic] verify ({label}): exit {code} ({report['status']}), "
              f"{report.get('events', 0):,} events in {dt:.2f}s = "
              f"{report.get('events', 0) / dt:,.0f} ev/s")

    with open_store(url, readonly=True) as st:
        nids = [r[0] for r in st.fetchall(
            f"SELECT {st.nid_col} FROM {st.events} ORDER BY {st.nid_col}")]
        rnd = random.Random(1)
        times = []
        for nid in rnd.sample(nids, min(proofs, len(nids))):
            t0 = time.perf_counter()
            inclusion_proof(notification_id=nid, store=st)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(f"[synthetic] inclusion proof (open store, {len(times)} random events): median "
              f"{statistics.median(times):.3f} ms, p99 {times[int(len(times) * 0.99) - 1]:.3f} ms, "
              f"max {times[-1]:.3f} ms")
        first = st.checkpoints()[0].tree_size
        t0 = time.perf_counter()
        consistency_proof(first=first, store=st)
        print(f"[synthetic] consistency proof {first:,} -> {rec.tree_size:,}: "
              f"{(time.perf_counter() - t0) * 1000:.3f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="synthetic events (phase 2)")
    ap.add_argument("--live-events", type=int, default=100_000, help="events appended in phase 1")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get(
        "CASETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--proofs", type=int, default=1000)
    ap.add_argument("--skip-live", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ct-bench-"))
    keys = str(work / "keys")
    KeyStore(keys).generate()
    schemas: list[str] = []

    def new_url(tag: str) -> str:
        if args.db == "sqlite":
            return f"sqlite:///{work}/{tag}.db"
        schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
        schemas.append(schema)
        url = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}schema={schema}"
        ensure_postgres_schema(url)
        return url

    print(f"# bench/integrity.py --db {args.db} --events {args.events} "
          f"--live-events {args.live_events}  (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start)")
    try:
        if not args.skip_live:
            live(new_url, keys, args.live_events)
        if not args.skip_synthetic:
            synthetic(new_url("synthetic"), keys, args.events, args.proofs)
        print(f"# load average {os.getloadavg()[0]:.1f} at the end (other processes share the CPUs)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if schemas:
            import psycopg

            with psycopg.connect(args.pg_url, autocommit=True) as conn:
                for s in schemas:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')


if __name__ == "__main__":
    main()
