"""Page dependencies: the signed-in user (or a redirect to sign in), role guards, CSRF-checked forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from app.accounts.deps import ADMINS, MANAGERS, SessionDep, SettingsDep, require_role, user_from_cookie
from app.accounts.security import SESSION_COOKIE, csrf_valid
from app.errors import Forbidden, InvalidInput
from app.models import User

CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, as the page layout needs it."""

    id: int
    name: str
    email: str
    role: str


MAX_FORM_FIELDS = 200
MAX_FIELD_BYTES = 1024 * 1024


def login_redirect(request: Request) -> HTTPException:
    """A 303 to the sign-in page that brings the user back here afterwards."""
    target = request.url.path if request.method == "GET" else "/"
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return HTTPException(
        303, "Please sign in.", headers={"Location": "/login?next=" + quote(target, safe="")}
    )


def page_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The user signed in with the session cookie; otherwise off to the sign-in page."""
    user = user_from_cookie(request, session, settings)
    if user is None:
        raise login_redirect(request)
    # A plain copy for the layout: the error page still shows who is signed in after a rollback.
    request.state.viewer = Viewer(id=user.id, name=user.name, email=user.email, role=user.role)
    return user


PageUser = Annotated[User, Depends(page_user)]


def page_manager(user: PageUser) -> User:
    """Managers and admins only."""
    return require_role(user, MANAGERS, "Only managers can open this page.")


def page_admin(user: PageUser) -> User:
    """Admins only."""
    return require_role(user, ADMINS, "Only admins can open this page.")


PageManager = Annotated[User, Depends(page_manager)]
PageAdmin = Annotated[User, Depends(page_admin)]


async def read_form(request: Request) -> FormData:
    """The posted form, with caps on field count and size (a 4xx, never a 500)."""
    try:
        return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES)
    except HTTPException:
        raise
    except Exception as exc:  # python-multipart's parse errors have no common base we can rely on
        raise InvalidInput("The form could not be read.") from exc


async def csrf_form(request: Request, settings: SettingsDep, _user: PageUser) -> FormData:
    """The posted form of a signed-in user, refused (403) without the session's CSRF token."""
    form = await read_form(request)
    submitted = form.get(CSRF_FIELD)
    secret = settings.secret_key.get_secret_value()
    if not isinstance(submitted, str) or not csrf_valid(
        secret, request.cookies.get(SESSION_COOKIE), submitted
    ):
        raise Forbidden(
            "This form has expired or did not come from this site. Reload the page and try again."
        )
    return form


CsrfForm = Annotated[FormData, Depends(csrf_form)]


def field(form: FormData, name: str, default: str = "") -> str:
    """One text field of a form (files and missing fields become the default)."""
    value = form.get(name)
    return value if isinstance(value, str) else default
