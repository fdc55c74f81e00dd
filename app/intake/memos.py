"""Turning an understood email into a checked Mou row (through the submission pipeline's store)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.intake.submit import store_checked_mou
from app.intake.understand import Reading, split_address
from app.models import InboundMessage, Mou, MouStatus, Source, User


def _company(email: str) -> str:
    domain = split_address(email)[1]
    return domain.split(".")[0].replace("-", " ").title() if domain else ""


def create_email_mou(
    session: Session,
    inbound: InboundMessage,
    rep: User,
    reading: Reading,
    checklist: dict[str, Any],
    status: str,
) -> Mou:
    """Store the Mou for this email with its checklist; flushed, not committed."""
    customer = reading.customer
    # Email headers are not length-checked on the way in, so cut them to the columns here.
    return store_checked_mou(
        session,
        rep,
        checklist,
        customer_email=customer.email if customer else "",
        customer_name=(customer.name if customer else "")[:200],
        company=_company(customer.email)[:200] if customer else "",
        subject=reading.subject[:300],
        body=reading.body,
        body_format=reading.fmt,
        source=Source.smtp if inbound.provider == "smtp" else Source.email,
        mode=reading.mode,
        status=status,
        message_id=(inbound.message_id or "")[:255] or None,
        inbound_id=inbound.id,
    )


def status_for(reading: Reading, complete: bool) -> str:
    """queued (complete draft with a customer), held (incomplete draft) or logged (BCC mode)."""
    if reading.mode == "bcc":
        return MouStatus.logged
    return MouStatus.queued if complete and reading.customer else MouStatus.held
