"""`mou smtpd` end to end: a real aiosmtpd listener, mail sent with smtplib, stored and processed."""

from __future__ import annotations

import smtplib
import socket

import pytest

from app.intake.smtpd import make_controller
from tests.intake.conftest import PAYLOADS, inbox, mous, process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtpd(settings, session_factory):
    controller = make_controller(settings, session_factory, "127.0.0.1", free_port())
    controller.start()
    yield controller
    controller.stop()


def send(controller, sender: str, rcpts: list[str], raw: bytes) -> dict:
    with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
        return client.sendmail(sender, rcpts, raw)


def test_draft_over_smtp_becomes_an_mou(smtpd, session, settings, reps):
    raw = (PAYLOADS / "extra" / "draft_complete.eml").read_bytes()
    assert (
        send(smtpd, "dana.whitfield@northwind-analytics.example", ["mou@inbound.mou-assistant.example"], raw)
        == {}
    )
    [row] = process(session, settings)
    assert (row.provider, row.envelope_from) == ("smtp", "dana.whitfield@northwind-analytics.example")
    assert row.outcome == "mou_queued", row.detail
    assert mous(session)[0].source == "smtp"
    # The same message again is accepted and creates nothing new.
    send(smtpd, "dana.whitfield@northwind-analytics.example", ["mou@inbound.mou-assistant.example"], raw)
    assert len(inbox(session)) == 1


def test_bcc_over_smtp_routes_on_the_envelope(smtpd, session, settings, reps):
    raw = (PAYLOADS / "raw_mime_5.eml").read_bytes()
    send(smtpd, "dana.whitfield@northwind-analytics.example", ["mou@inbound.mou-assistant.example"], raw)
    [row] = process(session, settings)
    assert row.outcome == "mou_logged", row.detail


def test_relaying_is_refused(smtpd, session):
    raw = (PAYLOADS / "raw_mime_5.eml").read_bytes()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtpd, "x@evil.example", ["victim@elsewhere.example"], raw)
    assert refused.value.recipients["victim@elsewhere.example"][0] == 550
    assert inbox(session) == []


def test_null_sender_bounce_over_smtp_is_recorded(smtpd, session, settings, reps):
    raw = (PAYLOADS / "raw_mime_8_dsn_bounce.eml").read_bytes()
    send(smtpd, "", ["mou@inbound.mou-assistant.example"], raw)
    [row] = process(session, settings)
    assert row.outcome == "bounce"


def test_oversized_message_is_refused(settings, session_factory, session):
    small = settings.model_copy(update={"webhook_max_bytes": 2000})
    controller = make_controller(small, session_factory, "127.0.0.1", free_port())
    controller.start()
    try:
        with pytest.raises(
            (smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)
        ):
            send(
                controller,
                "a@b.example",
                ["mou@inbound.mou-assistant.example"],
                b"Subject: x\r\n\r\n" + b"y" * 5000,
            )
    finally:
        controller.stop()
    assert inbox(session) == []


def test_database_failure_is_451_so_the_sender_retries(settings):
    def broken():
        raise RuntimeError("database is down")

    controller = make_controller(settings, broken, "127.0.0.1", free_port())
    controller.start()
    try:
        raw = (PAYLOADS / "raw_mime_5.eml").read_bytes()
        with pytest.raises(smtplib.SMTPDataError) as failed:
            send(controller, "a@b.example", ["mou@inbound.mou-assistant.example"], raw)
        assert failed.value.smtp_code == 451
    finally:
        controller.stop()
