"""The outbox rows' state changes, each one SQL statement: claim a batch, record an outcome, hand back
unsent claims, sweep abandoned ones.

Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the claim is a single `UPDATE ... WHERE
id = (SELECT ...) AND status = 'queued' RETURNING id`, which takes the database's write lock, so two
workers never get one row. Every change commits at once: the send loop (`worker`) never holds a snapshot
open while it talks SMTP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, Text, Update, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from app.models import Delivery, Mou, MouStatus

log = logging.getLogger("mou.delivery")

CLAIM_BATCH = 10  # rows per claim transaction: amortises the claim without holding many rows in `sending`

_CLAIMED = (
    Delivery.id,
    Delivery.kind,
    Delivery.mou_id,
    Delivery.from_addr,
    Delivery.recipients,
    Delivery.raw,
    Delivery.attempts,
    Delivery.next_attempt_at,
)
_TIME = Delivery.__table__.c.claimed_at.type


def _claim_statement() -> Update:
    # MATERIALIZED: evaluated once. As `id IN (subquery)` PostgreSQL may plan a semi-join that rescans
    # the subquery for every outer row, locking and claiming far more than `size` rows.
    due = (
        select(Delivery.id)
        .where(Delivery.status == "queued", Delivery.next_attempt_at <= bindparam("now", type_=_TIME))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(bindparam("size", type_=Integer))
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders no locking clause
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    return (
        update(Delivery)
        .where(Delivery.id == due.c.id, Delivery.status == "queued")
        .values(
            status="sending",
            claimed_by=bindparam("claimer", type_=String),
            claimed_at=bindparam("now", type_=_TIME),
            attempts=Delivery.attempts + 1,
        )
        .returning(*_CLAIMED)
    )


# Built once: constructing and cache-keying statements per message costs more than running them on SQLite.
_CLAIM = _claim_statement()
_MINE = (
    Delivery.id == bindparam("delivery_id", type_=Integer),
    Delivery.status == "sending",
    Delivery.claimed_by == bindparam("claimer", type_=String),
)
_RECORD = {
    "sent": update(Delivery)
    .where(*_MINE)
    .values(status="sent", last_error=bindparam("error", type_=Text), sent_at=bindparam("now", type_=_TIME)),
    "retry": update(Delivery)
    .where(*_MINE)
    .values(
        status="queued",
        last_error=bindparam("error", type_=Text),
        next_attempt_at=bindparam("retry_at", type_=_TIME),
        claimed_by=None,
        claimed_at=None,
    ),
    "final": update(Delivery)
    .where(*_MINE)
    .values(status=bindparam("new_status", type_=String), last_error=bindparam("error", type_=Text)),
}
_MOU_VALUES = {
    "sent": {
        "status": MouStatus.sent,
        "updated_at": bindparam("now", type_=_TIME),
        "sent_at": bindparam("now", type_=_TIME),
    },
    "failed": {"status": MouStatus.failed, "updated_at": bindparam("now", type_=_TIME)},
}
_MOU = {
    status: update(Mou)
    .where(Mou.id == bindparam("mou_id_", type_=Integer), Mou.status == MouStatus.queued)
    .values(**values)
    for status, values in _MOU_VALUES.items()
}


def _record_with_mou(status: str) -> Update:
    # PostgreSQL: the delivery and its MOU in one statement (a data-modifying CTE), one round trip.
    recorded = _RECORD["sent" if status == "sent" else "final"].returning(Delivery.mou_id).cte("recorded")
    return (
        update(Mou)
        .where(Mou.id == recorded.c.mou_id, Mou.status == MouStatus.queued)
        .values(**_MOU_VALUES[status])
    )


_PG_RECORD_WITH_MOU = {status: _record_with_mou(status) for status in _MOU_VALUES}
_RELEASE = (
    update(Delivery)
    .where(
        Delivery.id.in_(bindparam("ids", expanding=True)),
        Delivery.status == "sending",
        Delivery.claimed_by == bindparam("claimer", type_=String),
    )
    .values(status="queued", claimed_by=None, claimed_at=None, attempts=Delivery.attempts - 1)
)


Db = Session | Connection


def _conn(db: Db) -> Connection:
    # Core execution: an ORM-enabled UPDATE would also synchronise the session, which we do not need.
    return db.connection() if isinstance(db, Session) else db


def claim_rows(db: Db, claimer: str, now: datetime, size: int = CLAIM_BATCH) -> list[Any]:
    """Atomically move up to `size` due rows from queued to sending and commit; them, in queue order.

    One statement claims the batch: `WITH due AS MATERIALIZED (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)
    UPDATE ... FROM due WHERE status = 'queued' RETURNING ...`, so no snapshot stays open and two
    workers never share a row."""
    rows = _conn(db).execute(_CLAIM, {"now": now, "size": size, "claimer": claimer}).all()
    db.commit()  # durable before any SMTP talk: a lost claim could mean a second send
    rows.sort(key=lambda row: (row.next_attempt_at, row.id))  # RETURNING order is unspecified
    return rows


def claim_row(session: Session, claimer: str, now: datetime) -> Any:
    """Claim one due row and commit; what sending needs, or None."""
    rows = claim_rows(session, claimer, now, 1)
    return rows[0] if rows else None


def claim_next(session: Session, claimer: str, now: datetime) -> int | None:
    """Atomically move the next due row from queued to sending and commit; its id, or None."""
    row = claim_row(session, claimer, now)
    return row.id if row is not None else None


def mark_stale(session: Session, now: datetime, older_than: timedelta) -> int:
    """Move abandoned `sending` rows to `uncertain` (never resend them blindly); how many."""
    stmt = (
        update(Delivery)
        .where(Delivery.status == "sending", Delivery.claimed_at < now - older_than)
        .values(
            status="uncertain",
            last_error="The worker stopped while sending; the message may or may not have been delivered. "
            "Check with the recipient, then send it again from the outbox if it did not arrive.",
        )
    )
    count = session.connection().execute(stmt).rowcount
    session.commit()
    if count:
        log.warning("%d delivery(ies) left in 'sending' marked uncertain", count)
    return count


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended, as values for the row."""

    status: str
    error: str | None = None
    retry_at: datetime | None = None


def record_outcome(db: Db, delivery: Any, claimer: str, outcome: Outcome, now: datetime) -> None:
    """Store how one attempt ended (and its MOU's new status) and commit."""
    params: dict[str, Any] = {
        "delivery_id": delivery.id,
        "claimer": claimer,
        "error": outcome.error,
        "now": now,
    }
    if outcome.status == "sent":
        stmt = _RECORD["sent"]
    elif outcome.retry_at is not None:
        stmt, params["retry_at"] = _RECORD["retry"], outcome.retry_at
    else:
        stmt, params["new_status"] = _RECORD["final"], outcome.status
    conn = _conn(db)
    with_mou = delivery.kind == "customer_mou" and delivery.mou_id and outcome.status in _MOU
    if with_mou and conn.dialect.name == "postgresql":
        conn.execute(_PG_RECORD_WITH_MOU[outcome.status], params)
    else:
        conn.execute(stmt, params)
        if with_mou:
            conn.execute(_MOU[outcome.status], {"mou_id_": delivery.mou_id, "now": now})
    db.commit()  # per message: a crash after this 250 leaves only this row in `sending`


def release(db: Db, rows: list[Any], claimer: str) -> None:
    """Hand claimed rows that never reached the sender back to the queue (their claim did not count)."""
    try:
        db.rollback()
        _conn(db).execute(_RELEASE, {"ids": [row.id for row in rows], "claimer": claimer})
        db.commit()
    except Exception:  # they stay in `sending` and become `uncertain` later: safe, if not helpful
        log.exception("could not release %d claimed delivery(ies)", len(rows))
