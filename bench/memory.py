"""Server memory: RSS after 10,000 webhook ingests (goal < 200 MB), and the peak RSS growth while a
25 MB email with attachments is received and processed (goal < 3x its size).

    .venv/bin/python bench/memory.py [--count 10000] [--size-mb 25] [--db postgresql]

The server is `uvicorn app.asgi:app` on a fresh SQLite data dir (or a new PostgreSQL database) with the
in-process worker on (as `mou serve` runs it), so processing is counted too. RSS is read from /proc
(VmRSS; VmHWM for peaks)."""

from __future__ import annotations

import argparse
import contextlib
import os
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
    pg_url_default,
    raw_email,
    rss_kb,
    seed_rep,
    sendgrid_form,
    sqlite_url,
)
from bench.ingest import write_requests

RSS_GOAL_MB = 200.0
GROWTH_FACTOR = 3.0


def _server(data_dir: Path, signer: SendGridSigner, url: str) -> Server:
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(url)
    seed_rep(url, data_dir)
    env = {
        "MOU_SENDGRID_PUBLIC_KEY": signer.public_key_b64,
        "MOU_MAIL_BACKEND": "file",
        "MOU_WORKER_POLL_SECONDS": "0.2",
    }
    return Server(data_dir, database_url=url, extra_env=env)


def _pending(url: str) -> int:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        waiting = "SELECT count(*) FROM inbound_message WHERE status IN ('received', 'processing')"
        count = int(conn.execute(text(waiting)).scalar_one())
    engine.dispose()
    return count


def _wait_processed(url: str, timeout: float) -> float:
    started = time.monotonic()
    while _pending(url) and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return time.monotonic() - started


def many_ingests(count: int, work: Path, signer: SendGridSigner, url: str) -> dict:
    """RSS after `count` distinct signed ingests at 32 connections, and after processing them all."""
    data_dir = work / "many"
    server = _server(data_dir, signer, url)
    requests_file = work / "many.bin"
    write_requests(requests_file, count, signer)
    with server:
        start_mb = server.rss_mb()
        cmd = [PYTHON, str(ROOT / "bench/loadgen.py"), server.url + "/webhooks/inbound/sendgrid"]
        cmd += [str(requests_file), "--connections", "32", "--duration", "900"]
        started = time.monotonic()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        ingest_s = time.monotonic() - started
        after_ingest = server.rss_mb()
        process_s = _wait_processed(url, timeout=1800)
        after_processing = server.rss_mb()
        peak = sum(rss_kb(pid, "VmHWM") for pid in server.pids()) / 1024
    result = next(line for line in out.splitlines() if line.startswith("BENCH_JSON"))
    return {
        "count": count,
        "load": result.removeprefix("BENCH_JSON "),
        "start_mb": start_mb,
        "after_ingest_mb": after_ingest,
        "after_processing_mb": after_processing,
        "peak_mb": peak,
        "ingest_s": ingest_s,
        "process_s": process_s,
    }


def big_email(size_mb: float, work: Path, signer: SendGridSigner, url: str) -> dict:
    """Peak RSS growth while one email of `size_mb` (attachments) is ingested and processed."""
    per_part = int(size_mb * 1024 * 1024 / 1.37 / 4)  # base64 grows ~1.37x; four attachments
    attachments = [(f"scan-{i}.pdf", os.urandom(per_part)) for i in range(4)]
    raw = raw_email(0, run="big-" + uuid.uuid4().hex[:6], attachments=attachments)
    body = sendgrid_form(raw)
    data_dir = work / "big"
    server = _server(data_dir, signer, url)
    with server, httpx.Client(base_url=server.url, timeout=300) as client:
        warm = sendgrid_form(raw_email(1, run="warm"))
        client.post("/webhooks/inbound/sendgrid", content=warm, headers=signer.headers(warm))
        _wait_processed(url, timeout=60)
        time.sleep(0.5)
        before = server.rss_mb()
        response = client.post("/webhooks/inbound/sendgrid", content=body, headers=signer.headers(body))
        _wait_processed(url, timeout=300)
        peak = sum(rss_kb(pid, "VmHWM") for pid in server.pids()) / 1024
        after = server.rss_mb()
    size = len(raw) / 1024 / 1024
    return {
        "status": response.status_code,
        "email_mb": size,
        "request_mb": len(body) / 1024 / 1024,
        "before_mb": before,
        "peak_mb": peak,
        "after_mb": after,
        "growth_mb": peak - before,
        "factor": (peak - before) / size,
    }


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size-mb", type=float, default=25.0)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=pg_url_default())
    args = parser.parse_args()
    signer = SendGridSigner()
    ok = True
    with tempfile.TemporaryDirectory(prefix="mou-memory-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)

        def database(name: str) -> str:  # each scenario its own fresh database
            if args.db == "sqlite":
                return sqlite_url(work / name)
            return stack.enter_context(pg_database(args.pg_url))

        print(f"database: {args.db}")
        many = many_ingests(args.count, work, signer, database("many"))
        met = many["after_processing_mb"] < RSS_GOAL_MB and many["after_ingest_mb"] < RSS_GOAL_MB
        ok &= met
        print(
            f"{many['count']} ingests in {many['ingest_s']:.0f}s, processed in a further "
            f"{many['process_s']:.0f}s; server RSS: start {many['start_mb']:.1f} MB, after ingest "
            f"{many['after_ingest_mb']:.1f} MB, after processing {many['after_processing_mb']:.1f} MB, "
            f"peak {many['peak_mb']:.1f} MB (goal < {RSS_GOAL_MB:.0f} MB) {'MET' if met else 'NOT MET'}"
        )
        print(f"  load: {many['load']}")
        big = big_email(args.size_mb, work, signer, database("big"))
        met = big["status"] == 200 and big["factor"] < GROWTH_FACTOR
        ok &= met
        print(
            f"{big['email_mb']:.1f} MB email ({big['request_mb']:.1f} MB request) -> HTTP {big['status']}; "
            f"RSS before {big['before_mb']:.1f} MB, peak {big['peak_mb']:.1f} MB, after "
            f"{big['after_mb']:.1f} MB: peak growth {big['growth_mb']:.1f} MB = {big['factor']:.2f}x the "
            f"email (goal < {GROWTH_FACTOR:.0f}x) {'MET' if met else 'NOT MET'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
