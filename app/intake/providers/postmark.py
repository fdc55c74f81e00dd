"""Postmark inbound JSON: `RawEmail` preferred, otherwise rebuilt from the parsed fields."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from email.utils import formataddr
from typing import Any

from app.intake.errors import MalformedPayload
from app.intake.inbound import DEFAULT_MAX_BYTES, InboundEmail, make_inbound
from app.intake.providers.forms import Attachment, json_object, rebuild_message

PROVIDER = "postmark"


def adapt(headers: Mapping[str, str], body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    """Turn a Postmark inbound webhook POST into an InboundEmail."""
    data = json_object(body, "Postmark payload")
    raw_email = data.get("RawEmail")
    # RawEmail is a JSON string: Postmark has already decoded the bytes, so re-encode as UTF-8.
    raw = (
        raw_email.encode("utf-8", "surrogatepass")
        if isinstance(raw_email, str) and raw_email
        else _rebuild(data)
    )
    return make_inbound(
        raw,
        provider=PROVIDER,
        envelope_from=_return_path(data) or _text(data.get("From")),
        envelope_to=_recipients(data),
        # `MessageID` is Postmark's own UUID (stable across its retries), not the RFC Message-ID.
        provider_id=_text(data.get("MessageID")) or None,
        max_bytes=max_bytes,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _header_list(data: dict) -> list[tuple[str, str]]:
    items = data.get("Headers") if isinstance(data.get("Headers"), list) else []
    return [(_text(h.get("Name")), _text(h.get("Value"))) for h in items if isinstance(h, dict)]


def _return_path(data: dict) -> str:
    return next((v for n, v in _header_list(data) if n.lower() == "return-path"), "")


def _recipients(data: dict) -> list[str]:
    # OriginalRecipient is the address Postmark received for (BCC copies included): route on it.
    original = _text(data.get("OriginalRecipient"))
    if original:
        return [original]
    full = data.get("ToFull") if isinstance(data.get("ToFull"), list) else []
    return [_text(r.get("Email")) for r in full if isinstance(r, dict) and r.get("Email")]


def _rebuild(data: dict) -> bytes:
    # From/To/Cc/Subject/Date are top-level fields, not in `Headers`.
    full = data.get("FromFull") if isinstance(data.get("FromFull"), dict) else {}
    sender = formataddr((_text(full.get("Name")), _text(full.get("Email")))) if full.get("Email") else ""
    pairs = [
        ("From", sender or _text(data.get("From"))),
        ("To", _text(data.get("To"))),
        ("Cc", _text(data.get("Cc"))),
        ("Subject", _text(data.get("Subject"))),
        ("Date", _text(data.get("Date"))),
        ("Reply-To", _text(data.get("ReplyTo"))),
    ]
    pairs = [(n, v) for n, v in pairs if v] + _header_list(data)
    return rebuild_message(
        pairs, _text(data.get("TextBody")), _text(data.get("HtmlBody")), _attachments(data)
    )


def _attachments(data: dict) -> list[Attachment]:
    items = data.get("Attachments") if isinstance(data.get("Attachments"), list) else []
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            content = base64.b64decode(_text(item.get("Content")), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise MalformedPayload("An attachment's Content is not base64.") from exc
        name = _text(item.get("Name")) or "attachment"
        out.append(Attachment(name, _text(item.get("ContentType")) or "application/octet-stream", content))
    return out
