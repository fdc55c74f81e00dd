"""Build outgoing messages: validated headers, envelope-only manager copies, multipart/alternative.

Every header value is checked for line breaks and control characters and every address is parsed strictly
before the message exists, so nothing from a memo or an inbound email can add a header (CVE-2024-6923) or a
recipient (CVE-2023-27043). Inbound header objects are never copied: only checked strings go in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email

from app.compose.render import RenderedEmail
from app.delivery.errors import HeaderInjection, InvalidAddress
from app.models.base import utcnow

LOOP_HEADER = "X-MOU-Assistant-Loop"
# C0 controls except TAB, DEL, and the Unicode line breaks (NEL, LINE and PARAGRAPH SEPARATOR).
_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
MSG_ID = re.compile(r"<[!#-;=?-\[\]-~]+@[!#-;=?-\[\]-~]+>")
MAX_HEADER_CHARS = 900


def check_header_value(field_name: str, value: str) -> str:
    """Return `value` unchanged, or raise HeaderInjection when it could break out of its header."""
    if _FORBIDDEN.search(value):
        raise HeaderInjection(
            f"The {field_name} contains a line break or control character, which an email header "
            "cannot carry. Remove it and try again.",
            field=field_name,
        )
    if len(value) > MAX_HEADER_CHARS:
        raise HeaderInjection(f"The {field_name} is too long for an email header.", field=field_name)
    return value


def _validated(field_name: str, email: str, *, allow_display_name: bool = False):
    check_header_value(field_name, email)
    try:
        return validate_email(
            email.strip(),
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=allow_display_name,
        )
    except EmailNotValidError as exc:
        raise InvalidAddress(
            f"The {field_name} '{email}' is not a valid email address: {exc}", field=field_name
        ) from None


def parse_address(field_name: str, email: str, name: str = "") -> Address:
    """A strictly validated mailbox; the display name is checked but may hold any printable text."""
    check_header_value(f"{field_name} name", name)
    result = _validated(field_name, email)
    return Address(display_name=" ".join(name.split()), addr_spec=result.ascii_email)


def parse_mailbox(field_name: str, value: str) -> Address:
    """Parse a configured `Name <addr>` or bare address (for example MOU_FROM_ADDRESS)."""
    result = _validated(field_name, value, allow_display_name=True)
    return Address(display_name=result.display_name or "", addr_spec=result.ascii_email)


def is_msg_id(value: str | None) -> bool:
    """True for a well-formed `<left@right>` message id without spaces or controls."""
    return bool(value) and bool(MSG_ID.fullmatch(value or ""))


def new_message_id(domain: str) -> str:
    """A globally unique Message-ID, fixed when the outbox row is created."""
    return f"<{uuid.uuid4().hex}@{domain}>"


@dataclass(frozen=True)
class Party:
    """A person on a message: display name and address (validated when the message is built)."""

    name: str
    email: str


@dataclass
class Envelope:
    """Everything the message builder needs; `hidden` recipients get the message but appear in no header."""

    sender: Party
    to: Sequence[Party]
    message_id: str
    envelope_from: str
    loop_marker: str
    cc: Sequence[Party] = ()
    reply_to: Sequence[Party] = ()
    hidden: Sequence[Party] = ()
    internal: bool = False
    in_reply_to: str | None = None
    date: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class OutgoingEmail:
    """A built message and its SMTP envelope."""

    message: EmailMessage
    envelope_from: str
    recipients: list[str]
    message_id: str
    subject: str

    def as_bytes(self) -> bytes:
        """The wire form (CRLF line ends, RFC 2047 encoded headers)."""
        return self.message.as_bytes(policy=policy.SMTP)


def _addresses(field_name: str, parties: Iterable[Party]) -> list[Address]:
    return [parse_address(field_name, p.email, p.name) for p in parties]


def _unique(addresses: Iterable[Address]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.addr_spec.lower(), address.addr_spec)
    return list(seen.values())


def _checked_msg_id(field_name: str, value: str) -> str:
    check_header_value(field_name, value)
    if not MSG_ID.fullmatch(value):
        raise HeaderInjection(f"The {field_name} '{value}' is not a valid message id.", field=field_name)
    return value


def build_message(rendered: RenderedEmail, env: Envelope) -> OutgoingEmail:
    """Assemble the multipart/alternative message; raises HeaderInjection or InvalidAddress first."""
    sender = parse_address("sender", env.sender.email, env.sender.name)
    to, cc = _addresses("recipient", env.to), _addresses("cc", env.cc)
    reply_to, hidden = _addresses("reply-to", env.reply_to), _addresses("copy recipient", env.hidden)
    envelope_from = parse_address("envelope sender", env.envelope_from).addr_spec
    subject = check_header_value("subject", rendered.subject)
    message_id = _checked_msg_id("Message-ID", env.message_id)
    msg = EmailMessage(policy=policy.default)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(env.date)
    msg["Message-ID"] = message_id
    if env.in_reply_to:
        msg["In-Reply-To"] = msg["References"] = _checked_msg_id("In-Reply-To", env.in_reply_to)
    _mark(msg, env)
    # Quoted-printable keeps the message 7-bit clean for any relay, whatever the text holds.
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    recipients = _unique([*to, *cc, *hidden])
    return OutgoingEmail(msg, envelope_from, recipients, message_id, subject)


def _mark(msg: EmailMessage, env: Envelope) -> None:
    """Loop marker on everything; RFC 3834 markers on internal notices so auto-responders stay quiet."""
    msg[LOOP_HEADER] = check_header_value("loop marker", env.loop_marker)
    if env.internal:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
