"""Sign in and out, password change and API tokens: session cookie, CSRF and a login rate limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts import service as accounts
from app.accounts.deps import MANAGERS, SessionDep, SettingsDep, user_from_cookie
from app.accounts.security import SESSION_COOKIE, SESSION_MAX_AGE, sign_session, verify_password
from app.config import Settings
from app.errors import DomainError, Forbidden, NotFound
from app.models import User, valid_id
from app.web.deps import CsrfForm, PageUser, field, read_form
from app.web.ratelimit import SlidingWindowLimiter
from app.web.templating import render

router = APIRouter()
PRELOGIN_COOKIE = "mou_prelogin"
BAD_CREDENTIALS = "That email and password do not match an active account."


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def prelogin_token(settings: Settings, nonce: str) -> str:
    """Form token for the signed double-submit cookie that protects the sign-in form."""
    return hmac.new(_secret(settings).encode(), b"login:" + nonce.encode(), hashlib.sha256).hexdigest()


def set_session_cookie(response: Response, settings: Settings, user: User) -> None:
    """Start a session: HttpOnly, SameSite=Lax, Secure when configured."""
    value = sign_session(_secret(settings), user.id, user.session_version)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


def home_for(user: User) -> str:
    """Where a role lands after signing in."""
    return "/queue" if user.role in MANAGERS else "/mous"


def safe_next(target: str | None, user: User) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return home_for(user)


def limiter(request: Request, settings: Settings) -> SlidingWindowLimiter:
    """The app's sign-in limiter (one per app, so tests do not share counts)."""
    state = request.app.state
    if getattr(state, "login_limiter", None) is None:
        state.login_limiter = SlidingWindowLimiter(settings.login_rate_per_minute, 60.0)
    return state.login_limiter


def _login_page(request: Request, settings: Settings, *, status: int = 200, **context) -> Response:
    nonce = request.cookies.get(PRELOGIN_COOKIE) or secrets.token_urlsafe(24)
    context.setdefault("email", "")
    context.setdefault("error", None)
    context.setdefault("next", request.query_params.get("next", ""))
    response = render(request, "login.html", status, csrf=prelogin_token(settings, nonce), **context)
    response.set_cookie(
        PRELOGIN_COOKIE, nonce, httponly=True, samesite="lax", secure=settings.cookie_secure, path="/login"
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The sign-in form (signed-in users go straight home)."""
    user = user_from_cookie(request, session, settings)
    if user is not None:
        return RedirectResponse(home_for(user), 303)
    return _login_page(request, settings)


def _prelogin_valid(request: Request, settings: Settings, submitted: str) -> bool:
    nonce = request.cookies.get(PRELOGIN_COOKIE)
    return bool(nonce and submitted) and hmac.compare_digest(prelogin_token(settings, nonce), submitted)


@router.post("/login", include_in_schema=False)
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Check the credentials (rate-limited per address and email) and start a session."""
    form = await read_form(request)
    if not _prelogin_valid(request, settings, field(form, "csrf_token")):
        raise Forbidden("The sign-in form expired. Reload the page and try again.")
    email, password, target = field(form, "email")[:320], field(form, "password"), field(form, "next")
    key = f"{request.client.host if request.client else '-'}|{email.strip().lower()}"
    gate = limiter(request, settings)
    if gate.blocked(key):
        wait = gate.retry_after(key)
        message = f"Too many sign-in attempts for this account. Wait {wait} seconds and try again."
        page = _login_page(request, settings, status=429, error=message, email=email, next=target)
        page.headers["Retry-After"] = str(wait)
        return page
    user = accounts.authenticate(session, email, password)
    if user is None:
        gate.hit(key)
        return _login_page(request, settings, status=401, error=BAD_CREDENTIALS, email=email, next=target)
    gate.reset(key)
    response = RedirectResponse(safe_next(target, user), 303)
    set_session_cookie(response, settings, user)
    response.delete_cookie(PRELOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(user: PageUser, _form: CsrfForm, session: SessionDep) -> Response:
    """End the session; the session generation moves on so a copied cookie stops working too."""
    user.session_version += 1
    session.add(user)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password", include_in_schema=False)
def password_form(request: Request, user: PageUser) -> Response:
    """The password change form."""
    return render(request, "password.html", error=None, done=request.query_params.get("done") == "1")


@router.post("/account/password", include_in_schema=False)
def change_password(
    request: Request, user: PageUser, form: CsrfForm, session: SessionDep, settings: SettingsDep
) -> Response:
    """Change the password, end other sessions, keep this one."""
    current, new, again = field(form, "current_password"), field(form, "new_password"), field(form, "confirm")
    error = None
    if not verify_password(user.password_hash, current):
        error = "Your current password is not right."
    elif new != again:
        error = "The new passwords do not match."
    else:
        try:
            accounts.set_password(session, user, new)
        except DomainError as exc:
            error = exc.message
    if error:
        return render(request, "password.html", 422, error=error, done=False)
    response = RedirectResponse("/account/password?done=1", 303)
    set_session_cookie(response, settings, user)
    return response


def _settings_page(request: Request, session: SessionDep, user: User, **context) -> Response:
    context.setdefault("new_token", None)
    context.setdefault("status", 200)
    tokens = accounts.list_tokens(session, user)
    return render(request, "settings.html", context.pop("status"), tokens=tokens, **context)


@router.get("/settings", include_in_schema=False)
def settings_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    """Account settings: API tokens."""
    return _settings_page(request, session, user, notice=request.query_params.get("done"))


@router.post("/settings/tokens", include_in_schema=False)
def create_token(request: Request, user: PageUser, form: CsrfForm, session: SessionDep) -> Response:
    """Issue a token and show it this once (the page is not cached)."""
    _, token = accounts.issue_token(session, user, field(form, "name")[:120])
    return _settings_page(request, session, user, new_token=token, notice=None, status=201)


@router.post("/settings/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(token_id: int, user: PageUser, _form: CsrfForm, session: SessionDep) -> Response:
    """Revoke one of the user's own tokens."""
    if not valid_id(token_id):
        raise NotFound("No such token.")
    accounts.revoke_token(session, user, token_id)
    return RedirectResponse("/settings?done=revoked", 303)
