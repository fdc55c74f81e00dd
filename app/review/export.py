"""CSV export of the queue, streamed page by page, with spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date

from sqlmodel import Session

from app.models import User
from app.review.queue import MAX_LIMIT, QueueFilters, QueueRow, check_filters, list_queue
from app.review.schemas import checklist_out

COLUMNS = (
    "id", "created_at", "rep_name", "rep_email", "customer_name", "customer_email", "company", "subject",
    "status", "review", "stage", "complete", "missing", "next_step", "next_step_due", "reply_status",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 100_000


def neutralise(value: object) -> str:
    """A cell a spreadsheet shows as text: values starting like a formula get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cells(row: QueueRow) -> list[str]:
    m, rep = row.mou, row.rep
    values = (
        m.id, m.created_at.isoformat(), rep.name, rep.email, m.customer_name, m.customer_email, m.company,
        m.subject, m.status, m.review, m.stage or "", "yes" if m.complete else "no",
        " ".join(checklist_out(m.checklist).missing), m.next_step, m.next_step_due or "", m.reply_status,
    )  # fmt: skip
    return [neutralise(v) for v in values]


def _line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def export_rows(
    session_factory: Callable[[], Session], user: User, filters: QueueFilters, today: date | None = None
) -> Iterator[str]:
    """CSV lines for the whole (filtered) queue, header first, read one page at a time.

    Bad filters raise here, before a streaming response has sent its status line."""
    check_filters(filters)
    return _rows(session_factory, user, filters, today)


def _rows(
    session_factory: Callable[[], Session], user: User, filters: QueueFilters, today: date | None
) -> Iterator[str]:
    yield _line(list(COLUMNS))
    cursor, sent = None, 0
    with session_factory() as session:
        while sent < MAX_ROWS:
            page = list_queue(session, user, filters, cursor=cursor, limit=MAX_LIMIT, today=today)
            for row in page.rows:
                yield _line(_cells(row))
            sent += len(page.rows)
            session.expunge_all()  # keep memory flat on big exports
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
