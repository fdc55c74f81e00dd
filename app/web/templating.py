"""The page environment (autoescape on for every template) and the one render helper."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.accounts.deps import MANAGERS
from app.accounts.security import SESSION_COOKIE, csrf_token
from app.checking.model import ELEMENTS, REQUIRED
from app.checking.model import PHASES as CHECKER_PHASES
from app.compose.context import ELEMENT_LABELS
from app.models import STAGE_ORDER, Role

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PHASES = tuple((phase.title(), stages) for phase, stages in CHECKER_PHASES.items())
STATUS_LABELS = {
    "draft": "Draft",
    "held": "Held: incomplete",
    "queued": "Queued",
    "sent": "Sent",
    "logged": "Logged",
    "failed": "Failed",
    "bounced": "Bounced",
}
REPLY_BADGES = {"confirmed": "badge-ok", "corrected": "badge-warn", "other": "badge-muted"}
REVIEW_LABELS = {"unreviewed": "Unreviewed", "approved": "Approved", "coach": "Coached", "revise": "Revise"}


def fmt_date(value: date | datetime | None) -> str:
    """A short, unambiguous date (or an em dash)."""
    if value is None:
        return "—"
    return value.strftime("%d %b %Y %H:%M") if isinstance(value, datetime) else value.strftime("%d %b %Y")


def stage_label(stage: str | None) -> str:
    """Human label for a buying stage."""
    return stage.title() if stage in STAGE_ORDER else "Unknown"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Jinja for pages: autoescape is on for every template whatever its name."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(date=fmt_date, stage=stage_label)
    env.globals.update(
        ELEMENTS=ELEMENTS,
        REQUIRED=REQUIRED,
        ELEMENT_LABELS=ELEMENT_LABELS,
        STAGES=STAGE_ORDER,
        PHASES=PHASES,
        STATUS_LABELS=STATUS_LABELS,
        REVIEW_LABELS=REVIEW_LABELS,
        REPLY_BADGES=REPLY_BADGES,
    )
    return env


def session_csrf(request: Request) -> str:
    """The CSRF token bound to the caller's session cookie ('' when signed out)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ""
    return csrf_token(request.app.state.settings.secret_key.get_secret_value(), cookie)


def nav_for(user: Any) -> list[tuple[str, str]]:
    """The navigation links this role may use."""
    if user is None:
        return []
    links = [("/mous/new", "New MOU"), ("/mous", "My MOUs")]
    if user.role in MANAGERS:
        links += [("/queue", "Review queue"), ("/dashboard", "Dashboard")]
    if user.role == Role.admin:
        links += [("/admin/users", "Admin")]
    return links


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template with the user, navigation and CSRF token in scope."""
    user = context.pop("user", None) or getattr(request.state, "viewer", None)
    page = (
        environment()
        .get_template(name)
        .render(
            request=request,
            user=user,
            nav=nav_for(user),
            path=request.url.path,
            csrf=context.pop("csrf", None) or session_csrf(request),
            **context,
        )
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
