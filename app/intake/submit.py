"""The one submission pipeline for the form, the API and email: validate, check, store, send, preview."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from app import compose
from app.checking import ELEMENTS, check_fields, check_memo
from app.config import Settings, get_settings
from app.delivery.service import enqueue_mou_delivery, render_for_mou
from app.errors import Conflict, ElementsMissing, Forbidden, HeaderInjection, InvalidInput
from app.models import AuditLog, EmailTemplate, Mou, MouStatus, Source, Team, User, utcnow
from app.models import missing_mask as mask_of
from app.models import stage_rank as rank_of

Stage = Literal[
    "change", "discontent", "research", "comparison", "fear", "commitment", "expectations", "satisfaction"
]
ELEMENT_FIELDS = ELEMENTS
HEADER_FIELDS = ("customer_email", "customer_name", "company", "subject")
# Characters that end or smuggle a header line: CR, LF, NUL, VT, FF, NEL, LS, PS (and other C0 controls).
_HEADER_BREAKERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
SUBMIT_SOURCES = (Source.form, Source.api, Source.email, Source.smtp)


# Documented in the schema; enforced by refuse_header_injection() so the error says what is wrong.
ONE_LINE = {"pattern": r"^[^\x00-\x1f\x7f\x85\u2028\u2029]*$"}


class MouInput(BaseModel):
    """What a rep may submit: the allow-listed memo fields, never owner, team or status."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_email: str = Field(
        default="", max_length=320, json_schema_extra=ONE_LINE, description="The customer's email address."
    )
    customer_name: str = Field(default="", max_length=200, json_schema_extra=ONE_LINE)
    company: str = Field(default="", max_length=200, json_schema_extra=ONE_LINE)
    meeting_date: date | None = None
    situation: str = Field(default="", max_length=20_000)
    goals: str = Field(default="", max_length=20_000)
    obstacles: str = Field(default="", max_length=20_000)
    complications: str = Field(default="", max_length=20_000)
    next_step: str = Field(default="", max_length=20_000)
    next_step_due: date | None = None
    stage: Stage | None = None
    template: str | None = Field(default=None, max_length=80, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
    body: str = Field(default="", max_length=200_000, description="Free-text memo (instead of the fields).")
    format: Literal["text", "html"] = "text"
    subject: str = Field(default="", max_length=300, json_schema_extra=ONE_LINE)

    @property
    def is_free_text(self) -> bool:
        """True when the memo came as one body rather than element fields."""
        return bool(self.body.strip()) and not any(getattr(self, f) for f in ELEMENT_FIELDS)


def refuse_header_injection(data: MouInput) -> None:
    """422 HeaderInjection when a value that becomes an email header carries a line break or control."""
    for name in HEADER_FIELDS:
        if _HEADER_BREAKERS.search(getattr(data, name) or ""):
            raise HeaderInjection(
                f"The field '{name}' contains a line break or control character, which is not allowed "
                "in a value that becomes an email header.",
                field=name,
            )


def _refuse_unstorable_text(data: MouInput) -> None:
    """NUL and lone surrogates cannot be stored (PostgreSQL refuses them): a clear 422, not a 500."""
    for name, value in data.model_dump().items():
        if isinstance(value, str) and ("\x00" in value or SURROGATE.search(value)):
            raise InvalidInput(f"The field '{name}' contains a NUL or invalid Unicode character.", field=name)


def normalise_customer_email(address: str) -> str:
    """The customer's address, strictly validated (one plain address, no display name); '' stays ''."""
    if not address:
        return ""
    try:
        checked = validate_email(address, check_deliverability=False, allow_display_name=False)
    except EmailNotValidError as exc:
        raise InvalidInput(
            f"customer_email is not a valid email address: {exc}", field="customer_email"
        ) from exc
    return checked.normalized


def validate_input(data: MouInput) -> MouInput:
    """All checks that must pass before anything is stored or rendered; returns the cleaned input."""
    refuse_header_injection(data)
    _refuse_unstorable_text(data)
    return data.model_copy(update={"customer_email": normalise_customer_email(data.customer_email)})


# --- checker adapter -------------------------------------------------------------------------------------


def check_free_text(body: str, fmt: str, subject: str, memo_date: date | None = None) -> dict[str, Any]:
    """The checklist dict (Checklist.to_dict()) for a free-text memo, typed or emailed."""
    return check_memo(body, fmt=fmt, subject=subject, memo_date=memo_date).to_dict()


def run_checker(data: MouInput) -> dict[str, Any]:
    """The checklist dict (Checklist.to_dict()) for structured fields or a free-text memo."""
    if data.is_free_text:
        return check_free_text(data.body, data.format, data.subject, data.meeting_date)
    checklist = check_fields(
        **_own_elements(data), next_step_due=data.next_step_due, stage=data.stage, memo_date=data.meeting_date
    )
    return checklist.to_dict()


def missing_elements(checklist: dict[str, Any], *, include_recommended: bool = False) -> list[str]:
    """Names of the elements the checklist marks absent (required ones unless asked for all)."""
    names = ELEMENT_FIELDS if include_recommended else ELEMENT_FIELDS[:4]
    elements = checklist.get("elements") or {}
    return [name for name in names if not (elements.get(name) or {}).get("present")]


def check_input(data: MouInput) -> dict[str, Any]:
    """Validate and check a draft without storing anything (the live checklist)."""
    data = validate_input(data)
    checklist = run_checker(data)
    checklist["missing"] = missing_elements(checklist)
    return checklist


# --- create / send --------------------------------------------------------------------------------------


def known_template(session: Session, name: str) -> bool:
    """True for a shipped customer template or an admin-added one."""
    if any(info.name == name for info in compose.list_templates()):
        return True
    return session.exec(select(EmailTemplate.id).where(EmailTemplate.name == name)).first() is not None


def _template_for(session: Session, rep: User, requested: str | None) -> str:
    if requested:
        if not known_template(session, requested):
            raise InvalidInput(f"There is no email template named '{requested}'.", field="template")
        return requested
    team = session.get(Team, rep.team_id) if rep.team_id else None
    return team.template if team and team.template else compose.DEFAULT_TEMPLATE


def _new_reply_token(session: Session) -> str:
    """A random token for threading customer replies (unique; retried on the rare collision)."""
    while True:
        token = secrets.token_hex(8)
        if session.exec(select(Mou.id).where(Mou.reply_token == token)).first() is None:
            return token


def checklist_due(checklist: dict[str, Any]) -> date | None:
    """The next step's due date the checker read from the memo, if any."""
    try:
        return date.fromisoformat(str(checklist.get("next_step_due")))
    except ValueError:
        return None


def audit(session: Session, actor: User | None, action: str, mou: Mou, **detail: Any) -> None:
    """Record who did what to an MOU."""
    session.add(
        AuditLog(
            actor_id=actor.id if actor else None,
            action=action,
            object_type="mou",
            object_id=mou.id,
            detail=detail,
        )
    )


def store_checked_mou(
    session: Session,
    rep: User,
    checklist: dict[str, Any],
    *,
    elements: dict[str, str] | None = None,
    stage: str | None = None,
    next_step_due: date | None = None,
    **row: Any,
) -> Mou:
    """The one place a checked memo becomes a Mou row of `rep` (flushes and audits; the caller commits).

    `elements` are the rep's own element fields (default: the checker's evidence, for a free-text memo);
    `stage` and `next_step_due` override what the checker read; `row` holds the memo's own columns
    (customer, subject, body, body_format, source, mode, status, template, inbound_id, message_id...).
    """
    mou = Mou(**row, rep_id=rep.id, team_id=rep.team_id, reply_token=_new_reply_token(session))
    _apply_checklist(mou, checklist, elements, stage, next_step_due)
    session.add(mou)
    session.flush()
    audit(session, rep, "mou.create", mou, source=str(mou.source), complete=mou.complete)
    return mou


def _apply_checklist(
    mou: Mou,
    checklist: dict[str, Any],
    elements: dict[str, str] | None,
    stage: str | None,
    next_step_due: date | None,
) -> None:
    """Set the element fields and everything derived from the checklist (one mapping for create and edit)."""
    stage = stage or checklist.get("stage")
    for name, value in (evidence_fields(checklist) if elements is None else elements).items():
        setattr(mou, name, value)
    mou.checklist = checklist
    mou.complete = bool(checklist.get("complete"))
    mou.missing_mask = mask_of(missing_elements(checklist, include_recommended=True))
    mou.stage = stage
    mou.stage_rank = rank_of(stage)
    mou.next_step_due = next_step_due or checklist_due(checklist)


def create_mou(session: Session, rep: User, data: MouInput, source: str = Source.api) -> Mou:
    """Validate, check and store a memo as a draft of `rep` (flushes; the caller commits)."""
    data = validate_input(data)
    checklist = run_checker(data)
    return store_checked_mou(
        session,
        rep,
        checklist,
        elements=None if data.is_free_text else _own_elements(data),
        stage=data.stage,
        next_step_due=data.next_step_due,
        **data.model_dump(include={"customer_email", "customer_name", "company", "meeting_date", "subject"}),
        body=data.body if data.is_free_text else "",
        body_format=data.format,
        source=str(source),
        status=MouStatus.draft,
        template=_template_for(session, rep, data.template),
    )


def update_mou(session: Session, rep: User, mou: Mou, data: MouInput) -> Mou:
    """Re-check and save the rep's own unsent memo with new content (flushes and audits)."""
    if mou.rep_id != rep.id:
        raise Forbidden("Only the rep who wrote this memo can edit it.")
    if mou.status not in (MouStatus.draft, MouStatus.held):
        raise Conflict(f"This memo is already {mou.status}; it can no longer be edited.")
    data = validate_input(data)
    checklist = run_checker(data)
    row = data.model_dump(include={"customer_email", "customer_name", "company", "meeting_date", "subject"})
    for name, value in row.items():
        setattr(mou, name, value)
    mou.body = data.body if data.is_free_text else ""
    mou.body_format = data.format
    mou.template = _template_for(session, rep, data.template)
    _apply_checklist(
        mou,
        checklist,
        None if data.is_free_text else _own_elements(data),
        data.stage,
        data.next_step_due,
    )
    # A held memo stays held until it is complete; a completed one is an ordinary draft again.
    mou.status = MouStatus.held if mou.status == MouStatus.held and not mou.complete else MouStatus.draft
    mou.updated_at = utcnow()
    session.add(mou)
    session.flush()
    audit(session, rep, "mou.update", mou, complete=mou.complete)
    return mou


def elements_missing_error(mou: Mou) -> ElementsMissing:
    """The 422 for an incomplete memo, naming what is missing and carrying the checklist."""
    missing = missing_elements(mou.checklist)
    labels = ", ".join(name.replace("_", " ") for name in missing)
    return ElementsMissing(
        f"Not sent: the memo is missing {labels}. Add them and send again.",
        mou_id=mou.id,
        missing=missing,
        checklist=mou.checklist,
    )


def send_mou(session: Session, mou: Mou, actor: User | None = None, settings: Settings | None = None) -> Mou:
    """Queue the customer email for a complete memo (outbox row in the same transaction)."""
    if mou.status not in (MouStatus.draft, MouStatus.held):
        raise Conflict(f"This memo is already {mou.status}; it cannot be sent again.")
    if not mou.complete:
        mou.status = MouStatus.held
        session.add(mou)
        session.flush()
        raise elements_missing_error(mou)
    if not mou.customer_email:
        raise InvalidInput("Add the customer's email address before sending.", field="customer_email")
    enqueue_mou_delivery(session, mou, settings=settings or get_settings())
    mou.status = MouStatus.queued
    mou.updated_at = utcnow()
    session.add(mou)
    session.flush()
    audit(session, actor, "mou.send", mou)
    return mou


def _own_elements(data: MouInput) -> dict[str, str]:
    return {name: getattr(data, name) for name in ELEMENT_FIELDS}


def evidence_fields(checklist: dict[str, Any]) -> dict[str, str]:
    """For a free-text memo, the element fields come from the checker's evidence (for templates and lists)."""
    elements = checklist.get("elements") or {}
    return {name: (elements.get(name) or {}).get("evidence") or "" for name in ELEMENT_FIELDS}


# --- preview --------------------------------------------------------------------------------------------


def _transient_mou(session: Session, rep: User, data: MouInput) -> Mou:
    """An unsaved Mou for previewing a draft (never added to the session)."""
    data = validate_input(data)
    elements = evidence_fields(run_checker(data)) if data.is_free_text else _own_elements(data)
    return Mou(
        **data.model_dump(include={"customer_email", "customer_name", "company", "meeting_date", "subject"}),
        **elements,
        next_step_due=data.next_step_due,
        stage=data.stage,
        rep_id=rep.id,
        team_id=rep.team_id,
        template=_template_for(session, rep, data.template),
        reply_token="preview",  # noqa: S106 - a placeholder shown in previews, not a secret
    )


def preview(
    session: Session, mou_or_input: Mou | MouInput, rep: User | None = None, settings: Settings | None = None
) -> dict[str, str]:
    """The customer email as it would be sent: {subject, html, text}; nothing is stored.

    A stored Mou renders as its own rep's; an unsaved draft (MouInput) needs the writing `rep`.
    """
    if isinstance(mou_or_input, Mou):
        mou = mou_or_input
    elif rep is not None:
        mou = _transient_mou(session, rep, mou_or_input)
    else:
        raise TypeError("preview() of an unsaved draft needs the rep who writes it")
    rendered = render_for_mou(session, mou, settings or get_settings())
    return {"subject": rendered.subject, "html": rendered.html, "text": rendered.text}
