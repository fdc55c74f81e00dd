"""Admin actions behind the CLI: add users and teams in their own unit of work."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from app.accounts import service
from app.config import get_settings
from app.db import make_engine, session_scope
from app.errors import NotFound
from app.migrate import upgrade


def _engine() -> Engine:
    """The configured database, migrated first so set-up works on a fresh data directory."""
    settings = get_settings()
    upgrade(settings.resolved_database_url)
    return make_engine(settings)


def add_team(*, name: str, template: str = "structured") -> str:
    """Create a team; returns a line to print."""
    engine = _engine()
    with session_scope(engine) as session:
        team = service.create_team(session, name, template)
        return f"team {team.name!r} created (id {team.id}, template {team.template})"


def add_user(
    *,
    email: str,
    name: str,
    role: str,
    team: str | None,
    password: str | None,
    addresses: list[str] | None = None,
) -> str:
    """Create a user with an API token; returns the lines to print (the token is shown only here)."""
    engine = _engine()
    with session_scope(engine) as session:
        team_row = None
        if team:
            team_row = service.get_team_by_name(session, team)
            if team_row is None:
                raise NotFound(f"No team named {team!r}; create it with: mou teams add --name {team!r}")
        user = service.create_user(
            session, email=email, name=name, role=role, team=team_row, password=password
        )
        for extra in addresses or []:
            service.add_address(session, user, extra)
        _, token = service.issue_token(session, user, "cli")
        return f"user {user.email} created (id {user.id}, role {user.role})\nAPI token (shown once): {token}"
