"""API shapes for follow-up: accounts with stage history, customer replies, overdue next steps."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class StagePointOut(BaseModel):
    """One MOU's buying stage for the customer at a point in time."""

    at: datetime
    mou_id: int
    stage: str | None
    stage_label: str | None
    phase: str | None
    contact: str
    moved_from: str | None


class ContactOut(BaseModel):
    """A person at the customer."""

    email: str
    name: str
    mous: int
    last_at: datetime | None


class AccountSummary(BaseModel):
    """A customer company at a glance."""

    key: str
    company: str
    mous: int
    contacts: list[ContactOut]
    current_stage: str | None
    current_phase: str | None
    last_at: datetime | None
    url: str


class AccountMou(BaseModel):
    """An MOU in an account's list."""

    id: int
    customer_email: str
    customer_name: str
    rep_id: int
    status: str
    review: str
    stage: str | None
    reply_status: str
    next_step: str
    next_step_due: date | None
    created_at: datetime


class AccountDetail(AccountSummary):
    """A customer company with its MOUs and stage history."""

    mou_list: list[AccountMou]
    stage_history: list[StagePointOut]


class AccountPage(BaseModel):
    """The accounts the caller may see."""

    items: list[AccountSummary]


class DiffPartOut(BaseModel):
    """A run of the word diff: equal, removed (memo only) or added (the customer's words)."""

    op: str
    text: str


class HighlightOut(BaseModel):
    """Where a correction lands in the memo."""

    element: str
    element_label: str
    memo_sentence: str
    reply_sentence: str
    marked: str
    parts: list[DiffPartOut]


class ReplyOut(BaseModel):
    """A customer's reply to an MOU."""

    id: int
    from_addr: str
    classification: str
    matched_by: str
    body: str
    correction: str | None
    highlights: list[HighlightOut]
    created_at: datetime


class ReplyList(BaseModel):
    """The replies to one MOU and its reply status."""

    mou_id: int
    reply_status: str
    items: list[ReplyOut]


class OverdueItem(BaseModel):
    """A customer next step that is past due without a reply or a newer MOU."""

    mou_id: int
    customer_name: str
    customer_email: str
    company: str
    rep_id: int
    next_step: str
    next_step_due: date
    days_overdue: int
    reminder_sent_at: datetime | None


class OverdueList(BaseModel):
    """Overdue customer next steps, oldest due date first."""

    items: list[OverdueItem]
