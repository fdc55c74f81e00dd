"""Pure rendering: a template name (or an admin template's sources) and a context in, an email out."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import css_inline
from jinja2 import Environment, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from app.compose.environment import TEMPLATES_DIR, admin_template_name, file_environment, sandbox_environment
from app.compose.errors import ComposeError, TemplateLimitExceeded, TemplateNotFound
from app.compose.sandbox import render_limited

PARTS = ("subject.txt", "body.html", "body.txt")
INTERNAL_DIR = "internal"
DEFAULT_TEMPLATE = "structured"
MAX_SUBJECT_CHARS = 250
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")
_INLINER = css_inline.CSSInliner(keep_style_tags=False, keep_link_tags=False, load_remote_stylesheets=False)


@dataclass(frozen=True)
class RenderedEmail:
    """One email, ready to become a MIME message: a one-line subject, an HTML part and a text part."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class TemplateSource:
    """An admin-added template: the three parts as Jinja source (rendered in the sandbox)."""

    name: str
    subject: str
    html: str
    text: str
    description: str = ""

    @property
    def digest(self) -> str:
        """Content hash, so an edited template compiles afresh."""
        blob = "\0".join((self.subject, self.html, self.text)).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class TemplateInfo:
    """What the template pickers and `mou templates check` show about a template."""

    name: str
    display_name: str
    description: str
    kind: str
    builtin: bool = True


def _read_info(directory: str) -> TemplateInfo:
    meta_path = TEMPLATES_DIR / directory / "template.toml"
    meta = tomllib.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
    default_kind = directory.split("/", 1)[1] if directory.startswith(f"{INTERNAL_DIR}/") else "customer"
    return TemplateInfo(
        name=directory,
        display_name=str(meta.get("display_name", directory.rsplit("/", 1)[-1].replace("_", " ").title())),
        description=str(meta.get("description", "")),
        kind=str(meta.get("kind", default_kind)),
    )


@lru_cache(maxsize=1)
def builtin_templates() -> dict[str, TemplateInfo]:
    """Every template directory shipped in mou_templates/ (customer ones at the top, internal/ below)."""
    found: dict[str, TemplateInfo] = {}
    for path in sorted(TEMPLATES_DIR.glob("**/template.toml")):
        directory = path.parent.relative_to(TEMPLATES_DIR).as_posix()
        found[directory] = _read_info(directory)
    return found


def list_templates(admin: Iterable[TemplateSource] = ()) -> list[TemplateInfo]:
    """Customer-email templates a team or a rep can choose: the shipped ones, then admin-added ones."""
    shipped = [info for info in builtin_templates().values() if info.kind == "customer"]
    added = [
        TemplateInfo(t.name, display_name=t.name, description=t.description, kind="customer", builtin=False)
        for t in admin
        if t.name not in builtin_templates()
    ]
    return shipped + added


def compose_error(exc: BaseException, name: str) -> ComposeError:
    """Turn a Jinja failure into a domain error whose message names the template and the cause."""
    if isinstance(exc, ComposeError):
        return exc
    if isinstance(exc, UndefinedError):
        match = _UNDEFINED_NAME.search(str(exc))
        variable = next((g for g in match.groups() if g), str(exc)) if match else str(exc)
        return ComposeError(
            f"Template {name} uses the variable '{variable}', which is not available; "
            "the email was not sent.",
            template=name,
            variable=variable,
        )
    if isinstance(exc, TemplateSyntaxError):
        where = f"{exc.name or name}, line {exc.lineno}"
        return ComposeError(f"Template syntax error in {where}: {exc.message}", template=name)
    if isinstance(exc, SecurityError):
        return ComposeError(f"Template {name} tried something that is not allowed: {exc}", template=name)
    return ComposeError(f"Template {name} could not be rendered: {exc}", template=name)


def one_line_subject(raw: str, name: str) -> str:
    """Collapse the rendered subject to one trimmed line (template layout may add line breaks)."""
    subject = " ".join(raw.split())
    if not subject:
        raise ComposeError(f"Template {name} renders an empty subject.", template=name)
    if len(subject) > MAX_SUBJECT_CHARS:
        subject = subject[: MAX_SUBJECT_CHARS - 1].rstrip() + "…"
    return subject


def inline_css(html: str) -> str:
    """Move the <style> rules onto the elements, as most email clients ignore <style> blocks."""
    return _INLINER.inline(html)


def _finish(name: str, subject: str, html: str, text: str) -> RenderedEmail:
    return RenderedEmail(
        subject=one_line_subject(subject, name),
        html=inline_css(html),
        text=text.strip("\n") + "\n",
    )


def _render_file(env: Environment, directory: str, context: Mapping[str, Any]) -> RenderedEmail:
    try:
        parts = [env.get_template(f"{directory}/{part}").render(context) for part in PARTS]
    except TemplateError as exc:
        raise compose_error(exc, directory) from exc
    return _finish(directory, *parts)


def render_mou_email(
    mou_context: Mapping[str, Any], template_name: str, *, source: TemplateSource | None = None
) -> RenderedEmail:
    """Render the customer email for an MOU from a shipped template, or from `source` for admin ones."""
    info = builtin_templates().get(template_name)
    if info is not None and info.kind == "customer":
        return _render_file(file_environment(), template_name, mou_context)
    if source is not None and source.name == template_name:
        return render_source(source, mou_context)
    message = f"There is no customer email template named '{template_name}'."
    raise TemplateNotFound(message, template=template_name)


def render_internal(kind: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render one of the internal notices (rep_feedback, coaching, reminder, digest)."""
    directory = f"{INTERNAL_DIR}/{kind}"
    if directory not in builtin_templates():
        raise TemplateNotFound(f"There is no internal email template named '{kind}'.", template=kind)
    return _render_file(file_environment(), directory, context)


def compile_source(source: TemplateSource) -> list[Template]:
    """Compile the three parts of an admin template in the sandbox (syntax errors become ComposeError)."""
    env = sandbox_environment()
    names = [admin_template_name(source.name, source.digest, part) for part in PARTS]
    for key, text in zip(names, (source.subject, source.html, source.text), strict=True):
        env.admin_loader.mapping[key] = text  # type: ignore[attr-defined]
    try:
        return [env.get_template(key) for key in names]
    except TemplateError as exc:
        raise compose_error(exc, source.name) from exc


def render_source(source: TemplateSource, context: Mapping[str, Any]) -> RenderedEmail:
    """Render an admin template in the sandbox, with time and size limits."""
    templates = compile_source(source)
    try:
        parts = [render_limited(t, context, name=source.name) for t in templates]
    except TemplateLimitExceeded:
        raise
    except (TemplateError, RecursionError, ArithmeticError, ValueError, TypeError, MemoryError) as exc:
        raise compose_error(exc, source.name) from exc
    return _finish(source.name, *parts)
