"""Memo intake over the JSON API: create (and send), send later, check and preview a draft."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.accounts.deps import CurrentUser, MouDep, SessionDep, SettingsDep
from app.errors import ElementsMissing, Forbidden
from app.intake.submit import MouInput, check_input, create_mou, preview, send_mou
from app.models import Source
from app.review import schemas
from app.review.routes import ERRORS, mou_detail_for

router = APIRouter(prefix="/api", tags=["intake"], responses=ERRORS)

ELEMENTS_MISSING = {
    422: {
        "model": schemas.ErrorOut,
        "description": "Invalid input, or `send` was asked and required elements are missing "
        "(details carry `checklist`, `missing` and the held memo's `mou_id`; nothing was sent)",
    }
}


def _missing_response(exc: ElementsMissing) -> JSONResponse:
    """The 422 for a held draft, answered (not raised) so the held memo is kept for the manager."""
    body = {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
    return JSONResponse(body, status_code=exc.status)


@router.post(
    "/mous", response_model=schemas.MouDetail, status_code=201, responses=ELEMENTS_MISSING, summary="New memo"
)
def create(session: SessionDep, user: CurrentUser, settings: SettingsDep, body: schemas.MouCreate):
    """Create a memo from fields or free text; with `send: true` it is sent when complete."""
    data = MouInput.model_validate(body.model_dump(exclude={"send"}))
    mou = create_mou(session, user, data, Source.api)
    if body.send:
        try:
            send_mou(session, mou, user, settings)
        except ElementsMissing as exc:
            return _missing_response(exc)
    return mou_detail_for(session, mou)


@router.post(
    "/mous/{mou_id}/send", response_model=schemas.MouDetail, responses=ELEMENTS_MISSING, summary="Send"
)
def send(session: SessionDep, user: CurrentUser, settings: SettingsDep, mou: MouDep) -> schemas.MouDetail:
    """Send a complete draft to the customer (only its rep can)."""
    if mou.rep_id != user.id:
        raise Forbidden("Only the memo's rep can send it.")
    send_mou(session, mou, user, settings)
    return mou_detail_for(session, mou)


@router.post("/check", response_model=schemas.ChecklistOut, summary="Check a draft (nothing stored)")
def check(user: CurrentUser, body: MouInput) -> schemas.ChecklistOut:
    """The checklist for a draft: which elements are present, evidence and hints."""
    return schemas.ChecklistOut.model_validate(check_input(body))


@router.post("/preview", response_model=schemas.PreviewOut, summary="Preview a draft (nothing stored)")
def preview_draft(session: SessionDep, user: CurrentUser, settings: SettingsDep, body: MouInput):
    """The customer email a draft would produce: subject, HTML and text."""
    return schemas.PreviewOut(**preview(session, body, user, settings))
