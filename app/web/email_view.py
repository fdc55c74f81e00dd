"""Showing an email's HTML safely: sanitised with nh3, served alone under a strict CSP of its own."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import nh3
from fastapi.responses import HTMLResponse

# Styles the email's layout needs; anything positional or remote (url(), position) is dropped.
STYLE_PROPERTIES = {
    "color", "background-color", "font-family", "font-size", "font-weight", "font-style", "line-height",
    "text-align", "text-decoration", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
    "padding", "padding-top", "padding-bottom", "padding-left", "padding-right", "border", "border-top",
    "border-bottom", "border-left", "border-right", "border-collapse", "border-radius", "width", "max-width",
    "vertical-align", "white-space", "list-style-type", "display", "visibility", "opacity", "max-height",
    "overflow", "height",
}  # fmt: skip
ATTRIBUTES = {**{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}, "*": {"style"}}
# Strict policy for the email document: no script at all, inline styles only, no remote loads.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'; sandbox"
)
MAX_PARSE_BYTES = 5 * 1024 * 1024


def sanitise(html: str) -> str:
    """Email HTML with scripts, handlers, remote content hooks and unknown tags removed."""
    return nh3.clean(
        html,
        attributes=ATTRIBUTES,
        filter_style_properties=STYLE_PROPERTIES,
        url_schemes={"http", "https", "mailto"},
        clean_content_tags={"script", "style"},
    )


def email_document(subject: str, html: str) -> HTMLResponse:
    """A standalone page with the sanitised email, safe to open directly or in a sandboxed frame."""
    from app.web.templating import environment

    page = environment().get_template("email_frame.html").render(subject=subject, body=sanitise(html))
    headers = {
        "Content-Security-Policy": EMAIL_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(page, headers=headers)


def parse_parts(raw: bytes) -> tuple[str, str, str]:
    """(subject, text, html) of a stored outgoing message; unreadable parts come back empty."""
    if not raw or len(raw) > MAX_PARSE_BYTES:
        return "", "", ""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        return str(msg.get("subject", "")), _body(msg, "plain"), _body(msg, "html")
    except (LookupError, RecursionError, ValueError, TypeError):
        return "", "", ""


def _body(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""
