"""Turning an understood email into a checked Mou row."""

from __future__ import annotations

import json
import secrets
from datetime import date
from typing import Any

from sqlmodel import Session

from app.intake.understand import Reading, split_address
from app.models import InboundMessage, Mou, MouStatus, Source, User, missing_mask, stage_rank

REQUIRED = ("situation", "goals", "obstacles", "complications")


def run_checker(body: str, fmt: str, subject: str) -> dict[str, Any]:
    """The checker's verdict as plain JSON (complete, elements, stage, ...)."""
    from app.checking import check_memo  # imported late: the checker is a heavier module

    checklist = check_memo(body, fmt=fmt, subject=subject)
    return json.loads(json.dumps(checklist.to_dict(), default=str))


def missing_elements(checklist: dict[str, Any]) -> list[str]:
    """Required elements the checklist marks absent."""
    elements = checklist.get("elements") or {}
    return [name for name in REQUIRED if not (elements.get(name) or {}).get("present")]


def _due(checklist: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(checklist.get("next_step_due")))
    except ValueError:
        return None


def _company(email: str) -> str:
    domain = split_address(email)[1]
    return domain.split(".")[0].replace("-", " ").title() if domain else ""


def create_mou(
    session: Session,
    inbound: InboundMessage,
    rep: User,
    reading: Reading,
    checklist: dict[str, Any],
    status: str,
) -> Mou:
    """Insert the Mou for this email with its checklist; flushed, not committed."""
    elements = checklist.get("elements") or {}
    evidence = {name: (elements.get(name) or {}).get("evidence") or "" for name in (*REQUIRED, "next_step")}
    customer = reading.customer
    stage = checklist.get("stage")
    mou = Mou(
        rep_id=rep.id,
        team_id=rep.team_id,
        customer_email=customer.email if customer else "",
        customer_name=(customer.name if customer else "")[:200],
        company=_company(customer.email)[:200] if customer else "",
        subject=reading.subject[:300],
        next_step_due=_due(checklist),
        stage=stage,
        stage_rank=stage_rank(stage),
        body=reading.body,
        body_format=reading.fmt,
        source=Source.smtp if inbound.provider == "smtp" else Source.email,
        mode=reading.mode,
        status=status,
        complete=bool(checklist.get("complete")) and not missing_elements(checklist),
        missing_mask=missing_mask(missing_elements(checklist)),
        checklist=checklist,
        reply_token=secrets.token_hex(16),
        message_id=(inbound.message_id or "")[:255] or None,
        inbound_id=inbound.id,
        **evidence,
    )
    session.add(mou)
    session.flush()
    return mou


def status_for(reading: Reading, complete: bool) -> str:
    """queued (complete draft with a customer), held (incomplete draft) or logged (BCC mode)."""
    if reading.mode == "bcc":
        return MouStatus.logged
    return MouStatus.queued if complete and reading.customer else MouStatus.held
