"""The web UI's router: pages of every area, our static files, the error page and the home redirect."""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.errors import NotFound
from app.web import admin, admin_templates, admin_users, auth, dashboard, mous, queue
from app.web.deps import PageUser
from app.web.templating import render

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Only the files we ship are served: a fixed map, so no path from the URL ever reaches the filesystem.
STATIC_FILES = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file() and not p.name.startswith(".")}


def error_page(request: Request, status: int, message: str) -> Response:
    """The page shown for errors in the UI (redirects pass through untouched)."""
    if 300 <= status < 400:
        return Response(status_code=status)
    titles = {403: "Not allowed", 404: "Not found", 429: "Slow down", 500: "Something went wrong"}
    return render(
        request, "error.html", status, status_code=status, title=titles.get(status, "Error"), message=message
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Let the app's error handler render UI errors as our pages."""
    app.state.error_page = error_page
    yield


router = APIRouter(lifespan=lifespan)
for area in (auth, mous, queue, dashboard, admin, admin_templates, admin_users):
    router.include_router(area.router)


@router.get("/", include_in_schema=False)
def home(user: PageUser) -> Response:
    """Reps land on their MOUs, managers on the queue."""
    return RedirectResponse(auth.home_for(user), 303)


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    """Our own CSS, JS and icon."""
    path = STATIC_FILES.get(name)
    if path is None:
        raise NotFound("No such file.")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "public, max-age=3600"})
