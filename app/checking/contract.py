"""The JSON-lines contract: the output line for one input line (the memo's checklist, or an error)."""

from __future__ import annotations

import json
from typing import Any, Final

from app.checking.checker import check_memo
from app.checking.model import ELEMENTS, Checklist

# what json.dumps(..., ensure_ascii=False) builds, and how that encoder writes a string (non-ASCII unescaped)
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False).encode
_STRING: Final = json.encoder.encode_basestring


def _text(value: str | None) -> str:
    return "null" if value is None else _STRING(value)


def _contract_line(record_id: Any, checklist: Checklist) -> str:
    """The contract object {"id", "complete", "elements", "stage"} as _ENCODE writes it, built directly
    (its shape is fixed, only the values vary). It carries neither warnings nor the due date: the caller
    skips working them out."""
    parts = []
    for name in ELEMENTS:
        item = checklist.elements[name]
        parts.append(
            f'"{name}": {{"present": {"true" if item.present else "false"}, '
            f'"evidence": {_text(item.evidence)}, "hint": {_text(item.hint)}}}'
        )
    return (
        f'{{"id": {_STRING(record_id) if type(record_id) is str else _ENCODE(record_id)}, '
        f'"complete": {"true" if checklist.complete else "false"}, "elements": {{{", ".join(parts)}}}, '
        f'"stage": {_text(checklist.stage)}}}'
    )


def output_line(line: str) -> str:
    """The output line (without its line end) for one input line."""
    record = _record(line)
    if "error" in record:
        return _ENCODE(record)
    body, fmt, subject = record["body"], record["format"], record["subject"]
    return _contract_line(record["id"], check_memo(body, fmt, subject, want_due=False, want_warnings=False))


def _record(line: str) -> dict[str, Any]:
    """The fields of one input line, or the error line it gets instead."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
    except ValueError as exc:  # valid syntax the decoder still refuses, e.g. an integer of 5,000 digits
        return {"id": None, "error": f"invalid JSON: {exc}"}
    if not isinstance(record, dict):
        return {"id": None, "error": "each line must be a JSON object"}
    body = record.get("body")
    if not isinstance(body, str):
        return {"id": record.get("id"), "error": "field 'body' must be a string"}
    fmt = record.get("format") or "text"
    if fmt not in ("text", "html"):
        return {"id": record.get("id"), "error": "field 'format' must be 'text' or 'html'"}
    subject = record.get("subject") if isinstance(record.get("subject"), str) else ""
    return {"id": record.get("id"), "body": body, "format": fmt, "subject": subject}
