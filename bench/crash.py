"""Crash test: signed webhooks are posted while the server is killed with SIGKILL and restarted; the
sender retries what was not acknowledged, as providers do. Afterwards every acknowledged message is in
the inbox once, processed once, and there is exactly one MOU (and one customer delivery) per message.

    .venv/bin/python bench/crash.py                       # 2,000 messages, 3 kills, SQLite
    .venv/bin/python bench/crash.py --db postgresql       # on PostgreSQL (MOU_TEST_DATABASE_URL)

The fast version (200 messages, one kill) runs in the test suite: tests/harness/test_crash.py."""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

# Run as a script: the repo root instead of bench/ (bench/queue.py would shadow the stdlib's queue).
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx
from sqlalchemy import create_engine, text

from app.db import normalise_url
from bench.benchlib import (
    SendGridSigner,
    Server,
    migrate,
    pg_database,
    pg_url_default,
    raw_email,
    seed_rep,
    sendgrid_form,
    sqlite_url,
)


@dataclass
class CrashResult:
    """What the run observed; `problems` is empty when every promise held."""

    count: int
    kills: int
    acknowledged: int = 0
    attempts: int = 0
    failed_attempts: int = 0
    inbox_rows: int = 0
    processed: int = 0
    mous: int = 0
    customer_deliveries: int = 0
    sent_files: int = 0
    duplicate_sends: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One paragraph for people."""
        return (
            f"{self.count} messages, {self.kills} SIGKILL(s), {self.attempts} POSTs "
            f"({self.failed_attempts} unacknowledged and retried) in {self.seconds:.1f}s: "
            f"{self.acknowledged} acknowledged, {self.inbox_rows} in the inbox, {self.processed} processed, "
            f"{self.mous} MOUs, {self.customer_deliveries} customer deliveries, {self.sent_files} sent, "
            f"{self.duplicate_sends} sent twice. "
            + ("ALL PROMISES HELD" if not self.problems else "PROBLEMS: " + "; ".join(self.problems))
        )


class Sender:
    """A provider: posts each message until it gets a 2xx, re-signing each attempt."""

    def __init__(self, server: Server, raws: list[bytes], concurrency: int) -> None:
        self.server, self.raws, self.concurrency = server, raws, concurrency
        self.todo = collections.deque(range(len(raws)))
        self.acked: dict[int, int] = {}
        self.lock = threading.Lock()
        self.attempts = self.failed = 0
        self.signer = SendGridSigner()

    def _next(self) -> int | None:
        with self.lock:
            return self.todo.popleft() if self.todo else None

    def _worker(self, deadline: float) -> None:
        with httpx.Client(base_url=self.server.url, timeout=15) as client:
            while time.monotonic() < deadline:
                n = self._next()
                if n is None:
                    with self.lock:
                        if len(self.acked) == len(self.raws):
                            return
                    time.sleep(0.05)
                    continue
                body = sendgrid_form(self.raws[n])
                ok = False
                try:
                    response = client.post(
                        "/webhooks/inbound/sendgrid", content=body, headers=self.signer.headers(body)
                    )
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    pass
                with self.lock:
                    self.attempts += 1
                    if ok:
                        self.acked[n] = response.json()["id"]
                    else:
                        self.failed += 1
                        self.todo.append(n)  # retried later, like a provider's retry queue
                if not ok:
                    time.sleep(0.1)

    def run(self, timeout: float) -> None:
        """Post everything (with retries) using `concurrency` connections."""
        deadline = time.monotonic() + timeout
        threads = [threading.Thread(target=self._worker, args=(deadline,)) for _ in range(self.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _killer(server: Server, sender: Sender, kills: int, stop: threading.Event, log: list[str]) -> None:
    total = len(sender.raws)
    for k in range(1, kills + 1):
        threshold = total * k // (kills + 1)
        while len(sender.acked) < threshold and not stop.is_set():
            time.sleep(0.01)
        if stop.is_set():
            return
        server.kill()
        log.append(f"SIGKILL at {len(sender.acked)} acknowledged")
        time.sleep(0.5)
        server.start(timeout=60)


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _wait_processed(engine, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            _count(engine, "SELECT count(*) FROM inbound_message WHERE status IN ('received','processing')")
            == 0
        ):
            return
        time.sleep(0.25)


def _sent_message_ids(outbox: Path) -> list[str]:
    parser = BytesHeaderParser()
    return [str(parser.parsebytes(p.read_bytes())["Message-ID"]) for p in sorted(outbox.glob("*.eml"))]


def run_crash(
    count: int,
    kills: int,
    work_dir: Path,
    database_url: str | None = None,
    concurrency: int = 8,
    timeout: float = 600.0,
    log: list[str] | None = None,
) -> CrashResult:
    """Run the scenario on a fresh database (SQLite under work_dir unless a URL is given)."""
    log = [] if log is None else log
    data_dir = work_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or sqlite_url(data_dir)
    migrate(url)
    seed_rep(url, data_dir)
    signer = SendGridSigner()
    env = {
        "MOU_SENDGRID_PUBLIC_KEY": signer.public_key_b64,
        "MOU_WORKER_IN_PROCESS": "true",
        "MOU_WORKER_POLL_SECONDS": "0.2",
        "MOU_MAIL_BACKEND": "file",
    }
    run = uuid.uuid4().hex[:8]
    raws = [raw_email(n, run=run) for n in range(count)]
    result = CrashResult(count=count, kills=kills)
    server = Server(data_dir, database_url=url, extra_env=env).start(timeout=60)
    started = time.monotonic()
    sender = Sender(server, raws, concurrency)
    stop = threading.Event()
    killer = threading.Thread(target=_killer, args=(server, sender, kills, stop, log))
    killer.start()
    try:
        sender.run(timeout)
        stop.set()
        killer.join()
        engine = create_engine(normalise_url(url))
        _wait_processed(engine, timeout=max(60.0, count * 0.5))
        result.seconds = time.monotonic() - started
        _verify(result, sender, engine, raws, data_dir / "outbox", run)
        engine.dispose()
    finally:
        stop.set()
        server.stop()
    log.extend(result.problems)
    return result


def _verify(result: CrashResult, sender: Sender, engine, raws: list[bytes], outbox: Path, run: str) -> None:
    result.acknowledged, result.attempts, result.failed_attempts = (
        len(sender.acked),
        sender.attempts,
        sender.failed,
    )
    problems = result.problems
    if result.acknowledged != result.count:
        problems.append(f"only {result.acknowledged} of {result.count} acknowledged before the timeout")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, message_id, status, outcome, mou_id FROM inbound_message")).all()
    by_id = {r.id: r for r in rows}
    result.inbox_rows = len(rows)
    lost = [n for n, inbound_id in sender.acked.items() if inbound_id not in by_id]
    if lost:
        problems.append(f"{len(lost)} acknowledged message(s) missing from the inbox")
    expected = {f"<bench-{run}-{n}@acme-sales.example>" for n in range(result.count)}
    # A retry of a request that was stored but not acknowledged is a second row; the worker records it
    # as a duplicate of the first (no MOU, no mail). Each message must have exactly one original.
    originals = [r for r in rows if r.outcome != "duplicate"]
    stored = collections.Counter(r.message_id for r in originals)
    copies = [r for r in rows if r.outcome == "duplicate"]
    if set(stored) != expected or max(stored.values(), default=0) > 1 or any(r.mou_id for r in copies):
        problems.append("the inbox does not hold each message exactly once")
    result.processed = sum(1 for r in originals if r.status == "processed")
    if result.processed != result.count or any(r.status != "processed" for r in copies):
        problems.append(f"{result.count - result.processed} message(s) not processed")
    outcomes = collections.Counter(r.outcome for r in originals)
    if outcomes.get("mou_queued", 0) != result.count:
        problems.append(f"unexpected outcomes {dict(outcomes)}")
    result.mous = _count(engine, "SELECT count(*) FROM mou")
    per_inbound = _count(engine, "SELECT count(DISTINCT inbound_id) FROM mou")
    if result.mous != result.count or per_inbound != result.count:
        problems.append(f"{result.mous} MOUs for {result.count} messages ({per_inbound} distinct inbound)")
    result.customer_deliveries = _count(engine, "SELECT count(*) FROM delivery WHERE kind = 'customer_mou'")
    if result.customer_deliveries != result.count:
        problems.append(f"{result.customer_deliveries} customer deliveries for {result.count} MOUs")
    sent = _sent_message_ids(outbox) if outbox.exists() else []
    result.sent_files = len(sent)
    result.duplicate_sends = sum(c - 1 for c in collections.Counter(sent).values() if c > 1)
    if result.duplicate_sends:
        problems.append(f"{result.duplicate_sends} message(s) sent twice")


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=pg_url_default())
    args = parser.parse_args()
    log: list[str] = []
    database = pg_database(args.pg_url) if args.db == "postgresql" else contextlib.nullcontext()
    with tempfile.TemporaryDirectory(prefix="mou-crash-") as tmp, database as url:
        result = run_crash(args.count, args.kills, Path(tmp), url, args.concurrency, log=log)
    for line in log:
        print(line)
    print(f"{args.db}: {result.summary()}")
    return 0 if not result.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
