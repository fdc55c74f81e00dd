"""Account API: who am I, and my own API tokens (list, create, revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.accounts import service
from app.accounts.deps import CurrentUser, SessionDep
from app.errors import NotFound
from app.models import ApiToken, Team, valid_id
from app.review.schemas import ErrorOut, UtcDatetime

ERRORS = {
    401: {"model": ErrorOut, "description": "No or invalid credentials"},
    403: {"model": ErrorOut, "description": "Missing CSRF token"},
    404: {"model": ErrorOut, "description": "Not found"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}
router = APIRouter(prefix="/api", tags=["accounts"], responses=ERRORS)


class TeamOut(BaseModel):
    """A team."""

    id: int
    name: str


class MeOut(BaseModel):
    """The signed-in user."""

    id: int
    email: str
    name: str
    role: str
    team: TeamOut | None


class TokenOut(BaseModel):
    """An API token as listed (the secret itself is never shown again)."""

    id: int
    name: str
    prefix: str
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class TokenCreated(TokenOut):
    """A new token: `token` is shown this once."""

    token: str


class TokenIn(BaseModel):
    """A name for a new token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="default", max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$")


def _token_out(row: ApiToken) -> TokenOut:
    return TokenOut.model_validate(row, from_attributes=True)


@router.get("/me", response_model=MeOut, summary="The signed-in user")
def me(session: SessionDep, user: CurrentUser) -> MeOut:
    """Who the credentials belong to."""
    team = session.get(Team, user.team_id) if user.team_id else None
    return MeOut(
        id=user.id, email=user.email, name=user.name, role=user.role,
        team=TeamOut(id=team.id, name=team.name) if team else None,
    )  # fmt: skip


@router.get("/me/tokens", response_model=list[TokenOut], summary="My API tokens")
def list_tokens(session: SessionDep, user: CurrentUser) -> list[TokenOut]:
    """The caller's tokens, newest first."""
    return [_token_out(row) for row in service.list_tokens(session, user)]


@router.post("/me/tokens", response_model=TokenCreated, status_code=201, summary="New API token")
def create_token(session: SessionDep, user: CurrentUser, body: TokenIn) -> TokenCreated:
    """A new token for the caller; the secret is in this answer only."""
    row, token = service.issue_token(session, user, body.name)
    return TokenCreated(**_token_out(row).model_dump(), token=token)


@router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(session: SessionDep, user: CurrentUser, token_id: int) -> Response:
    """Revoke one of the caller's own tokens."""
    if not valid_id(token_id):
        raise NotFound("No such token.")
    service.revoke_token(session, user, token_id)
    return Response(status_code=204)
