"""Admin-added customer templates: create, edit, delete and preview, never saving one that fails lint."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from app.compose.context import SAMPLES
from app.compose.errors import ComposeError
from app.compose.lint import Problem, lint_template
from app.compose.render import RenderedEmail, TemplateSource, builtin_templates, render_source
from app.errors import Conflict, InvalidInput, NotFound
from app.models import EmailTemplate, Mou, MouStatus, Team, User, utcnow

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,79}$")
MAX_PART_CHARS = 100_000
PART_LABELS = {"subject.txt": "Subject", "body.html": "HTML", "body.txt": "Text", "render": "Test render"}
UNSENT = (MouStatus.draft, MouStatus.held)


class TemplateRefused(InvalidInput):
    """The template was not saved: it fails the lint or the sandboxed test render."""

    code = "template_refused"


@dataclass(frozen=True)
class TemplateDraft:
    """What an admin typed for a template (the name is fixed once saved)."""

    name: str
    subject: str
    html: str
    text: str
    description: str = ""

    def source(self) -> TemplateSource:
        """The draft as a source the sandbox can render."""
        return TemplateSource(self.name, self.subject, self.html, self.text, self.description)


def describe(problem: Problem) -> str:
    """One problem in words: which part, which line, what is wrong."""
    where = PART_LABELS.get(problem.part, problem.part)
    if problem.line:
        where += f", line {problem.line}"
    return f"{where}: {problem.message}"


def _check_text(draft: TemplateDraft) -> None:
    if len(draft.description) > 300:
        raise InvalidInput("The description can be at most 300 characters.", field="description")
    for label, value in (("subject", draft.subject), ("HTML", draft.html), ("text", draft.text)):
        if len(value) > MAX_PART_CHARS:
            raise InvalidInput(f"The {label} part can be at most {MAX_PART_CHARS} characters.")
        if "\x00" in value:
            raise InvalidInput(f"The {label} part contains a NUL character.")


def check_draft(draft: TemplateDraft) -> None:
    """TemplateRefused (422) naming each problem and its line when the lint or test render fails."""
    _check_text(draft)
    problems = lint_template(draft.source())
    if problems:
        listed = [describe(p) for p in problems]
        raise TemplateRefused(
            "The template was not saved: " + "; ".join(listed[:5]),
            problems=listed,
            lines=[p.line for p in problems],
        )


def _check_name(session: Session, name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            "Use a name of letters, digits, '_' and '-' (at most 80 characters, not starting with '-').",
            field="name",
        )
    if name in builtin_templates():
        raise Conflict(f"'{name}' is a shipped template; choose another name.", field="name")
    if get_by_name(session, name) is not None:
        raise Conflict(f"A template named '{name}' already exists.", field="name")


def get_by_name(session: Session, name: str) -> EmailTemplate | None:
    """The admin template with this name, if any."""
    return session.exec(select(EmailTemplate).where(EmailTemplate.name == name)).first()


def get_template(session: Session, template_id: int) -> EmailTemplate:
    """One admin template, or 404 (shipped templates have no row and cannot be edited here)."""
    row = session.get(EmailTemplate, template_id) if 0 < template_id < 2**63 else None
    if row is None:
        raise NotFound("No such admin template (shipped templates are edited in mou_templates/).")
    return row


def create_template(session: Session, actor: User, draft: TemplateDraft) -> EmailTemplate:
    """Save a new admin template after the lint and the sandboxed test render pass (flushes)."""
    _check_name(session, draft.name)
    check_draft(draft)
    row = EmailTemplate(
        name=draft.name,
        description=draft.description,
        subject=draft.subject,
        html=draft.html,
        text=draft.text,
        updated_by=actor.id,
    )
    session.add(row)
    session.flush()
    return row


def update_template(session: Session, actor: User, row: EmailTemplate, draft: TemplateDraft) -> EmailTemplate:
    """Change an admin template's parts and description (not its name), after lint and test render."""
    draft = TemplateDraft(row.name, draft.subject, draft.html, draft.text, draft.description)
    check_draft(draft)
    row.subject, row.html, row.text = draft.subject, draft.html, draft.text
    row.description = draft.description
    row.updated_by, row.updated_at = actor.id, utcnow()
    session.add(row)
    session.flush()
    return row


def delete_template(session: Session, row: EmailTemplate) -> None:
    """Delete an admin template no team uses as default and no unsent memo is waiting on (flushes)."""
    teams = session.exec(select(Team.name).where(Team.template == row.name).order_by(Team.name)).all()
    if teams:
        raise Conflict(
            f"'{row.name}' is the default template of {', '.join(teams)}; choose another default first."
        )
    waiting = session.exec(
        select(func.count()).select_from(Mou).where(Mou.template == row.name, Mou.status.in_(UNSENT))
    ).one()
    if waiting:
        raise Conflict(f"{waiting} unsent memo(s) use '{row.name}'; they must be sent or changed first.")
    session.delete(row)
    session.flush()


def set_team_template(session: Session, team: Team, name: str) -> Team:
    """Make a shipped customer template or an admin template the team's default (flushes)."""
    info = builtin_templates().get(name)
    if not (info is not None and info.kind == "customer") and get_by_name(session, name) is None:
        raise InvalidInput("Choose one of the templates listed.", field="template")
    team.template = name
    session.add(team)
    session.flush()
    return team


def preview(draft: TemplateDraft) -> RenderedEmail:
    """Render a draft in the sandbox with the sample customer context (nothing is stored)."""
    _check_text(draft)
    try:
        return render_source(draft.source(), SAMPLES["customer"])
    except ComposeError:
        raise
    except RecursionError as exc:  # deeply nested source; compile_source reports other failures itself
        raise ComposeError("The template is nested too deeply to render.") from exc


def row_draft(row: EmailTemplate) -> TemplateDraft:
    """A stored admin template as a draft (for the edit form and previews)."""
    return TemplateDraft(row.name, row.subject, row.html, row.text, row.description)
