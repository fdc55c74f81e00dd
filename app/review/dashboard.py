"""Dashboard figures, each one SQL aggregate over the memos the user may see (never row by row)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, String, case, cast, func, or_
from sqlmodel import Session, select

from app.accounts.service import mou_visibility
from app.checking.model import PHASES, REQUIRED
from app.compose.context import STAGE_LABELS
from app.followup.reminders import overdue_condition
from app.models import ELEMENT_BITS, STAGE_ORDER, Mou, User, utcnow
from app.review import schemas

DAY_BUCKETS = (
    ("same day", 0, 0),
    ("1 day", 1, 1),
    ("2–3 days", 2, 3),
    ("4–7 days", 4, 7),
    ("8+ days", 8, None),
)
NEXT_STEP_ITEMS = 20


def _days_to_mou(session: Session) -> ColumnElement[Any]:
    """Whole days from the meeting to the memo, in this database's date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(cast(Mou.created_at, Date) - Mou.meeting_date, Integer)
    return cast(func.julianday(func.date(Mou.created_at)) - func.julianday(Mou.meeting_date), Integer)


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def stage_counts(session: Session, user: User) -> tuple[dict[str, int], int]:
    """Customers by their latest memo's stage: ({stage: count}, customers without a stage)."""
    customer = func.coalesce(
        func.nullif(func.lower(Mou.customer_email), ""), func.lower(Mou.company), cast(Mou.id, String)
    )
    latest = select(func.max(Mou.id)).where(mou_visibility(user)).group_by(Mou.team_id, customer)
    stmt = select(Mou.stage_rank, func.count()).where(Mou.id.in_(latest)).group_by(Mou.stage_rank)
    counts = dict(session.exec(stmt).all())
    by_stage = {stage: counts.get(i, 0) for i, stage in enumerate(STAGE_ORDER)}
    unknown = sum(n for rank, n in counts.items() if rank >= len(STAGE_ORDER))
    return by_stage, unknown


def phases(by_stage: dict[str, int]) -> list[schemas.PhaseOut]:
    """The eight stages grouped into their four phases."""
    out = []
    for phase, phase_stages in PHASES.items():
        stages = [
            schemas.StageCount(stage=s, label=STAGE_LABELS[s][0], count=by_stage[s]) for s in phase_stages
        ]
        out.append(
            schemas.PhaseOut(
                phase=phase, label=phase.title(), count=sum(s.count for s in stages), stages=stages
            )
        )
    return out


def days_to_mou(session: Session, user: User) -> schemas.DaysToMou:
    """Average days from meeting to memo and a histogram (memos dated before the meeting are skipped)."""
    days = _days_to_mou(session)
    buckets = [
        _count_if(days >= low if high is None else days.between(low, high)).label(f"b{i}")
        for i, (_, low, high) in enumerate(DAY_BUCKETS)
    ]
    stmt = select(func.avg(days), func.count(), *buckets).where(
        mou_visibility(user), Mou.meeting_date.is_not(None), days >= 0
    )
    row = session.exec(stmt).one()
    return schemas.DaysToMou(
        average_days=round(float(row[0]), 1) if row[0] is not None else None,
        measured=int(row[1]),
        buckets=[schemas.Bucket(label=b[0], count=int(n)) for b, n in zip(DAY_BUCKETS, row[2:], strict=True)],
    )


def rep_stats(session: Session, user: User) -> list[schemas.RepStats]:
    """Per rep: memos, first-time completeness, the element missed most and days to memo."""
    days = _days_to_mou(session)
    misses = [_count_if(Mou.missing_mask.op("&")(ELEMENT_BITS[name]) != 0) for name in REQUIRED]
    timely = case((Mou.meeting_date.is_not(None) & (days >= 0), days), else_=None)
    stmt = (
        select(User, func.count(Mou.id), _count_if(Mou.complete.is_(True)), func.avg(timely), *misses)
        .join(User, User.id == Mou.rep_id)
        .where(mou_visibility(user))
        .group_by(User.id)
        .order_by(User.name, User.id)
    )
    return [_rep_row(row) for row in session.exec(stmt)]


def _rep_row(row: Any) -> schemas.RepStats:
    rep, total, complete, avg_days, *missed = row
    worst = max(range(len(REQUIRED)), key=lambda i: missed[i])
    return schemas.RepStats(
        rep=schemas.person_out(rep),
        mous=total,
        complete_first_time=int(complete),
        completeness_rate=round(int(complete) / total, 3) if total else None,
        most_missed=REQUIRED[worst] if missed[worst] else None,
        most_missed_count=int(missed[worst]),
        average_days_to_mou=round(float(avg_days), 1) if avg_days is not None else None,
    )


def next_steps(session: Session, user: User, today: date) -> schemas.NextSteps:
    """Customer next steps overdue (as the reminders define it) or due within a week, soonest first."""
    soon = today + timedelta(days=7)
    scope = (mou_visibility(user), Mou.next_step_due.is_not(None))
    is_overdue, is_due_soon = overdue_condition(today), Mou.next_step_due.between(today, soon)
    counts = select(_count_if(is_overdue), _count_if(is_due_soon))
    overdue, due_soon = session.exec(counts.where(*scope)).one()
    items_stmt = (
        select(Mou, User.name)
        .join(User, User.id == Mou.rep_id)
        .where(*scope, or_(is_overdue, is_due_soon))
        .order_by(Mou.next_step_due, Mou.id)
        .limit(NEXT_STEP_ITEMS)
    )
    items = [
        schemas.NextStepOut(
            mou_id=m.id,
            customer_name=m.customer_name,
            company=m.company,
            rep_name=name,
            next_step=m.next_step,
            next_step_due=m.next_step_due,
            overdue=m.next_step_due < today,
        )
        for m, name in session.exec(items_stmt)
    ]
    return schemas.NextSteps(overdue=int(overdue), due_soon=int(due_soon), items=items)


def dashboard(session: Session, user: User, today: date | None = None) -> schemas.DashboardOut:
    """All dashboard figures for this user's scope (team for managers, all for admins, own for reps)."""
    today = today or utcnow().date()
    by_stage, unknown = stage_counts(session, user)
    total = session.exec(select(func.count()).select_from(Mou).where(mou_visibility(user))).one()
    return schemas.DashboardOut(
        total_mous=total,
        customers=sum(by_stage.values()) + unknown,
        phases=phases(by_stage),
        unknown_stage=unknown,
        days_to_mou=days_to_mou(session, user),
        reps=rep_stats(session, user),
        next_steps=next_steps(session, user, today),
        today=today,
    )
