"""The follow-up jobs the delivery worker runs: next-step reminders and the weekly digest."""

from __future__ import annotations

from sqlmodel import Session

from app.followup.digest import send_weekly_digests
from app.followup.reminders import send_due_reminders
from app.models import utcnow

REMINDER_EVERY_SECONDS = 300.0
DIGEST_EVERY_SECONDS = 300.0


def run_reminders(session: Session) -> int:
    """Worker entry: queue reminders for next steps that became overdue."""
    return send_due_reminders(session, utcnow())


def run_digests(session: Session) -> int:
    """Worker entry: queue this week's manager digests once their send time has passed."""
    return send_weekly_digests(session, utcnow())


def register_jobs() -> None:
    """Register both jobs with the worker loop (idempotent: jobs are keyed by name)."""
    from app.delivery.worker import register_periodic

    register_periodic("followup.reminders", run_reminders, REMINDER_EVERY_SECONDS)
    register_periodic("followup.digest", run_digests, DIGEST_EVERY_SECONDS)
