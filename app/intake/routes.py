"""Inbound webhooks (verify → store the request → 200; the worker reads it) and the admin inbox API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from app.accounts.deps import CurrentAdmin, SessionDep, SettingsDep
from app.config import Settings
from app.errors import NotFound
from app.intake import ingest, service, store, verify
from app.intake.committer import GroupCommitter
from app.intake.errors import BodyTooLarge, MalformedPayload, UnknownProvider
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


async def read_capped_body(request: Request, max_bytes: int) -> bytearray:
    """The request body, refusing (413) as soon as it passes max_bytes; never buffers more.

    One buffer, filled in place (sized up front when Content-Length is declared): no list of chunks
    joined at the end, so a large body is held once."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"The body is larger than MOU_WEBHOOK_MAX_BYTES ({max_bytes} bytes).")
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > max_bytes:
            raise BodyTooLarge(f"The body is larger than MOU_WEBHOOK_MAX_BYTES ({max_bytes} bytes).")
        body += chunk
    return body


class WebhookAck(BaseModel):
    """The webhook's answer: accepted (new), duplicate (already had it) or a non-mail event."""

    status: str
    id: int | None = None
    detail: str | None = None


_CHECKS = {
    "sendgrid": verify.verify_sendgrid,
    "mailgun": verify.verify_mailgun,
    "postmark": verify.verify_postmark,
    "mime": verify.verify_mime,
}


@router.post("/webhooks/inbound/{provider}", response_model=WebhookAck, responses=WEBHOOK_ERRORS)
async def inbound_webhook(provider: str, request: Request) -> WebhookAck | Response:
    """Receive one email from a provider: verify on the raw bytes, store the request once, acknowledge.

    Async with no dependencies (a PostgreSQL store is the one hop to a thread); the worker reads the
    email later."""
    settings: Settings = request.app.state.settings
    if provider not in ADAPTERS:
        raise UnknownProvider(f"Unknown provider {provider[:40]!r}; use one of {', '.join(ADAPTERS)}.")
    verify.require_configured(provider, settings)
    body = await read_capped_body(request, settings.webhook_max_bytes)
    headers = request.headers
    if provider == "ses":  # may fetch a certificate or confirm a subscription: off the event loop
        return await run_in_threadpool(_ses, request, settings, body)
    verified = _CHECKS[provider](settings, headers, body)
    checked = ingest.precheck(provider, headers, body)
    return await _store_and_ack(request, provider, checked, body, verified.nonce)


async def _store_and_ack(
    request: Request, provider: str, checked: ingest.Ingest, body: bytearray, nonce: str | None
) -> Response:
    # Durable before the 2xx: the provider may forget the message once we answer.
    state = request.app.state
    engine = getattr(state, "engine", None)
    if engine is None:  # an app built over a caller's session factory (tests)
        with state.session_factory() as session:
            return _ack(store.store_request(session, provider, checked, body, nonce))
    committer = getattr(state, "ingest_committer", None)
    if committer is None:
        committer = state.ingest_committer = GroupCommitter(engine)
    return _ack(await committer.store(store.Arrival(provider, checked, body, nonce)))


def _ack(receipt: store.Receipt) -> Response:
    # The WebhookAck JSON written directly: the hot path skips model validation and serialisation.
    if receipt.created:
        content = b'{"status":"accepted","id":%d,"detail":null}' % receipt.id
    else:
        content = b'{"status":"duplicate","id":%d,"detail":"already received; nothing new"}' % receipt.id
    return Response(content, media_type="application/json")


def _ses(request: Request, settings: Settings, body: bytearray) -> WebhookAck:
    envelope = ses.sns_message(bytes(body))
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
    mail = ses.ses_notification(envelope).get("mail")
    # SES's own id is the same however often SNS retries (the SNS MessageId would do too).
    provider_id = (mail.get("messageId") if isinstance(mail, dict) else None) or envelope.get("MessageId")
    checked = ingest.Ingest(ingest.provider_id_text(provider_id), ingest.kept_headers(request.headers))
    with request.app.state.session_factory() as session:
        receipt = store.store_request(session, "ses", checked, body)
    if not receipt.created:
        return WebhookAck(status="duplicate", id=receipt.id, detail="already received; nothing new")
    return WebhookAck(status="accepted", id=receipt.id)


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
