"""Application factory: settings, database, routers, error handling and the in-process worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from sqlmodel import Session

from app import errors_http
from app.accounts import routes as accounts_routes
from app.accounts.deps import SessionDep
from app.config import Settings, get_settings
from app.db import make_engine
from app.followup import routes as followup_routes
from app.intake import api as intake_api
from app.intake import routes as intake_routes
from app.ratelimit import RateLimitMiddleware
from app.review import routes as review_routes
from app.security_headers import SecurityHeadersMiddleware
from app.web import routes as web_routes

log = logging.getLogger("mou")

# Webhooks come first: they are the busiest route under provider load, and Starlette matches in order.
ROUTERS = (
    intake_routes.router,
    accounts_routes.router,
    intake_api.router,
    review_routes.router,
    followup_routes.router,
    web_routes.router,
)


def _start_worker(app: FastAPI) -> Callable[[], None]:
    """Start the in-process worker (outbox, inbound inbox, scheduled jobs)."""
    from app.worker import start_in_process

    return start_in_process(app.state)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Own the engine and the in-process worker for the app's lifetime."""
    settings: Settings = app.state.settings
    stop_worker = None
    if app.state.run_worker and settings.worker_in_process:
        stop_worker = _start_worker(app)
    try:
        yield
    finally:
        if stop_worker is not None:
            stop_worker()
        if app.state.owns_engine:
            app.state.engine.dispose()


def create_app(
    settings: Settings | None = None,
    session_factory: Callable[[], Session] | None = None,
    *,
    run_worker: bool = True,
) -> FastAPI:
    """Build the app; tests pass their own settings and a session factory bound to a test transaction."""
    settings = settings or get_settings()
    app = FastAPI(
        title="MOU Assistant",
        version="0.1.0",
        description="MOU intake, checking, delivery and manager review for B2B sales teams.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load scripts from a CDN, which our CSP (and offline installs) refuse.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.run_worker = run_worker
    app.state.owns_engine = session_factory is None
    if session_factory is None:
        engine = make_engine(settings)
        app.state.engine = engine
        session_factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731
    app.state.session_factory = session_factory
    app.add_middleware(RateLimitMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware)
    errors_http.install(app)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])
    for router in ROUTERS:
        app.include_router(router)
    return app


def healthz(session: SessionDep) -> dict[str, str]:
    """200 when the database answers."""
    session.exec(text("SELECT 1"))
    return {"status": "ok"}


__all__ = ["Request", "RequestValidationError", "create_app"]
