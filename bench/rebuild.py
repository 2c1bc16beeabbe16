"""Rebuild benchmark: replay the whole log into the read models; then time "who held X at T".

    python bench/rebuild.py sqlite:////tmp/city.db
    python bench/rebuild.py 'postgresql://postgres@127.0.0.1:5432/test?schema=bench'

Prints the read+decode floor measured in the same run (the machine is shared and noisy: compare
the ratio), events, seconds, events/s, CPU seconds of the rebuild (this process and its worker
processes) and events per CPU second, peak resident memory of the process and of the largest
worker (ru_maxrss, so it includes the interpreter and the libraries), row counts, and the
median / p95 latency of ``who_held`` over random cases and moments, on one open connection.
The events/s figure is the replay of the clocks, responsibility and queue read models; the
findings read model that ``casetrail rebuild`` builds next is timed apart (``findings_model_s``).
Generate a store first with bench/cityyear.py.
"""
from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.application import Casetrail  # noqa: E402
from projections import findings_model  # noqa: E402
from projections import queries as Q  # noqa: E402
from projections.runner import rebuild  # noqa: E402
from projections.schema import TABLES, ViewDB, from_ts  # noqa: E402


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (the rebuild's workers)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def bench_rebuild(url: str, batch: int, progress: bool, workers: int | None) -> dict:
    app = Casetrail(url)
    events = app.recorder.max_notification_id() or 0
    before = peak_mb()
    started, cpu = time.perf_counter(), cpu_s()
    processed = rebuild(app, progress=progress, batch=batch, workers=workers, findings=False)
    elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu
    peaks = {"peak_rss_mb": round(peak_mb()),
             "peak_rss_mb_worker": round(peak_mb(resource.RUSAGE_CHILDREN))}
    # what `casetrail rebuild` does next: the findings read model (timed apart: the targets
    # above are for the clocks, responsibility and queues read models)
    found = time.perf_counter()
    cases = findings_model.rebuild(app, workers)
    found = time.perf_counter() - found
    app.close()
    return {"events": events, "processed": processed, "seconds": round(elapsed, 1),
            "events_per_s": round(processed / elapsed), "cpu_seconds": round(cpu, 1),
            "events_per_cpu_s": round(processed / cpu), "peak_rss_mb_before": round(before),
            **peaks, "findings_model_s": round(found, 1), "findings_model_cases": cases}


def bench_read_decode(url: str) -> dict:
    """The floor: read every notification and decode it with the library's mapper, nothing else."""
    app = Casetrail(url)
    started, n, start = time.perf_counter(), 0, 0
    while True:
        notes = app.recorder.select_notifications(start=start, limit=20000,
                                                  inclusive_of_start=False)
        for note in notes:
            app.mapper.to_domain_event(note)
        n += len(notes)
        if len(notes) < 20000:
            break
        start = notes[-1].id
    elapsed = time.perf_counter() - started
    app.close()
    return {"read_decode_events_per_s": round(n / elapsed)}


def bench_who_held(url: str, samples: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    with ViewDB(url) as db:
        cases = db.query("SELECT case_no, registered_at, last_event_at FROM pv_cases")
        counts = {t: db.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES}
        picks = []
        for case_no, first, last in rng.sample(cases, min(samples, len(cases))):
            a, b = from_ts(first), from_ts(last)
            span = max((b - a).total_seconds(), 1.0)  # type: ignore[operator]
            picks.append((case_no, a + timedelta(seconds=rng.uniform(0, span))))  # type: ignore[operator]
        times = []
        for case_no, moment in picks:
            t0 = time.perf_counter()
            found = Q.who_held(db, case_no, moment)
            times.append((time.perf_counter() - t0) * 1000)
            assert found is not None, (case_no, moment)
    times.sort()
    return {"who_held_samples": len(times), "who_held_median_ms": round(statistics.median(times), 3),
            "who_held_p95_ms": round(times[int(len(times) * 0.95) - 1], 3), "rows": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--batch", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--workers", type=int, default=None,
                        help="rebuild processes (default: 2 on a large log, else 1)")
    args = parser.parse_args()
    result = bench_read_decode(args.url)
    result.update(bench_rebuild(args.url, args.batch, args.progress, args.workers))
    result["ratio_to_read_decode"] = round(
        result["events_per_s"] / result["read_decode_events_per_s"], 2)
    result.update(bench_who_held(args.url, args.samples))
    for key, value in result.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
