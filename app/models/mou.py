"""The memo itself, its reviews and the customer's replies."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from app.checking.model import STAGES
from app.models.base import JsonType, ts_column, utcnow

# The checker defines the buying stages (app.checking stays pure; the models depend on it, not back).
STAGE_ORDER = STAGES
UNKNOWN_STAGE_RANK = len(STAGE_ORDER)
ELEMENT_BITS = {"situation": 1, "goals": 2, "obstacles": 4, "complications": 8, "next_step": 16}


def stage_rank(stage: str | None) -> int:
    """Position of a buying stage in the customer's process; unknown sorts last."""
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else UNKNOWN_STAGE_RANK


def missing_mask(missing: list[str]) -> int:
    """Bit mask of the elements a memo lacks, for the queue's missing-element filter."""
    return sum(ELEMENT_BITS[name] for name in missing if name in ELEMENT_BITS)


class MouStatus(StrEnum):
    """Where a memo is: held (incomplete draft), queued/sent to the customer, or only logged."""

    draft = "draft"
    held = "held"
    queued = "queued"
    sent = "sent"
    logged = "logged"
    failed = "failed"
    bounced = "bounced"


class ReviewState(StrEnum):
    """The manager's latest verdict on a memo."""

    unreviewed = "unreviewed"
    approved = "approved"
    coach = "coach"
    revise = "revise"


class Source(StrEnum):
    """How the memo reached us."""

    form = "form"
    api = "api"
    email = "email"
    smtp = "smtp"
    demo = "demo"


class Mou(SQLModel, table=True):
    """A Memo of Understanding for one customer after a meeting."""

    __table_args__ = (
        # The manager queue: team, unreviewed first, earliest stage, oldest first (keyset on the tail).
        Index("ix_mou_queue", "team_id", "reviewed", "stage_rank", "created_at", "id"),
        # A rep's own list, newest first.
        Index("ix_mou_rep_created", "rep_id", "created_at", "id"),
        Index("ix_mou_team_status", "team_id", "status"),
        Index("ix_mou_next_step_due", "next_step_due", "reply_status"),
        Index("ix_mou_customer", "team_id", "company", "customer_email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rep_id: int = Field(foreign_key="user.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    customer_email: str = Field(default="", max_length=320)
    customer_name: str = Field(default="", max_length=200)
    company: str = Field(default="", max_length=200)
    meeting_date: date | None = None
    subject: str = Field(default="", max_length=300)
    situation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    goals: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    obstacles: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    complications: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    next_step: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    next_step_due: date | None = None
    stage: str | None = Field(default=None, max_length=20)
    stage_rank: int = Field(default=UNKNOWN_STAGE_RANK)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    body_format: str = Field(default="text", max_length=8)
    source: str = Field(default=Source.form, max_length=16)
    mode: str = Field(default="draft", max_length=8)  # draft (we send) or bcc (the rep sent it)
    status: str = Field(default=MouStatus.draft, max_length=16)
    complete: bool = Field(default=False)
    missing_mask: int = Field(default=0)
    checklist: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    template: str | None = Field(default=None, max_length=80)
    review: str = Field(default=ReviewState.unreviewed, max_length=16)
    reviewed: bool = Field(default=False)
    reply_token: str = Field(sa_column=Column(String(32), unique=True, nullable=False))
    message_id: str | None = Field(default=None, max_length=255, index=True)
    inbound_id: int | None = Field(default=None, foreign_key="inbound_message.id")
    reply_status: str = Field(default="none", max_length=16)  # none, confirmed, corrected, other
    reminder_sent_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class Review(SQLModel, table=True):
    """A manager's verdict and coaching comment on a memo."""

    id: int | None = Field(default=None, primary_key=True)
    mou_id: int = Field(foreign_key="mou.id", index=True)
    reviewer_id: int = Field(foreign_key="user.id")
    verdict: str = Field(max_length=16)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class CustomerReply(SQLModel, table=True):
    """A customer's answer to a sent memo, threaded and classified."""

    __tablename__ = "customer_reply"

    id: int | None = Field(default=None, primary_key=True)
    mou_id: int = Field(foreign_key="mou.id", index=True)
    inbound_id: int | None = Field(default=None, foreign_key="inbound_message.id")
    from_addr: str = Field(default="", max_length=320)
    classification: str = Field(default="other", max_length=16)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    correction: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    matched_by: str = Field(default="token", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
