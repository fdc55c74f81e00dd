"""Mailgun routes: raw MIME (`body-mime`, URL ending in `mime`) preferred, parsed mode rebuilt."""

from __future__ import annotations

from collections.abc import Mapping

from app.intake.inbound import DEFAULT_MAX_BYTES, InboundEmail, make_inbound
from app.intake.providers.forms import Attachment, Form, header, parse_form, parse_json, rebuild_message

PROVIDER = "mailgun"


def adapt(headers: Mapping[str, str], body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundEmail:
    """Turn a Mailgun route POST (urlencoded or multipart) into an InboundEmail."""
    form = parse_form(header(headers, "content-type"), body)
    raw = form.get_view("body-mime")
    if raw is None:
        raw = _rebuild(form)
    return make_inbound(
        raw,
        provider=PROVIDER,
        envelope_from=form.get("sender") or "",
        envelope_to=_recipients(form.get("recipient") or ""),
        extras={"spf": form.get("X-Mailgun-Spf"), "dkim": form.get("X-Mailgun-Dkim-Check-Result")},
        max_bytes=max_bytes,
    )


def _recipients(value: str) -> list[str]:
    # `recipient` is the RCPT TO; a route matching several of our addresses joins them with commas.
    return [part.strip() for part in value.split(",") if part.strip()]


def _rebuild(form: Form) -> bytes:
    # Parsed mode is transcoded to UTF-8. Every header is also posted as its own field, but repeated
    # headers collide there, so `message-headers` (ordered [name, value] pairs) is the source.
    pairs = _header_pairs(form)
    text = form.get("body-plain")  # always present; never the `stripped-*` fields: they drop forwards
    html = _first_html(form)
    files = [
        Attachment(f.filename or "attachment", f.content_type or "application/octet-stream", f.value)
        for f in form.files()
    ]
    return rebuild_message(pairs, text, html, files)


def _header_pairs(form: Form) -> list[tuple[str, str]]:
    try:
        data = parse_json(form.get("message-headers") or "[]", "message-headers")
    except Exception:
        data = []
    pairs = (
        [(str(p[0]), str(p[1])) for p in data if isinstance(p, list) and len(p) == 2]
        if isinstance(data, list)
        else []
    )
    if not pairs:
        pairs = [
            (name, form.get(name) or "") for name in ("From", "To", "Cc", "Subject", "Date", "Message-Id")
        ]
        pairs = [(n, v) for n, v in pairs if v]
    return pairs


def _first_html(form: Form) -> str | None:
    # `body-html` is a string in the classic format; newer docs type it as a list of all HTML parts.
    value = form.get("body-html")
    if value and value.lstrip().startswith("["):
        try:
            items = parse_json(value, "body-html")
            if isinstance(items, list) and items:
                return str(items[0])
        except Exception:
            return value
    return value
