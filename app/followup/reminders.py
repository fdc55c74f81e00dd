"""Overdue customer next steps, and the one reminder the rep gets for each."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from app.compose.context import first_name
from app.config import Settings, get_settings
from app.errors import DomainError
from app.models import Mou, MouStatus, User

log = logging.getLogger("mou.followup")

# The customer saw these memos (we sent them, or the rep did and logged them with us).
DELIVERED = (MouStatus.sent, MouStatus.logged)
MAX_PER_RUN = 200


def today_of(now: datetime) -> date:
    """The UTC calendar day of an instant (due dates are days, the clock is UTC)."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).date()


def newer_mou_for_customer() -> ColumnElement[bool]:
    """SQL: a later delivered MOU exists for the same customer address (the conversation moved on)."""
    newer = aliased(Mou)
    return exists().where(
        Mou.customer_email != "",
        func.lower(newer.customer_email) == func.lower(Mou.customer_email),
        newer.status.in_(DELIVERED),  # type: ignore[attr-defined]
        newer.created_at > Mou.created_at,
    )


def overdue_condition(today: date) -> ColumnElement[bool]:
    """SQL: the customer's next step is past due, they have not replied, and no newer MOU replaced it."""
    return and_(
        Mou.next_step_due.is_not(None),  # type: ignore[union-attr]
        Mou.next_step_due < today,  # type: ignore[operator]
        Mou.reply_status == "none",
        Mou.status.in_(DELIVERED),  # type: ignore[attr-defined]
        ~newer_mou_for_customer(),
    )


def claim_due(session: Session, now: datetime, limit: int = MAX_PER_RUN) -> list[int]:
    """Mark due MOUs reminded in one guarded UPDATE; returns the ids this caller won.

    `reminder_sent_at IS NULL` in the WHERE clause is the guard: a second worker's UPDATE waits for the
    first one's row locks (PostgreSQL) or the write lock (SQLite), then matches nothing."""
    due = select(Mou.id).where(overdue_condition(today_of(now)), Mou.reminder_sent_at.is_(None)).limit(limit)  # type: ignore[union-attr]
    stmt = (
        update(Mou)
        .where(Mou.id.in_(due.scalar_subquery()), Mou.reminder_sent_at.is_(None))  # type: ignore[union-attr]
        .values(reminder_sent_at=now)
        .returning(Mou.id)
    )
    return sorted(session.execute(stmt).scalars())


def reminder_context(mou: Mou, rep: User, now: datetime, settings: Settings) -> dict[str, object]:
    """What the reminder template shows."""
    from app.delivery.service import mou_url

    due = mou.next_step_due or today_of(now)
    return {
        "rep_first_name": first_name(rep.name) or rep.name,
        "customer_name": mou.customer_name,
        "company": mou.company,
        "next_step": mou.next_step,
        "next_step_due": due,
        "days_overdue": (today_of(now) - due).days,
        "mou_url": mou_url(mou, settings),
    }


def _enqueue_reminder(session: Session, mou: Mou, now: datetime, settings: Settings) -> bool:
    from app.delivery.service import enqueue_notice

    rep = session.get(User, mou.rep_id)
    if rep is None or not rep.is_active:
        return False
    context = reminder_context(mou, rep, now, settings)
    enqueue_notice(session, "reminder", rep, "reminder", context, mou=mou, settings=settings)
    return True


def send_due_reminders(session: Session, now: datetime, settings: Settings | None = None) -> int:
    """Periodic job: one reminder per overdue next step, queued in the same transaction as the claim."""
    settings = settings or get_settings()
    sent = 0
    for mou_id in claim_due(session, now):
        mou = session.get(Mou, mou_id)
        if mou is None:
            continue
        session.refresh(mou)
        try:
            with session.begin_nested():
                sent += _enqueue_reminder(session, mou, now, settings)
        except DomainError as exc:  # e.g. a rep address that is no longer valid: skip it, never retry-loop
            log.warning("reminder for MOU %s not queued: %s", mou_id, exc.message)
    return sent
