"""Customer replies: thread an inbound email to its MOU, classify it, record it, tell the rep.

Threading order, most to least certain: the per-MOU reply token in a `mou+<token>@` address; the
reply's In-Reply-To, then References, against our Message-IDs (the MOU's own, every outbox row for it,
a provider's rewritten id when one is recorded, and earlier customer replies already threaded); last,
"Re: <our subject>" from the MOU's customer address.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import Message

from sqlalchemy import func
from sqlmodel import Session, select

from app.config import Settings, get_settings
from app.errors import DomainError
from app.followup.classify import CONFIRMED, CORRECTED, OTHER, ReplyVerdict, classify_reply
from app.followup.highlight import MEMO_ELEMENTS
from app.intake.classify import auto_reply_reason
from app.intake.inbound import InboundEmail, extract_body, header_addresses, raw_headers
from app.models import CustomerReply, Delivery, InboundMessage, Mou, MouStatus, User, UserAddress, utcnow

log = logging.getLogger("mou.followup")

AUTO_REPLY = "auto_reply"
_MSG_ID = re.compile(r"<[^<>\s]{1,250}@[^<>\s]{1,250}>")
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|antw|odp|r|rif|vs|wg|fw|fwd|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.I
)
# Replies to memos that were never sent are not replies to anything the customer saw.
_THREADABLE = (MouStatus.queued, MouStatus.sent, MouStatus.logged, MouStatus.bounced, MouStatus.failed)
MAX_BODY_CHARS = 20_000


@dataclass(frozen=True)
class Thread:
    """The MOU a reply belongs to and how we knew."""

    mou: Mou
    matched_by: str  # token, in_reply_to, references, subject


# --- threading -----------------------------------------------------------------------------------------


def message_ids(msg: Message, header: str) -> list[str]:
    """The `<id@host>` tokens of a threading header, in order (lenient about folding and junk)."""
    found: list[str] = []
    for value in raw_headers(msg, header):
        found.extend(m for m in _MSG_ID.findall(value) if m not in found)
    return found


def reply_tags(inbound: InboundEmail, settings: Settings, envelope_tag: str | None = None) -> list[str]:
    """Plus-address tags for our inbound address: the envelope's first, then To/Cc headers."""
    local, _, domain = settings.inbound_address.lower().rpartition("@")
    tags = [envelope_tag] if envelope_tag else []
    for name in ("to", "cc", "delivered-to", "x-original-to"):
        for _, address in header_addresses(inbound.message, name):
            box, _, host = address.lower().rpartition("@")
            base, plus, tag = box.partition("+")
            if host == domain and base == local and plus and tag and tag not in tags:
                tags.append(tag)
    return tags


def by_token(session: Session, tags: list[str]) -> Mou | None:
    """The MOU whose reply token is one of these tags."""
    for tag in tags:
        mou = session.exec(select(Mou).where(Mou.reply_token == tag[:32])).first()
        if mou is not None:
            return mou
    return None


def _provider_id_column():
    """Delivery's column for the id a sending provider gave our message, when the outbox records one."""
    return getattr(Delivery, "provider_message_id", None)


def by_message_ids(session: Session, ids: list[str]) -> Mou | None:
    """The MOU one of these Message-IDs belongs to: memo, outbox row, provider id, or an earlier reply."""
    if not ids:
        return None
    threadable = Mou.status.in_(_THREADABLE)  # type: ignore[attr-defined]
    mou = session.exec(select(Mou).where(Mou.message_id.in_(ids), threadable)).first()  # type: ignore[union-attr]
    if mou is not None:
        return mou
    columns = [Delivery.message_id, _provider_id_column()]
    for column in (c for c in columns if c is not None):
        stmt = select(Mou).join(Delivery, Delivery.mou_id == Mou.id).where(column.in_(ids), threadable)
        mou = session.exec(stmt.order_by(Delivery.id.desc())).first()
        if mou is not None:
            return mou
    earlier = (
        select(Mou)
        .join(CustomerReply, CustomerReply.mou_id == Mou.id)
        .join(InboundMessage, InboundMessage.id == CustomerReply.inbound_id)
        .where(InboundMessage.message_id.in_(ids))  # type: ignore[union-attr]
    )
    return session.exec(earlier).first()


def clean_subject(subject: str) -> str:
    """A subject without its reply/forward prefixes, whitespace collapsed, lower case."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split()).lower()


def by_subject(session: Session, subject: str, from_addr: str) -> Mou | None:
    """The newest MOU sent to this customer address under this subject (ours or the outbox's)."""
    wanted = clean_subject(subject)
    if not wanted or not from_addr or not _REPLY_PREFIX.match(subject or ""):
        return None
    stmt = (
        select(Mou, Delivery.subject)
        .outerjoin(Delivery, (Delivery.mou_id == Mou.id) & (Delivery.kind == "customer_mou"))
        .where(func.lower(Mou.customer_email) == from_addr.lower(), Mou.status.in_(_THREADABLE))  # type: ignore[attr-defined]
        .order_by(Mou.created_at.desc(), Mou.id.desc())  # type: ignore[attr-defined]
    )
    for mou, sent_subject in session.exec(stmt):
        if wanted in (clean_subject(mou.subject), clean_subject(sent_subject or "")):
            return mou
    return None


def sender_address(inbound: InboundEmail) -> str:
    """The reply's From address (lower case), or the envelope sender when From is unreadable."""
    found = header_addresses(inbound.message, "from")
    return (found[0][1] if found else inbound.envelope_from or "").lower()


def find_thread(
    session: Session, inbound: InboundEmail, settings: Settings, envelope_tag: str | None = None
) -> Thread | None:
    """Which MOU this email answers, trying token, In-Reply-To, References, then subject."""
    mou = by_token(session, reply_tags(inbound, settings, envelope_tag))
    if mou is not None:
        return Thread(mou, "token")
    for header, how in (("in-reply-to", "in_reply_to"), ("references", "references")):
        mou = by_message_ids(session, message_ids(inbound.message, header))
        if mou is not None:
            return Thread(mou, how)
    mou = by_subject(session, inbound.subject, sender_address(inbound))
    return Thread(mou, "subject") if mou is not None else None


# --- recording -----------------------------------------------------------------------------------------


def memo_elements(mou: Mou) -> dict[str, str]:
    """The memo's elements by name, for placing corrections."""
    return {name: getattr(mou, name) or "" for name in MEMO_ELEMENTS}


def classify_inbound(inbound: InboundEmail, mou: Mou) -> ReplyVerdict:
    """Classify the reply's own words against the memo; automatic mail (RFC 3834 and friends) is other."""
    body, fmt = extract_body(inbound.message)
    automatic = auto_reply_reason(inbound.message, False) is not None
    return classify_reply(
        body, fmt=fmt, subject=inbound.subject, automatic=automatic, memo=memo_elements(mou)
    )


def next_reply_status(current: str, verdict: ReplyVerdict) -> str:
    """The MOU's reply status after this reply: the latest confirmation or correction wins."""
    if verdict.is_auto_reply:
        return current  # an out-of-office is not an answer, and never a confirmation
    if verdict.classification in (CONFIRMED, CORRECTED):
        return verdict.classification
    return current if current in (CONFIRMED, CORRECTED) else OTHER


def is_team_member(session: Session, address: str) -> bool:
    """True when the address belongs to one of our users (the rep answering in the thread)."""
    if session.exec(select(User.id).where(func.lower(User.email) == address)).first() is not None:
        return True
    return (
        session.exec(select(UserAddress.id).where(func.lower(UserAddress.email) == address)).first()
        is not None
    )


def rep_was_on_it(session: Session, inbound: InboundEmail, mou: Mou) -> bool:
    """True when the rep (any of their addresses) is in the reply's To or Cc."""
    rep = session.get(User, mou.rep_id)
    if rep is None:
        return True
    mine = {rep.email.lower()}
    mine.update(
        e.lower() for e in session.exec(select(UserAddress.email).where(UserAddress.user_id == rep.id))
    )
    on_it = {a.lower() for name in ("to", "cc") for _, a in header_addresses(inbound.message, name)}
    return bool(mine & on_it)


def record_reply(
    session: Session,
    settings: Settings,
    thread: Thread,
    inbound: InboundEmail,
    row: InboundMessage | None = None,
) -> CustomerReply:
    """Store the reply, update the MOU's reply status, and forward it to the rep if they were not on it."""
    if row is not None and row.id is not None:
        done = session.exec(select(CustomerReply).where(CustomerReply.inbound_id == row.id)).first()
        if done is not None:  # reprocessing the same email must not count it twice
            return done
    mou = thread.mou
    verdict = classify_inbound(inbound, mou)
    reply = CustomerReply(
        mou_id=mou.id,
        inbound_id=row.id if row is not None else None,
        from_addr=sender_address(inbound)[:320],
        classification=AUTO_REPLY if verdict.is_auto_reply else verdict.classification,
        body=verdict.text[:MAX_BODY_CHARS],
        correction=verdict.correction,
        matched_by=thread.matched_by,
    )
    session.add(reply)
    mou.reply_status = next_reply_status(mou.reply_status, verdict)
    mou.updated_at = utcnow()
    session.add(mou)
    session.flush()
    if not rep_was_on_it(session, inbound, mou):
        _forward(session, settings, mou, reply, verdict, inbound)
    log.info(
        "customer reply %s to MOU %s: %s by %s", reply.id, mou.id, reply.classification, thread.matched_by
    )
    return reply


def _forward(
    session: Session,
    settings: Settings,
    mou: Mou,
    reply: CustomerReply,
    verdict: ReplyVerdict,
    inbound: InboundEmail,
) -> None:
    """Forward in a savepoint: a reply we cannot forward (odd sender address) is still recorded."""
    from app.followup.forward import forward_to_rep  # delivery imports compose; keep threading light

    try:
        with session.begin_nested():
            forward_to_rep(session, settings, mou, reply, verdict, inbound)
    except DomainError as exc:
        log.warning("reply %s to MOU %s not forwarded to the rep: %s", reply.id, mou.id, exc.message)


def handle_reply(
    session: Session,
    inbound_row: InboundMessage,
    *,
    inbound: InboundEmail,
    settings: Settings | None = None,
    mou: Mou | None = None,
) -> tuple[str, str, int | None] | None:
    """Intake's entry point: (outcome, detail, mou id) for a customer reply, None when it is not one."""
    settings = settings or get_settings()
    if is_team_member(session, sender_address(inbound)):
        return None  # a rep writing (even in the thread): intake's memo handling decides what that is
    thread = (
        Thread(mou, "token") if mou is not None else find_thread(session, inbound, settings, inbound_row.tag)
    )
    if thread is None:
        return None
    reply = record_reply(session, settings, thread, inbound, inbound_row)
    detail = f"customer reply to MOU {thread.mou.id} ({reply.classification}, matched by {thread.matched_by})"
    return "customer_reply", detail, thread.mou.id
