"""Outbox send rate against sending the same messages straight with an SMTP client, in one run.

    .venv/bin/python bench/deliver.py [--count 500] [--rounds 5] [--database-url URL] [--outage 20]

Both paths send the same stored messages to the same aiosmtpd server (its own process), each over one
connection per round; rounds alternate which path goes first, so a busy machine slows both alike. The
outbox path claims a batch of rows in one transaction, then sends each and commits it as sent right
after the server's 250; the direct path only replays the bytes with smtplib. The goal is an outbox rate
of at least half the direct rate. Runs on a fresh SQLite file, and on a throwaway PostgreSQL database
too when MOU_TEST_DATABASE_URL (or --postgres) names a server. `--outage N` also runs the outage
scenario: the server is down for the first N seconds, and every delivery must still go out exactly once
after it comes back.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on the path, and bench/queue.py would shadow the standard library's
# queue module (psycopg imports it): the repository root takes its place.
sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import os
import smtplib
import subprocess
import tempfile
import threading
import time
from collections import Counter
from datetime import date
from email import message_from_bytes

from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.config import Settings
from app.db import create_scratch_database, drop_scratch_database, make_engine
from app.delivery import service
from app.delivery.worker import run_once, run_worker
from app.migrate import upgrade
from app.models import Delivery, Mou, Role


class Collector:
    """SMTP handler that keeps each message's Message-ID."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.ids.append(message_from_bytes(envelope.original_content)["Message-ID"])
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Wait until something listens on the port."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def seed(engine, settings: Settings, count: int) -> list[int]:
    """A team, a rep, two managers and `count` queued customer MOUs."""
    with Session(engine, expire_on_commit=False) as session:
        team = accounts.create_team(session, f"Bench {time.time_ns()}", "structured")
        suffix = time.time_ns()
        rep = accounts.create_user(
            session, email=f"rep{suffix}@acme-sales.example", name="Dana Ünal", team=team
        )
        for i in range(2):
            accounts.create_user(
                session,
                email=f"mgr{i}.{suffix}@acme-sales.example",
                name=f"Manager {i}",
                role=Role.manager,
                team=team,
            )
        ids = []
        for n in range(count):
            mou = Mou(
                rep_id=rep.id,
                team_id=team.id,
                customer_email=f"c{n}@northwind.example",
                customer_name=f"Jörg {n}",
                company="Northwind",
                meeting_date=date(2025, 3, 4),
                situation="Spreadsheets.",
                goals="Faster.",
                obstacles="Three systems.",
                complications="CFO approval.",
                next_step="Share data.",
                next_step_due=date(2025, 3, 14),
                complete=True,
                reply_token=f"b{suffix % 10**9}{n:07d}",
            )
            session.add(mou)
            ids.append(service.enqueue_mou_delivery(session, mou, settings=settings).id)
        session.commit()
    return ids


def stored(engine, ids: list[int]) -> list[tuple[str, list[str], bytes]]:
    """Envelope and bytes of the given deliveries, in the order the worker claims them."""
    with Session(engine) as session:
        query = select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.next_attempt_at, Delivery.id)
        return [(d.from_addr, d.recipients, d.raw) for d in session.exec(query)]


def send_direct(rows: list[tuple[str, list[str], bytes]], port: int) -> float:
    """Seconds to replay the messages straight over one SMTP connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for sender, recipients, raw in rows:
            smtp.sendmail(sender, recipients, raw)
    return time.perf_counter() - started


def send_outbox(factory, settings: Settings, count: int) -> float:
    """Seconds for the worker to claim, send and record the next `count` due rows."""
    started = time.perf_counter()
    sent = run_once(factory, settings=settings, limit=count)
    elapsed = time.perf_counter() - started
    assert sent == count, f"worker sent {sent} of {count}"
    return elapsed


def compare(engine, factory, settings: Settings, count: int, rounds: int, port: int) -> bool:
    """Both paths over the same messages in alternating rounds; prints the rates, True if the goal is met."""
    ids = seed(engine, settings, count)
    rows = stored(engine, ids)
    settings = settings.model_copy(update={"smtp_port": port})
    size = -(-count // rounds)
    direct = outbox = 0.0
    for n, start in enumerate(range(0, count, size)):
        chunk = rows[start : start + size]
        if n % 2:
            outbox += send_outbox(factory, settings, len(chunk))
            direct += send_direct(chunk, port)
        else:
            direct += send_direct(chunk, port)
            outbox += send_outbox(factory, settings, len(chunk))
    with Session(engine) as session:
        statuses = Counter(d.status for d in session.exec(select(Delivery).where(Delivery.id.in_(ids))))
    assert statuses == {"sent": count}, f"outbox left {statuses}"
    ratio = direct / outbox  # same message count, so the ratio of rates is the inverse ratio of times
    met = ratio >= 0.5
    print(f"{count} messages on {engine.dialect.name}, {rounds} alternating rounds")
    print(f"direct SMTP client : {count / direct:8.1f} msg/s")
    print(f"outbox worker      : {count / outbox:8.1f} msg/s")
    print(f"ratio              : {ratio:8.2f}  {'PASS' if met else 'FAIL'} (goal >= 0.50)")
    return met


def outage(
    factory, settings: Settings, engine, servers: list[Controller], handler: Collector, seconds: float
) -> None:
    """Server down for `seconds` while deliveries wait; all must go out exactly once afterwards."""
    ids = seed(engine, settings, 50)
    handler.ids.clear()
    servers[-1].stop()
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker, args=(stop,), kwargs={"settings": settings, "session_factory": factory}
    )
    worker.start()
    time.sleep(seconds)
    servers.append(Controller(handler, hostname="127.0.0.1", port=settings.smtp_port))
    servers[-1].start()
    started = time.perf_counter()
    while True:
        with Session(engine) as session:
            statuses = Counter(d.status for d in session.exec(select(Delivery).where(Delivery.id.in_(ids))))
        if statuses == {"sent": len(ids)} or time.perf_counter() - started > 120:
            break
        time.sleep(0.2)
    stop.set()
    worker.join(30)
    repeats = [mid for mid, n in Counter(handler.ids).items() if n > 1]
    print(
        f"outage {seconds:g}s: {statuses}, {len(handler.ids)} received, {len(repeats)} duplicates, "
        f"all out {time.perf_counter() - started:.1f}s after the server came back"
    )
    if statuses != {"sent": len(ids)} or repeats or len(handler.ids) != len(ids):
        raise SystemExit("outage scenario FAILED")


def bench_settings(url: str, data_dir: Path, port: int) -> Settings:
    """SMTP to the local server with quick retries."""
    return Settings(
        _env_file=None,
        database_url=url,
        data_dir=data_dir,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        worker_poll_seconds=0.05,
        delivery_backoff_seconds=0.2,
        delivery_max_attempts=30,
        smtp_timeout=5,
    )


def run_on(url: str, args, tmp: Path, sink_port: int) -> bool:
    """The comparison (and, if asked, the outage scenario) on one migrated database."""
    upgrade(url)
    port = free_port()
    handler = Collector()
    servers = [Controller(handler, hostname="127.0.0.1", port=port)]
    servers[0].start()
    settings = bench_settings(url, tmp, port)
    engine = make_engine(settings)
    factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731
    try:
        met = compare(engine, factory, settings, args.count, args.rounds, sink_port)
        if args.outage:
            outage(factory, settings, engine, servers, handler, args.outage)
        return met
    finally:
        servers[-1].stop()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating rounds the messages are split into"
    )
    parser.add_argument("--database-url", default=None, help="only this (migrated) database")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MOU_TEST_DATABASE_URL"),
        help="PostgreSQL server for a throwaway database (default: MOU_TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--outage", type=float, default=0.0, help="also run the outage scenario (seconds down)"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mou-bench-"))
    # The rate comparison uses a server in its own process, so it does not share our interpreter lock.
    sink_port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{sink_port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    )
    results = []
    try:
        wait_for_port(sink_port)
        if args.database_url:
            results.append(run_on(args.database_url, args, tmp, sink_port))
        else:
            results.append(run_on(f"sqlite:///{tmp / 'bench.db'}", args, tmp, sink_port))
            if args.postgres:
                url = create_scratch_database(args.postgres, "mou_bench")
                try:
                    results.append(run_on(url, args, tmp, sink_port))
                finally:
                    drop_scratch_database(args.postgres, url)
    finally:
        sink.terminate()
        sink.wait(10)
    if not all(results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
