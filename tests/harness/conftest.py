"""Harness fixtures: every provider secret configured, signed posts, and inbox/outbox assertions."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import Session, select

from app.config import Settings
from app.intake import service
from app.intake.verify import cert_cache_path
from app.main import create_app
from app.models import Delivery, InboundMessage, Mou
from bench.benchlib import MEMO, SendGridSigner, sendgrid_form
from tests.conftest import World, build_world, suite_settings
from tests.intake.conftest import (
    CLOUDMAILIN_AUTH,
    KEYS,
    MAILGUN_KEY,
    POSTMARK_AUTH,
    SNS_CERT_URL,
    TOPIC,
    WHSEC,
    basic,
)

INBOUND = "mou@inbound.mou-assistant.example"
REP = "dana.whitfield@acme-sales.example"
EVIL = "attacker@evil.test"
MAX_BYTES = 1_000_000
SIGNER = SendGridSigner()


def secrets_configured(settings: Settings) -> Settings:
    """Every provider configured with its published test secret; a 1 MB webhook cap for the 413 rows."""
    configured = settings.model_copy(
        update={
            "sendgrid_public_key": SIGNER.public_key_b64,
            "mailgun_signing_key": SecretStr(MAILGUN_KEY),
            "postmark_webhook_user": POSTMARK_AUTH[0],
            "postmark_webhook_password": SecretStr(POSTMARK_AUTH[1]),
            "ses_topic_arns": [TOPIC],
            "webhook_secret": SecretStr(WHSEC),
            "mime_webhook_user": CLOUDMAILIN_AUTH[0],
            "mime_webhook_password": SecretStr(CLOUDMAILIN_AUTH[1]),
            "webhook_max_bytes": MAX_BYTES,
        }
    )
    cached = cert_cache_path(configured.sns_cert_dir, SNS_CERT_URL)
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(KEYS / "sns_TEST_signing_cert.pem", cached)
    return configured


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_settings(request, make_database, tmp_path_factory) -> Settings:
    """A database of its own for a whole module (one organisation, hashed once), secrets configured."""
    url = make_database(request.param)
    base = suite_settings(url, tmp_path_factory.mktemp("harness-data"))
    return secrets_configured(base)


@pytest.fixture(scope="module")
def shared_app(shared_settings: Settings) -> Iterator[tuple[FastAPI, TestClient]]:
    """The app over the module's database, committing for real (no outer transaction)."""
    app = create_app(shared_settings, run_worker=False)
    with TestClient(app) as client:
        yield app, client


@pytest.fixture(scope="module")
def shared_world(shared_app) -> World:
    """The test organisation, created once per module."""
    app, _ = shared_app
    with Session(app.state.engine, expire_on_commit=False) as session:
        return build_world(session)


@dataclass
class Harness:
    """What a hostile-input row needs; inbox, outbox and MOU lists hold only rows made during the row."""

    client: TestClient
    session: Session
    settings: Settings
    world: World
    since: dict[str, int] = field(default_factory=dict)

    def mark(self) -> Harness:
        """Remember the newest ids so the lists below only show this row's rows."""
        for name, model in (("inbox", InboundMessage), ("delivery", Delivery), ("mou", Mou)):
            self.since[name] = self.session.exec(select(func.coalesce(func.max(model.id), 0))).one()
        self.session.commit()
        return self

    def post_mime(self, raw: bytes, **extra_headers: str):
        """Post a raw RFC 5322 message to the `mime` webhook with its Basic credentials."""
        headers = {"Authorization": basic(*CLOUDMAILIN_AUTH), "Content-Type": "message/rfc822"}
        return self.client.post("/webhooks/inbound/mime", content=raw, headers={**headers, **extra_headers})

    def post_sendgrid(self, raw: bytes, *, timestamp: int | None = None):
        """Post a raw message as a signed SendGrid raw-mode form."""
        body = sendgrid_form(raw)
        return self.client.post(
            "/webhooks/inbound/sendgrid", content=body, headers=SIGNER.headers(body, timestamp)
        )

    def inbox(self) -> list[InboundMessage]:
        """Every stored inbound message."""
        self.session.expire_all()
        query = select(InboundMessage).where(InboundMessage.id > self.since["inbox"])
        return list(self.session.exec(query.order_by(InboundMessage.id)).all())

    def process(self) -> list[InboundMessage]:
        """Run the worker's inbox step, then return the inbox."""
        self.session.commit()  # end the read snapshot first: SQLite cannot turn a stale one into a write
        service.process_pending(self.session, self.settings)
        self.session.commit()
        return self.inbox()

    def deliveries(self) -> list[Delivery]:
        """Every outbox row."""
        self.session.expire_all()
        query = select(Delivery).where(Delivery.id > self.since["delivery"])
        return list(self.session.exec(query.order_by(Delivery.id)).all())

    def mous(self) -> list[Mou]:
        """Every MOU."""
        self.session.expire_all()
        return list(self.session.exec(select(Mou).where(Mou.id > self.since["mou"]).order_by(Mou.id)).all())

    def accepted_and_processed(self, response) -> InboundMessage:
        """A 2xx ack whose message is in the inbox and processes to a recorded outcome (no crash)."""
        assert response.status_code == 200, response.text
        ack = response.json()
        assert ack["status"] in ("accepted", "duplicate"), ack
        rows = {row.id: row for row in self.process()}
        assert ack["id"] in rows, "acknowledged but not in the inbox"
        row = rows[ack["id"]]
        assert row.status == "processed", (row.status, row.outcome, row.detail)
        assert row.outcome and row.outcome != "error", (row.outcome, row.detail)
        return row

    def assert_outbox_clean(self) -> None:
        """No outgoing message names the attacker in a header or in the SMTP envelope."""
        for delivery in self.deliveries():
            assert EVIL not in " ".join(delivery.recipients)
            message = message_from_bytes(delivery.raw, policy=default_policy)
            assert "bcc" not in {k.lower() for k in message}
            for name, value in message.items():
                assert EVIL not in str(value), (name, value)
                assert "\n" not in str(value) and "\r" not in str(value), (name, value)


@pytest.fixture
def h(shared_app, shared_settings: Settings, shared_world: World) -> Iterator[Harness]:
    """The harness over the module's app, a fresh session and the shared organisation."""
    app, client = shared_app
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield Harness(client=client, session=session, settings=shared_settings, world=shared_world).mark()


def draft(
    *,
    subject: str = "MOU Harborline Freight",
    from_header: str = f"Dana Whitfield <{REP}>",
    to_header: str = INBOUND,
    body: str = MEMO,
    message_id: str = "<hostile-1@acme-sales.example>",
    extra_headers: str = "",
    content_type: str = 'text/plain; charset="utf-8"',
    body_bytes: bytes | None = None,
) -> bytes:
    """A raw draft from the rep, built by hand so hostile bytes reach the parser unchanged."""
    head = (
        f"From: {from_header}\r\nTo: {to_header}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"Date: Tue, 11 Mar 2025 16:47:06 +0000\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n{extra_headers}\r\n"
    )
    payload = body_bytes if body_bytes is not None else body.replace("\n", "\r\n").encode("utf-8")
    return head.encode("utf-8") + payload
