"""API schemas for memos, the review queue, reviews, timelines and the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.intake.submit import ELEMENT_FIELDS, MouInput, missing_elements
from app.models import Mou, Review, User


def _as_utc(value: datetime) -> datetime:
    """SQLite hands back naive UTC timestamps; the API always says which zone it means."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
Verdict = Literal["approved", "coach", "revise"]


class ErrorBody(BaseModel):
    """An error: a machine code, a message for people and optional details."""

    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    """Every 4xx/5xx body."""

    error: ErrorBody


class PersonOut(BaseModel):
    """A user as shown next to a memo."""

    id: int
    name: str
    email: str


class ElementOut(BaseModel):
    """One element of the checklist."""

    model_config = ConfigDict(extra="ignore")

    present: bool = False
    evidence: str | None = None
    hint: str | None = None


class ChecklistOut(BaseModel):
    """The checker's verdict: the five elements, the stage and what required elements are missing."""

    model_config = ConfigDict(extra="ignore")

    complete: bool = False
    elements: dict[str, ElementOut] = Field(default_factory=dict)
    stage: str | None = None
    missing: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    next_step_due: date | None = None


def checklist_out(raw: dict[str, Any] | None) -> ChecklistOut:
    """Schema view of a stored checklist dict (missing is always recomputed)."""
    raw = dict(raw or {})
    raw["missing"] = missing_elements(raw)
    raw["elements"] = {k: v for k, v in (raw.get("elements") or {}).items() if k in ELEMENT_FIELDS}
    return ChecklistOut.model_validate(raw)


class MouCreate(MouInput):
    """A new memo from fields or free text; `send` queues it for the customer when complete."""

    send: bool = False


class MouItem(BaseModel):
    """A memo as listed in the queue."""

    id: int
    customer_email: str
    customer_name: str
    company: str
    subject: str
    rep: PersonOut
    status: str
    review: str
    reviewed: bool
    stage: str | None
    complete: bool
    checklist: ChecklistOut
    next_step_due: date | None
    reply_status: str
    source: str
    created_at: UtcDatetime


class ReviewOut(BaseModel):
    """A manager's verdict and comment."""

    id: int
    mou_id: int
    verdict: str
    comment: str
    reviewer: PersonOut | None
    created_at: UtcDatetime


class TimelineEvent(BaseModel):
    """Something that happened to a memo."""

    at: UtcDatetime
    kind: str
    title: str
    detail: dict[str, Any] = Field(default_factory=dict)


class MouDetail(MouItem):
    """A memo with its full text, reviews and timeline."""

    meeting_date: date | None
    situation: str
    goals: str
    obstacles: str
    complications: str
    next_step: str
    body: str
    body_format: str
    template: str | None
    mode: str
    sent_at: UtcDatetime | None
    updated_at: UtcDatetime
    reviews: list[ReviewOut] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)


class QueuePage(BaseModel):
    """One page of the queue and the cursor for the next (null on the last page)."""

    items: list[MouItem]
    next_cursor: str | None


class ReviewIn(BaseModel):
    """A review: approve, coach, or request a revision, with a comment for the rep."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    comment: str = Field(default="", max_length=5000)


class PreviewOut(BaseModel):
    """The customer email as rendered."""

    subject: str
    html: str
    text: str


def person_out(user: User | None) -> PersonOut | None:
    """A user as shown next to a memo."""
    return PersonOut(id=user.id, name=user.name, email=user.email) if user is not None else None


def mou_item(mou: Mou, rep: User) -> MouItem:
    """A queue item from a memo and its rep."""
    return MouItem(
        **mou.model_dump(include=set(MouItem.model_fields) - {"rep", "checklist"}),
        rep=person_out(rep),
        checklist=checklist_out(mou.checklist),
    )


def review_out(review: Review, reviewer: User | None) -> ReviewOut:
    """A review as shown."""
    return ReviewOut(**review.model_dump(exclude={"reviewer_id"}), reviewer=person_out(reviewer))


def mou_detail(
    mou: Mou, rep: User, reviews: list[ReviewOut] | None = None, timeline: list[TimelineEvent] | None = None
) -> MouDetail:
    """A memo with everything about it."""
    base = mou_item(mou, rep).model_dump()
    extra = mou.model_dump(include=set(MouDetail.model_fields) - set(base) - {"reviews", "timeline"})
    return MouDetail(**base, **extra, reviews=reviews or [], timeline=timeline or [])


# --- dashboard ------------------------------------------------------------------------------------------


class StageCount(BaseModel):
    """Customers currently at one buying stage."""

    stage: str
    label: str
    count: int


class PhaseOut(BaseModel):
    """One phase of the customer's buying process and its two stages."""

    phase: str
    label: str
    count: int
    stages: list[StageCount]


class Bucket(BaseModel):
    """A histogram bar."""

    label: str
    count: int


class RepStats(BaseModel):
    """How one rep's memos are doing."""

    rep: PersonOut
    mous: int
    complete_first_time: int
    completeness_rate: float | None
    most_missed: str | None
    most_missed_count: int
    average_days_to_mou: float | None


class NextStepOut(BaseModel):
    """A customer's next step with its due date."""

    mou_id: int
    customer_name: str
    company: str
    rep_name: str
    next_step: str
    next_step_due: date
    overdue: bool


class NextSteps(BaseModel):
    """Customer next steps that are overdue or due in the coming week."""

    overdue: int
    due_soon: int
    items: list[NextStepOut]


class DaysToMou(BaseModel):
    """Days from the meeting to the memo."""

    average_days: float | None
    measured: int
    buckets: list[Bucket]


class DashboardOut(BaseModel):
    """The manager dashboard figures."""

    total_mous: int
    customers: int
    phases: list[PhaseOut]
    unknown_stage: int
    days_to_mou: DaysToMou
    reps: list[RepStats]
    next_steps: NextSteps
    today: date
