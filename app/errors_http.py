"""One place that turns errors into responses: JSON for the API and webhooks, a page for the UI."""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DomainError

log = logging.getLogger("mou.errors")
MACHINE_PREFIXES = ("/api", "/webhooks", "/healthz", "/openapi.json")


def wants_json(request: Request) -> bool:
    """API and webhook callers get JSON; browsers on UI pages get a page."""
    if request.url.path.startswith(MACHINE_PREFIXES):
        return True
    return "text/html" not in request.headers.get("accept", "")


def render(request: Request, status: int, code: str, message: str, details: dict | None = None) -> Response:
    """The error response for this request."""
    if wants_json(request):
        body: dict = {"error": {"code": code, "message": message}}
        if details:
            body["error"]["details"] = details
        return JSONResponse(body, status_code=status)
    page_renderer = getattr(request.app.state, "error_page", None)
    if page_renderer is not None:
        return page_renderer(request, status, message)
    title = html.escape(message)
    return HTMLResponse(f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{title}</p>", status)


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict]]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        problems.append({"field": where, "problem": str(err.get("msg", "invalid"))})
    summary = "; ".join(f"{p['field'] or 'request'}: {p['problem']}" for p in problems[:5])
    return f"The request is not valid: {summary}", problems


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return render(request, exc.status, exc.code, exc.message, exc.details or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, problems = _validation_message(exc)
        return render(request, 422, "invalid_input", message, {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = render(request, exc.status_code, code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return render(request, 500, "internal_error", "Something went wrong on our side; it has been logged.")
