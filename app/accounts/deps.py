"""FastAPI dependencies: the request's session, the signed-in user, role guards and MOU lookup."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session, select

from app.accounts import service
from app.accounts.security import SESSION_COOKIE, csrf_valid, read_session
from app.config import Settings
from app.db import unit_of_work
from app.errors import Forbidden, MouNotFound, Unauthorized
from app.models import Mou, Role, User, valid_id

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MANAGERS = (Role.manager, Role.admin)
ADMINS = (Role.admin,)


def get_settings_dep(request: Request) -> Settings:
    """The app's settings (set by create_app, overridable in tests)."""
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: commit when the handler succeeds, roll back when it raises."""
    with unit_of_work(request.app.state.session_factory()) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a client that follows a 201 or a redirect
# at once always sees the write (the default "request" scope commits only after the response).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def user_from_cookie(request: Request, session: Session, settings: Settings) -> User | None:
    """The user named by a valid session cookie whose generation is still current."""
    data = read_session(settings.secret_key.get_secret_value(), request.cookies.get(SESSION_COOKIE))
    if data is None:
        return None
    user = session.get(User, data["uid"])
    if user is None or not user.is_active or user.session_version != data.get("sv"):
        return None
    return user


def get_optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """The caller by bearer token, else by session cookie (cookie writes need the CSRF header)."""
    token = _bearer(request)
    if token is not None:
        user = service.user_for_token(session, token)
        if user is None:
            raise Unauthorized("The API token is invalid or revoked.")
        return user
    user = user_from_cookie(request, session, settings)
    if user is not None and request.method in UNSAFE_METHODS:
        secret = settings.secret_key.get_secret_value()
        if not csrf_valid(secret, request.cookies.get(SESSION_COOKIE), request.headers.get("x-csrf-token")):
            raise Forbidden("Missing or invalid CSRF token.")
    if user is not None:
        request.state.user = user
    return user


def get_current_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    """The signed-in user, or 401."""
    if user is None:
        raise Unauthorized("Sign in or send an API token: Authorization: Bearer <token>.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def require_role(user: User, roles: tuple[str, ...], message: str) -> User:
    """The user when their role is one of `roles`; Forbidden (403) with `message` otherwise."""
    if user.role not in roles:
        raise Forbidden(message)
    return user


def get_current_manager(user: CurrentUser) -> User:
    """A manager or admin, or 403."""
    return require_role(user, MANAGERS, "Only managers can do this.")


def get_current_admin(user: CurrentUser) -> User:
    """An admin, or 403."""
    return require_role(user, ADMINS, "Only admins can do this.")


CurrentManager = Annotated[User, Depends(get_current_manager)]
CurrentAdmin = Annotated[User, Depends(get_current_admin)]


def load_visible_mou(session: Session, user: User, mou_id: int) -> Mou:
    """The MOU if this user may see it; 404 otherwise (never reveal that it exists)."""
    if not valid_id(mou_id):
        raise MouNotFound()
    stmt = select(Mou).where(Mou.id == mou_id, service.mou_visibility(user))
    mou = session.exec(stmt).first()
    if mou is None:
        raise MouNotFound()
    return mou


def get_mou(mou_id: int, session: SessionDep, user: CurrentUser) -> Mou:
    """Path dependency: the MOU named in the URL, scoped to the caller."""
    return load_visible_mou(session, user, mou_id)


MouDep = Annotated[Mou, Depends(get_mou)]
