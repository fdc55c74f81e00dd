"""SendGrid Inbound Parse: raw mode (`email` field) preferred, parsed mode rebuilt from its fields."""

from __future__ import annotations

from collections.abc import Mapping
from email.parser import BytesHeaderParser
from email.policy import compat32

from app.intake.errors import MalformedPayload
from app.intake.inbound import DEFAULT_MAX_BYTES, InboundEmail, make_inbound
from app.intake.providers.forms import Attachment, Form, header, json_object, parse_form, rebuild_message

PROVIDER = "sendgrid"


def adapt(headers: Mapping[str, str], body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    """Turn a SendGrid Inbound Parse POST into an InboundEmail."""
    form = parse_form(header(headers, "content-type"), body)
    envelope = _loose_json(form.get("envelope"))
    raw = form.get_view("email")
    if raw is None:
        # Raw mode posts a file part on some accounts: take the first file whose name is "email".
        raw = form.file_view("email")
    if raw is None:
        if all(form.get_bytes(name) is None for name in ("headers", "text", "html")):
            # Neither mode's fields: an empty or cut-off form (a boundary that never matched) is not mail.
            raise MalformedPayload("The SendGrid form has no email in it (no 'email' or 'headers' field).")
        raw = _rebuild(form)
    to = envelope.get("to") or []
    return make_inbound(
        raw,
        provider=PROVIDER,
        envelope_from=str(envelope.get("from") or ""),
        envelope_to=[str(a) for a in (to if isinstance(to, list) else [to])],
        extras={"spf": form.get("SPF"), "dkim": form.get("dkim")},
        max_bytes=max_bytes,
    )


def _loose_json(value: str | None) -> dict:
    # `envelope` and `charsets` are JSON strings; `dkim` only looks like JSON, so it is never parsed.
    if not value:
        return {}
    try:
        return json_object(value, "field")
    except Exception:
        return {}


def _rebuild(form: Form) -> bytes:
    # Parsed mode: `text`/`html` keep the original charset's bytes; `charsets` names it per field.
    charsets = {str(k): str(v) for k, v in _loose_json(form.get("charsets")).items()}
    block = form.get_bytes("headers") or b""
    pairs = list(BytesHeaderParser(policy=compat32).parsebytes(block.strip() + b"\r\n\r\n").items())
    text = form.get("text", charsets.get("text", "utf-8"))
    html = form.get("html", charsets.get("html", "utf-8"))
    return rebuild_message(pairs, text, html, _attachments(form))


def _attachments(form: Form) -> list[Attachment]:
    # `attachment-info` (JSON keyed attachment1..N) carries the real filename and type.
    info = _loose_json(form.get("attachment-info"))
    out = []
    for part in form.files():
        meta = info.get(part.name) if isinstance(info.get(part.name), dict) else {}
        out.append(
            Attachment(
                filename=str(meta.get("filename") or part.filename or "attachment"),
                content_type=str(meta.get("type") or part.content_type or "application/octet-stream"),
                data=part.value,
            )
        )
    return out
