"""Customer accounts: MOUs grouped by company and contact, with the buying-stage history over time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, func, or_, true
from sqlalchemy.orm import load_only
from sqlmodel import Session, select

from app.accounts.service import mou_visibility
from app.checking.model import PHASES
from app.compose.context import STAGE_LABELS
from app.models import STAGE_ORDER, Mou, MouStatus, User

# Drafts never reached the customer; they say nothing about where the customer is.
COUNTED = (MouStatus.queued, MouStatus.sent, MouStatus.logged, MouStatus.bounced, MouStatus.failed)
PHASE_OF = {stage: phase for phase, stages in PHASES.items() for stage in stages}


@dataclass(frozen=True)
class StagePoint:
    """One MOU's stage for a customer at a point in time; `moved_from` is set when the stage changed."""

    at: datetime
    mou_id: int
    stage: str | None
    contact: str
    rep_id: int
    moved_from: str | None = None

    @property
    def phase(self) -> str | None:
        """needs, options, decision or results."""
        return PHASE_OF.get(self.stage or "")

    @property
    def stage_label(self) -> str | None:
        """The stage for people ('Research')."""
        return STAGE_LABELS.get(self.stage or "", (None, None))[0]


@dataclass
class Contact:
    """A person at the customer and the MOUs written to them."""

    email: str
    name: str = ""
    mou_ids: list[int] = field(default_factory=list)
    last_at: datetime | None = None


@dataclass
class Account:
    """A customer company: contacts, MOUs oldest first, and the stage history across them."""

    key: str
    name: str
    contacts: dict[str, Contact] = field(default_factory=dict)
    mous: list[Mou] = field(default_factory=list)
    history: list[StagePoint] = field(default_factory=list)

    @property
    def current_stage(self) -> str | None:
        """The stage of the latest MOU that names one."""
        staged = [p for p in self.history if p.stage]
        return staged[-1].stage if staged else None

    @property
    def last_at(self) -> datetime | None:
        """When the latest MOU for this account was written."""
        return self.history[-1].at if self.history else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def when(mou: Mou) -> datetime:
    """The MOU's point in the customer's timeline: the meeting day when known, else its creation."""
    if mou.meeting_date is not None:
        return datetime.combine(mou.meeting_date, datetime.min.time(), tzinfo=UTC)
    return _aware(mou.created_at)


def account_key(mou: Mou) -> str:
    """Group MOUs by company name, case-insensitively; without one, by the customer's email domain."""
    company = " ".join((mou.company or "").split()).lower()
    if company:
        return company
    domain = (mou.customer_email or "").rpartition("@")[2].lower()
    return domain or "(unknown)"


def _history(mous: list[Mou]) -> list[StagePoint]:
    points, last = [], None
    for mou in mous:
        moved = last if mou.stage and last and mou.stage != last else None
        points.append(
            StagePoint(when(mou), mou.id or 0, mou.stage, mou.customer_email.lower(), mou.rep_id, moved)
        )
        last = mou.stage or last
    return points


def group_accounts(mous: Iterable[Mou]) -> list[Account]:
    """Accounts from MOUs (any order in): contacts, MOUs and stage history oldest first."""
    accounts: dict[str, Account] = {}
    for mou in sorted(mous, key=lambda m: (when(m), m.id or 0)):
        key = account_key(mou)
        account = accounts.setdefault(key, Account(key, mou.company or key))
        account.name = mou.company or account.name
        account.mous.append(mou)
        email = mou.customer_email.lower()
        contact = account.contacts.setdefault(email, Contact(email, mou.customer_name))
        contact.name = mou.customer_name or contact.name
        contact.mou_ids.append(mou.id or 0)
        contact.last_at = when(mou)
    for account in accounts.values():
        account.history = _history(account.mous)
    return sorted(
        accounts.values(), key=lambda a: a.last_at or datetime.min.replace(tzinfo=UTC), reverse=True
    )


# Accounts read many MOUs: leave the memo text, checklist and raw body in the database.
_LISTED = (
    Mou.id, Mou.rep_id, Mou.team_id, Mou.customer_email, Mou.customer_name, Mou.company, Mou.meeting_date,
    Mou.stage, Mou.status, Mou.review, Mou.reply_status, Mou.next_step, Mou.next_step_due, Mou.created_at,
)  # fmt: skip


def _visible(session: Session, user: User | None, *conds: ColumnElement[bool]) -> list[Mou]:
    scope = mou_visibility(user) if user is not None else true()
    stmt = select(Mou).options(load_only(*_LISTED)).where(scope, Mou.status.in_(COUNTED), *conds)  # type: ignore[attr-defined]
    return list(session.exec(stmt))


def list_accounts(
    session: Session, user: User, *, q: str | None = None, stage: str | None = None
) -> list[Account]:
    """The accounts this user may see (reps: their customers; managers: the team's; admins: all)."""
    accounts = group_accounts(_visible(session, user))
    if q:
        needle = q.strip().lower()
        accounts = [a for a in accounts if needle in a.key or any(needle in c for c in a.contacts)]
    if stage:
        accounts = [a for a in accounts if a.current_stage == stage]
    return accounts


def get_account(session: Session, user: User, key: str) -> Account | None:
    """One account by its key (company name, case-insensitive), or None when the user sees none of it."""
    wanted = " ".join(key.split()).lower()
    if not wanted or any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in wanted):
        return None  # no company name holds control characters (PostgreSQL text cannot even hold NUL)
    # Narrow in SQL (company words, or the email domain for MOUs without a company), then group exactly.
    first_word = wanted.split(" ", 1)[0].replace("\\", "").replace("%", "").replace("_", "")
    narrowed = or_(
        func.lower(Mou.company).contains(first_word),
        (Mou.company == "") & func.lower(Mou.customer_email).endswith("@" + wanted),
    )
    for account in group_accounts(_visible(session, user, narrowed)):
        if account.key == wanted:
            return account
    return None


def stage_moves(
    session: Session, team_id: int, since: datetime, until: datetime
) -> list[tuple[Account, StagePoint]]:
    """Team customers whose stage changed with an MOU written in [since, until)."""
    moves = []
    for account in group_accounts(_visible(session, None, Mou.team_id == team_id)):
        for point in account.history:
            mou = next(m for m in account.mous if m.id == point.mou_id)
            if point.moved_from and since <= _aware(mou.created_at) < until:
                moves.append((account, point))
    return moves


def stage_index(stage: str | None) -> int | None:
    """0-7 position of a stage in the buying process (for charts), None when unknown."""
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else None


def day_of(value: datetime) -> date:
    """The UTC day of an instant."""
    return _aware(value).astimezone(UTC).date()
