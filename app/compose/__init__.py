"""Compose: render customer emails and internal notices from Jinja templates."""

from app.compose.context import known_variables, mou_context
from app.compose.errors import ComposeError, TemplateLimitExceeded, TemplateNotFound
from app.compose.render import (
    DEFAULT_TEMPLATE,
    RenderedEmail,
    TemplateInfo,
    TemplateSource,
    list_templates,
    render_internal,
    render_mou_email,
    render_source,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "ComposeError",
    "RenderedEmail",
    "TemplateInfo",
    "TemplateLimitExceeded",
    "TemplateNotFound",
    "TemplateSource",
    "known_variables",
    "list_templates",
    "mou_context",
    "render_internal",
    "render_mou_email",
    "render_source",
]
