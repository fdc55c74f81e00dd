"""Shared test data for the memo API and review tests: memos, direct inserts and cookie sessions."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.accounts.security import SESSION_COOKIE, csrf_token, sign_session
from app.models import Mou, User, missing_mask, stage_rank

SECRET = "test-secret-key-for-the-suite"  # matches the settings fixture

COMPLETE = {
    "customer_email": "jordan.alvarez@northwind.example",
    "customer_name": "Jordan Alvarez",
    "company": "Northwind Logistics",
    "meeting_date": "2025-03-04",
    "situation": "Northwind runs 12 regional depots and plans delivery routes in spreadsheets; "
    "dispatch takes three hours every morning.",
    "goals": "Jordan wants to cut dispatch planning to under one hour and open the new Leeds depot "
    "without hiring more planners.",
    "obstacles": "Route data lives in three separate systems that do not talk to each other, so planners "
    "re-key every order by hand.",
    "complications": "The CFO must approve anything over £50k and the budget cycle closes in June; "
    "IT is also busy with an ERP migration until May.",
    "next_step": "Jordan will send last quarter's route export to our solutions engineer by Friday 14 March.",
    "stage": "research",
}
INCOMPLETE = {k: v for k, v in COMPLETE.items() if k not in ("obstacles", "complications")}
FREE_TEXT = {
    "customer_email": "jordan.alvarez@northwind.example",
    "customer_name": "Jordan Alvarez",
    "subject": "Our meeting on Tuesday",
    "format": "text",
    "body": "Hi Jordan,\n\nThanks for your time on Tuesday. Here is my understanding.\n\n"
    "Situation: "
    + COMPLETE["situation"]
    + "\n\nGoals: "
    + COMPLETE["goals"]
    + "\n\nObstacles: "
    + COMPLETE["obstacles"]
    + "\n\nComplications: "
    + COMPLETE["complications"]
    + "\n\nNext step: "
    + COMPLETE["next_step"]
    + "\n\nBest,\nDana",
}

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def insert_mou(session: Session, rep: User, **fields: Any) -> Mou:
    """A memo row written directly (no checker), for queue and dashboard tests."""
    missing = fields.pop("missing", [])
    stage = fields.pop("stage", None)
    values: dict[str, Any] = {
        "customer_email": "c@customer.example",
        "customer_name": "Casey Customer",
        "company": "Customer Co",
        "subject": "Summary",
        "status": "queued",
        "created_at": T0,
        "updated_at": T0,
        "checklist": {
            "complete": not set(missing) & {"situation", "goals", "obstacles", "complications"},
            "elements": {
                n: {"present": n not in missing, "evidence": None, "hint": None}
                for n in ("situation", "goals", "obstacles", "complications", "next_step")
            },
            "stage": stage,
        },
        **fields,
    }
    values.setdefault("complete", values["checklist"]["complete"])
    mou = Mou(
        rep_id=rep.id,
        team_id=rep.team_id,
        stage=stage,
        stage_rank=stage_rank(stage),
        missing_mask=missing_mask(missing),
        reply_token=secrets.token_hex(8),
        **values,
    )
    session.add(mou)
    session.flush()
    return mou


def days(n: int) -> timedelta:
    """A time span of n days."""
    return timedelta(days=n)


def cookie_session(client, user: User) -> str:
    """Sign the user in by cookie on this client; returns the matching CSRF token."""
    value = sign_session(SECRET, user.id, user.session_version)
    client.cookies.set(SESSION_COOKIE, value)
    return csrf_token(SECRET, value)


TODAY = date(2025, 3, 20)
