"""Inbound webhooks (verify → adapt → store → 200) and the admin inbox API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from app.accounts.deps import CurrentAdmin, SessionDep, SettingsDep
from app.config import Settings
from app.errors import NotFound
from app.intake import service, verify
from app.intake.errors import BodyTooLarge, MalformedPayload, UnknownProvider
from app.intake.inbound import InboundEmail
from app.intake.providers import ADAPTERS, ses
from app.models import MAX_ID, InboundMessage, valid_id
from app.review.routes import ERRORS
from app.review.schemas import ErrorOut

router = APIRouter(tags=["intake"], responses=ERRORS)
WEBHOOK_ERRORS = {
    400: {"model": ErrorOut, "description": "The payload or the email in it cannot be read"},
    413: {"model": ErrorOut, "description": "Body over MOU_WEBHOOK_MAX_BYTES"},
    429: {"model": ErrorOut, "description": "Too many requests from this address"},
    503: {"model": ErrorOut, "description": "The provider's secret is not configured"},
}


async def read_capped_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing (413) as soon as it passes max_bytes; never buffers more."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"The body is larger than MOU_WEBHOOK_MAX_BYTES ({max_bytes} bytes).")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"The body is larger than MOU_WEBHOOK_MAX_BYTES ({max_bytes} bytes).")
        chunks.append(chunk)
    return b"".join(chunks)


async def webhook_body(provider: str, request: Request, settings: SettingsDep) -> bytes:
    """Known provider (404), configured (503), then the body within the size cap (413)."""
    if provider not in ADAPTERS:
        raise UnknownProvider(f"Unknown provider {provider[:40]!r}; use one of {', '.join(ADAPTERS)}.")
    verify.require_configured(provider, settings)
    return await read_capped_body(request, settings.webhook_max_bytes)


WebhookBody = Annotated[bytes, Depends(webhook_body)]


class WebhookAck(BaseModel):
    """The webhook's answer: accepted (new), duplicate (already had it) or a non-mail event."""

    status: str
    id: int | None = None
    detail: str | None = None


@router.post("/webhooks/inbound/{provider}", response_model=WebhookAck, responses=WEBHOOK_ERRORS)
def inbound_webhook(
    provider: str, request: Request, body: WebhookBody, session: SessionDep, settings: SettingsDep
) -> WebhookAck:
    """Receive one email from a provider: verify on the raw bytes, store once, acknowledge."""
    headers = dict(request.headers)
    if provider == "ses":
        return _ses(session, settings, headers, body)
    checks = {
        "sendgrid": verify.verify_sendgrid,
        "mailgun": verify.verify_mailgun,
        "postmark": verify.verify_postmark,
        "mime": verify.verify_mime,
    }
    verified = checks[provider](settings, headers, body)
    inbound = ADAPTERS[provider](headers, body, settings.webhook_max_bytes)
    return _store_and_ack(session, settings, inbound, verified.nonce)


def _store_and_ack(
    session: Session, settings: Settings, inbound: InboundEmail, nonce: str | None
) -> WebhookAck:
    stored = service.store_inbound(session, inbound, settings, nonce=nonce)
    # Durable before the 2xx: the provider may forget the message once we answer.
    session.commit()
    if not stored.created:
        return WebhookAck(status="duplicate", id=stored.message.id, detail="already received; nothing new")
    return WebhookAck(status="accepted", id=stored.message.id)


def _ses(session: Session, settings: Settings, headers: dict[str, str], body: bytes) -> WebhookAck:
    envelope = ses.sns_message(body)
    verify.verify_sns(settings, envelope)
    kind = envelope.get("Type")
    if kind == "SubscriptionConfirmation":
        verify.confirm_subscription(envelope)
        return WebhookAck(status="subscribed", detail=str(envelope.get("TopicArn")))
    if kind == "UnsubscribeConfirmation":
        return WebhookAck(status="ignored", detail="unsubscribe confirmation")
    if kind != "Notification":
        raise MalformedPayload(f"Unknown SNS message type {str(kind)[:40]!r}.")
    if not ses.is_received_mail(envelope):
        return WebhookAck(status="ignored", detail="not an SES received-mail notification")
    return _store_and_ack(session, settings, ses.adapt(headers, body, settings.webhook_max_bytes), None)


# --- admin inbox -------------------------------------------------------------------------------


class InboundItem(BaseModel):
    """One received email as admins see it."""

    id: int
    provider: str
    provider_id: str | None
    message_id: str | None
    envelope_from: str
    envelope_to: list[str]
    subject: str
    tag: str | None
    status: str
    outcome: str | None
    detail: str
    mou_id: int | None
    attempts: int
    received_at: datetime
    processed_at: datetime | None


class InboundPage(BaseModel):
    """A page of the inbox, newest first."""

    items: list[InboundItem]
    next_cursor: str | None


def _item(row: InboundMessage) -> InboundItem:
    return InboundItem.model_validate(row, from_attributes=True)


@router.get("/api/inbound", response_model=InboundPage)
def list_inbound(
    session: SessionDep,
    admin: CurrentAdmin,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    outcome: Annotated[str | None, Query(max_length=32)] = None,
) -> InboundPage:
    """Every inbound email with its outcome (admins), cursor-paginated."""
    after = int(cursor) if cursor and cursor.isdigit() and int(cursor) <= MAX_ID else None
    rows, nxt = service.list_inbound(session, cursor=after, limit=limit, outcome=outcome)
    return InboundPage(items=[_item(r) for r in rows], next_cursor=str(nxt) if nxt else None)


@router.post("/api/inbound/{inbound_id}/reprocess", response_model=InboundItem)
def reprocess_inbound(
    inbound_id: int, session: SessionDep, settings: SettingsDep, admin: CurrentAdmin
) -> InboundItem:
    """Run one stored email through the pipeline again (admins)."""
    if not valid_id(inbound_id):
        raise NotFound("No such inbound message.")
    return _item(service.reprocess(session, inbound_id, settings))


__all__ = ["router"]
