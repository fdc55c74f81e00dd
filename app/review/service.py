"""Manager reviews of a memo and its timeline (the queue they work from is in `queue`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from app.config import Settings, get_settings
from app.delivery.service import enqueue_coaching
from app.errors import Forbidden, InvalidInput
from app.intake.submit import audit
from app.models import CustomerReply, Delivery, InboundMessage, Mou, Review, ReviewState, Role, User, utcnow
from app.review.queue import as_utc

VERDICTS = ("approved", "coach", "revise")


# --- reviews --------------------------------------------------------------------------------------------


def can_review(user: User, mou: Mou) -> bool:
    """Managers review their own team's memos; admins any."""
    if user.role == Role.admin:
        return True
    return user.role == Role.manager and user.team_id is not None and user.team_id == mou.team_id


def add_review(
    session: Session,
    reviewer: User,
    mou: Mou,
    verdict: str,
    comment: str = "",
    settings: Settings | None = None,
) -> Review:
    """Record a verdict; a comment is emailed to the rep through the outbox in the same transaction."""
    if not can_review(reviewer, mou):
        raise Forbidden("Only the team's managers can review this memo.")
    comment = (comment or "").strip()
    _validate_review(verdict, comment)
    review = Review(mou_id=mou.id, reviewer_id=reviewer.id, verdict=verdict, comment=comment)
    session.add(review)
    mou.review = verdict
    mou.reviewed = True
    mou.updated_at = utcnow()
    session.add(mou)
    session.flush()
    if comment:
        enqueue_coaching(session, review, settings=settings or get_settings())
    audit(session, reviewer, "mou.review", mou, verdict=verdict, review_id=review.id)
    session.flush()
    return review


def _validate_review(verdict: str, comment: str) -> None:
    if verdict not in VERDICTS:
        raise InvalidInput("The verdict must be approved, coach or revise.", field="verdict")
    if verdict in (ReviewState.coach, ReviewState.revise) and not comment:
        raise InvalidInput(
            "Say what to coach or revise: a comment is needed for this verdict.", field="comment"
        )
    if len(comment) > 5000 or "\x00" in comment:
        raise InvalidInput("The comment is too long or contains a NUL character.", field="comment")


def reviews_for(session: Session, mou: Mou) -> list[tuple[Review, User | None]]:
    """A memo's reviews, oldest first, with their reviewers."""
    stmt = (
        select(Review, User)
        .join(User, User.id == Review.reviewer_id, isouter=True)
        .where(Review.mou_id == mou.id)
        .order_by(Review.created_at, Review.id)
    )
    return [(r, u) for r, u in session.exec(stmt)]


# --- timeline -------------------------------------------------------------------------------------------


def _event(at: datetime | None, kind: str, title: str, **detail: Any) -> dict[str, Any]:
    return {
        "at": as_utc(at or datetime.min.replace(tzinfo=UTC)),
        "kind": kind,
        "title": title,
        "detail": detail,
    }


def _inbound_events(session: Session, mou: Mou) -> list[dict[str, Any]]:
    cond = InboundMessage.mou_id == mou.id
    if mou.inbound_id is not None:
        cond = or_(cond, InboundMessage.id == mou.inbound_id)
    rows = session.exec(select(InboundMessage).where(cond))
    return [
        _event(
            m.received_at,
            "inbound",
            f"Email received: {m.subject or '(no subject)'}",
            id=m.id,
            provider=m.provider,
            outcome=m.outcome,
            status=m.status,
        )
        for m in rows
    ]


def _delivery_events(session: Session, mou: Mou) -> list[dict[str, Any]]:
    events = []
    for d in session.exec(select(Delivery).where(Delivery.mou_id == mou.id)):
        events.append(
            _event(
                d.created_at,
                "delivery_queued",
                f"{d.kind} email queued",
                id=d.id,
                recipients=d.recipients,
                subject=d.subject,
                status=d.status,
            )
        )
        if d.sent_at is not None:
            events.append(_event(d.sent_at, "delivery_sent", f"{d.kind} email sent", id=d.id))
        if d.status in ("bounced", "failed", "uncertain"):
            events.append(
                _event(
                    d.claimed_at or d.next_attempt_at,
                    f"delivery_{d.status}",
                    f"{d.kind} email {d.status}",
                    id=d.id,
                    error=d.last_error,
                )
            )
    return events


def timeline(session: Session, mou: Mou) -> list[dict[str, Any]]:
    """Everything that happened to a memo, in time order: inbound, deliveries, reviews, replies."""
    events = [_event(mou.created_at, "created", f"Memo created ({mou.source})", status=mou.status)]
    events += _inbound_events(session, mou)
    events += _delivery_events(session, mou)
    for review, reviewer in reviews_for(session, mou):
        who = reviewer.name if reviewer else "a manager"
        events.append(
            _event(
                review.created_at,
                "review",
                f"Reviewed by {who}: {review.verdict}",
                id=review.id,
                verdict=review.verdict,
                comment=review.comment,
            )
        )
    for reply in session.exec(select(CustomerReply).where(CustomerReply.mou_id == mou.id)):
        events.append(
            _event(
                reply.created_at,
                "customer_reply",
                f"Customer replied: {reply.classification}",
                id=reply.id,
                classification=reply.classification,
                from_addr=reply.from_addr,
            )
        )
    events.sort(key=lambda e: e["at"])
    return events
