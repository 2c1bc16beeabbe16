"""Generate a synthetic city-year of petition cases into a store, through the real commands.

    python bench/cityyear.py sqlite:////tmp/city.db --cases 50000
    python bench/cityyear.py 'postgresql://postgres@127.0.0.1:5432/test?schema=bench' --cases 50000

The city and the case histories come from :mod:`simulation` (``city.build_city_spec`` and
``generator.generate_cases``: every act is a checked command, many cases per transaction,
realistic mix of paths and delays, some cases left open or overdue at the cut-off). The store is
emptied first (SQLite file removed / PostgreSQL schema dropped). Prints cases, events, time and
events/s.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.application import Casetrail  # noqa: E402
from domain.periods import TZ  # noqa: E402
from simulation.city import build_city_spec  # noqa: E402
from simulation.engine import SimClock  # noqa: E402
from simulation.generator import generate_cases  # noqa: E402
from store.config import is_postgres, postgres_conninfo, sqlite_path  # noqa: E402


def reset_store(url: str) -> None:
    if is_postgres(url):
        import psycopg

        c = postgres_conninfo(url)
        with psycopg.connect(host=c["host"], port=c["port"], dbname=c["dbname"], user=c["user"],
                             password=c["password"] or None, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{c["schema"]}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{c["schema"]}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            path = sqlite_path(url) + suffix
            if os.path.exists(path):
                os.remove(path)


def generate(url: str, cases: int, seed: int = 7, year: int = 2025,
             batch_size: int = 400) -> dict:
    reset_store(url)
    # each act is recorded minutes to hours after it happened, as in the demo (a fixed clock
    # would make every act of the year a back-filled one, recorded months late)
    clock = SimClock(datetime(year + 1, 3, 1, 9, tzinfo=TZ))
    app = Casetrail(url, clock=clock)
    try:
        spec = build_city_spec(seed)
        app.load_organisation(spec)
        started = time.perf_counter()
        summary = generate_cases(app, spec, cases, seed, date(year, 1, 1), date(year, 12, 31),
                                 batch_size=batch_size)
        elapsed = time.perf_counter() - started
        events = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    return {"cases": summary["cases"], "events": events, "seconds": round(elapsed, 1),
            "events_per_s": round(summary["events"] / elapsed), "open": summary["open"],
            "paths": summary["paths"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    result = generate(args.url, args.cases, args.seed, args.year)
    for key, value in result.items():
        print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
