"""The review queue: filters, keyset cursors and one page of the memos a user may see."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    false,
    func,
    literal,
    or_,
    tuple_,
    union_all,
)
from sqlmodel import Session, select

from app.accounts.service import mou_visibility, normalise_email
from app.errors import InvalidInput
from app.followup.reminders import overdue_condition
from app.intake.submit import SURROGATE
from app.models import ELEMENT_BITS, MAX_ID, STAGE_ORDER, Mou, Role, Team, User, utcnow
from app.models.mou import UNKNOWN_STAGE_RANK

MAX_LIMIT = 200
MERGE_MAX_TEAMS = 100
SEARCH_WINDOW = 5000  # rows a text search examines per page, so a search never scans a whole big team


@dataclass(frozen=True)
class QueueFilters:
    """What the queue can be narrowed to (all optional, combined with AND)."""

    status: str | None = None
    review: str | None = None
    rep: str | None = None
    stage: str | None = None
    missing: str | None = None
    overdue: bool = False
    reply_status: str | None = None
    q: str | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class QueueRow:
    """A memo and its rep, as the queue lists them."""

    mou: Mou
    rep: User


@dataclass(frozen=True)
class Page:
    """One page of the queue."""

    rows: list[QueueRow]
    next_cursor: str | None


# --- ordering and cursors -------------------------------------------------------------------------------

# Sort orders: the manager queue (unreviewed, earliest stage, oldest first) matches ix_mou_queue;
# "newest" (a rep's own list) matches ix_mou_rep_created.
SORT_KEYS = {
    "queue": (("reviewed", Boolean), ("stage_rank", Integer), ("created_at", DateTime), ("id", Integer)),
    "newest": (("created_at", DateTime), ("id", Integer)),
}


def default_sort(user: User) -> str:
    """Managers and admins work the queue; reps see their newest memos first."""
    return "newest" if user.role == Role.rep else "queue"


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not valid for this list; start again without a cursor.", field="cursor"
    )


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime (SQLite hands back naive UTC values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def encode_cursor(sort: str, mou: Mou) -> str:
    """Opaque cursor: the sort key of the last row seen."""
    key: list[Any] = []
    for name, _ in SORT_KEYS[sort]:
        value = getattr(mou, name)
        key.append(as_utc(value).isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps({"o": sort, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_value(kind: type, value: Any) -> Any:
    if kind is Boolean and isinstance(value, bool):
        return value
    if kind is Integer and isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    if kind is DateTime and isinstance(value, str) and len(value) <= 40:
        return as_utc(datetime.fromisoformat(value))
    raise ValueError("bad cursor value")


def decode_cursor(sort: str, cursor: str) -> list[Any]:
    """The sort key a cursor carries; InvalidInput (422) for anything else."""
    if len(cursor) > 400:
        raise _bad_cursor()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        spec = SORT_KEYS[sort]
        if not isinstance(data, dict) or data.get("o") != sort or len(data.get("k") or ()) != len(spec):
            raise ValueError("cursor for another list")
        return [_decode_value(kind, v) for (_, kind), v in zip(spec, data["k"], strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise _bad_cursor() from exc


def _key_columns(sort: str, source: Any = Mou) -> list[Any]:
    return [getattr(source, name) for name, _ in SORT_KEYS[sort]]


def _order_by(sort: str, source: Any = Mou) -> list[Any]:
    cols = _key_columns(sort, source)
    return [c.desc() for c in cols] if sort == "newest" else [c.asc() for c in cols]


def _after(sort: str, key: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after the cursor's key, as one row-value comparison (an index range scan)."""
    cols = _key_columns(sort)
    values = tuple_(*(literal(v, c.type) for v, c in zip(key, cols, strict=True)))
    return tuple_(*cols) < values if sort == "newest" else tuple_(*cols) > values


# --- filters --------------------------------------------------------------------------------------------


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _rep_condition(rep: str) -> ColumnElement[bool]:
    if rep.isascii() and rep.isdigit():  # isdigit() alone also takes "¹", which int() refuses (a 500)
        return Mou.rep_id == int(rep) if int(rep) <= MAX_ID else false()
    user_id = select(User.id).where(User.email == normalise_email(rep)).scalar_subquery()
    return Mou.rep_id == user_id


def filter_conditions(filters: QueueFilters, today: date) -> list[ColumnElement[bool]]:
    """SQL conditions for the structured filters (the text search is applied separately)."""
    conds: list[ColumnElement[bool]] = []
    if filters.status:
        conds.append(Mou.status == filters.status)
    if filters.review:
        conds.append(Mou.review == filters.review)
    if filters.rep:
        conds.append(_rep_condition(filters.rep))
    if filters.stage:
        rank = UNKNOWN_STAGE_RANK if filters.stage == "unknown" else STAGE_ORDER.index(filters.stage)
        conds.append(Mou.stage_rank == rank)
    if filters.missing:
        conds.append(Mou.missing_mask.op("&")(ELEMENT_BITS[filters.missing]) != 0)
    if filters.overdue:
        conds.append(overdue_condition(today))
    if filters.reply_status:
        conds.append(Mou.reply_status == filters.reply_status)
    if filters.team_id is not None:
        conds.append(Mou.team_id == filters.team_id if filters.team_id <= MAX_ID else false())
    return conds


def search_condition(q: str, source: Any = Mou) -> ColumnElement[bool]:
    """Case-insensitive substring match on customer, company and subject."""
    pattern = _like_pattern(q)
    columns = (source.customer_name, source.customer_email, source.company, source.subject)
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


# --- queue ----------------------------------------------------------------------------------------------


def _base(user: User, filters: QueueFilters, sort: str, cursor: str | None, today: date) -> Select:
    stmt = select(Mou).where(mou_visibility(user), *filter_conditions(filters, today))
    if cursor:
        stmt = stmt.where(_after(sort, decode_cursor(sort, cursor)))
    return stmt


def list_queue(
    session: Session,
    user: User,
    filters: QueueFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = 50,
    sort: str | None = None,
    today: date | None = None,
) -> Page:
    """One page of the memos this user may see, in queue order, with the cursor for the next page."""
    filters = filters or QueueFilters()
    check_filters(filters)
    sort = sort or default_sort(user)
    limit = max(1, min(limit, MAX_LIMIT))
    today = today or utcnow().date()
    stmt = _base(user, filters, sort, cursor, today)
    if filters.q:
        return _search_page(session, stmt, filters.q, sort, limit)
    if sort == "queue" and user.role == Role.admin and filters.team_id is None:
        stmt = _merge_teams(session, stmt, limit)
    stmt = stmt.order_by(*_order_by(sort)).limit(limit + 1)
    return _page(session, list(session.exec(stmt)), sort, limit)


def _merge_teams(session: Session, stmt: Select, limit: int) -> Select:
    """An admin's all-teams queue as a merge of per-team index range scans (no sort of every row)."""
    team_ids = [*session.exec(select(Team.id)), None]
    if len(team_ids) > MERGE_MAX_TEAMS:
        return stmt
    parts = []
    for team_id in team_ids:
        team_cond = Mou.team_id.is_(None) if team_id is None else Mou.team_id == team_id
        part = stmt.where(team_cond).order_by(*_order_by("queue")).limit(limit + 1).subquery()
        parts.append(select(part.c.id))
    return select(Mou).where(Mou.id.in_(union_all(*parts)))


def check_filters(filters: QueueFilters) -> None:
    """Refuse filter text that cannot be searched (NUL, lone surrogates): a clear 422, never a 500."""
    for name in ("q", "rep"):
        value = getattr(filters, name)
        if value and ("\x00" in value or SURROGATE.search(value)):
            message = f"The filter '{name}' contains a NUL or invalid Unicode character."
            raise InvalidInput(message, field=name)


def _with_reps(session: Session, mous: list[Mou]) -> list[QueueRow]:
    ids = {m.rep_id for m in mous}
    reps = {u.id: u for u in session.exec(select(User).where(User.id.in_(ids)))} if ids else {}
    return [QueueRow(mou=m, rep=reps[m.rep_id]) for m in mous]


def _page(session: Session, mous: list[Mou], sort: str, limit: int) -> Page:
    more = len(mous) > limit
    mous = mous[:limit]
    cursor = encode_cursor(sort, mous[-1]) if more and mous else None
    return Page(rows=_with_reps(session, mous), next_cursor=cursor)


def _search_page(session: Session, stmt: Select, q: str, sort: str, limit: int) -> Page:
    """Search within the next SEARCH_WINDOW rows in order; the cursor resumes after the window."""
    window = stmt.order_by(*_order_by(sort)).limit(SEARCH_WINDOW).subquery()
    matches = (
        select(Mou)
        .join(window, window.c.id == Mou.id)
        .where(search_condition(q, window.c))
        .order_by(*_order_by(sort))
        .limit(limit + 1)
    )
    mous = list(session.exec(matches))
    if len(mous) > limit:
        return _page(session, mous, sort, limit)
    last = session.exec(
        select(Mou).join(window, window.c.id == Mou.id).order_by(*reversed_order(sort)).limit(1)
    ).first()
    seen = session.exec(select(func.count()).select_from(window)).one()
    cursor = encode_cursor(sort, last) if last is not None and seen >= SEARCH_WINDOW else None
    return Page(rows=_with_reps(session, mous), next_cursor=cursor)


def reversed_order(sort: str) -> list[Any]:
    """The sort order backwards (to find the last row of a window)."""
    cols = _key_columns(sort)
    return [c.asc() for c in cols] if sort == "newest" else [c.desc() for c in cols]
