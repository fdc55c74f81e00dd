"""`mou demo`: seed a believable organisation, and bulk-load generated MOUs for load tests."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.config import get_settings
from app.db import make_engine, session_scope
from app.demo_data import CUSTOMERS, DEMO_PASSWORD, INCOMPLETE, PEOPLE, REVIEW_COMMENTS, TEAMS
from app.models import Mou, Review, User, missing_mask, stage_rank, utcnow

BATCH = 5000
ELEMENT_FIELDS = ("situation", "goals", "obstacles", "complications", "next_step")


def seed(count: int = 0, if_empty: bool = False) -> str:
    """Seed the demo organisation (unless users exist and if_empty), then COUNT bulk MOUs."""
    from app.migrate import upgrade

    settings = get_settings()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings)
    lines: list[str] = []
    with session_scope(engine) as session:
        has_users = session.exec(select(func.count()).select_from(User)).one() > 0
        if has_users and if_empty:
            lines.append("database already has users: demo seed skipped")
        elif not has_users:
            seed_organisation(session)
            lines.append(credentials_text())
        else:
            lines.append("demo organisation already present")
    if count:
        started = time.perf_counter()
        bulk_load(engine, count)
        lines.append(f"loaded {count:,} MOUs in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return "\n".join(lines)


def credentials_text() -> str:
    """Who can sign in to the demo, and how."""
    rows = [f"  {role:8} {email}" for email, _name, role, _team in PEOPLE]
    return (
        "demo organisation created; sign in at /login with password " + DEMO_PASSWORD + "\n" + "\n".join(rows)
    )


def seed_organisation(session: Session) -> None:
    """Two teams, an admin, managers, reps and their MOUs and reviews."""
    teams = [accounts.create_team(session, name, template) for name, template in TEAMS]
    users = [
        accounts.create_user(
            session,
            email=email,
            name=name,
            role=role,
            team=teams[team] if team is not None else None,
            password=DEMO_PASSWORD,
        )
        for email, name, role, team in PEOPLE
    ]
    reps = [u for u in users if u.role == "rep"]
    managers = {u.team_id: u for u in users if u.role == "manager"}
    today = date.today()
    for i, customer in enumerate(CUSTOMERS):
        rep = reps[i % len(reps)]
        mou = _demo_mou(session, rep, customer, today - timedelta(days=3 + 2 * i), status="sent")
        verdict = ("approved", "coach", None, "revise")[i % 4]
        if verdict:
            _review(session, managers[rep.team_id], mou, verdict)
    for i, customer in enumerate(INCOMPLETE):
        _demo_mou(session, reps[i], customer, today - timedelta(days=1 + i), status="held")


def _demo_mou(session: Session, rep: User, data: dict, meeting: date, status: str) -> Mou:
    from app.checking import check_fields

    fields = {name: data.get(name, "") for name in ELEMENT_FIELDS}
    due = meeting + timedelta(days=9)
    checklist = check_fields(**fields, next_step_due=due if fields["next_step"] else None, memo_date=meeting)
    stage = data.get("stage") or checklist.stage
    created = utcnow() - (date.today() - meeting) + timedelta(hours=20)
    mou = Mou(
        rep_id=rep.id,
        team_id=rep.team_id,
        customer_email=data["customer_email"],
        customer_name=data["customer_name"],
        company=data["company"],
        meeting_date=meeting,
        subject=f"Our conversation on {meeting:%A}, {meeting:%B} {meeting.day}",
        **fields,
        next_step_due=checklist.next_step_due or (due if fields["next_step"] else None),
        stage=stage,
        stage_rank=stage_rank(stage),
        source="demo",
        status=status if checklist.complete else "held",
        complete=checklist.complete,
        missing_mask=missing_mask(checklist.missing),
        checklist=checklist.to_dict(),
        reply_token=secrets.token_hex(8),
        created_at=created,
        updated_at=created,
        sent_at=created if status == "sent" and checklist.complete else None,
    )
    session.add(mou)
    session.flush()
    return mou


def _review(session: Session, manager: User, mou: Mou, verdict: str) -> None:
    session.add(
        Review(mou_id=mou.id, reviewer_id=manager.id, verdict=verdict, comment=REVIEW_COMMENTS[verdict])
    )
    mou.review = verdict
    mou.reviewed = True
    session.add(mou)
    session.flush()


def _variants() -> list[dict]:
    """Precomputed field sets and checklists the bulk loader cycles through (checked once each)."""
    from app.checking import check_fields

    out = []
    for data in (*CUSTOMERS, *INCOMPLETE):
        fields = {name: data.get(name, "") for name in ELEMENT_FIELDS}
        checklist = check_fields(**fields)
        stage = data.get("stage") or checklist.stage
        out.append(
            {
                **fields,
                "company": data["company"],
                "customer_name": data["customer_name"],
                "customer_email": data["customer_email"],
                "stage": stage,
                "stage_rank": stage_rank(stage),
                "complete": checklist.complete,
                "missing_mask": missing_mask(checklist.missing),
                "checklist": checklist.to_dict(),
                "status": "sent" if checklist.complete else "held",
            }
        )
    return out


def bulk_load(engine: Engine, count: int) -> None:
    """Insert COUNT generated MOUs in batches with Core executemany (not one ORM object at a time)."""
    with session_scope(engine) as session:
        reps = list(session.exec(select(User).where(User.role == "rep")))
        if not reps:
            seed_organisation(session)
            reps = list(session.exec(select(User).where(User.role == "rep")))
        rep_teams = [(r.id, r.team_id) for r in reps]
    variants = _variants()
    now = utcnow()
    start_day = date.today() - timedelta(days=720)
    rows = (_bulk_row(i, variants, rep_teams, now, start_day) for i in range(count))
    table = Mou.__table__
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # A bulk load is re-runnable: trade crash durability for speed while it runs.
            conn.connection.driver_connection.execute("PRAGMA synchronous=OFF")
        for batch in _batches(rows, BATCH):
            with conn.begin():
                conn.execute(insert(table), batch)


def _bulk_row(
    i: int, variants: list[dict], rep_teams: list[tuple[int, int]], now: datetime, start_day: date
) -> dict:
    v = variants[i % len(variants)]
    rep_id, team_id = rep_teams[(i // len(variants)) % len(rep_teams)]
    created = now - timedelta(minutes=i % 1_000_000)
    meeting = start_day + timedelta(days=(i * 7) % 720)
    reviewed = i % 3 == 0
    return {
        **v,
        "company": f"{v['company']} #{i % 5000}",
        "rep_id": rep_id,
        "team_id": team_id,
        "meeting_date": meeting,
        "next_step_due": meeting + timedelta(days=10) if v["next_step"] else None,
        "subject": "Recap of our conversation",
        "body": "",
        "body_format": "text",
        "source": "demo",
        "mode": "draft",
        "template": None,
        "review": "approved" if reviewed else "unreviewed",
        "reviewed": reviewed,
        "reply_token": f"{i:012x}{secrets.token_hex(4)}",
        "message_id": None,
        "inbound_id": None,
        "reply_status": "none",
        "reminder_sent_at": None,
        "sent_at": created if v["status"] == "sent" else None,
        "created_at": created,
        "updated_at": created,
    }


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
