"""Follow-up fixtures: provider secrets configured, and MOUs really sent through the outbox and worker."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from app.config import Settings
from app.delivery.service import enqueue_mou_delivery
from app.delivery.worker import run_once
from app.intake.submit import MouInput, create_mou
from app.models import Delivery, Mou, Source, User

MAILGUN_KEY = "mg-followup-test-signing-key-0123456789abcdef"
POSTMARK_AUTH = ("postmark-inbound", "followup-TEST-ONLY-pw")
NORTHWIND = {
    "customer_email": "jordan.alvarez@northwind.example",
    "customer_name": "Jordan Alvarez",
    "company": "Northwind Logistics",
    "situation": (
        "Northwind runs 12 regional depots that plan routes in spreadsheets. Dispatch takes 3 hours a day."
    ),
    "goals": "Cut dispatch time to under an hour and cover the new Leeds depot without new hires.",
    "obstacles": "Route data lives in three systems that do not talk to each other.",
    "complications": "The CFO must approve anything over £50k, and the budget cycle closes in June.",
    "next_step": "Jordan shares last quarter's route data with our solutions engineer.",
    "next_step_due": date(2026, 3, 14),
    "stage": "research",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings plus Mailgun and Postmark webhook secrets."""
    return settings.model_copy(
        update={
            "mailgun_signing_key": SecretStr(MAILGUN_KEY),
            "postmark_webhook_user": POSTMARK_AUTH[0],
            "postmark_webhook_password": SecretStr(POSTMARK_AUTH[1]),
        }
    )


@pytest.fixture
def worker_jobs(monkeypatch):
    """The real worker wiring (app.worker.register_jobs) into a registry that ends with the test."""
    from app import worker
    from app.delivery import periodic

    monkeypatch.setattr(periodic, "_periodic", {})
    monkeypatch.setattr(worker, "_registered_for", set())
    return worker.register_jobs


def mailgun_fields(timestamp: int) -> dict[str, str]:
    """Valid Mailgun signature fields (a fresh token each call)."""
    token = uuid.uuid4().hex
    sig = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": str(timestamp), "token": token, "signature": sig}


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def send_mou(
    session: Session, session_factory, settings: Settings, rep: User, **fields
) -> tuple[Mou, Delivery]:
    """Create a complete MOU, queue it through the outbox and let the worker send it (memory backend)."""
    data = MouInput(**{**NORTHWIND, **fields})
    mou = create_mou(session, rep, data, Source.api)
    delivery = enqueue_mou_delivery(session, mou, settings=settings)
    session.commit()
    run_once(session_factory, settings=settings)
    session.expire_all()
    return session.get(Mou, mou.id), session.get(Delivery, delivery.id)


def reply_email(
    *,
    sender: str = "Jordan Alvarez <jordan.alvarez@northwind.example>",
    to: str,
    subject: str,
    body: str,
    in_reply_to: str | None = None,
    references: str | None = None,
    cc: str | None = None,
    extra: dict[str, str] | None = None,
) -> EmailMessage:
    """A customer's reply as their mail client would write it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="mail.northwind.example")
    msg["Date"] = "Mon, 16 Mar 2026 09:30:00 +0000"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (extra or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def deliveries(session: Session, kind: str) -> list[Delivery]:
    """Outbox rows of one kind, oldest first."""
    session.expire_all()
    return list(session.exec(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))
