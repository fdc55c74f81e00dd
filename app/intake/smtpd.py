"""`mou smtpd`: an SMTP listener for the inbound address that feeds the same inbox as the webhooks."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlmodel import Session

from app.config import Settings, get_settings
from app.db import make_engine
from app.intake import service
from app.intake.errors import BodyTooLarge, MalformedEmail
from app.intake.inbound import make_inbound, normalise_address

log = logging.getLogger("mou.smtpd")
PROVIDER = "smtp"
MAX_RECIPIENTS = 50


class InboundHandler:
    """aiosmtpd handler: RCPT only for the inbound domain; DATA stored and committed before 250."""

    def __init__(self, settings: Settings, session_factory: Callable[[], Session]) -> None:
        self.settings = settings
        self.session_factory = session_factory

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: SMTPSession, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Accept recipients on our inbound domain only (we are not an open relay)."""
        addr = normalise_address(address)
        if not addr or addr.rsplit("@", 1)[-1] != self.settings.inbound_domain:
            return "550 5.7.1 Relaying denied: not a local address"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(addr)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:  # noqa: N802
        """Parse, store durably, then answer 250; 451 when the database fails so the sender retries."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            inbound = make_inbound(
                raw,
                provider=PROVIDER,
                envelope_from=str(envelope.mail_from or ""),
                envelope_to=list(envelope.rcpt_tos),
                max_bytes=self.settings.webhook_max_bytes,
            )
        except BodyTooLarge:
            return "552 5.3.4 Message too big"
        except MalformedEmail as exc:
            return f"554 5.6.0 {exc.message}"
        try:
            created = await asyncio.to_thread(self._store, inbound)
        except Exception:
            log.exception("could not store a message received over SMTP")
            return "451 4.3.0 Temporary failure storing the message; try again later"
        return "250 2.0.0 Message accepted" if created else "250 2.0.0 Already received"

    def _store(self, inbound) -> bool:
        with self.session_factory() as session:
            stored = service.store_inbound(session, inbound, self.settings)
            session.commit()
            return stored.created


def make_controller(
    settings: Settings, session_factory: Callable[[], Session], host: str = "127.0.0.1", port: int = 8025
) -> Controller:
    """A controller (not started) serving the inbound handler with the size limit."""
    handler = InboundHandler(settings, session_factory)
    return Controller(
        handler,
        hostname=host,
        port=port,
        data_size_limit=settings.webhook_max_bytes,
        decode_data=False,
        ident="MOU Assistant",
    )


def run_smtpd(host: str = "127.0.0.1", port: int = 8025, settings: Settings | None = None) -> None:
    """Serve SMTP until interrupted (the `mou smtpd` command)."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    controller = make_controller(settings, lambda: Session(engine, expire_on_commit=False), host, port)
    controller.start()
    log.info("SMTP listener on %s:%s for @%s", host, port, settings.inbound_domain)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
        engine.dispose()
