"""Filters shared by the built-in and the sandboxed environments. Memo text passes through them as data."""

from __future__ import annotations

import textwrap
from datetime import date, datetime

from markupsafe import Markup, escape

TEXT_WIDTH = 76


def _lines(text: object) -> str:
    """Normalise any line-break style to \\n and trim the ends."""
    value = "" if text is None else str(text)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def paragraphs(text: object) -> Markup:
    """Escape memo text and keep its paragraphs (blank lines) and line breaks for HTML."""
    value = _lines(text)
    if not value:
        return Markup("")
    blocks = [block for block in value.split("\n\n") if block.strip()]
    br = Markup("<br>\n")
    html = [Markup("<p>%s</p>") % br.join(escape(ln.strip()) for ln in b.split("\n")) for b in blocks]
    return Markup("\n").join(html)


def textblock(text: object, indent: int = 2) -> str:
    """Memo text for the plain-text part: wrapped at 76 columns and indented, paragraphs kept."""
    value = _lines(text)
    prefix = " " * max(0, min(int(indent), 8))
    out: list[str] = []
    for line in value.split("\n"):
        if not line.strip():
            out.append("")
            continue
        wrapped = textwrap.wrap(line.strip(), TEXT_WIDTH - len(prefix), break_long_words=False) or [""]
        out.extend(prefix + part for part in wrapped)
    return "\n".join(out)


def longdate(value: object) -> str:
    """A date the way people write it in a letter: 4 March 2025."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


FILTERS = {"paragraphs": paragraphs, "textblock": textblock, "longdate": longdate}
