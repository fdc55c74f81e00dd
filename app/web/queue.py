"""The manager's review queue: filters, search, keyset pages and the CSV export link."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session, select

from app.accounts.deps import SessionDep
from app.errors import DomainError
from app.models import ELEMENT_BITS, STAGE_ORDER, MouStatus, ReviewState, Role, User
from app.review import export
from app.review import queue as review_queue
from app.web import checklist_view
from app.web.deps import PageManager
from app.web.templating import render

router = APIRouter()
PAGE_SIZE = 25
REPLY_STATUSES = ("none", "confirmed", "corrected", "other")
FILTER_NAMES = ("rep", "status", "review", "stage", "missing", "reply_status", "overdue", "q")


def read_filters(request: Request) -> dict[str, str]:
    """The queue filters from the query string; values outside the known sets are dropped."""
    params = request.query_params
    allowed = {
        "status": {s.value for s in MouStatus},
        "review": {s.value for s in ReviewState},
        "stage": {*STAGE_ORDER, "unknown"},
        "missing": set(ELEMENT_BITS),
        "reply_status": set(REPLY_STATUSES),
    }
    chosen = {name: params.get(name, "") for name in FILTER_NAMES}
    for name, values in allowed.items():
        if chosen[name] not in values:
            chosen[name] = ""
    chosen["rep"] = chosen["rep"] if chosen["rep"].isdigit() else ""
    chosen["overdue"] = "1" if chosen["overdue"] in ("1", "on", "true") else ""
    chosen["q"] = chosen["q"].strip()[:200]
    return chosen


def to_filters(chosen: dict[str, str]) -> review_queue.QueueFilters:
    """The review queue's filter object."""
    return review_queue.QueueFilters(
        rep=chosen["rep"] or None,
        status=chosen["status"] or None,
        review=chosen["review"] or None,
        stage=chosen["stage"] or None,
        missing=chosen["missing"] or None,
        reply_status=chosen["reply_status"] or None,
        overdue=bool(chosen["overdue"]),
        q=chosen["q"] or None,
    )


def team_reps(session: Session, user: User) -> list[User]:
    """Reps the manager can filter by (admins: everyone who writes memos)."""
    stmt = select(User).where(User.role.in_((Role.rep, Role.manager)))
    if user.role != Role.admin:
        stmt = stmt.where(User.team_id == user.team_id)
    return list(session.exec(stmt.order_by(User.name)))


def query_string(chosen: dict[str, str], **extra: str) -> str:
    """The filters (and extras such as the cursor) as a query string, empty values left out."""
    return urlencode({k: v for k, v in {**chosen, **extra}.items() if v})


@router.get("/queue", include_in_schema=False)
def queue(request: Request, user: PageManager, session: SessionDep) -> Response:
    """Unreviewed first, earliest buying stage, oldest first; filters narrow it."""
    chosen = read_filters(request)
    cursor = request.query_params.get("cursor") or None
    error = None
    try:
        page = review_queue.list_queue(session, user, to_filters(chosen), cursor=cursor, limit=PAGE_SIZE)
    except DomainError as exc:
        error, page = exc.message, review_queue.Page(rows=[], next_cursor=None)
    return render(
        request,
        "queue.html",
        rows=page.rows,
        error=error,
        filters=chosen,
        reps=team_reps(session, user),
        reply_statuses=REPLY_STATUSES,
        missing={r.mou.id: checklist_view.missing_labels(r.mou.checklist) for r in page.rows},
        next_link=f"/queue?{query_string(chosen, cursor=page.next_cursor)}" if page.next_cursor else None,
        export_link=f"/queue/export.csv?{query_string(chosen)}",
        first_page=cursor is None,
    )


@router.get("/queue/export.csv", include_in_schema=False)
def export_queue(request: Request, user: PageManager) -> Response:
    """The filtered queue as CSV (formula-safe cells, produced by the review export)."""
    filters = to_filters(read_filters(request))
    rows = export.export_rows(request.app.state.session_factory, user, filters)
    headers = {"Content-Disposition": 'attachment; filename="mou-queue.csv"', "Cache-Control": "no-store"}
    return StreamingResponse(iter(rows), media_type="text/csv; charset=utf-8", headers=headers)
