"""The webhook hot path: cheap structural checks on a verified request, then one durable INSERT.

Reading the email (form or JSON decoding, the provider adapter, the MIME parse and the content
dedupe) is the worker's job (service.process_pending); here only what a retry can never fix is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.intake.errors import MalformedPayload, SignatureInvalid
from app.intake.inbound import precheck_mime, safe_text
from app.intake.providers.forms import MAX_FIELDS, header, parse_form
from app.models import InboundMessage, WebhookNonce, utcnow

# The request headers the adapters read when the worker decodes the stored body.
KEPT_HEADERS = ("content-type", "x-envelope-from", "x-envelope-to", "webhook-id")
SENDGRID_MAIL_FIELDS = frozenset({"email", "headers", "text", "html"})
_INBOUND = InboundMessage.__table__
_NONCE = WebhookNonce.__table__


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


def _multipart_names(boundary: bytes | None, body: bytes | bytearray) -> set[str]:
    if not boundary:
        raise MalformedPayload("multipart/form-data without a boundary.")
    names: set[str] = set()
    state = {"field": b"", "value": b"", "disposition": b"", "parts": 0}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        if state["field"].lower() == b"content-disposition":
            state["disposition"] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_part_end() -> None:
        _, disp = parse_options_header(state["disposition"])
        names.add(disp.get(b"name", b"").decode("latin-1"))
        state["disposition"] = b""
        state["parts"] += 1
        if state["parts"] > MAX_FIELDS:
            raise MalformedPayload("The form has too many fields.")

    callbacks = {
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks, max_header_count=32, max_header_size=16384)
        parser.write(body)
        parser.finalize()
    except MalformedPayload:
        raise
    except Exception as exc:
        raise MalformedPayload(f"The multipart form cannot be parsed ({type(exc).__name__}).") from exc
    return names


# --- the durable store -------------------------------------------------------------------------


@dataclass
class Receipt:
    """The stored row's id and whether this request created it (False: a redelivery)."""

    id: int
    created: bool


def store_request(
    session: Session,
    provider: str,
    ingest: Ingest,
    body: bytes | bytearray,
    nonce: str | None = None,
) -> Receipt:
    """One transaction: the one-use nonce (replay → 401) and the request row; committed on return."""
    try:
        if nonce:
            session.execute(insert(_NONCE).values(provider=provider, nonce=nonce, seen_at=utcnow()))
        inserted = session.execute(
            _insert_once(session)
            .values(
                provider=provider,
                provider_id=ingest.provider_id,
                request_body=body,
                request_headers=ingest.headers,
                envelope_to=[],
                subject="",
                envelope_from="",
                status="received",
                detail="",
                attempts=0,
                received_at=utcnow(),
            )
            .returning(_INBOUND.c.id)
        ).scalar()
        session.commit()
    except IntegrityError:  # only the nonce can collide here: ON CONFLICT covers the provider id
        session.rollback()
        raise SignatureInvalid("This webhook token was already used (replay refused).") from None
    if inserted is not None:
        return Receipt(inserted, True)
    existing = session.execute(
        select(_INBOUND.c.id).where(
            _INBOUND.c.provider == provider, _INBOUND.c.provider_id == ingest.provider_id
        )
    ).scalar()
    session.rollback()  # nothing was written; end the read
    return Receipt(existing, False)


def _insert_once(session: Session):
    # A redelivery (same provider id) inserts nothing and returns no row.
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_INBOUND).on_conflict_do_nothing(
        index_elements=[_INBOUND.c.provider, _INBOUND.c.provider_id]
    )
