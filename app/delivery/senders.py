"""Senders: how a built message leaves the building (SMTP, .eml files, the console, or memory for tests)."""

from __future__ import annotations

import json
import os
import re
import smtplib
import ssl
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from app.config import Settings
from app.delivery.errors import AmbiguousFailure, PermanentFailure, TemporaryFailure
from app.models.base import utcnow


@dataclass(frozen=True)
class SendResult:
    """What the server said; `refused` lists recipients it turned down while accepting the others."""

    refused: dict[str, str] = field(default_factory=dict)


class Sender(Protocol):
    """Delivers raw messages; may keep a connection open until close() (one batch)."""

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> SendResult:
        """Deliver one message or raise TemporaryFailure, PermanentFailure or AmbiguousFailure."""
        ...

    def close(self) -> None:
        """Release any connection."""
        ...


def classify(code: int, reply: bytes | str, what: str) -> TemporaryFailure | PermanentFailure:
    """4xx replies are worth retrying, 5xx are not."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    message = f"{what}: {code} {text}".strip()
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class SmtpSender:
    """SMTP with optional STARTTLS and login; one connection is reused for a batch of messages."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            conn.ehlo()
            if s.smtp_starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                conn.login(s.smtp_username, password)
        except smtplib.SMTPResponseException as exc:
            # Even a 5xx here (say, a bad password) is a configuration problem, not this message's fault.
            raise TemporaryFailure(f"SMTP session set-up failed: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"cannot connect to {s.smtp_host}:{s.smtp_port}: {exc}") from exc
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def _begin(self, envelope_from: str, recipients: list[str]) -> dict[str, str]:
        """MAIL FROM and RCPT TO; nothing has been delivered if this raises."""
        conn = self._conn or self._connect()
        self._conn = conn
        code, reply = conn.mail(envelope_from)
        if code != 250:
            conn.rset()
            raise classify(code, reply, "sender refused")
        refused: dict[str, str] = {}
        worst: TemporaryFailure | PermanentFailure | None = None
        for rcpt in recipients:
            code, reply = conn.rcpt(rcpt)
            if code not in (250, 251):
                refused[rcpt] = f"{code} {reply.decode('utf-8', 'replace')}"
                if worst is None or isinstance(worst, PermanentFailure):
                    worst = classify(code, reply, f"recipient {rcpt} refused")
        if len(refused) == len(recipients):
            conn.rset()
            raise worst or TemporaryFailure("all recipients refused")
        return refused

    def _data(self, raw: bytes) -> None:
        """DATA: once the message is on the wire, a lost connection leaves its fate unknown."""
        assert self._conn is not None
        code, reply = self._conn.docmd("DATA")
        if code != 354:
            self._conn.rset()
            raise classify(code, reply, "DATA refused")
        body = _LEADING_DOT.sub(b"..", raw)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        try:
            self._conn.send(body + b".\r\n")
            code, reply = self._conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise AmbiguousFailure(f"connection lost after the message was sent: {exc}") from exc
        if code != 250:
            raise classify(code, reply, "message refused")

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> SendResult:
        """Send one message over the batch's connection (reconnecting once if it went stale)."""
        reused = self._conn is not None
        try:
            refused = self._begin(envelope_from, recipients)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            if not reused:
                raise TemporaryFailure(f"connection failed before the message was sent: {exc}") from exc
            return self.send(envelope_from, recipients, raw)
        except smtplib.SMTPException as exc:
            self._drop()
            raise TemporaryFailure(f"SMTP error before the message was sent: {exc}") from exc
        self._data(raw)
        return SendResult(refused)

    def close(self) -> None:
        """QUIT politely; the connection is gone either way."""
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            finally:
                self._conn = None


def _safe_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>"))[:120] or "message"


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FileSender:
    """Writes each message as an .eml file (plus its envelope as .json) under <data dir>/outbox/."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> SendResult:
        """Write the files atomically: a reader never sees half a message."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            message_id = _message_id_of(raw)
            stem = f"{utcnow():%Y%m%dT%H%M%S%f}-{_safe_name(message_id)}"
            envelope = {"from": envelope_from, "recipients": recipients, "message_id": message_id}
            _write_atomic(self.directory / f"{stem}.json", json.dumps(envelope, indent=2).encode())
            _write_atomic(self.directory / f"{stem}.eml", raw)
        except OSError as exc:
            raise TemporaryFailure(f"cannot write to {self.directory}: {exc}") from exc
        return SendResult()

    def close(self) -> None:
        """Nothing to release."""


def _message_id_of(raw: bytes) -> str:
    match = re.search(rb"^Message-ID:\s*(<[^>\r\n]+>)", raw, re.MULTILINE | re.IGNORECASE)
    return match.group(1).decode("ascii", "replace") if match else ""


class ConsoleSender:
    """Prints each message with its envelope (for trying things out)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> SendResult:
        """Write the envelope and the message to the stream."""
        out = self.stream or sys.stdout
        out.write(f"--- MAIL FROM:<{envelope_from}> RCPT TO:{', '.join(recipients)}\n")
        out.write(raw.decode("utf-8", "replace").replace("\r\n", "\n"))
        out.write("\n--- end of message\n")
        out.flush()
        return SendResult()

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class SentMessage:
    """One message captured by MemorySender."""

    envelope_from: str
    recipients: list[str]
    raw: bytes


# Process-wide capture list for the memory backend, like Django's locmem `mail.outbox`.
outbox: list[SentMessage] = []


class MemorySender:
    """Keeps messages in a list (tests)."""

    def __init__(self, box: list[SentMessage] | None = None) -> None:
        self.outbox = outbox if box is None else box

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> SendResult:
        """Append to the outbox list."""
        self.outbox.append(SentMessage(envelope_from, list(recipients), raw))
        return SendResult()

    def close(self) -> None:
        """Nothing to release."""


def get_sender(settings: Settings) -> Sender:
    """The sender the settings ask for (MOU_MAIL_BACKEND)."""
    if settings.mail_backend == "smtp":
        return SmtpSender(settings)
    if settings.mail_backend == "console":
        return ConsoleSender()
    if settings.mail_backend == "memory":
        return MemorySender()
    return FileSender(settings.outbox_dir)
