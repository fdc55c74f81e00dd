"""Follow-up queries for the API and pages: accounts, a memo's replies, overdue next steps."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from sqlmodel import Session, select

from app.accounts.service import mou_visibility
from app.errors import NotFound
from app.followup import schemas
from app.followup.accounts import PHASE_OF, Account, get_account, list_accounts
from app.followup.forward import highlight_context
from app.followup.highlight import highlight
from app.followup.reminders import overdue_condition
from app.followup.replies import memo_elements
from app.models import CustomerReply, Mou, User

MAX_OVERDUE = 500


def account_url(key: str) -> str:
    """The account's page."""
    return "/accounts/" + quote(key, safe="")


def summary(account: Account) -> schemas.AccountSummary:
    """An account as the list shows it."""
    stage = account.current_stage
    return schemas.AccountSummary(
        key=account.key,
        company=account.name,
        mous=len(account.mous),
        contacts=[
            schemas.ContactOut(email=c.email, name=c.name, mous=len(c.mou_ids), last_at=c.last_at)
            for c in account.contacts.values()
        ],
        current_stage=stage,
        current_phase=PHASE_OF.get(stage or ""),
        last_at=account.last_at,
        url=account_url(account.key),
    )


def detail(account: Account) -> schemas.AccountDetail:
    """An account with its MOUs (newest first) and its stage history (oldest first)."""
    mous = [schemas.AccountMou.model_validate(m, from_attributes=True) for m in reversed(account.mous)]
    history = [
        schemas.StagePointOut(
            at=p.at,
            mou_id=p.mou_id,
            stage=p.stage,
            stage_label=p.stage_label,
            phase=p.phase,
            contact=p.contact,
            moved_from=p.moved_from,
        )
        for p in account.history
    ]
    return schemas.AccountDetail(**summary(account).model_dump(), mou_list=mous, stage_history=history)


def accounts_for(
    session: Session, user: User, q: str | None = None, stage: str | None = None
) -> schemas.AccountPage:
    """The caller's accounts, most recently active first."""
    return schemas.AccountPage(items=[summary(a) for a in list_accounts(session, user, q=q, stage=stage)])


def account_for(session: Session, user: User, key: str) -> schemas.AccountDetail:
    """One account the caller may see, or 404 (never revealing accounts outside their scope)."""
    account = get_account(session, user, key)
    if account is None:
        raise NotFound("No such customer account.")
    return detail(account)


def replies_for(session: Session, mou: Mou) -> schemas.ReplyList:
    """The customer's replies to a memo, oldest first, corrections placed against the memo."""
    stmt = (
        select(CustomerReply)
        .where(CustomerReply.mou_id == mou.id)
        .order_by(CustomerReply.created_at, CustomerReply.id)
    )
    memo = memo_elements(mou)
    items = []
    for reply in session.exec(stmt):
        marks: list[dict[str, Any]] = (
            highlight_context(highlight(reply.correction, memo)) if reply.correction else []
        )
        items.append(
            schemas.ReplyOut(
                id=reply.id or 0,
                from_addr=reply.from_addr,
                classification=reply.classification,
                matched_by=reply.matched_by,
                body=reply.body,
                correction=reply.correction,
                highlights=[schemas.HighlightOut.model_validate(m) for m in marks],
                created_at=reply.created_at,
            )
        )
    return schemas.ReplyList(mou_id=mou.id or 0, reply_status=mou.reply_status, items=items)


def overdue_for(session: Session, user: User, today: date) -> schemas.OverdueList:
    """Overdue customer next steps the caller may see, oldest due date first."""
    stmt = (
        select(Mou)
        .where(mou_visibility(user), overdue_condition(today))
        .order_by(Mou.next_step_due, Mou.id)
        .limit(MAX_OVERDUE)
    )
    items = [
        schemas.OverdueItem(
            mou_id=m.id or 0,
            customer_name=m.customer_name,
            customer_email=m.customer_email,
            company=m.company,
            rep_id=m.rep_id,
            next_step=m.next_step,
            next_step_due=m.next_step_due,  # type: ignore[arg-type]
            days_overdue=(today - m.next_step_due).days if m.next_step_due else 0,
            reminder_sent_at=m.reminder_sent_at,
        )
        for m in session.exec(stmt)
    ]
    return schemas.OverdueList(items=items)
