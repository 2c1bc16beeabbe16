"""Findings for a synthetic city-year as of one date, and re-evaluation of one changed case.

    python bench/cityyear.py sqlite:////tmp/city.db --cases 77000     # ≈ 1M events, once
    python bench/findings.py sqlite:////tmp/city.db --as-of 2025-12-31

Times, in one run:

1. **the findings read model** (:mod:`projections.findings_model`), as ``casetrail rebuild``
   builds it: every case read and evaluated once as of FAR, ``--workers`` processes;
2. **findings as of the date** (the target: < 10 s for ~1M events): what ``casetrail findings
   list`` and the API do — the model caught up (nothing new here), its settled rows taken, and
   the cases still moving at the date evaluated from the log; median of 3. The same for each
   ``--also`` date (by default mid-year, where many cases are still moving);
3. **store -> findings** without the model (the earlier way, for comparison): every case read
   from the store and evaluated as of the date, ``--workers`` processes each reading and
   evaluating one slice of the case id space (:meth:`FindingsIndex.build_from_store`);
4. the same in parts, in this process: reading every history (:func:`load_histories`), then
   evaluating them (:meth:`FindingsIndex.build`);
5. re-evaluating single cases the way an incremental runner would after one new event
   (target: median < 5 ms).

(2) and (3) must list the same findings, byte for byte; the bench fails otherwise.

``--check`` also verifies that (1), (2) and an incremental index give the same findings.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.application import Casetrail  # noqa: E402
from domain.findings import FindingsIndex, load_histories  # noqa: E402
from domain.periods import TZ  # noqa: E402
from projections import findings_model  # noqa: E402


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (the worker processes)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def end_of(day: str) -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date() + timedelta(days=1), dtime(0),
                            tzinfo=TZ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--as-of", default="2025-12-31")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="processes for store -> findings")
    parser.add_argument("--also", action="append", default=None,
                        help="more dates listed through the model (default 2025-06-30)")
    args = parser.parse_args()
    as_of = end_of(args.as_of)
    app = Casetrail(args.url)
    org = app.refresh_org()

    t0, c0 = time.perf_counter(), cpu_s()
    n_cases = findings_model.rebuild(app, workers=args.workers)
    model_s, model_cpu = time.perf_counter() - t0, cpu_s() - c0
    listed: dict[str, tuple[float, int, FindingsIndex]] = {}
    for day in [args.as_of, *(args.also or ["2025-06-30"])]:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            via = FindingsIndex(org, end_of(day)).build_from_model(app, workers=args.workers)
            times.append(time.perf_counter() - t0)
        listed[day] = (statistics.median(times), len(via.findings()), via)

    t0, c0 = time.perf_counter(), cpu_s()
    whole = FindingsIndex(org, as_of).build_from_store(app, workers=args.workers)
    whole_s, whole_cpu = time.perf_counter() - t0, cpu_s() - c0

    t0 = time.perf_counter()
    histories = load_histories(app)
    read_s = time.perf_counter() - t0
    events = sum(len(h) for h in histories.values())

    t0 = time.perf_counter()
    index = FindingsIndex(org, as_of).build(histories)
    eval_s = time.perf_counter() - t0
    found = index.findings()

    rng = random.Random(1)
    sample = rng.sample(sorted(histories), min(args.samples, len(histories)))
    per_case = []
    for case_no in sample:
        facts = histories[case_no]
        t = time.perf_counter()
        index.update(case_no, facts)
        per_case.append((time.perf_counter() - t) * 1000)
    per_case.sort()

    print(f"store          : {args.url}")
    print(f"cases          : {len(histories)}")
    print(f"events         : {events}")
    print(f"findings model : {model_s:.2f} s to build, {n_cases} cases, {args.workers} process(es)"
          f" ({events / model_s:,.0f} events/s); CPU {model_cpu:.2f} s")
    for day, (secs, n, _via) in listed.items():
        print(f"as of {day} : {secs:.2f} s through the model ({events / secs:,.0f} events/s), "
              f"{n} findings, median of 3{'   <- the target' if day == args.as_of else ''}")
    print(f"store->findings: {whole_s:.2f} s with {args.workers} process(es) "
          f"({events / whole_s:,.0f} events/s) as of {as_of}; CPU {whole_cpu:.2f} s "
          f"({events / whole_cpu:,.0f} events per CPU second); load {os.getloadavg()[0]:.1f}")
    print(f"  read log     : {read_s:.2f} s ({events / read_s:,.0f} events/s), 1 process")
    print(f"  evaluate all : {eval_s:.2f} s ({events / eval_s:,.0f} events/s), 1 process")
    print(f"findings       : {len(found)}; provisional: {len(index.provisional())}")
    for rule, n in sorted(Counter(f.rule for f in found).items()):
        print(f"  {rule:<24} {n}")
    print(f"one case update: median {statistics.median(per_case):.2f} ms, "
          f"p95 {per_case[int(len(per_case) * 0.95) - 1]:.2f} ms, max {per_case[-1]:.2f} ms "
          f"({len(per_case)} cases)")
    assert [f.as_dict() for f in whole.findings()] == [f.as_dict() for f in found]
    via = listed[args.as_of][2]
    assert [f.as_dict() for f in via.findings()] == [f.as_dict() for f in found]
    assert via.provisional() == index.provisional()
    print("check          : through the model == store -> findings == per-case build")
    if args.check:
        rebuilt = FindingsIndex(org, as_of).build(histories).findings()
        assert [f.as_dict() for f in rebuilt] == [f.as_dict() for f in index.findings()]
        print("check          : incremental == rebuilt")
    app.close()


if __name__ == "__main__":
    main()
