"""Amazon SES receipt rule → SNS: the SES notification's base64 `content` is the raw message."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from app.intake.errors import MalformedPayload
from app.intake.inbound import DEFAULT_MAX_BYTES, InboundEmail, make_inbound
from app.intake.providers.forms import json_object

PROVIDER = "ses"


def sns_message(body: bytes) -> dict[str, Any]:
    """The SNS envelope (sent as text/plain JSON by default)."""
    return json_object(body, "SNS message")


def ses_notification(envelope: dict[str, Any]) -> dict[str, Any]:
    """The SES notification inside an SNS Notification (`Message` is a JSON string)."""
    message = envelope.get("Message")
    if not isinstance(message, str):
        raise MalformedPayload("The SNS notification has no Message string.")
    return json_object(message, "SES notification")


def is_received_mail(envelope: dict[str, Any]) -> bool:
    """True for an SES `Received` notification (others, e.g. sending feedback, are not inbound mail)."""
    if envelope.get("Type") != "Notification":
        return False
    return ses_notification(envelope).get("notificationType") == "Received"


def adapt(headers: Mapping[str, str], body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    """Turn a verified SNS Notification carrying an SES received mail into an InboundEmail."""
    envelope = sns_message(body)
    note = ses_notification(envelope)
    mail = _dict(note.get("mail"))
    receipt = _dict(note.get("receipt"))
    recipients = receipt.get("recipients") if isinstance(receipt.get("recipients"), list) else []
    return make_inbound(
        _content(note, receipt),
        provider=PROVIDER,
        envelope_from=str(mail.get("source") or ""),
        # receipt.recipients is the envelope RCPT TO; mail.destination is only To+Cc headers.
        envelope_to=[str(r) for r in recipients],
        # SES's id is the same however often SNS retries (the SNS MessageId would do too).
        provider_id=str(mail.get("messageId") or envelope.get("MessageId") or "") or None,
        extras={
            k: _dict(receipt.get(k)).get("status") for k in ("spfVerdict", "dkimVerdict", "dmarcVerdict")
        },
        max_bytes=max_bytes,
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _content(note: dict[str, Any], receipt: dict[str, Any]) -> bytes:
    content = note.get("content")
    if not isinstance(content, str) or not content:
        # The S3 action (or a rule without content) leaves nothing to read here.
        raise MalformedPayload("The SES notification carries no message content; use the SNS action.")
    # `action.encoding` is undocumented but present in practice; BASE64 is lossless, UTF8 may not be.
    encoding = str(_dict(receipt.get("action")).get("encoding") or "").upper()
    if encoding == "UTF8":
        return content.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        if encoding == "BASE64":
            raise MalformedPayload("The SES content is not valid base64.") from None
        return content.encode("utf-8", "surrogatepass")
