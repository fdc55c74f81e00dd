"""The webhook hot path: cheap structural checks on a verified request before it is stored
(app/intake/store.py).

Reading the email (form or JSON decoding, the provider adapter, the MIME parse and the content
dedupe) is the worker's job (service.process_pending); here only what a retry can never fix is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import parse_options_header

from app.intake.errors import MalformedPayload
from app.intake.inbound import precheck_mime, safe_text
from app.intake.providers.forms import MAX_FIELDS, parse_form
from app.intake.verify import header

# The request headers the adapters read when the worker decodes the stored body.
KEPT_HEADERS = ("content-type", "x-envelope-from", "x-envelope-to", "webhook-id")
SENDGRID_MAIL_FIELDS = frozenset({"email", "headers", "text", "html"})


@dataclass
class Ingest:
    """A verified request ready to store: its provider id (when cheap) and the headers kept."""

    provider_id: str | None
    headers: dict[str, str]


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The few headers the adapter needs later, lower-cased."""
    return {name: value for name in KEPT_HEADERS if (value := header(headers, name))}


def provider_id_text(value: Any) -> str | None:
    """A provider's event id made safe to store, or None."""
    return (safe_text(value)[:255] or None) if isinstance(value, str) else None


def precheck(provider: str, headers: Mapping[str, str], body: bytes | bytearray) -> Ingest:
    """Refuse (4xx) what is structurally not mail; return what the store step needs."""
    kept = kept_headers(headers)
    ctype = kept.get("content-type", "")
    if provider == "sendgrid":
        _check_sendgrid_form(ctype, body)
        return Ingest(None, kept)
    if provider == "postmark":
        data = _json_object(body, "Postmark payload")
        return Ingest(provider_id_text(data.get("MessageID")), kept)
    if provider == "mime":
        _check_mime(ctype, body)
        return Ingest(provider_id_text(kept.get("webhook-id")), kept)
    return Ingest(None, kept)  # mailgun: its form was read by the signature check


def _json_object(body: bytes | bytearray, what: str) -> dict[str, Any]:
    # The C decoder raises RecursionError on deep nesting instead of crashing.
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload(f"The {what} is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise MalformedPayload(f"The {what} must be a JSON object.")
    return data


def _check_mime(ctype_header: str, body: bytes | bytearray) -> None:
    ctype = ctype_header.split(";")[0].strip().lower()
    if ctype == "application/json":
        data = _json_object(body, "mime webhook payload")
        event = data.get("data")
        relay = isinstance(event, dict) and isinstance(event.get("raw_mime_b64"), str)
        cloudmailin = isinstance(data.get("envelope"), dict) and isinstance(data.get("headers"), dict)
        if not relay and not cloudmailin:
            raise MalformedPayload("Unknown JSON shape: expected data.raw_mime_b64 or a CloudMailin message.")
    elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = parse_form(ctype_header, bytes(body))  # CloudMailin's raw format: rare, read in full
        if form.get_bytes("message") is None and not any(f.name == "message" for f in form.files()):
            raise MalformedPayload("The form has no `message` field with the raw email.")
    else:
        precheck_mime(body)


def _check_sendgrid_form(ctype_header: str, body: bytes | bytearray) -> None:
    """The form parses and names an email field; its values are not copied (the worker reads them)."""
    ctype, params = parse_options_header(ctype_header)
    if ctype != b"multipart/form-data":
        names = {f.name for f in parse_form(ctype_header, bytes(body)).fields}
    else:
        names = _multipart_names(params.get(b"boundary"), body)
    if not names & SENDGRID_MAIL_FIELDS:
        # Neither mode's fields: an empty or cut-off form (a boundary that never matched) is not mail.
        raise MalformedPayload("The SendGrid form has no email in it (no 'email' or 'headers' field).")


# A part's header block longer than this is not a form field (python-multipart's own cap is 16 KB).
MAX_PART_HEADER_BYTES = 16384
_SIMPLE_NAME = re.compile(
    rb'^content-disposition:[ \t]*form-data[^\r\n]*?;[ \t]*name="([^"\\\r\n]*)"[ \t]*(?:;|\r|$)',
    re.IGNORECASE | re.MULTILINE,
)


def _multipart_names(boundary: bytes | None, body: bytes | bytearray) -> set[str]:
    """The field names of a complete multipart body, found with bytes.find (values are not read).

    Every part must be closed by the next delimiter and the body by the closing one, so a form cut off
    mid-part or whose boundary never appears is refused here rather than stored."""
    if not boundary:
        raise MalformedPayload("multipart/form-data without a boundary.")
    delimiter = b"--" + boundary
    next_part = b"\r\n" + delimiter
    pos = body.find(delimiter)
    if pos < 0:
        raise MalformedPayload("The multipart form's boundary never appears in the body.")
    names: set[str] = set()
    for _part in range(MAX_FIELDS + 1):
        pos += len(delimiter)
        if body[pos : pos + 2] == b"--":
            return names
        line_end = body.find(b"\r\n", pos)
        head_end = body.find(b"\r\n\r\n", line_end) if line_end >= 0 else -1
        if head_end < 0 or head_end - line_end > MAX_PART_HEADER_BYTES:
            raise MalformedPayload("The multipart form has a part without a readable header block.")
        names.add(_field_name(body[line_end + 2 : head_end]))
        pos = body.find(next_part, head_end + 4)
        if pos < 0:
            raise MalformedPayload("The multipart form is cut off (a part is never closed).")
        pos += 2
    raise MalformedPayload("The form has too many fields.")


def _field_name(head: bytes | bytearray) -> str:
    # The common `Content-Disposition: form-data; name="x"` read with one regex search; anything else
    # (RFC 2231, odd quoting) goes through the full header parser.
    simple = _SIMPLE_NAME.search(head)
    if simple:
        return simple.group(1).decode("latin-1")
    for line in bytes(head).split(b"\r\n"):
        field, _, value = line.partition(b":")
        if field.strip().lower() == b"content-disposition":
            return parse_options_header(value)[1].get(b"name", b"").decode("latin-1")
    return ""
