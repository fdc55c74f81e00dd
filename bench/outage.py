"""Outage test, end to end: the app (uvicorn, in-process worker, `smtp` backend) takes complete drafts
by signed webhook while its SMTP server is down; the server comes back after a while; every customer
MOU must then go out exactly once.

    .venv/bin/python bench/outage.py [--count 200] [--outage 20] [--db postgresql]

The suite's fast version of the same promise is tests/delivery/test_worker.py
(test_server_down_at_first_every_delivery_goes_out_exactly_once), on the outbox worker directly."""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

# Run as a script: the repo root instead of bench/ (bench/queue.py would shadow the stdlib's queue).
if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from app.db import normalise_url
from bench.benchlib import (
    SendGridSigner,
    Server,
    free_port,
    migrate,
    pg_database,
    pg_url_default,
    raw_email,
    seed_rep,
    sendgrid_form,
    sqlite_url,
)


@dataclass
class Recorder:
    """aiosmtpd handler keeping the Message-ID and envelope of every accepted message."""

    received: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        """Accept and record."""
        headers = BytesHeaderParser().parsebytes(envelope.content)
        self.received.append((str(headers["Message-ID"]), list(envelope.rcpt_tos)))
        return "250 OK"


def _statuses(engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM delivery GROUP BY status")).all()
    return {status: int(n) for status, n in rows}


def run_outage(count: int, outage: float, work: Path, database_url: str | None) -> list[str]:
    """Drive the scenario; the problems found (empty when every delivery went out exactly once)."""
    data_dir = work / "data"
    data_dir.mkdir(parents=True)
    url = database_url or sqlite_url(data_dir)
    migrate(url)
    seed_rep(url, data_dir)
    signer, smtp_port = SendGridSigner(), free_port()
    env = {
        "MOU_SENDGRID_PUBLIC_KEY": signer.public_key_b64,
        "MOU_MAIL_BACKEND": "smtp",
        "MOU_SMTP_HOST": "127.0.0.1",
        "MOU_SMTP_PORT": str(smtp_port),
        "MOU_SMTP_TIMEOUT": "5",
        "MOU_WORKER_POLL_SECONDS": "0.2",
        "MOU_DELIVERY_BACKOFF_SECONDS": "1",
    }
    recorder = Recorder()
    engine = create_engine(normalise_url(url))
    run = uuid.uuid4().hex[:8]
    with Server(data_dir, database_url=url, extra_env=env) as server:
        down_since = time.monotonic()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for n in range(count):
                body = sendgrid_form(raw_email(n, run=run))
                response = client.post(
                    "/webhooks/inbound/sendgrid", content=body, headers=signer.headers(body)
                )
                assert response.status_code == 200, response.text
        print(f"{count} drafts acknowledged; SMTP down; statuses {_statuses(engine)}", flush=True)
        time.sleep(max(0.0, outage - (time.monotonic() - down_since)))
        print(f"after {outage:.0f}s of outage: {_statuses(engine)}; SMTP back up", flush=True)
        controller = Controller(recorder, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        back = time.monotonic()
        try:
            deadline = back + 300
            while time.monotonic() < deadline:
                statuses = _statuses(engine)
                if sum(statuses.values()) >= count and set(statuses) <= {"sent", "failed", "uncertain"}:
                    break
                time.sleep(0.5)
            drained = time.monotonic() - back
        finally:
            controller.stop()
    statuses = _statuses(engine)
    with engine.connect() as conn:
        customer_ids = [r[0] for r in conn.execute(text("SELECT message_id FROM delivery")).all()]
        mous = int(conn.execute(text("SELECT count(*) FROM mou")).scalar_one())
    engine.dispose()
    seen = collections.Counter(mid for mid, _ in recorder.received)
    problems = []
    if mous != count:
        problems.append(f"{mous} MOUs for {count} drafts")
    if statuses.get("sent", 0) != len(customer_ids):
        problems.append(f"not all deliveries sent: {statuses}")
    twice = [mid for mid, n in seen.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} message(s) received twice")
    missing = [mid for mid in customer_ids if mid not in seen]
    if missing:
        problems.append(f"{len(missing)} delivery(ies) never received")
    print(
        f"SMTP back for {drained:.1f}s until the outbox drained; deliveries {statuses}; "
        f"{len(recorder.received)} messages received by SMTP for {len(customer_ids)} deliveries "
        f"({mous} MOUs); received twice: {len(twice)}; never received: {len(missing)}"
    )
    return problems


def main() -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--outage", type=float, default=20.0, help="seconds the SMTP server is down")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=pg_url_default())
    args = parser.parse_args()
    database = pg_database(args.pg_url) if args.db == "postgresql" else contextlib.nullcontext()
    with tempfile.TemporaryDirectory(prefix="mou-outage-") as tmp, database as url:
        problems = run_outage(args.count, args.outage, Path(tmp), url)
    print(f"{args.db}: " + ("EVERY DELIVERY WENT OUT EXACTLY ONCE" if not problems else "; ".join(problems)))
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
