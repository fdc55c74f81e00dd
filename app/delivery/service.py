"""The outbox: render, build and store outgoing messages inside the caller's transaction (flush only).

Each Delivery row holds the finished message bytes and its envelope, with the Message-ID fixed at
creation, so a retry sends exactly the same message and a recipient's server can recognise a repeat.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from app.compose import (
    DEFAULT_TEMPLATE,
    RenderedEmail,
    TemplateNotFound,
    TemplateSource,
    render_internal,
    render_mou_email,
)
from app.compose import mou_context as build_mou_context
from app.compose.context import ELEMENT_LABELS, first_name
from app.compose.render import builtin_templates
from app.config import Settings, get_settings
from app.delivery.message import (
    Envelope,
    OutgoingEmail,
    Party,
    build_message,
    check_header_value,
    is_msg_id,
    new_message_id,
    parse_address,
    parse_mailbox,
)
from app.errors import Conflict, NotFound
from app.models import Delivery, EmailTemplate, Mou, MouStatus, Review, Role, Team, User, utcnow

VERDICT_LABELS = {"approved": "Approved", "coach": "Coaching note", "revise": "Revision requested"}
REQUEUEABLE = ("uncertain", "failed", "bounced")


def check_mou_headers(
    customer_email: str, customer_name: str = "", company: str = "", subject: str = ""
) -> None:
    """Refuse MOU fields that would end up in a header with a line break or control character (422)."""
    parse_address("customer email", customer_email, customer_name)
    check_header_value("company", company)
    check_header_value("subject", subject)


def reply_address(mou: Mou, settings: Settings) -> str:
    """The per-MOU address customer replies go to: mou+<reply token>@<inbound domain>."""
    return f"mou+{mou.reply_token}@{settings.inbound_domain}"


def mou_url(mou: Mou, settings: Settings) -> str:
    """Link to the MOU's page in the web app."""
    return f"{settings.base_url.rstrip('/')}/mous/{mou.id}"


def _assistant(settings: Settings) -> Party:
    return _assistant_for(settings.from_address)


@lru_cache(maxsize=8)
def _assistant_for(from_address: str) -> Party:
    address = parse_mailbox("MOU_FROM_ADDRESS", from_address)
    return Party(address.display_name or "MOU Assistant", address.addr_spec)


def _on_behalf(person_name: str, settings: Settings) -> Party:
    """From the assistant's address with the person's name: 'Dana Whitfield via MOU Assistant'."""
    assistant = _assistant(settings)
    return Party(f"{person_name} via {assistant.name}", assistant.email)


def _envelope(settings: Settings, **kw: Any) -> Envelope:
    domain = _assistant(settings).email.rsplit("@", 1)[1]
    return Envelope(
        message_id=new_message_id(domain),
        # Bounces go to the inbound address, where intake records them against this message.
        envelope_from=settings.inbound_address,
        loop_marker=settings.inbound_address,
        **kw,
    )


def _store(session: Session, out: OutgoingEmail, kind: str, mou_id: int | None) -> Delivery:
    delivery = Delivery(
        mou_id=mou_id,
        kind=kind,
        message_id=out.message_id,
        from_addr=out.envelope_from,
        recipients=out.recipients,
        subject=out.subject,
        raw=out.as_bytes(),
        status="queued",
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    session.flush()
    return delivery


def template_source(session: Session, name: str) -> TemplateSource | None:
    """An admin-added template by name, as sources for the sandbox (None when there is none)."""
    row = session.exec(select(EmailTemplate).where(EmailTemplate.name == name)).first()
    if row is None:
        return None
    return TemplateSource(row.name, row.subject, row.html, row.text, row.description)


def template_name_for(session: Session, mou: Mou) -> str:
    """The rep's pick for this MOU, else the team's default, else the structured template."""
    if mou.template:
        return mou.template
    team = session.get(Team, mou.team_id) if mou.team_id else None
    return (team.template if team else None) or DEFAULT_TEMPLATE


def render_for_mou(session: Session, mou: Mou, settings: Settings | None = None) -> RenderedEmail:
    """Render the customer email for an MOU as it would be sent (also the preview)."""
    settings = settings or get_settings()
    rep = _user(session, mou.rep_id)
    name = template_name_for(session, mou)
    source = None if name in builtin_templates() else template_source(session, name)
    if name not in builtin_templates() and source is None:
        raise TemplateNotFound(f"There is no customer email template named '{name}'.", template=name)
    context = build_mou_context(mou, rep, reply_address(mou, settings))
    return render_mou_email(context, name, source=source)


def _user(session: Session, user_id: int | None) -> User:
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise NotFound("The user for this message no longer exists.")
    return user


def team_managers(session: Session, team_id: int | None) -> list[User]:
    """Active managers of a team (they get the MOU in the SMTP envelope only)."""
    if team_id is None:
        return []
    query = select(User).where(User.team_id == team_id, User.role == Role.manager, User.is_active)
    return list(session.exec(query.order_by(User.id)))


def _party(user: User) -> Party:
    return Party(user.name, user.email)


def enqueue_mou_delivery(
    session: Session, mou: Mou, *, settings: Settings | None = None, resend: bool = False
) -> Delivery:
    """Queue the customer email for a complete MOU and mark the MOU queued, in the caller's transaction."""
    settings = settings or get_settings()
    check_mou_headers(mou.customer_email, mou.customer_name, mou.company, mou.subject)
    session.flush()  # the MOU needs its id
    if not resend and _already_queued(session, mou):
        raise Conflict("This MOU has already been sent to the customer.")
    rep = _user(session, mou.rep_id)
    rendered = render_for_mou(session, mou, settings)
    envelope = _envelope(
        settings,
        sender=_on_behalf(rep.name, settings),
        to=[Party(mou.customer_name, mou.customer_email)],
        cc=[_party(rep)],
        reply_to=[_party(rep), Party(_assistant(settings).name, reply_address(mou, settings))],
        hidden=[_party(m) for m in team_managers(session, mou.team_id) if m.id != rep.id],
    )
    delivery = _store(session, build_message(rendered, envelope), "customer_mou", mou.id)
    mou.status = MouStatus.queued
    mou.updated_at = utcnow()
    session.add(mou)
    return delivery


def _already_queued(session: Session, mou: Mou) -> bool:
    query = select(Delivery.id).where(
        Delivery.mou_id == mou.id, Delivery.kind == "customer_mou", Delivery.status != "failed"
    )
    return session.exec(query).first() is not None


def _checklist_dict(checklist: Any) -> dict[str, Any]:
    if hasattr(checklist, "model_dump"):
        return checklist.model_dump()
    if dataclasses.is_dataclass(checklist) and not isinstance(checklist, type):
        return dataclasses.asdict(checklist)
    return dict(checklist) if isinstance(checklist, Mapping) else {}


def _missing_and_present(checklist: Any) -> tuple[list[dict[str, str]], list[str]]:
    elements = _checklist_dict(checklist).get("elements", {}) or {}
    missing, present = [], []
    for key, label in ELEMENT_LABELS.items():
        element = elements.get(key) or {}
        if element.get("present"):
            present.append(label)
        elif key != "next_step" or key in elements:
            missing.append({"label": label, "hint": element.get("hint") or ""})
    return missing, present


def enqueue_rep_feedback(
    session: Session, mou: Mou, checklist: Any, *, settings: Settings | None = None
) -> Delivery:
    """Tell the rep what their MOU is missing (a reply in the thread of their draft when there is one)."""
    settings = settings or get_settings()
    session.flush()
    rep = _user(session, mou.rep_id)
    missing, present = _missing_and_present(checklist)
    context = {
        "rep_first_name": first_name(rep.name) or rep.name,
        "customer_name": mou.customer_name,
        "company": mou.company,
        "sent_to_customer": mou.mode == "bcc",
        "missing": missing,
        "present": present,
        "mou_url": mou_url(mou, settings),
    }
    in_reply_to = mou.message_id if is_msg_id(mou.message_id) else None
    return enqueue_notice(
        session,
        "rep_feedback",
        rep,
        "rep_feedback",
        context,
        mou=mou,
        settings=settings,
        in_reply_to=in_reply_to,
    )


def enqueue_coaching(session: Session, review: Review, *, settings: Settings | None = None) -> Delivery:
    """Send the manager's verdict and comment to the rep; the rep's reply goes to the manager."""
    settings = settings or get_settings()
    mou = session.get(Mou, review.mou_id)
    if mou is None:
        raise NotFound("The reviewed MOU no longer exists.")
    rep, manager = _user(session, mou.rep_id), _user(session, review.reviewer_id)
    context = {
        "rep_first_name": first_name(rep.name) or rep.name,
        "manager_name": manager.name,
        "customer_name": mou.customer_name,
        "company": mou.company,
        "verdict": review.verdict,
        "verdict_label": VERDICT_LABELS.get(review.verdict, review.verdict.title()),
        "comment": review.comment,
        "mou_url": mou_url(mou, settings),
    }
    return enqueue_notice(
        session,
        "coaching",
        rep,
        "coaching",
        context,
        mou=mou,
        settings=settings,
        reply_to=manager,
        sender=manager,
    )


def enqueue_notice(
    session: Session,
    kind: str,
    to_user: User,
    template: str,
    context: Mapping[str, Any],
    *,
    mou: Mou | None = None,
    settings: Settings | None = None,
    reply_to: User | None = None,
    sender: User | None = None,
    in_reply_to: str | None = None,
) -> Delivery:
    """Queue an internal notice (rep feedback, coaching, reminder, digest) to one user."""
    settings = settings or get_settings()
    rendered = render_internal(template, context)
    envelope = _envelope(
        settings,
        sender=_on_behalf(sender.name, settings) if sender else _assistant(settings),
        to=[_party(to_user)],
        reply_to=[_party(reply_to)] if reply_to else [],
        internal=True,
        in_reply_to=in_reply_to,
    )
    return _store(session, build_message(rendered, envelope), kind, mou.id if mou else None)


def requeue(session: Session, delivery_id: int, *, now: datetime | None = None) -> Delivery:
    """Send an uncertain or failed delivery again, after a person checked it did not arrive."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    if delivery.status not in REQUEUEABLE:
        raise Conflict(f"A delivery in status '{delivery.status}' cannot be sent again.")
    session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(REQUEUEABLE))  # type: ignore[attr-defined]
        .values(status="queued", next_attempt_at=now or utcnow(), claimed_by=None, claimed_at=None)
    )
    session.refresh(delivery)
    return delivery
