"""The weekly digest to each manager: what needs their attention in the team's MOUs.

Scheduling survives restarts and several workers: every worker runs the job every few minutes; once the
week's send time has passed, each (week, team, manager) is claimed by inserting a JobRun row whose
(name, period) is unique, in the same transaction as the digest's outbox row. The worker that inserts
first sends; the others hit the unique constraint and skip. A worker that was down on Monday sends late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.compose.context import STAGE_LABELS, first_name
from app.config import Settings, get_settings
from app.errors import DomainError
from app.followup.accounts import stage_moves
from app.followup.reminders import overdue_condition, today_of
from app.models import JobRun, Mou, MouStatus, Role, Team, User

log = logging.getLogger("mou.followup")

JOB_NAME = "digest"
SEND_WEEKDAY = 0  # Monday
SEND_HOUR_UTC = 7
MAX_ITEMS_PER_SECTION = 25
WAITING = (MouStatus.queued, MouStatus.sent, MouStatus.logged)


@dataclass
class DigestItem:
    """One MOU line in the digest, with every reason it is listed."""

    mou: Mou
    reasons: list[str] = field(default_factory=list)
    overdue: bool = False


def iso_week(now: datetime) -> tuple[int, int]:
    """(ISO year, ISO week) of an instant in UTC."""
    year, week, _ = now.astimezone(UTC).isocalendar()
    return year, week


def send_time(now: datetime) -> datetime:
    """When this ISO week's digest becomes due (Monday 07:00 UTC)."""
    day = now.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday() - SEND_WEEKDAY)
    return datetime.combine(monday, time(SEND_HOUR_UTC), tzinfo=UTC)


def period_key(now: datetime, team_id: int, manager_id: int) -> str:
    """The JobRun period that makes one digest per manager per team per week."""
    year, week = iso_week(now)
    return f"{year}-W{week:02d}-team{team_id}/manager{manager_id}"


def claim(session: Session, period: str, now: datetime) -> bool:
    """Insert this period's JobRun in a savepoint; False when another worker (or an earlier run) has it."""
    try:
        with session.begin_nested():
            session.add(JobRun(name=JOB_NAME, period=period, started_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True


def managers_with_teams(session: Session) -> list[tuple[User, Team]]:
    """Active managers and their teams."""
    stmt = (
        select(User, Team)
        .join(Team, Team.id == User.team_id)
        .where(User.role == Role.manager, User.is_active == true())
        .order_by(User.id)
    )
    return list(session.exec(stmt))


def _team_mous(session: Session, team_id: int, *conds: Any) -> list[Mou]:
    stmt = select(Mou).where(Mou.team_id == team_id, *conds).order_by(Mou.created_at, Mou.id)
    return list(session.exec(stmt.limit(MAX_ITEMS_PER_SECTION)))


def collect(session: Session, team_id: int, now: datetime) -> tuple[dict[int, DigestItem], dict[str, int]]:
    """The team's MOUs worth a look, by id, and a count per section."""
    items: dict[int, DigestItem] = {}

    def add(mous: list[Mou], reason: str, overdue: bool = False) -> int:
        for mou in mous:
            item = items.setdefault(mou.id or 0, DigestItem(mou))
            item.reasons.append(reason)
            item.overdue = item.overdue or overdue
        return len(mous)

    counts = {
        "Waiting for review": add(
            _team_mous(session, team_id, Mou.reviewed == False, Mou.status.in_(WAITING)),  # type: ignore[attr-defined]  # noqa: E712
            "unreviewed",
        ),
        "Incomplete drafts": add(
            _team_mous(session, team_id, Mou.status == MouStatus.held), "incomplete draft"
        ),
        "Customer next steps overdue": add(
            _team_mous(session, team_id, overdue_condition(today_of(now))), "next step overdue", overdue=True
        ),
    }
    moved = 0
    for account, point in stage_moves(session, team_id, now - timedelta(days=7), now):
        mou = next(m for m in account.mous if m.id == point.mou_id)
        label = STAGE_LABELS.get(point.moved_from or "", (point.moved_from,))[0]
        moved += add([mou], f"moved {label} → {point.stage_label}")
    counts["Customers who moved stage"] = moved
    return items, counts


def _long(now: datetime) -> str:
    day = now.astimezone(UTC).date()
    return f"{day.day} {day:%B %Y}"


def _item_context(item: DigestItem, reps: dict[int, str], settings: Settings) -> dict[str, Any]:
    from app.delivery.service import mou_url

    mou = item.mou
    return {
        "customer_name": mou.customer_name or mou.customer_email,
        "company": mou.company,
        "rep_name": reps.get(mou.rep_id, ""),
        "status_label": "; ".join(item.reasons).capitalize(),
        "stage_label": STAGE_LABELS.get(mou.stage or "", (None,))[0],
        "next_step": mou.next_step,
        "next_step_due": mou.next_step_due,
        "overdue": item.overdue,
        "url": mou_url(mou, settings),
    }


def digest_context(
    session: Session, manager: User, team: Team, now: datetime, settings: Settings
) -> dict[str, Any]:
    """Everything the digest template shows for one manager."""
    items, counts = collect(session, team.id or 0, now)
    rep_ids = {i.mou.rep_id for i in items.values()}
    reps = {u.id: u.name for u in session.exec(select(User).where(User.id.in_(rep_ids)))} if rep_ids else {}  # type: ignore[union-attr]
    ordered = sorted(items.values(), key=lambda i: (not i.overdue, i.mou.created_at))
    return {
        "recipient_first_name": first_name(manager.name) or manager.name,
        "team_name": team.name,
        "period_label": f"the week to {_long(now)}",
        "summary": [{"label": label, "value": value} for label, value in counts.items()],
        "items": [_item_context(i, reps, settings) for i in ordered],
        "queue_url": f"{settings.base_url.rstrip('/')}/queue",
    }


def send_weekly_digests(session: Session, now: datetime, settings: Settings | None = None) -> int:
    """Periodic job: once the week's send time has passed, queue each manager's digest exactly once."""
    if now < send_time(now):
        return 0
    from app.delivery.service import enqueue_notice

    settings = settings or get_settings()
    sent = 0
    for manager, team in managers_with_teams(session):
        period = period_key(now, team.id or 0, manager.id or 0)
        try:
            with session.begin_nested():
                if not claim(session, period, now):
                    continue
                context = digest_context(session, manager, team, now, settings)
                enqueue_notice(session, "digest", manager, "digest", context, settings=settings)
                sent += 1
        except DomainError as exc:  # claim and mail roll back together; the next run tries again
            log.warning("digest for manager %s not queued: %s", manager.id, exc.message)
    return sent
