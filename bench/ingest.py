"""Webhook ingest throughput: the app (verify + durable store + 2xx) against a bare FastAPI endpoint
that only parses the same multipart body, in one run, at 32 connections from a separate load process.

    .venv/bin/python bench/ingest.py                     # SQLite, one server process
    .venv/bin/python bench/ingest.py --db postgresql     # PostgreSQL (MOU_TEST_DATABASE_URL), 2 workers

Every request is a distinct, validly signed SendGrid raw-mode post (its own Message-ID), so nothing is
answered from the dedupe path. Goal: the app reaches at least 0.6 of the bare endpoint's requests/s."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

# Run as a script: the repo root instead of bench/ (bench/queue.py would shadow the stdlib's queue).
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx
from sqlalchemy import create_engine, text

from app.db import normalise_url
from bench.benchlib import (
    PYTHON,
    ROOT,
    SendGridSigner,
    Server,
    cpu_seconds,
    cpu_spent,
    migrate,
    pg_database,
    pg_url_default,
    postgres_pids,
    signed_requests,
    sqlite_url,
)

GOAL = 0.6
PATH = "/webhooks/inbound/sendgrid"


def write_requests(path: Path, count: int, signer: SendGridSigner) -> None:
    """Pre-sign `count` distinct requests into the file format wrk_post.lua and loadgen.py read."""
    with path.open("wb") as f:
        for req in signed_requests(count, signer=signer):
            h = req.headers
            sig, ts = h["X-Twilio-Email-Event-Webhook-Signature"], h["X-Twilio-Email-Event-Webhook-Timestamp"]
            f.write(f"{sig} {ts} {len(req.body)} {h['Content-Type']}\n".encode() + req.body)


def load(url: str, requests_file: Path, connections: int, duration: float, tool: str) -> dict:
    """Run the load generator in its own process; its BENCH_JSON result."""
    if tool == "wrk":
        threads = 2
        env = {
            **os.environ,
            "BENCH_REQUESTS": str(requests_file),
            "BENCH_PATH": PATH,
            "BENCH_THREADS": str(threads),
        }
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "10s"]
        cmd += ["-s", str(ROOT / "bench/wrk_post.lua"), url]
    else:
        env = dict(os.environ)
        cmd = [PYTHON, str(ROOT / "bench/loadgen.py"), url + PATH, str(requests_file)]
        cmd += ["--connections", str(connections), "--duration", str(duration)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def warm_up(server: Server, signer: SendGridSigner, count: int = 30) -> None:
    """A few distinct requests first, so imports and connection pools are ready."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for req in signed_requests(count, run="warm-" + uuid.uuid4().hex[:6], signer=signer):
            response = client.post(PATH, content=req.body, headers=req.headers)
            if response.status_code >= 400:
                raise RuntimeError(f"warm-up got {response.status_code}: {response.text[:300]}")


def stored_rows(database_url: str) -> int:
    """Inbound rows in the database after a run."""
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM inbound_message")).scalar_one()
    engine.dispose()
    return int(count)


def run_pair(kind: str, args, request_files: list[Path], signer: SendGridSigner, work: Path) -> dict:
    """Bare endpoint and app, same workers, same payloads, same load, measured in alternating rounds
    (bare, app, bare, app, ...) so that a change in the machine's load falls on both alike."""
    workers = args.workers or (1 if kind == "sqlite" else 2)
    results: dict = {"db": kind, "workers": workers}
    seconds = args.duration / args.rounds
    with contextlib.ExitStack() as stack:
        bare = None
        if not args.skip_bare:
            bare = stack.enter_context(
                Server(work / f"bare-{kind}", target="bench.bare_app:app", workers=workers)
            )
            warm_up(bare, signer)
        url, app = stack.enter_context(_app_server(kind, work, workers, args, signer))
        profiler = _start_profiler(app, args) if args.profile else None
        rounds: dict[str, list[dict]] = {"bare": [], "app": []}
        for n in range(args.rounds):
            if bare is not None:
                rounds["bare"].append(_measured(bare, kind, request_files[n], seconds, args))
            rounds["app"].append(_measured(app, kind, request_files[n], seconds, args))
        if profiler is not None:
            profiler.wait(timeout=args.duration + 30)
        results["app"] = _combined(rounds["app"])
        results["app"]["rss_mb"] = round(app.rss_mb(), 1)
        results["app"]["stored"] = stored_rows(url) - 30  # minus the warm-up messages
    results["bare"] = _combined(rounds["bare"]) if rounds["bare"] else _NO_BARE
    results["ratio"] = results["app"]["rps"] / results["bare"]["rps"]
    return results


def _measured(server: Server, kind: str, requests_file: Path, seconds: float, args) -> dict:
    """One load round against a server, with the CPU seconds its processes and the database server
    spent meanwhile (where a request's cost lies, whatever else the machine is doing)."""

    def reading() -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(server.pids()), cpu_seconds(postgres_pids() if kind == "postgresql" else [])

    before = reading()
    result = load(server.url, requests_file, args.connections, seconds, args.tool)
    after = reading()
    result["server_cpu"] = cpu_spent(before[0], after[0])
    result["db_cpu"] = cpu_spent(before[1], after[1])
    return result


_NO_BARE = {"rps": float("nan"), "p50_ms": 0, "p99_ms": 0, "non2xx": 0, "socket_errors": 0}


def _combined(rounds: list[dict]) -> dict:
    """One target's rounds as one result: requests over seconds; the worst round's latencies."""
    out = {
        key: sum(r.get(key, 0) for r in rounds) for key in ("requests", "non2xx", "socket_errors", "wrapped")
    }
    out["seconds"] = sum(r["seconds"] for r in rounds)
    for key in ("server_cpu", "db_cpu"):  # CPU ms per request
        out[key.replace("cpu", "ms")] = 1000 * sum(r[key] for r in rounds) / max(out["requests"], 1)
    out["rps"] = out["requests"] / out["seconds"]
    out["p50_ms"] = max(r["p50_ms"] for r in rounds)
    out["p99_ms"] = max(r["p99_ms"] for r in rounds)
    out["round_rps"] = [round(r["rps"], 1) for r in rounds]
    return out


@contextlib.contextmanager
def _app_server(
    kind: str, work: Path, workers: int, args, signer: SendGridSigner
) -> Iterator[tuple[str, Server]]:
    """The app on a fresh database (SQLite file or a new PostgreSQL database), warmed up."""
    data_dir = work / f"app-{kind}"
    data_dir.mkdir(parents=True)
    with contextlib.ExitStack() as stack:
        url = sqlite_url(data_dir) if kind == "sqlite" else stack.enter_context(pg_database(args.pg_url))
        migrate(url)
        env = {"MOU_SENDGRID_PUBLIC_KEY": signer.public_key_b64, "MOU_WORKER_IN_PROCESS": "false"}
        server = stack.enter_context(Server(data_dir, database_url=url, workers=workers, extra_env=env))
        warm_up(server, signer)
        yield url, server


def _start_profiler(server: Server, args) -> subprocess.Popen | None:
    """py-spy on the (first) server process for the load's duration, when py-spy is installed."""
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy not installed; --profile ignored", file=sys.stderr)
        return None
    pid = server.pids()[-1]
    out = args.profile.resolve()
    cmd = [spy, "record", "-p", str(pid), "-d", str(int(args.duration)), "-f", "raw", "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def report(results: list[dict]) -> bool:
    """Print the table; True when every pair meets the goal."""
    print(
        f"\n{'target':<8} {'db':<11} {'workers':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
    )
    ok = True
    for r in results:
        for name in ("bare", "app"):
            x = r[name]
            print(
                f"{name:<8} {r['db']:<11} {r['workers']:>7} {x['rps']:>9.1f} {x['p50_ms']:>9.1f} "
                f"{x['p99_ms']:>9.1f} {x['non2xx'] + x['socket_errors']:>9}"
            )
        app = r["app"]
        met = r["ratio"] >= GOAL and app["non2xx"] == 0 and app.get("wrapped", 0) == 0
        ok = ok and met
        print(
            f"ratio app/bare on {r['db']}: {r['ratio']:.2f} (goal >= {GOAL}) {'MET' if met else 'NOT MET'}; "
            f"{app['requests']} acknowledged, {app['stored']} stored, app RSS {app['rss_mb']} MB"
        )
        print(f"  req/s by round: bare {r['bare'].get('round_rps', [])}, app {app['round_rps']}")
        cpu = ", ".join(
            f"{name} {r[name]['server_ms']:.2f} server + {r[name]['db_ms']:.2f} database"
            for name in ("bare", "app")
            if "server_ms" in r[name]
        )
        print(f"  CPU ms per request: {cpu}")
        if app.get("wrapped"):
            print("  warning: the request file ran out and messages were re-sent; raise --count")
    return ok


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--pg-url", default=pg_url_default())
    parser.add_argument("--workers", type=int, default=0, help="server processes (default 1 SQLite, 2 PG)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per target, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/app rounds")
    parser.add_argument("--count", type=int, default=45_000, help="distinct signed requests to prepare")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--profile", type=Path, help="py-spy the app during its run into this file")
    parser.add_argument("--skip-bare", action="store_true", help="measure the app only (while profiling)")
    args = parser.parse_args()
    if args.tool == "auto":
        args.tool = "wrk" if shutil.which("wrk") else "python"
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    signer = SendGridSigner()
    with tempfile.TemporaryDirectory(prefix="mou-bench-") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        # Each round its own distinct requests (the app never sees one twice; the bare endpoint the same).
        files = [work / f"requests-{n}.bin" for n in range(args.rounds)]
        for path in files:
            write_requests(path, args.count // args.rounds, signer)
        print(
            f"prepared {args.count} signed requests "
            f"({sum(f.stat().st_size for f in files) // args.count} bytes each) "
            f"in {time.monotonic() - started:.1f}s; load: {args.tool}, {args.connections} connections, "
            f"{args.duration:.0f}s per target in {args.rounds} alternating rounds",
            flush=True,
        )
        results = [run_pair(kind, args, files, signer, work) for kind in kinds]
    return 0 if report(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
