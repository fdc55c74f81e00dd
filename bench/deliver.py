"""Outbox send rate against sending the same messages straight with an SMTP client, in one run.

    .venv/bin/python bench/deliver.py [--count 500] [--database-url URL] [--outage 20]

Both paths talk to the same local aiosmtpd server. The outbox path claims, sends and records every row
(three short transactions per message); the direct path only replays the stored bytes over one smtplib
connection. The goal is an outbox rate of at least half the direct rate. `--outage N` also runs the
outage scenario: the server is down for the first N seconds, and every delivery must still go out
exactly once after it comes back.
"""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.accounts import service as accounts
from app.config import Settings
from app.db import make_engine
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


def direct_rate(engine, ids: list[int], port: int) -> float:
    """Messages per second replaying the stored messages straight over one SMTP connection."""
    with Session(engine) as session:
        rows = [
            (d.from_addr, d.recipients, d.raw)
            for d in session.exec(select(Delivery).where(Delivery.id.in_(ids)))
        ]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for sender, recipients, raw in rows:
            smtp.sendmail(sender, recipients, raw)
    return len(rows) / (time.perf_counter() - started)


def outbox_rate(factory, settings: Settings, count: int) -> float:
    """Messages per second through the worker (claim, send, record)."""
    started = time.perf_counter()
    sent = run_once(factory, settings=settings)
    elapsed = time.perf_counter() - started
    assert sent == count, f"worker sent {sent} of {count}"
    return count / elapsed


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--outage", type=float, default=0.0, help="also run the outage scenario (seconds down)"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mou-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    port = free_port()
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    servers = [controller]
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
    wait_for_port(sink_port)
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=tmp,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        worker_poll_seconds=0.05,
        delivery_backoff_seconds=0.2,
        delivery_max_attempts=30,
        smtp_timeout=5,
    )
    engine = make_engine(settings)
    factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731
    try:
        ids = seed(engine, settings, args.count)
        direct = direct_rate(engine, ids, sink_port)
        outbox = outbox_rate(factory, settings.model_copy(update={"smtp_port": sink_port}), args.count)
        ratio = outbox / direct
        print(f"{args.count} messages on {engine.dialect.name}")
        print(f"direct SMTP client : {direct:8.1f} msg/s")
        print(f"outbox worker      : {outbox:8.1f} msg/s")
        print(f"ratio              : {ratio:8.2f} (goal >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
        if args.outage:
            outage(factory, settings, engine, servers, handler, args.outage)
    finally:
        servers[-1].stop()
        sink.terminate()
        sink.wait(10)
        engine.dispose()


if __name__ == "__main__":
    main()
