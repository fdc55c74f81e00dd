"""Inbound messages (the webhook inbox), one-use webhook nonces and the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import JsonType, ts_column, utcnow


class InboundMessage(SQLModel, table=True):
    """One received email, stored raw before we acknowledge it, with what became of it."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("provider", "provider_id", name="uq_inbound_message_provider_id"),
        Index("ix_inbound_message_status", "status", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16)
    provider_id: str | None = Field(default=None, max_length=255)
    message_id: str | None = Field(default=None, max_length=998, index=True)
    # Filled when the email is read (webhooks: by the worker); NULL until then, UNIQUE once known.
    content_hash: str | None = Field(default=None, max_length=64)
    dedupe_key: str | None = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True))
    envelope_from: str = Field(default="", max_length=320)
    envelope_to: list[str] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    subject: str = Field(default="", max_length=998)
    # A webhook's request headers that its adapter reads (the body is in InboundContent).
    request_headers: dict[str, str] | None = Field(default=None, sa_column=Column(JsonType, nullable=True))
    status: str = Field(default="received", max_length=16)  # received, processed, failed
    outcome: str | None = Field(default=None, max_length=32)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    tag: str | None = Field(default=None, max_length=120)
    mou_id: int | None = Field(default=None, index=True)
    attempts: int = Field(default=0)
    received_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    processed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class InboundContent(SQLModel, table=True):
    """The bytes of one inbound message: the webhook request as received, or the email itself.

    Kept out of the message's row because that row is updated as the message is processed, and an
    update rebuilds the whole row (SQLite reads every column into one record), so bytes stored beside
    the status would be read and copied at every change and loaded by every inbox listing."""

    __tablename__ = "inbound_content"

    inbound_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("inbound_message.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    kind: str = Field(max_length=8)  # "request": read by the provider's adapter; "email": RFC 5322 bytes
    # The last column: SQLite can then write a large body in place through incremental blob I/O.
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class WebhookNonce(SQLModel, table=True):
    """A signature token seen once (Mailgun tokens, Standard Webhooks ids): replays are refused."""

    __tablename__ = "webhook_nonce"
    __table_args__ = (UniqueConstraint("provider", "nonce", name="uq_webhook_nonce_provider_nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16)
    nonce: str = Field(max_length=255)
    seen_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))


class Delivery(SQLModel, table=True):
    """The outbox: one outgoing message, rendered once, sent at most once."""

    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    mou_id: int | None = Field(default=None, foreign_key="mou.id", index=True)
    kind: str = Field(max_length=24)  # customer_mou, rep_feedback, coaching, reminder, digest, reply_forward
    message_id: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    from_addr: str = Field(max_length=320)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    subject: str = Field(default="", max_length=998)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="queued", max_length=16)  # queued, sending, sent, failed, bounced, uncertain
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
