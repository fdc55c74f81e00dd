"""The two Jinja environments: built-in templates from mou_templates/, admin templates in the sandbox."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, StrictUndefined

from app.compose.filters import FILTERS
from app.compose.sandbox import LimitedSandbox

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "mou_templates"
ADMIN_PREFIX = "admin/"


def autoescape_for(name: str | None) -> bool:
    """Escape everything except the plain-text parts (`.txt`: subject and text body)."""
    return not (name or "").endswith(".txt")


def _configure(env: Environment) -> Environment:
    env.filters.update(FILTERS)
    return env


@lru_cache(maxsize=1)
def file_environment() -> Environment:
    """The one environment for the templates shipped in mou_templates/ (trusted source)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=autoescape_for,  # noqa: S701 - on for every part except the plain-text ones
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    return _configure(env)


@lru_cache(maxsize=1)
def sandbox_environment() -> LimitedSandbox:
    """The sandbox for admin templates; they may extend the shipped layout but never escape it."""
    admin = DictLoader({})
    env = LimitedSandbox(
        loader=ChoiceLoader([admin, FileSystemLoader(TEMPLATES_DIR)]),
        autoescape=autoescape_for,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.admin_loader = admin  # type: ignore[attr-defined]
    return _configure(env)  # type: ignore[return-value]


def admin_template_name(name: str, digest: str, part: str) -> str:
    """Loader key for one part of an admin template; the digest makes edits recompile."""
    return f"{ADMIN_PREFIX}{name}/{digest}/{part}"
