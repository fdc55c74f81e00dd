"""Raw MIME from any forwarder or MTA pipe, plus two relay shapes: a JSON event and CloudMailin."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from app.intake.errors import MalformedPayload
from app.intake.inbound import DEFAULT_MAX_BYTES, InboundEmail, make_inbound
from app.intake.providers.forms import Form, header, json_object, parse_form, rebuild_message

PROVIDER = "mime"


def adapt(headers: Mapping[str, str], body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    """Turn a `mime` webhook POST (raw message, relay JSON or CloudMailin) into an InboundEmail."""
    ctype = header(headers, "content-type").split(";")[0].strip().lower()
    # Standard Webhooks ids are stable across a relay's retries.
    provider_id = header(headers, "webhook-id") or None
    if ctype == "application/json":
        return _from_json(json_object(body, "mime webhook payload"), provider_id, max_bytes)
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return _from_form(parse_form(header(headers, "content-type"), body), provider_id, max_bytes)
    # A raw RFC 5322 message; a relay may name the envelope in headers (the message can't).
    return make_inbound(
        body,
        provider=PROVIDER,
        envelope_from=header(headers, "x-envelope-from"),
        envelope_to=_split(header(headers, "x-envelope-to")),
        provider_id=provider_id,
        max_bytes=max_bytes,
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _from_json(data: dict[str, Any], provider_id: str | None, max_bytes: int) -> InboundEmail:
    event = data.get("data")
    if isinstance(event, dict) and isinstance(event.get("raw_mime_b64"), str):
        return _relay_event(event, provider_id, max_bytes)
    if isinstance(data.get("envelope"), dict) and isinstance(data.get("headers"), dict):
        return _cloudmailin_json(data, provider_id, max_bytes)
    raise MalformedPayload("Unknown JSON shape: expected data.raw_mime_b64 or a CloudMailin message.")


def _relay_event(event: dict[str, Any], provider_id: str | None, max_bytes: int) -> InboundEmail:
    # Relay event: {"data": {"envelope": {"mail_from", "rcpt_to": []}, "raw_mime_b64": ...}}.
    try:
        raw = base64.b64decode(event["raw_mime_b64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedPayload("raw_mime_b64 is not valid base64.") from exc
    env = event.get("envelope") if isinstance(event.get("envelope"), dict) else {}
    rcpt = env.get("rcpt_to")
    return make_inbound(
        raw,
        provider=PROVIDER,
        envelope_from=str(env.get("mail_from") or ""),
        envelope_to=[str(r) for r in rcpt] if isinstance(rcpt, list) else _split(str(rcpt or "")),
        provider_id=provider_id,
        max_bytes=max_bytes,
    )


def _cloudmailin_json(data: dict[str, Any], provider_id: str | None, max_bytes: int) -> InboundEmail:
    # CloudMailin's normalised JSON: header names lower-case with underscores, repeats as lists;
    # `plain` is the full text (`reply_plain` drops forwarded memos, so it is never used).
    env = data["envelope"]
    pairs: list[tuple[str, str]] = []
    for name, value in data["headers"].items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(name).replace("_", "-"), str(item)))
    raw = rebuild_message(pairs, _str(data.get("plain")), _str(data.get("html")), [])
    recipients = env.get("recipients")
    return make_inbound(
        raw,
        provider=PROVIDER,
        envelope_from=str(env.get("from") or ""),
        envelope_to=[str(r) for r in recipients]
        if isinstance(recipients, list)
        else _split(str(env.get("to") or "")),
        provider_id=provider_id,
        max_bytes=max_bytes,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _from_form(form: Form, provider_id: str | None, max_bytes: int) -> InboundEmail:
    # CloudMailin "raw" format: the original message in `message`, envelope in bracket names.
    raw = form.get_view("message") or form.file_view("message")
    if raw is None:
        raise MalformedPayload("The form has no `message` field with the raw email.")
    rcpt = [
        v.decode("utf-8", "replace")
        for f in form.fields
        if f.name.startswith("envelope[recipients]")
        for v in [f.value]
    ]
    return make_inbound(
        raw,
        provider=PROVIDER,
        envelope_from=form.get("envelope[from]") or "",
        envelope_to=rcpt or _split(form.get("envelope[to]") or ""),
        provider_id=provider_id,
        max_bytes=max_bytes,
    )
