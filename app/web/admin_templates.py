"""Admin pages for customer email templates: list, create, edit, delete and a sandboxed preview."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from app import compose
from app.accounts.deps import SessionDep
from app.compose import admin as templates
from app.compose.context import SAMPLES
from app.compose.render import builtin_templates
from app.errors import DomainError, NotFound
from app.models import EmailTemplate, Team
from app.web import email_view
from app.web.deps import CsrfForm, PageAdmin, field
from app.web.mou_form import template_choices
from app.web.templating import render

router = APIRouter(prefix="/admin/templates")
NOTICES = {
    "created": "The template was saved.",
    "updated": "The template was updated.",
    "deleted": "The template was deleted.",
}
PARTS = ("subject", "html", "text", "description")


def _list_page(request: Request, session: Session, status: int = 200, **context) -> Response:
    added = session.exec(select(EmailTemplate).order_by(EmailTemplate.name)).all()
    defaults: dict[str, list[str]] = {}
    for team in session.exec(select(Team).order_by(Team.name)):
        defaults.setdefault(team.template, []).append(team.name)
    context.setdefault("error", None)
    context.setdefault("notice", NOTICES.get(request.query_params.get("done", "")))
    return render(
        request,
        "admin/templates.html",
        status,
        templates=template_choices(session),
        added=added,
        defaults=defaults,
        **context,
    )


def _form_page(
    request: Request, draft: templates.TemplateDraft, row: EmailTemplate | None, status=200, **context
) -> Response:
    context.setdefault("problems", [])
    context.setdefault("error", None)
    variables = sorted(compose.known_variables("customer"))
    return render(
        request, "admin/template_form.html", status, draft=draft, row=row, variables=variables, **context
    )


def _read_draft(form, name: str) -> templates.TemplateDraft:
    values = {part: field(form, part).replace("\r\n", "\n") for part in PARTS}
    return templates.TemplateDraft(name=name.strip(), **values)


def _refused(request: Request, draft, row, exc: DomainError) -> Response:
    problems = list(exc.details.get("problems", [])) if isinstance(exc, templates.TemplateRefused) else []
    return _form_page(request, draft, row, exc.status, error=exc.message, problems=problems)


@router.get("", include_in_schema=False)
def list_templates(request: Request, user: PageAdmin, session: SessionDep) -> Response:
    """Customer email templates: shipped ones and admin-added ones."""
    return _list_page(request, session)


@router.get("/new", include_in_schema=False)
def new_template(request: Request, user: PageAdmin) -> Response:
    """An empty template form, started from a minimal working example."""
    draft = templates.TemplateDraft(
        name="",
        subject="Following up on our meeting, {{ customer_first_name }}",
        html="<p>Hi {{ customer_first_name }},</p>\n<p>{{ situation }}</p>\n<p>{{ rep_name }}</p>",
        text="Hi {{ customer_first_name }},\n\n{{ situation }}\n\n{{ rep_name }}",
    )
    return _form_page(request, draft, None)


@router.post("/new", include_in_schema=False)
def create(request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep) -> Response:
    """Save a new template; refused (422, problems shown inline) unless lint and test render pass."""
    draft = _read_draft(form, field(form, "name"))
    try:
        with session.begin_nested():
            templates.create_template(session, user, draft)
    except DomainError as exc:
        return _refused(request, draft, None, exc)
    return RedirectResponse("/admin/templates?done=created", 303)


@router.post("/preview", include_in_schema=False)
def preview_form(user: PageAdmin, form: CsrfForm) -> Response:
    """The form's template rendered in the sandbox with the sample context, as a locked-down document."""
    draft = _read_draft(form, field(form, "name") or "preview")
    try:
        rendered = templates.preview(draft)
    except DomainError as exc:
        return email_view.email_document("Preview", f"<p>No preview: {escape(exc.message)}</p>")
    return email_view.email_document(rendered.subject, _preview_html(rendered))


@router.get("/preview/{name}", include_in_schema=False)
def preview_saved(name: str, user: PageAdmin, session: SessionDep) -> Response:
    """A shipped or saved template rendered with the sample context."""
    try:
        if builtin_templates().get(name) and builtin_templates()[name].kind == "customer":
            rendered = compose.render_mou_email(SAMPLES["customer"], name)
        else:
            row = templates.get_by_name(session, name)
            if row is None:
                raise NotFound("No such template.")
            rendered = templates.preview(templates.row_draft(row))
    except NotFound:
        raise
    except DomainError as exc:
        return email_view.email_document("Preview", f"<p>No preview: {escape(exc.message)}</p>")
    return email_view.email_document(rendered.subject, _preview_html(rendered))


def _preview_html(rendered: compose.RenderedEmail) -> str:
    return (
        f"<p><strong>Subject:</strong> {escape(rendered.subject)}</p><hr>{rendered.html}"
        f"<hr><pre>{escape(rendered.text)}</pre>"
    )


@router.get("/{template_id}/edit", include_in_schema=False)
def edit_template(template_id: int, request: Request, user: PageAdmin, session: SessionDep) -> Response:
    """The edit form of an admin template (shipped ones are not editable here)."""
    row = templates.get_template(session, template_id)
    return _form_page(request, templates.row_draft(row), row)


@router.post("/{template_id}/edit", include_in_schema=False)
def update(
    template_id: int, request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep
) -> Response:
    """Save changes; refused (422, problems shown inline) unless lint and test render pass."""
    row = templates.get_template(session, template_id)
    draft = _read_draft(form, row.name)
    try:
        with session.begin_nested():
            templates.update_template(session, user, row, draft)
    except DomainError as exc:
        session.refresh(row)
        return _refused(request, draft, row, exc)
    return RedirectResponse("/admin/templates?done=updated", 303)


@router.post("/{template_id}/delete", include_in_schema=False)
def delete(
    template_id: int, request: Request, user: PageAdmin, _form: CsrfForm, session: SessionDep
) -> Response:
    """Delete an admin template unless a team uses it as default or unsent memos wait on it (409)."""
    row = templates.get_template(session, template_id)
    try:
        with session.begin_nested():
            templates.delete_template(session, row)
    except DomainError as exc:
        return _list_page(request, session, exc.status, error=exc.message, notice=None)
    return RedirectResponse("/admin/templates?done=deleted", 303)
