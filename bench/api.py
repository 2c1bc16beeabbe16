"""API throughput and latency on loopback: a uvicorn server in one process, a load generator in
another (httpx, asyncio), on SQLite and PostgreSQL.

    python bench/api.py --store sqlite --store postgres --seconds 10 [--workers 2] [--hello] [--wrk]

Measures (1) case reads, open loop at a fixed rate (default 200/s): p50/p95/p99 latency;
(2) commands (a ``note`` on a random seeded case), closed loop with N concurrent clients:
sustained commands/s and latency, and the server's CPU time per command (all its worker
processes; a figure that other load on the machine moves far less than commands/s). Targets on the reference machine: read p99 < 25 ms at
200/s; >= 400 commands/s. ``--hello`` first measures a trivial FastAPI endpoint (no store, no
auth) with the same generator and server settings: the framework floor on this machine.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("CASETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def hello_app() -> Any:
    """The floor: a FastAPI app with one trivial JSON endpoint."""
    import orjson
    from fastapi import FastAPI, Response

    app = FastAPI()

    @app.get("/cases/{case_no}", response_model=None)
    async def hello(case_no: str):  # type: ignore[no-untyped-def]
        return Response(orjson.dumps({"case_no": case_no, "hello": "world"}),
                        media_type="application/json")

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, cases: int) -> str:
    """Load the example organisation, seed cases, issue a bureau token; return the secret."""
    from api.routes.admin import issue_token
    from api.sidestore import SideStore
    from domain.application import Batch, Casetrail
    from domain.org_loader import read_spec
    from tests.conftest import GRIEVANCE, ORG_FILE

    core = Casetrail(url)
    core.load_organisation(read_spec(ORG_FILE))
    side = SideStore(core.database_url)
    secret, _ = issue_token(core, side, subject="bench", kind="client", unit="yz-xfj",
                            roles=["petition_bureau"])
    actor = {"unit": "yz-xfj", "client": "bench"}
    for chunk in range(0, cases, 500):
        batch = Batch(core)
        for i in range(chunk, min(cases, chunk + 500)):
            batch.register(actor, None, f"B{i:06d}", **GRIEVANCE)
        batch.commit()
    side.close()
    core.close()
    return secret


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, a pool of ``size`` connections.

    httpx's async client costs more CPU per request than the server under test does (on this
    2-core machine it could not offer even a trivial endpoint 200 requests/s on time), so the
    generator speaks HTTP itself: one request per idle connection, Content-Length bodies."""

    def __init__(self, base: str, size: int, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port, self.size = host, int(port), size
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: asyncio.Queue[tuple[Any, Any]] = asyncio.Queue()

    async def __aenter__(self) -> RawClient:
        for _ in range(self.size):
            self.idle.put_nowait(await asyncio.open_connection(self.host, self.port))
        return self

    async def __aexit__(self, *exc: object) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        reader, writer = await self.idle.get()
        try:
            extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
            kind = "Content-Type: application/json\r\n" if body else ""
            writer.write(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.headers}"
                         f"{extra}{kind}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split()[1])
            length = next((int(line.split(b":", 1)[1]) for line in lines[1:]
                           if line[:15].lower() == b"content-length:"), 0)
            return status, await reader.readexactly(length)
        finally:
            self.idle.put_nowait((reader, writer))


async def reads(base: str, token: str, cases: int, rate: float, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    async with RawClient(base, 64, {"Authorization": f"Bearer {token}"}) as client:
        async def one() -> None:
            nonlocal errors
            t0 = time.perf_counter()
            status, _ = await client.request("GET", f"/cases/B{random.randrange(cases):06d}")
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += status != 200

        tasks, start, n = [], time.perf_counter(), 0
        while (elapsed := time.perf_counter() - start) < seconds:
            due = n / rate
            if due > elapsed:
                await asyncio.sleep(due - elapsed)
            tasks.append(asyncio.create_task(one()))
            n += 1
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {"requests": n, "rate": round(n / wall, 1), "errors": errors,
            "p50_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2)}


async def commands(base: str, token: str, cases: int, clients: int, seconds: float,
                   ) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    async with RawClient(base, clients, {"Authorization": f"Bearer {token}"}) as client:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                status, _ = await client.request(
                    "POST", f"/cases/B{random.randrange(cases):06d}/note", b'{"text":"bench"}',
                    {"Idempotency-Key": uuid.uuid4().hex})
                latencies.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    errors[status] = errors.get(status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - start
    ok = len(latencies) - sum(errors.values())
    return {"commands": len(latencies), "per_second": round(ok / wall, 1), "errors": errors,
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2)}


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process and its direct children (the workers);
    Linux /proc only, NaN elsewhere."""
    def used(stat: str) -> tuple[int, float]:
        fields = stat.rsplit(")", 1)[1].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid, seconds = used(f.read())
                except OSError:
                    continue
                if int(entry) == pid or ppid == pid:
                    total += seconds
    except OSError:
        return float("nan")
    return total


WRK_SCRIPT = r"""
local token, cases, n = os.getenv("BENCH_TOKEN"), tonumber(os.getenv("BENCH_CASES")), 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  n = n + 1
  local headers = {["Authorization"] = "Bearer " .. token,
                   ["Content-Type"] = "application/json",
                   ["Idempotency-Key"] = string.format("%x-%x-%d", math.random(0, 2^30),
                                                       math.random(0, 2^30), n)}
  return wrk.format("POST", string.format("/cases/B%06d/note", math.random(0, cases - 1)),
                    headers, '{"text":"bench"}')
end
"""


def commands_wrk(base: str, token: str, args: argparse.Namespace, pid: int) -> dict[str, Any]:
    """The command run with wrk (C, one thread) as the load generator: it leaves the server
    nearly all of a core that the Python generator would take."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_CASES": str(args.cases)}
    before = server_cpu(pid)
    out = subprocess.run(["wrk", "-t1", f"-c{args.clients}", f"-d{int(args.seconds)}s",
                          "--latency", "-s", f.name, base], env=env, capture_output=True,
                         text=True, check=True).stdout
    os.unlink(f.name)
    total = int(out.split(" requests in ")[0].split()[-1])
    seconds = float(out.split(" requests in ")[1].split(",")[0].rstrip("s"))
    bad = int(out.split("Non-2xx or 3xx responses:")[1].split()[0]) if "Non-2xx" in out else 0

    def ms(label: str) -> float:
        text = out.split(f"{label}%")[1].split()[0]
        value = float(text.rstrip("msu"))
        return value * 1000 if text.endswith("s") and not text.endswith(("ms", "us")) else (
            value / 1000 if text.endswith("us") else value)

    return {"commands": total, "per_second": round((total - bad) / seconds, 1),
            "errors": {"non-2xx": bad}, "p50_ms": ms("50"), "p99_ms": ms("99"),
            "server_cpu_ms": round(1000 * (server_cpu(pid) - before) / max(1, total), 2),
            "load": round(os.getloadavg()[0], 2)}


def generator(base: str, token: str, args: argparse.Namespace, pid: int, out: Any) -> None:
    """The load generator's process: a warm-up, then the read and the command runs. The
    server's CPU time per command is measured too: it depends far less than commands/s on
    what else the shared machine is running."""
    async def main() -> dict[str, Any]:
        await reads(base, token, args.cases, 50, 2)
        r = await reads(base, token, args.cases, args.rate, args.seconds)
        if args.wrk:
            return {"read": r}
        before = server_cpu(pid)
        c = await commands(base, token, args.cases, args.clients, args.seconds)
        c["server_cpu_ms"] = round(1000 * (server_cpu(pid) - before) / max(1, c["commands"]), 2)
        c["load"] = round(os.getloadavg()[0], 2)
        return {"read": r, "command": c}
    out.put(asyncio.run(main()))


def hello_generator(base: str, args: argparse.Namespace, out: Any) -> None:
    async def main() -> dict[str, Any]:
        await reads(base, "-", args.cases, 50, 2)
        return {"read": await reads(base, "-", args.cases, args.rate, args.seconds)}
    out.put(asyncio.run(main()))


def serve(factory: str, env: dict[str, str], workers: int) -> tuple[Any, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port),
         "--log-level", "warning", "--no-access-log", "--workers", str(workers)],
        env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    return server, base


def load(target: Any, *args: Any) -> dict[str, Any]:
    """Run a generator in its own process and return what it measured."""
    queue: Any = mp.Queue()
    proc = mp.Process(target=target, args=(*args, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def run_hello(args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server, base = serve("bench.api:hello_app", env, args.workers)
    try:
        return {"store": "hello", **load(hello_generator, base, args)}
    finally:
        server.terminate()
        server.wait(10)


def run(store: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="casetrail-bench-")
    schema = "bench_" + uuid.uuid4().hex[:8]
    url = f"sqlite:///{tmp}/bench.db" if store == "sqlite" else f"{PG_URL}?schema={schema}"
    token = prepare(url, args.cases)
    env = {**os.environ, "CASETRAIL_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    server, base = serve("api.app:create_app", env, args.workers)
    try:
        result = load(generator, base, token, args, server.pid)
        if args.wrk:
            result["command"] = commands_wrk(base, token, args, server.pid)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
        if store == "postgres":
            import psycopg
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return {"store": store, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200, help="case reads per second")
    parser.add_argument("--clients", type=int, default=16, help="concurrent command clients")
    parser.add_argument("--cases", type=int, default=1000, help="cases seeded")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--hello", action="store_true", help="also measure a trivial endpoint")
    parser.add_argument("--wrk", action="store_true",
                        help="commands driven by wrk (apt install wrk) instead of Python")
    args = parser.parse_args()
    print(f"uptime: {os.getloadavg()}  cpus: {os.cpu_count()}  workers: {args.workers}")
    runs = [run_hello(args)] if args.hello else []
    for store in args.store or ["sqlite", "postgres"]:
        if runs:  # let the previous run's writes reach the disk before measuring the next
            os.sync()
            time.sleep(5)
        runs.append(run(store, args))
    for result in runs:
        store, r = result["store"], result["read"]
        what = "hello" if store == "hello" else "case read"
        print(f"{store:9} {what:10}{r['rate']:7.1f}/s  p50 {r['p50_ms']:6.2f} ms  "
              f"p95 {r['p95_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}")
        if "command" in result:
            c = result["command"]
            print(f"{store:9} {'command':10}{c['per_second']:7.1f}/s  p50 {c['p50_ms']:6.2f} ms  "
                  f"p99 {c['p99_ms']:6.2f} ms  errors {c['errors']}  ({args.clients} clients; "
                  f"server CPU {c['server_cpu_ms']:.2f} ms/command; load {c['load']})")


if __name__ == "__main__":
    main()
