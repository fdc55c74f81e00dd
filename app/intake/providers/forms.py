"""Request-body decoding shared by the adapters: form data, urlencoded, JSON, header lookup."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.policy import default as default_policy
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header

from app.intake.errors import MalformedPayload
from app.intake.inbound import decode_bytes, safe_text

MAX_FIELDS = 5000
MAX_JSON_DEPTH = 64


@dataclass
class FormField:
    """One posted field or file, its value still as bytes (charset decided by the adapter).

    `data` is a view of the posted body where the value lies in one piece in it (no copy of a large
    email is made to read the form), else the value's own bytes."""

    name: str
    data: bytes | memoryview
    filename: str | None = None
    content_type: str | None = None

    @property
    def value(self) -> bytes:
        """The value as its own bytes (a copy when `data` is a view)."""
        return bytes(self.data)  # the same object when it already is bytes


class Form:
    """Posted fields in order, with first-value lookups."""

    def __init__(self, fields: list[FormField]) -> None:
        self.fields = fields

    def get_bytes(self, name: str) -> bytes | None:
        """The first value of a field, as posted."""
        data = self.get_view(name)
        return None if data is None else bytes(data)

    def get_view(self, name: str) -> bytes | memoryview | None:
        """The first value of a field without copying it (for a raw email, which may be large)."""
        return next((f.data for f in self.fields if f.name == name and f.filename is None), None)

    def file_view(self, name: str) -> bytes | memoryview | None:
        """The first file part named `name`, without copying it."""
        return next((f.data for f in self.files() if f.name == name), None)

    def get(self, name: str, charset: str | None = "utf-8") -> str | None:
        """The first value of a field decoded by `charset` (with the usual fallbacks)."""
        data = self.get_bytes(name)
        return None if data is None else decode_bytes(data, charset)

    def files(self) -> list[FormField]:
        """File parts, in order."""
        return [f for f in self.fields if f.filename is not None]


def header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive request header lookup."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


def parse_form(content_type: str, body: bytes) -> Form:
    """Decode multipart/form-data or urlencoded bodies; anything else is a MalformedPayload."""
    ctype, params = parse_options_header(content_type or "")
    if ctype == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise MalformedPayload("multipart/form-data without a boundary.")
        return Form(_parse_multipart(boundary, body))
    if ctype in (b"application/x-www-form-urlencoded", b""):
        # Percent-decoded bytes are kept as bytes (surrogateescape round-trip) for the adapter to decode.
        text = body.decode("latin-1")
        try:
            pairs = parse_qsl(
                text,
                keep_blank_values=True,
                max_num_fields=MAX_FIELDS,
                encoding="utf-8",
                errors="surrogateescape",
            )
        except ValueError as exc:
            raise MalformedPayload("The form has too many fields.") from exc
        return Form([FormField(safe_text(k), v.encode("utf-8", "surrogateescape")) for k, v in pairs])
    raise MalformedPayload(f"Expected form data, got {safe_text(ctype.decode('latin-1'))[:80]!r}.")


def _parse_multipart(boundary: bytes, body: bytes) -> list[FormField]:
    fields: list[FormField] = []
    state: dict[str, Any] = {}
    source = body if isinstance(body, (bytes, bytearray)) else bytes(body)  # views of it, not a copy

    def on_part_begin() -> None:
        state.update(headers={}, pieces=[], field=b"", value=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        # Pieces of the body itself are kept as offsets; the parser's own buffers (a boundary-like
        # run it held back) are copied.
        state["pieces"].append((start, end) if data is source else data[start:end])

    def on_part_end() -> None:
        fields.append(_form_field(state["headers"], _part_value(source, state["pieces"])))
        if len(fields) > MAX_FIELDS:
            raise MalformedPayload("The form has too many fields.")

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks, max_header_count=32, max_header_size=16384)
        parser.write(source)
        parser.finalize()
    except MalformedPayload:
        raise
    except Exception as exc:
        raise MalformedPayload(f"The multipart form cannot be parsed ({type(exc).__name__}).") from exc
    return fields


def _part_value(source: bytes, pieces: list[Any]) -> bytes | memoryview:
    """A part's value: a view of the body when its pieces are one contiguous run of it, else bytes."""
    in_body = pieces and all(isinstance(p, tuple) for p in pieces)
    if in_body and all(a[1] == b[0] for a, b in itertools.pairwise(pieces)):
        return memoryview(source)[pieces[0][0] : pieces[-1][1]]
    return b"".join(source[p[0] : p[1]] if isinstance(p, tuple) else p for p in pieces)


def _form_field(headers: dict[bytes, bytes], value: bytes | memoryview) -> FormField:
    # Providers send raw UTF-8 filenames in form-data; latin-1 would mangle them.
    disposition = headers.get(b"content-disposition", b"").decode("latin-1")
    _, params = parse_options_header(disposition)
    name = params.get(b"name", b"").decode("latin-1").encode("latin-1").decode("utf-8", "replace")
    filename = params.get(b"filename")
    ctype = headers.get(b"content-type")
    return FormField(
        name=name,
        data=value,
        filename=None
        if filename is None
        else filename.decode("latin-1").encode("latin-1").decode("utf-8", "replace"),
        content_type=None if ctype is None else ctype.decode("latin-1"),
    )


def _depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(body: bytes | str, what: str = "payload") -> Any:
    """json.loads with a depth cap (deep JSON is a RecursionError) and a clear error."""
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    if _depth(text) > MAX_JSON_DEPTH:
        raise MalformedPayload(f"The {what} JSON is nested too deeply.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload(f"The {what} is not valid JSON.") from exc


def json_object(body: bytes | str, what: str = "payload") -> dict[str, Any]:
    """Parse JSON that must be an object."""
    data = parse_json(body, what)
    if not isinstance(data, dict):
        raise MalformedPayload(f"The {what} must be a JSON object.")
    return data


# --- rebuilding a message from a provider's parsed fields -------------------------------------

# Body-describing headers are replaced by the rebuilt body's own.
_CONTENT_HEADERS = frozenset(
    {"content-type", "content-transfer-encoding", "mime-version", "content-disposition"}
)


@dataclass
class Attachment:
    """A file a provider posted next to the parsed body."""

    filename: str
    content_type: str
    data: bytes


def rebuild_message(
    headers: list[tuple[str, str]], text: str | None, html: str | None, attachments: list[Attachment]
) -> bytes:
    """Build RFC 5322 bytes from parsed fields, so parsed and raw modes share one MIME path."""
    msg = EmailMessage(policy=default_policy)
    if text:
        msg.set_content(text, cte="quoted-printable")
    if html:
        if text:
            msg.add_alternative(html, subtype="html", cte="quoted-printable")
        else:
            msg.set_content(html, subtype="html", cte="quoted-printable")
    if not text and not html:
        msg.set_content("")
    for att in attachments:
        maintype, _, subtype = (att.content_type or "application/octet-stream").partition("/")
        try:
            msg.add_attachment(
                att.data, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename
            )
        except Exception:
            msg.add_attachment(
                att.data, maintype="application", subtype="octet-stream", filename="attachment"
            )
    for name, value in headers:
        _add_header(msg, name, value)
    try:
        return msg.as_bytes(policy=SMTP)
    except Exception as exc:
        raise MalformedPayload("The posted fields cannot be assembled into an email.") from exc


def _add_header(msg: EmailMessage, name: str, value: str) -> None:
    name = safe_text(name)
    if (
        not name
        or name.lower() in _CONTENT_HEADERS
        or not all(33 <= ord(c) <= 126 and c != ":" for c in name)
    ):
        return
    value = safe_text(value)
    try:
        # Render it alone first: the folder can fail on values the parser accepted.
        scratch = EmailMessage(policy=default_policy)
        scratch[name] = value
        scratch.as_bytes(policy=SMTP)
        msg[name] = value
    except Exception:  # duplicate single-instance header or an unrenderable value: skip it
        return
