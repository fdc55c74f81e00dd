"""Admin page for one user: role and team, deactivate or reactivate, extra sender addresses."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.deps import SessionDep
from app.errors import DomainError, InvalidInput, NotFound
from app.models import Role, Team, User, valid_id
from app.web.deps import CsrfForm, PageAdmin, field
from app.web.templating import render

router = APIRouter(prefix="/admin/users")
NOTICES = {
    "role": "Role and team were saved.",
    "deactivated": "The user was deactivated: they cannot sign in and their API tokens stop working.",
    "reactivated": "The user was reactivated.",
    "address": "The address was added.",
    "address_removed": "The address was removed; memos already received from it are kept.",
}


def _load_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if valid_id(user_id) else None
    if user is None:
        raise NotFound("No such user.")
    return user


def _page(request: Request, session: Session, target: User, status: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", NOTICES.get(request.query_params.get("done", "")))
    return render(
        request,
        "admin/user.html",
        status,
        target=target,
        teams=session.exec(select(Team).order_by(Team.name)).all(),
        roles=[r.value for r in Role],
        addresses=accounts.addresses_of(session, target),
        **context,
    )


def _team(session: Session, value: str) -> Team | None:
    if not value:
        return None
    team = session.get(Team, int(value)) if value.isdigit() and valid_id(int(value)) else None
    if team is None:
        raise InvalidInput("Choose one of the teams listed.")
    return team


def _refused(request: Request, session: Session, target: User, exc: DomainError) -> Response:
    session.refresh(target)
    return _page(request, session, target, exc.status, error=exc.message, notice=None)


@router.get("/{user_id}", include_in_schema=False)
def user_page(user_id: int, request: Request, user: PageAdmin, session: SessionDep) -> Response:
    """One user with the forms to change them."""
    return _page(request, session, _load_user(session, user_id))


@router.post("/{user_id}", include_in_schema=False)
def change_user(
    user_id: int, request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep
) -> Response:
    """Change a user's role and team."""
    target = _load_user(session, user_id)
    try:
        with session.begin_nested():
            team = _team(session, field(form, "team_id"))
            accounts.change_role_and_team(session, user, target, field(form, "role"), team)
    except DomainError as exc:
        return _refused(request, session, target, exc)
    return RedirectResponse(f"/admin/users/{target.id}?done=role", 303)


@router.post("/{user_id}/active", include_in_schema=False)
def set_active(
    user_id: int, request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep
) -> Response:
    """Deactivate or reactivate a user."""
    target = _load_user(session, user_id)
    active = field(form, "active") == "yes"
    try:
        with session.begin_nested():
            accounts.set_active(session, user, target, active)
    except DomainError as exc:
        return _refused(request, session, target, exc)
    done = "reactivated" if active else "deactivated"
    return RedirectResponse(f"/admin/users/{target.id}?done={done}", 303)


@router.post("/{user_id}/addresses", include_in_schema=False)
def add_address(
    user_id: int, request: Request, user: PageAdmin, form: CsrfForm, session: SessionDep
) -> Response:
    """Add an extra address the user mails the assistant from."""
    target = _load_user(session, user_id)
    try:
        address = _valid_address(field(form, "email"))
        with session.begin_nested():
            accounts.add_address(session, target, address)
    except DomainError as exc:
        return _refused(request, session, target, exc)
    return RedirectResponse(f"/admin/users/{target.id}?done=address", 303)


@router.post("/{user_id}/addresses/{address_id}/delete", include_in_schema=False)
def remove_address(
    user_id: int, address_id: int, user: PageAdmin, _form: CsrfForm, session: SessionDep
) -> Response:
    """Remove one of the user's extra sender addresses (404 if it is not theirs)."""
    target = _load_user(session, user_id)
    if not valid_id(address_id):
        raise NotFound("No such address for this user.")
    accounts.remove_address(session, target, address_id)
    return RedirectResponse(f"/admin/users/{target.id}?done=address_removed", 303)


def _valid_address(value: str) -> str:
    try:
        checked = validate_email(value.strip()[:320], check_deliverability=False, allow_display_name=False)
    except EmailNotValidError as exc:
        raise InvalidInput(f"That is not a valid email address: {exc}") from exc
    return checked.normalized
