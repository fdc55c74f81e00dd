"""The delivery worker: claims due outbox rows, sends them, records the outcome; runs periodic jobs too.

Exactly-once, as far as SMTP allows: a row is committed as `sending` (with who claimed it and when) before
the SMTP conversation starts, and as `sent` right after the server's 250. The claim and record statements
live in `claims`; this module is the send loop around them.

Stale-claim policy: a row still in `sending` after `stale_after` belongs to a worker that died between
talking SMTP and recording the result. The message may already be in the customer's mailbox, and a
duplicate customer email is worse than a late one, so such rows become `uncertain` and wait for a person
(see `service.requeue`). The same goes for a connection lost after the message data was sent.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.config import Settings, get_settings
from app.db import make_engine
from app.delivery.claims import CLAIM_BATCH, Db, Outcome, claim_rows, mark_stale, record_outcome, release
from app.delivery.errors import AmbiguousFailure, PermanentFailure, TemporaryFailure
from app.delivery.periodic import SessionFactory, run_periodic
from app.delivery.senders import Sender, SendResult, get_sender
from app.models import Delivery, utcnow

log = logging.getLogger("mou.delivery")

MAX_BACKOFF_SECONDS = 6 * 3600
MIN_STALE_SECONDS = 300.0


def worker_id() -> str:
    """A name for this worker in `claimed_by`: host, process and a random suffix."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff_seconds(attempts: int, base: float) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), capped, plus up to half of it at random."""
    delay = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return delay + random.uniform(0, delay / 2)


def stale_after(settings: Settings) -> timedelta:
    """How long a claim may stay in `sending` before it counts as abandoned."""
    return timedelta(seconds=max(MIN_STALE_SECONDS, settings.smtp_timeout * 10))


def _outcome(delivery: Any, sender: Sender, settings: Settings, now: datetime) -> Outcome:
    try:
        result: SendResult = sender.send(delivery.from_addr, list(delivery.recipients), delivery.raw)
    except TemporaryFailure as exc:
        if delivery.attempts >= settings.delivery_max_attempts:
            return Outcome("failed", f"gave up after {delivery.attempts} attempts: {exc}")
        delay = backoff_seconds(delivery.attempts, settings.delivery_backoff_seconds)
        return Outcome("queued", str(exc), now + timedelta(seconds=delay))
    except PermanentFailure as exc:
        return Outcome("failed", str(exc))
    except AmbiguousFailure as exc:
        return Outcome("uncertain", str(exc))
    except Exception as exc:  # an unknown failure may have happened after delivery: do not resend
        log.exception("unexpected error sending delivery %s", delivery.id)
        return Outcome("uncertain", f"unexpected error: {exc!r}")
    refused = "; ".join(f"{rcpt}: {why}" for rcpt, why in result.refused.items())
    return Outcome("sent", f"refused by the server: {refused}" if refused else None)


def deliver_batch(
    session_factory: SessionFactory, sender: Sender, settings: Settings, claimer: str, size: int = CLAIM_BATCH
) -> int:
    """Claim up to `size` due rows in one transaction, then send and record each; how many were tried."""
    with session_factory() as session:
        bind = session.get_bind()
        if not isinstance(bind, Engine):  # a session joined to an outer transaction (tests)
            return _deliver_batch(session, sender, settings, claimer, size)
        # One connection for the batch: no pool checkout (and PostgreSQL ping) per message. On PostgreSQL
        # it autocommits: the claim and each record are single statements, so each is its own durable
        # transaction without BEGIN and COMMIT round trips (the pool resets the mode on return).
        with bind.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            return _deliver_batch(conn, sender, settings, claimer, size)


def _deliver_batch(db: Db, sender: Sender, settings: Settings, claimer: str, size: int) -> int:
    # Every claim and record commits, so no snapshot stays open during the slow SMTP talk (SQLite could
    # not upgrade it to a write afterwards; PostgreSQL would sit idle in transaction).
    claimed_at = utcnow()
    batch = claim_rows(db, claimer, claimed_at, size)
    # A row waiting in the batch must not look abandoned to mark_stale in another worker.
    deadline = claimed_at + stale_after(settings) / 2
    tried = 0
    with _outcomes_without_flush_wait(db):
        try:
            for delivery in batch:
                if utcnow() > deadline:
                    break
                tried += 1  # counted before sending: from here on the row is never handed back
                outcome = _outcome(delivery, sender, settings, utcnow())
                record_outcome(db, delivery, claimer, outcome, utcnow())
                log.info("delivery %s (%s): %s", delivery.id, delivery.kind, outcome.status)
        finally:
            if tried < len(batch):
                release(db, batch[tried:], claimer)
    return tried


@contextmanager
def _outcomes_without_flush_wait(db: Db) -> Iterator[None]:
    """On the PostgreSQL batch connection, commit outcomes without waiting for their WAL flush.

    The claim before this has been committed with a flush: it must survive anything, or a row could go
    back to `queued` after its message went out. An outcome commit is visible at once and durable a
    moment later; only a database crash in that moment can undo it, and then the row is back in
    `sending`, as if the worker had died before recording it: it becomes `uncertain`, never resent."""
    if not (isinstance(db, Connection) and db.dialect.name == "postgresql"):
        yield
        return
    db.exec_driver_sql("SET synchronous_commit = off")
    try:
        yield
    finally:
        try:  # the connection goes back to the pool: the next claim must wait for its flush again
            db.exec_driver_sql("RESET synchronous_commit")
        except Exception:
            db.invalidate()


def deliver_one(session_factory: SessionFactory, sender: Sender, settings: Settings, claimer: str) -> bool:
    """Claim, send and record one due delivery; False when nothing is due."""
    return deliver_batch(session_factory, sender, settings, claimer, size=1) > 0


def run_once(
    session_factory: SessionFactory,
    *,
    settings: Settings | None = None,
    sender: Sender | None = None,
    limit: int | None = None,
    claimer: str | None = None,
) -> int:
    """Send everything that is due now (one connection for the batch); how many rows were attempted."""
    settings = settings or get_settings()
    sender = sender or get_sender(settings)
    claimer = claimer or worker_id()
    with session_factory() as session:
        mark_stale(session, utcnow(), stale_after(settings))
    count = 0
    try:
        while limit is None or count < limit:
            size = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - count)
            tried = deliver_batch(session_factory, sender, settings, claimer, size)
            if not tried:
                break
            count += tried
    finally:
        sender.close()
    return count


def default_session_factory(settings: Settings) -> SessionFactory:
    """Sessions over a new engine for the configured database (a worker process owns its own)."""
    engine = make_engine(settings)
    return lambda: Session(engine, expire_on_commit=False)


def run_worker(
    stop_event: threading.Event,
    *,
    settings: Settings | None = None,
    session_factory: SessionFactory | None = None,
) -> None:
    """Loop until `stop_event` is set: send what is due, run periodic jobs, sleep the poll interval."""
    settings = settings or get_settings()
    session_factory = session_factory or default_session_factory(settings)
    claimer = worker_id()
    log.info("delivery worker %s started (%s backend)", claimer, settings.mail_backend)
    while not stop_event.is_set():
        try:
            run_once(session_factory, settings=settings, claimer=claimer)
            run_periodic(session_factory)
        except Exception:  # the database or the mail server may be down for a while: keep polling
            log.exception("delivery worker iteration failed")
        stop_event.wait(settings.worker_poll_seconds)
    log.info("delivery worker %s stopped", claimer)


def pending(session_factory: SessionFactory) -> int:
    """Rows still queued or being sent (for `--until-idle` and benchmarks)."""
    with session_factory() as session:
        query = select(func.count()).select_from(Delivery).where(Delivery.status.in_(("queued", "sending")))
        return int(session.execute(query).scalar_one())


def start_in_process_worker(app_state: Any) -> Callable[[], None]:
    """Start the worker in a background thread of the web process; returns the function that stops it."""
    settings: Settings = app_state.settings
    stop_event = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(stop_event,),
        kwargs={"settings": settings, "session_factory": app_state.session_factory},
        name="mou-delivery-worker",
        daemon=True,
    )
    thread.start()
    app_state.delivery_worker = (thread, stop_event)

    def stop() -> None:
        stop_event.set()
        thread.join(timeout=settings.smtp_timeout + 5)

    return stop


def stop_in_process_worker(app_state: Any) -> None:
    """Stop the worker started by start_in_process_worker (no-op when none runs)."""
    worker = getattr(app_state, "delivery_worker", None)
    if worker is not None:
        thread, stop_event = worker
        stop_event.set()
        thread.join(timeout=app_state.settings.smtp_timeout + 5)
        app_state.delivery_worker = None


def main(argv: list[str] | None = None) -> int:
    """`python -m app.delivery.worker [--until-idle]`: a worker process on the configured database."""
    parser = argparse.ArgumentParser(description="MOU Assistant delivery worker")
    parser.add_argument("--until-idle", action="store_true", help="exit once nothing is queued or sending")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    session_factory = default_session_factory(settings)
    if not args.until_idle:
        run_worker(threading.Event(), settings=settings, session_factory=session_factory)
        return 0
    claimer = worker_id()
    while run_once(session_factory, settings=settings, claimer=claimer) or pending(session_factory):
        time.sleep(settings.worker_poll_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
