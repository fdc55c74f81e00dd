"""Intake fixtures: provider test keys configured, recorded requests, a frozen clock, known reps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from pydantic import SecretStr
from sqlmodel import Session, select

from app.config import Settings
from app.intake import service
from app.intake.verify import cert_cache_path
from app.models import InboundMessage, Mou, UserAddress
from tests.conftest import World

PAYLOADS = Path(__file__).parent / "payloads"
KEYS = PAYLOADS / "keys"
SNS_CERT_URL = (
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-TESTONLY0000000000000000000000.pem"
)
TOPIC = "arn:aws:sns:us-east-1:123456789012:mou-inbound"
MAILGUN_KEY = "mg-test-signing-key-7d1f0c9e3b5a4c2e8f6a1b3d5c7e9f01"
WHSEC = "whsec_HqZ3E+FvOV55aRYMABju+vV86hLhZSm5+0Bji8HA2Q0="
POSTMARK_AUTH = ("postmark-inbound", "Tq9-TEST-ONLY-Vb2x")
CLOUDMAILIN_AUTH = ("cloudmailin", "Cm7-TEST-ONLY-Zk4p")
REP_DOMAIN = "northwind-analytics.example"


@dataclass
class Recorded:
    """A recorded HTTP request: path, headers and the exact body bytes."""

    path: str
    headers: dict[str, str]
    body: bytes


def load_http(name: str) -> Recorded:
    """Split a .http file into request line, headers and the exact body."""
    data = (PAYLOADS / name).read_bytes()
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("utf-8").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    headers.pop("Host", None)
    headers.pop("Content-Length", None)
    return Recorded(lines[0].split()[1], headers, body)


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def mailgun_fields(timestamp: int, token: str, key: str = MAILGUN_KEY) -> dict[str, str]:
    """Valid Mailgun signature fields for a test request."""
    sig = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": str(timestamp), "token": token, "signature": sig}


def standard_webhook_headers(body: bytes, timestamp: int, msg_id: str = "msg_test_1") -> dict[str, str]:
    """Standard Webhooks headers signed with the test secret."""
    key = base64.b64decode(WHSEC.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    sig = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{sig}"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings plus every provider's published test secret and the SNS cert cached."""
    configured = settings.model_copy(
        update={
            "internal_domains": [*settings.internal_domains, REP_DOMAIN],
            "sendgrid_public_key": (KEYS / "sendgrid_TEST_public_key.b64").read_text().strip(),
            "mailgun_signing_key": SecretStr(MAILGUN_KEY),
            "postmark_webhook_user": POSTMARK_AUTH[0],
            "postmark_webhook_password": SecretStr(POSTMARK_AUTH[1]),
            "ses_topic_arns": [TOPIC],
            "webhook_secret": SecretStr(WHSEC),
            "mime_webhook_user": CLOUDMAILIN_AUTH[0],
            "mime_webhook_password": SecretStr(CLOUDMAILIN_AUTH[1]),
        }
    )
    cached = cert_cache_path(configured.sns_cert_dir, SNS_CERT_URL)
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(KEYS / "sns_TEST_signing_cert.pem", cached)
    return configured


@pytest.fixture
def frozen():
    """Freeze the clock at a Unix timestamp (signed samples carry fixed March 2025 times)."""
    travellers = []

    def _freeze(ts: float) -> None:
        traveller = time_machine.travel(datetime.fromtimestamp(ts, UTC), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield _freeze
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def reps(world: World, session: Session) -> World:
    """The suite's organisation; Dana and Leo also send from their northwind addresses (as in the samples)."""
    session.add(UserAddress(user_id=world.rep_a1.user.id, email=f"dana.whitfield@{REP_DOMAIN}"))
    session.add(UserAddress(user_id=world.rep_a2.user.id, email=f"leo.brandt@{REP_DOMAIN}"))
    session.commit()
    return world


def inbox(session: Session) -> list[InboundMessage]:
    """Every stored inbound message, oldest first."""
    session.expire_all()
    return list(session.exec(select(InboundMessage).order_by(InboundMessage.id)).all())


def mous(session: Session) -> list[Mou]:
    """Every MOU, oldest first."""
    session.expire_all()
    return list(session.exec(select(Mou).order_by(Mou.id)).all())


def stored_email(session: Session, settings: Settings, row: InboundMessage) -> bytes:
    """The email's bytes as the worker reads them from what was stored."""
    return bytes(service.email_of(session, row, settings).raw)


def process(session: Session, settings: Settings) -> list[InboundMessage]:
    """Run the worker step and return the inbox."""
    while service.process_pending(session, settings):
        session.commit()
    session.commit()
    return inbox(session)
