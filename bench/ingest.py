"""Webhook ingest throughput: the app (verify + durable store + 2xx) against a bare FastAPI endpoint
that only parses the same multipart body, in one run, at 32 connections from a separate load process.

    .venv/bin/python bench/ingest.py                     # SQLite, one server process
    .venv/bin/python bench/ingest.py --db postgresql     # PostgreSQL (MOU_TEST_DATABASE_URL), 2 workers

Every request is a distinct, validly signed SendGrid raw-mode post (its own Message-ID), so nothing is
answered from the dedupe path. Goal: the app reaches at least 0.6 of the bare endpoint's requests/s."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
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
    migrate,
    pg_database,
    signed_requests,
    sqlite_url,
)

GOAL = 0.6
PATH = "/webhooks/inbound/sendgrid"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


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


def run_pair(kind: str, args, requests_file: Path, signer: SendGridSigner, work: Path) -> dict:
    """Bare endpoint then the app, same workers, same payload file, same load."""
    workers = args.workers or (1 if kind == "sqlite" else 2)
    results: dict = {"db": kind, "workers": workers}
    bare_dir = work / f"bare-{kind}"
    if args.skip_bare:
        results["bare"] = {"rps": float("nan"), "p50_ms": 0, "p99_ms": 0, "non2xx": 0, "socket_errors": 0}
    else:
        with Server(bare_dir, target="bench.bare_app:app", workers=workers) as bare:
            warm_up(bare, signer)
            results["bare"] = load(bare.url, requests_file, args.connections, args.duration, args.tool)
    data_dir = work / f"app-{kind}"
    data_dir.mkdir(parents=True)
    if kind == "sqlite":
        results["app"] = _run_app(sqlite_url(data_dir), data_dir, workers, args, requests_file, signer)
    else:
        with pg_database(args.pg_url) as url:
            results["app"] = _run_app(url, data_dir, workers, args, requests_file, signer)
    results["ratio"] = results["app"]["rps"] / results["bare"]["rps"]
    return results


def _run_app(url: str, data_dir: Path, workers: int, args, requests_file: Path, signer) -> dict:
    migrate(url)
    env = {"MOU_SENDGRID_PUBLIC_KEY": signer.public_key_b64, "MOU_WORKER_IN_PROCESS": "false"}
    server = Server(data_dir, database_url=url, workers=workers, extra_env=env)
    with server:
        warm_up(server, signer)
        profiler = _start_profiler(server, data_dir, args) if args.profile else None
        result = load(server.url, requests_file, args.connections, args.duration, args.tool)
        if profiler is not None:
            profiler.wait(timeout=args.duration + 30)
            result["profile"] = str(args.profile)
        result["rss_mb"] = round(server.rss_mb(), 1)
    result["stored"] = stored_rows(url) - 30  # minus the warm-up messages
    return result


def _start_profiler(server: Server, data_dir: Path, args) -> subprocess.Popen | None:
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
        if app.get("wrapped"):
            print("  warning: the request file ran out and messages were re-sent; raise --count")
    return ok


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("MOU_TEST_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--workers", type=int, default=0, help="server processes (default 1 SQLite, 2 PG)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=30_000, help="distinct signed requests to prepare")
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
        requests_file = work / "requests.bin"
        started = time.monotonic()
        write_requests(requests_file, args.count, signer)
        print(
            f"prepared {args.count} signed requests "
            f"({requests_file.stat().st_size // args.count} bytes each) "
            f"in {time.monotonic() - started:.1f}s; load: {args.tool}, {args.connections} connections, "
            f"{args.duration:.0f}s per target",
            flush=True,
        )
        results = [run_pair(kind, args, requests_file, signer, work) for kind in kinds]
    return 0 if report(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
