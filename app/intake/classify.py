"""Automatic mail we must record but never answer: loops, bounces (DSNs) and auto-replies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from app.intake.inbound import header_addresses, header_text, leaf_parts, message_id, part_text, raw_headers

LOOP_HEADER = "X-MOU-Assistant-Loop"
# RFC 5321 §6.3: a message that has passed this many relays is looping.
MAX_RECEIVED = 30

_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response)|out of (the )?office|autoreply|"
    r"abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence|respuesta autom[aá]tica|"
    r"risposta automatica|fuera de la oficina)\b",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver(ed|able)|delivery (status notification|failure|has failed)|returned mail|"
    r"mail delivery failed|failure notice|unzustellbar|non remis)",
    re.I,
)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_MSGID_LINE = re.compile(r"(?im)^message-id:\s*(<[^<>\s]+>)")


@dataclass
class Automatic:
    """Why a message is automatic: kind is `loop`, `bounce` or `auto_reply`."""

    kind: str
    reason: str
    original_ids: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)


def null_sender(msg: Message, envelope_from: str, envelope_known: bool) -> bool:
    """True for a null reverse path (`MAIL FROM:<>`), as auto-responders and MTAs use."""
    paths = [v.strip() for v in raw_headers(msg, "return-path")]
    if paths:
        return paths[0] in ("<>", "")
    return envelope_known and not envelope_from


def detect_loop(msg: Message, own_addresses: set[str], own_domains: set[str]) -> str | None:
    """Our own marker header, our own From, or too many relays."""
    if raw_headers(msg, LOOP_HEADER):
        return f"carries our {LOOP_HEADER} header"
    for _, addr in header_addresses(msg, "from"):
        if addr in own_addresses or addr.rsplit("@", 1)[-1] in own_domains:
            return f"sent from our own address {addr}"
    if len(raw_headers(msg, "received")) > MAX_RECEIVED:
        return "passed through too many relays"
    return None


def is_dsn(msg: Message, is_null_sender: bool) -> bool:
    """A delivery status notification: RFC 6522 report, or a null-sender bounce by subject."""
    if msg.get_content_type() == "multipart/report":
        return (msg.get_param("report-type") or "").lower() in ("delivery-status", "")
    sender = " ".join(a for _, a in header_addresses(msg, "from"))
    daemon = "mailer-daemon" in sender or "postmaster" in sender
    return (is_null_sender or daemon) and bool(_BOUNCE_SUBJECT.search(header_text(msg, "subject")))


def auto_reply_reason(msg: Message, is_null_sender: bool) -> str | None:
    """RFC 3834 Auto-Submitted, the legacy markers, list mail, or an auto-reply subject from <>."""
    auto = header_text(msg, "auto-submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply"):
        if raw_headers(msg, name):
            return f"{name} header"
    precedence = header_text(msg, "precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if raw_headers(msg, "list-id") or raw_headers(msg, "list-unsubscribe"):
        return "mailing-list message"
    if is_null_sender and _AUTO_SUBJECT.search(header_text(msg, "subject")):
        return "auto-reply subject from a null sender"
    return None


def dsn_details(msg: Message) -> tuple[list[str], list[dict[str, str]]]:
    """Message-IDs of the bounced original and the failed recipients named in the report."""
    ids: list[str] = []
    failed: list[dict[str, str]] = []
    for part in leaf_parts(msg):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            failed.extend(_failed_recipients(part))
        elif ctype in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers"):
            ids.extend(_original_ids(part))
    if not ids:  # non-standard bounces quote the original headers in the text
        for part in leaf_parts(msg):
            if part.get_content_maintype() == "text":
                ids.extend(_MSGID_LINE.findall(part_text(part)))
    own = message_id(msg)
    return [i for i in dict.fromkeys(ids) if i != own], failed


def _original_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [mid for inner in payload if isinstance(inner, Message) and (mid := message_id(inner))]
    headers = HeaderParser(policy=compat32).parsestr(part_text(part), headersonly=True)
    mid = message_id(headers)
    return [mid] if mid else []


def _failed_recipients(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    if not blocks:  # an unparsed report: read it as header blocks ourselves
        text = part_text(part).replace("\r\n", "\n")
        blocks = [
            HeaderParser(policy=compat32).parsestr(chunk) for chunk in text.split("\n\n") if chunk.strip()
        ]
    out = []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        action = header_text(block, "action").lower()
        recipient = header_text(block, "final-recipient") or header_text(block, "original-recipient")
        if recipient and action in ("failed", ""):
            out.append(
                {
                    "address": recipient.split(";", 1)[-1].strip().lower(),
                    "status": header_text(block, "status"),
                    "diagnostic": header_text(block, "diagnostic-code")[:300],
                }
            )
    return out


def classify_automatic(
    msg: Message,
    *,
    envelope_from: str,
    envelope_known: bool,
    own_addresses: set[str],
    own_domains: set[str],
) -> Automatic | None:
    """The reason this message must not be treated as a memo or answered, or None."""
    loop = detect_loop(msg, own_addresses, own_domains)
    if loop:
        return Automatic("loop", loop)
    is_null = null_sender(msg, envelope_from, envelope_known)
    if is_dsn(msg, is_null):
        ids, failed = dsn_details(msg)
        return Automatic("bounce", "delivery status notification", ids, failed)
    reason = auto_reply_reason(msg, is_null)
    return Automatic("auto_reply", reason) if reason else None
