"""Review API: the queue, a memo with its reviews and timeline, preview, reviews, dashboard, CSV export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.accounts.deps import CurrentUser, MouDep, SessionDep, SettingsDep
from app.intake.submit import preview
from app.models import User
from app.review import schemas
from app.review.dashboard import dashboard
from app.review.export import export_rows
from app.review.queue import QueueFilters, list_queue
from app.review.service import add_review, reviews_for, timeline

ERRORS = {
    401: {"model": schemas.ErrorOut, "description": "No or invalid credentials"},
    403: {"model": schemas.ErrorOut, "description": "Not allowed (or missing CSRF token)"},
    404: {"model": schemas.ErrorOut, "description": "Not found or not visible to you"},
    422: {"model": schemas.ErrorOut, "description": "Invalid input"},
}
router = APIRouter(prefix="/api", tags=["review"], responses=ERRORS)

StatusFilter = Literal["draft", "held", "queued", "sent", "logged", "failed", "bounced"]
ReviewFilter = Literal["unreviewed", "approved", "coach", "revise"]
StageFilter = Literal[
    "change", "discontent", "research", "comparison", "fear", "commitment", "expectations", "satisfaction",
    "unknown",
]  # fmt: skip
ElementFilter = Literal["situation", "goals", "obstacles", "complications", "next_step"]
ReplyFilter = Literal["none", "confirmed", "corrected", "other"]


def queue_filters(
    status: StatusFilter | None = None,
    review: ReviewFilter | None = None,
    rep: Annotated[str | None, Query(max_length=320, description="Rep id or email")] = None,
    stage: StageFilter | None = None,
    missing: Annotated[ElementFilter | None, Query(description="Memos lacking this element")] = None,
    overdue: Annotated[bool, Query(description="Only customer next steps past their due date")] = False,
    reply_status: ReplyFilter | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Search customer, company, subject")] = None,
    team: Annotated[int | None, Query(ge=1, description="Team id (admins)")] = None,
) -> QueueFilters:
    """The queue's filters from the query string."""
    return QueueFilters(
        status=status, review=review, rep=rep or None, stage=stage, missing=missing, overdue=overdue,
        reply_status=reply_status, q=(q or "").strip() or None, team_id=team,
    )  # fmt: skip


FiltersDep = Annotated[QueueFilters, Depends(queue_filters)]
Sort = Literal["queue", "newest"]


@router.get("/mous", response_model=schemas.QueuePage, summary="List memos (the review queue)")
def list_mous(
    session: SessionDep,
    user: CurrentUser,
    filters: FiltersDep,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    sort: Annotated[Sort | None, Query(description="queue (managers' default) or newest (reps')")] = None,
) -> schemas.QueuePage:
    """Memos visible to the caller, keyset-paginated: pass `next_cursor` back as `cursor`."""
    page = list_queue(session, user, filters, cursor=cursor, limit=limit, sort=sort)
    return schemas.QueuePage(
        items=[schemas.mou_item(r.mou, r.rep) for r in page.rows], next_cursor=page.next_cursor
    )


CSV_RESPONSE = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}}


def _csv(request: Request, user: User, filters: QueueFilters) -> StreamingResponse:
    rows = export_rows(request.app.state.session_factory, user, filters)
    headers = {"Content-Disposition": 'attachment; filename="mou-queue.csv"'}
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/mous.csv", response_class=StreamingResponse, responses=CSV_RESPONSE, summary="Queue as CSV")
def export_csv(request: Request, user: CurrentUser, filters: FiltersDep) -> StreamingResponse:
    """The filtered queue as CSV (cells that look like formulas are neutralised)."""
    return _csv(request, user, filters)


@router.get(
    "/queue/export.csv", response_class=StreamingResponse, responses=CSV_RESPONSE, include_in_schema=True
)
def export_queue_csv(request: Request, user: CurrentUser, filters: FiltersDep) -> StreamingResponse:
    """Same as /api/mous.csv."""
    return _csv(request, user, filters)


def mou_detail_for(session: SessionDep, mou: MouDep) -> schemas.MouDetail:
    """A memo with its rep, reviews and timeline."""
    rep = session.get(User, mou.rep_id)
    reviews = [schemas.review_out(r, u) for r, u in reviews_for(session, mou)]
    events = [schemas.TimelineEvent(**e) for e in timeline(session, mou)]
    return schemas.mou_detail(mou, rep, reviews, events)


@router.get("/mous/{mou_id}", response_model=schemas.MouDetail, summary="One memo")
def get_mou(session: SessionDep, mou: MouDep) -> schemas.MouDetail:
    """A memo with its checklist, reviews and timeline."""
    return mou_detail_for(session, mou)


@router.get("/mous/{mou_id}/preview", response_model=schemas.PreviewOut, summary="Rendered customer email")
def preview_mou(session: SessionDep, mou: MouDep, settings: SettingsDep) -> schemas.PreviewOut:
    """The customer email for this memo: subject, HTML and text."""
    return schemas.PreviewOut(**preview(session, mou, settings=settings))


@router.post("/mous/{mou_id}/reviews", response_model=schemas.ReviewOut, status_code=201, summary="Review")
def review_mou(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, mou: MouDep, body: schemas.ReviewIn
) -> schemas.ReviewOut:
    """Approve, coach or request a revision; a comment is emailed to the rep (team managers, admins)."""
    # The memo is resolved first, so a memo outside the caller's scope is 404 whatever their role.
    review = add_review(session, user, mou, body.verdict, body.comment, settings)
    return schemas.review_out(review, user)


@router.get("/dashboard", response_model=schemas.DashboardOut, summary="Dashboard figures")
def get_dashboard(session: SessionDep, user: CurrentUser) -> schemas.DashboardOut:
    """Customers by stage, days to memo, completeness per rep, next steps due."""
    return dashboard(session, user)
