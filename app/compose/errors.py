"""Errors raised while rendering emails; each is a 422 domain error with a message for people."""

from __future__ import annotations

from app.errors import InvalidInput


class ComposeError(InvalidInput):
    """The email could not be rendered from its template."""

    code = "compose_error"


class TemplateNotFound(ComposeError):
    """No email template has this name."""

    code = "template_not_found"


class TemplateLimitExceeded(ComposeError):
    """The template took too long, produced too much, or built a value that is too large."""

    code = "template_limit_exceeded"
