"""Admin pages: users, teams and the inbound messages with their outcomes (templates: admin_templates)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from app.accounts import service as accounts
from app.accounts.deps import SessionDep, SettingsDep
from app.compose import admin as admin_templates
from app.errors import DomainError, NotFound
from app.intake import service as intake
from app.models import MAX_ID, Role, Team, User, valid_id
from app.web.deps import CsrfForm, PageAdmin, field
from app.web.mou_form import template_choices
from app.web.templating import render

router = APIRouter(prefix="/admin")
NOTICES = {
    "user": "The user was added.",
    "team": "The team was added.",
    "team_template": "The team's default template was changed.",
    "reprocessed": "Processed again.",
}


def _users_page(request: Request, session: SessionDep, status: int = 200, **context) -> Response:
    users = session.exec(select(User).order_by(User.name, User.id)).all()
    teams = session.exec(select(Team).order_by(Team.name)).all()
    context.setdefault("error", None)
    context.setdefault("values", {})
    context.setdefault("notice", NOTICES.get(request.query_params.get("done", "")))
    return render(
        request,
        "admin/users.html",
        status,
        users=users,
        teams=teams,
        team_names={t.id: t.name for t in teams},
        roles=[r.value for r in Role],
        **context,
    )


@router.get("/users", include_in_schema=False)
def users(request: Request, user: PageAdmin, session: SessionDep) -> Response:
    """Everyone who can sign in or mail the assistant."""
    return _users_page(request, session)


@router.post("/users", include_in_schema=False)
def add_user(request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep) -> Response:
    """Add a user (password optional: users without one can still mail drafts)."""
    values = {name: field(form, name) for name in ("email", "name", "role", "team_id")}
    team = None
    try:
        if values["team_id"]:
            team = session.get(Team, int(values["team_id"])) if values["team_id"].isdigit() else None
            if team is None:
                raise NotFound("Choose one of the teams listed.")
        with session.begin_nested():
            accounts.create_user(
                session,
                email=values["email"][:320],
                name=values["name"][:200],
                role=values["role"],
                team=team,
                password=field(form, "password") or None,
            )
    except DomainError as exc:
        return _users_page(request, session, 422, error=exc.message, values=values, notice=None)
    return RedirectResponse("/admin/users?done=user", 303)


def _teams_page(request: Request, session: SessionDep, status: int = 200, **context) -> Response:
    teams = session.exec(select(Team).order_by(Team.name)).all()
    context.setdefault("error", None)
    context.setdefault("notice", NOTICES.get(request.query_params.get("done", "")))
    return render(
        request, "admin/teams.html", status, teams=teams, templates=template_choices(session), **context
    )


@router.get("/teams", include_in_schema=False)
def teams(request: Request, user: PageAdmin, session: SessionDep) -> Response:
    """Teams and their default customer template."""
    return _teams_page(request, session)


@router.post("/teams", include_in_schema=False)
def add_team(request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep) -> Response:
    """Add a team."""
    name, template = field(form, "name")[:120], field(form, "template") or "structured"
    if template not in {t.name for t in template_choices(session)}:
        return _teams_page(request, session, 422, error="Choose one of the templates listed.", notice=None)
    try:
        with session.begin_nested():
            accounts.create_team(session, name, template)
    except DomainError as exc:
        return _teams_page(request, session, 422, error=exc.message, notice=None)
    return RedirectResponse("/admin/teams?done=team", 303)


@router.post("/teams/{team_id}/template", include_in_schema=False)
def set_team_template(
    team_id: int, request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep
) -> Response:
    """Change a team's default customer template (shipped or admin-added)."""
    team = session.get(Team, team_id) if valid_id(team_id) else None
    if team is None:
        raise NotFound("No such team.")
    try:
        with session.begin_nested():
            admin_templates.set_team_template(session, team, field(form, "template"))
    except DomainError as exc:
        return _teams_page(request, session, exc.status, error=exc.message, notice=None)
    return RedirectResponse("/admin/teams?done=team_template", 303)


@router.get("/inbound", include_in_schema=False)
def inbound(request: Request, user: PageAdmin, session: SessionDep) -> Response:
    """Received emails, newest first, with what became of each."""
    cursor = request.query_params.get("cursor", "")
    after = int(cursor) if cursor.isdigit() and int(cursor) <= MAX_ID else None
    rows, next_cursor = intake.list_inbound(session, cursor=after, limit=50)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(request, "admin/inbound.html", rows=rows, next_cursor=next_cursor, notice=notice)


@router.post("/inbound/{inbound_id}/reprocess", include_in_schema=False)
def reprocess(
    inbound_id: int, user: PageAdmin, _form: CsrfForm, session: SessionDep, settings: SettingsDep
) -> Response:
    """Run one stored email through the pipeline again."""
    if not valid_id(inbound_id):
        raise NotFound("No such inbound message.")
    intake.reprocess(session, inbound_id, settings)
    return RedirectResponse("/admin/inbound?done=reprocessed", 303)
