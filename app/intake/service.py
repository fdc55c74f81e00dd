"""The inbox: store each email once, then process it (classify, understand, check, act)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings, get_settings
from app.errors import NotFound
from app.intake import actions, content
from app.intake.classify import Automatic, classify_automatic
from app.intake.errors import BodyTooLarge, MalformedEmail, MalformedPayload, SignatureInvalid
from app.intake.inbound import InboundEmail, header_addresses, make_inbound, safe_text
from app.intake.memos import create_email_mou, status_for
from app.intake.providers import ADAPTERS
from app.intake.submit import check_free_text, missing_elements
from app.intake.understand import Reading, read_email, recipients_for_us, route, split_address
from app.models import (
    Delivery,
    InboundMessage,
    Mou,
    MouStatus,
    User,
    UserAddress,
    WebhookNonce,
    utcnow,
    valid_id,
)

log = logging.getLogger("mou.intake")
# Providers that always tell us the SMTP envelope (an empty sender there is a real null sender).
ENVELOPE_PROVIDERS = frozenset({"sendgrid", "mailgun", "postmark", "ses", "smtp"})


@dataclass
class Stored:
    """The stored row and whether this request created it (False: a redelivery)."""

    message: InboundMessage
    created: bool


# --- storing -------------------------------------------------------------------------------------


def record_nonce(session: Session, provider: str, nonce: str) -> None:
    """Remember a one-use token; a token seen before is a replay (401)."""
    # Write first, the UNIQUE constraint decides: on SQLite a read before the first write pins a
    # snapshot that cannot become a write once another request has committed ("database is locked").
    try:
        with session.begin_nested():
            session.add(WebhookNonce(provider=provider, nonce=nonce))
    except IntegrityError:
        raise SignatureInvalid("This webhook token was already used (replay refused).") from None


def find_duplicate(
    session: Session, inbound: InboundEmail, excluding: int | None = None
) -> InboundMessage | None:
    """The first copy of this email (other than row `excluding`): same provider id, or same Message-ID
    and content through any path."""
    conditions = [InboundMessage.dedupe_key == inbound.dedupe_key]
    if inbound.provider_id:  # (a NULL id would match every row of the provider)
        conditions.append(
            (InboundMessage.provider == inbound.provider)
            & (InboundMessage.provider_id == inbound.provider_id)
        )
    copies = select(InboundMessage).where(or_(*conditions))
    if excluding is not None:
        copies = copies.where(InboundMessage.id != excluding)
    return session.exec(copies.order_by(InboundMessage.id)).first()


def _row_for(inbound: InboundEmail, settings: Settings) -> InboundMessage:
    envelope_to = inbound.envelope_to or recipients_for_us(inbound.message, settings.inbound_domain)
    hit = route(envelope_to, settings.inbound_address)
    return InboundMessage(
        provider=inbound.provider,
        provider_id=inbound.provider_id,
        message_id=inbound.message_id,
        content_hash=inbound.content_hash,
        dedupe_key=inbound.dedupe_key,
        envelope_from=inbound.envelope_from[:320],
        envelope_to=envelope_to[:50],
        subject=inbound.subject[:998],
        tag=(hit.tag or None) and hit.tag[:120],
    )


def store_inbound(
    session: Session, inbound: InboundEmail, settings: Settings | None = None, nonce: str | None = None
) -> Stored:
    """Store the raw email and its keys once (flushed; the caller commits before acknowledging)."""
    settings = settings or get_settings()
    if nonce:
        record_nonce(session, inbound.provider, nonce)
    row = _row_for(inbound, settings)
    try:
        # Insert first and let the UNIQUE constraints find redeliveries (see record_nonce for why).
        with session.begin_nested():
            session.add(row)
            session.flush()
            content.store(session, row.id, content.EMAIL, inbound.raw)
    except IntegrityError:  # a redelivery, or a concurrent one that won the race
        existing = find_duplicate(session, inbound)
        if existing is None:
            raise
        return Stored(existing, False)
    return Stored(row, True)


# --- processing ----------------------------------------------------------------------------------


def process_pending(session: Session, settings: Settings | None = None, limit: int = 50) -> int:
    """Process received messages oldest first; the worker calls this. Returns how many ran."""
    settings = settings or get_settings()
    oldest = (
        select(InboundMessage.id)
        .where(InboundMessage.status == "received")
        .order_by(InboundMessage.id)
        .limit(limit)
    )
    # Claim with one write before any read: on SQLite a read first pins a snapshot that cannot become
    # a write once a webhook has committed ("database is locked"); the status check keeps a row that
    # another worker claimed meanwhile out of this batch.
    claimed = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id.in_(oldest.scalar_subquery()), InboundMessage.status == "received")
        .values(status="processing")
        .returning(InboundMessage.id)
    )
    done = 0
    for inbound_id in sorted(claimed.scalars().all()):
        process_inbound(session, inbound_id, settings)
        done += 1
    prune_nonces(session, settings)
    return done


def process_inbound(session: Session, inbound_id: int, settings: Settings | None = None) -> InboundMessage:
    """Run the pipeline for one stored message and record its outcome; failures are recorded too."""
    settings = settings or get_settings()
    row = session.get(InboundMessage, inbound_id)
    if row is None:
        raise NotFound("No such inbound message.")
    row.attempts += 1
    try:
        with session.begin_nested():
            outcome, detail, mou_id = _pipeline(session, settings, row)
        row.status, row.outcome, row.detail, row.mou_id = "processed", outcome, detail, mou_id
    except Exception as exc:  # recorded for the admin list and a later reprocess, never lost
        log.exception("inbound %s failed", inbound_id)
        row.status, row.outcome, row.detail = (
            "failed",
            "error",
            safe_text(f"{type(exc).__name__}: {exc}")[:2000],
        )
    row.processed_at = utcnow()
    session.add(row)
    session.flush()
    return row


def reprocess(session: Session, inbound_id: int, settings: Settings | None = None) -> InboundMessage:
    """Run a stored message through the pipeline again (after a fix); an existing MOU is kept."""
    row = session.get(InboundMessage, inbound_id) if valid_id(inbound_id) else None
    if row is None:
        raise NotFound("No such inbound message.")
    if row.mou_id is not None and session.get(Mou, row.mou_id) is not None:
        row.detail = f"already made MOU {row.mou_id}; not processed again"
        session.add(row)
        return row
    return process_inbound(session, inbound_id, settings)


def prune_nonces(session: Session, settings: Settings) -> None:
    """Forget one-use tokens older than the signature window (older ones are refused anyway)."""
    cutoff = utcnow() - timedelta(seconds=2 * settings.webhook_tolerance_seconds + 60)
    for nonce in session.exec(select(WebhookNonce).where(WebhookNonce.seen_at < cutoff).limit(500)).all():
        session.delete(nonce)


def _pipeline(session: Session, settings: Settings, row: InboundMessage) -> tuple[str, str, int | None]:
    try:
        inbound = email_of(session, row, settings)
    except (MalformedEmail, MalformedPayload, BodyTooLarge) as exc:
        return "malformed", exc.message, None
    if row.dedupe_key is None:
        first = claim_dedupe_key(session, row, inbound)
        if first is not None:
            return "duplicate", f"the same email as inbound message {first}; nothing new", None
    automatic = classify_automatic(
        inbound.message,
        envelope_from=row.envelope_from,
        envelope_known=row.provider in ENVELOPE_PROVIDERS,
        own_addresses=_own_addresses(settings),
        own_domains={settings.inbound_domain},
    )
    if automatic is not None:
        return _record_automatic(session, automatic)
    hit = route(row.envelope_to, settings.inbound_address)
    if not hit.for_us:
        return "rejected_recipient", f"not addressed to {settings.inbound_address}", None
    reply = handle_customer_reply(session, settings, row, inbound)
    if reply is not None:
        return reply
    return _from_rep(session, settings, row, inbound)


def email_of(session: Session, row: InboundMessage, settings: Settings) -> InboundEmail:
    """The row's email, read from its stored bytes (a webhook request goes through its adapter, and
    the row learns the email's keys the first time)."""
    stored = content.load(session, row.id)
    if stored is None:
        raise MalformedEmail("The stored message has neither an email nor a webhook request.")
    kind, data = stored
    if kind == content.EMAIL:
        return make_inbound(
            data, provider=row.provider, envelope_from=row.envelope_from, envelope_to=row.envelope_to
        )
    adapt = ADAPTERS.get(row.provider)
    if adapt is None:
        raise MalformedEmail(f"No adapter reads a {row.provider!r} request.")
    inbound = adapt(row.request_headers or {}, data, settings.webhook_max_bytes)
    envelope_to = inbound.envelope_to or recipients_for_us(inbound.message, settings.inbound_domain)
    hit = route(envelope_to, settings.inbound_address)
    row.message_id = inbound.message_id
    row.content_hash = inbound.content_hash
    row.envelope_from = inbound.envelope_from[:320]
    row.envelope_to = envelope_to[:50]
    row.subject = inbound.subject[:998]
    row.tag = (hit.tag or None) and hit.tag[:120]
    return inbound


def claim_dedupe_key(session: Session, row: InboundMessage, inbound: InboundEmail) -> int | None:
    """Mark the row as the first copy of this email; None when it is, else the first copy's id."""
    try:
        with session.begin_nested():
            row.dedupe_key = inbound.dedupe_key
            if row.provider_id is None and inbound.provider_id:
                row.provider_id = inbound.provider_id
            session.add(row)
            session.flush()
    except IntegrityError:  # the UNIQUE constraint: another row has this email (or provider id)
        first = find_duplicate(session, inbound, excluding=row.id)
        return first.id if first is not None and first.id is not None else 0
    return None


def _own_addresses(settings: Settings) -> set[str]:
    own = {settings.inbound_address.lower()}
    own.update(addr for _, addr in _parse_setting_address(settings.from_address))
    return own


def _parse_setting_address(value: str) -> list[tuple[str, str]]:
    from app.intake.inbound import strict_addresses

    return strict_addresses(value)


def _record_automatic(session: Session, automatic: Automatic) -> tuple[str, str, int | None]:
    if automatic.kind != "bounce":
        return automatic.kind, automatic.reason, None
    marked = mark_bounced(session, automatic.original_ids, automatic.failed)
    failed = ", ".join(f"{f['address']} ({f['status']})" for f in automatic.failed) or "unknown recipient"
    detail = f"bounce for {failed}; deliveries marked bounced: {marked or 'none of ours'}"
    return "bounce", detail[:2000], None


def mark_bounced(session: Session, message_ids: list[str], failed: list[dict[str, str]]) -> list[int]:
    """Mark our deliveries named by a DSN as bounced, recording the failed address."""
    if not message_ids:
        return []
    reason = "; ".join(f"{f['address']} {f['status']} {f['diagnostic']}".strip() for f in failed) or "bounced"
    marked = []
    for delivery in session.exec(select(Delivery).where(Delivery.message_id.in_(message_ids))).all():
        delivery.status = "bounced"
        delivery.last_error = f"bounced: {reason}"[:2000]
        session.add(delivery)
        if delivery.mou_id is not None and delivery.kind == "customer_mou":
            mou = session.get(Mou, delivery.mou_id)
            if mou is not None:
                mou.status = MouStatus.bounced
                session.add(mou)
        marked.append(delivery.id)
    return marked


def handle_customer_reply(
    session: Session, settings: Settings, row: InboundMessage, inbound: InboundEmail
) -> tuple[str, str, int | None] | None:
    """A customer's reply to an MOU (token, In-Reply-To/References or subject), handled by follow-up."""
    from app.followup.replies import handle_reply

    return handle_reply(session, row, inbound=inbound, settings=settings)


def find_rep(session: Session, address: str) -> User | None:
    """The active user owning this sender address (user email or a registered extra address)."""
    address = address.lower()
    user = session.exec(select(User).where(func.lower(User.email) == address)).first()
    if user is None:
        extra = session.exec(select(UserAddress).where(func.lower(UserAddress.email) == address)).first()
        user = session.get(User, extra.user_id) if extra else None
    return user if user is not None and user.is_active else None


def rep_addresses(session: Session, rep: User) -> set[str]:
    """Every address the rep sends from."""
    extra = session.exec(select(UserAddress.email).where(UserAddress.user_id == rep.id)).all()
    return {rep.email.lower(), *(e.lower() for e in extra)}


def _from_rep(session: Session, settings: Settings, row: InboundMessage, inbound: InboundEmail):
    senders = header_addresses(inbound.message, "from")
    rep = find_rep(session, senders[0][1]) if len(senders) == 1 else None
    if rep is None:
        who = senders[0][1] if len(senders) == 1 else "an unreadable From header"
        return "rejected_unknown_sender", f"{who} is not a user", None
    reading = read_email(
        inbound.message,
        rep_addresses=rep_addresses(session, rep),
        internal={d.lower() for d in settings.internal_domains} | {split_address(rep.email)[1]},
        inbound_domain=settings.inbound_domain,
    )
    checklist = check_free_text(reading.body, reading.fmt, reading.subject)
    missing = missing_elements(checklist)
    status = status_for(reading, not missing)
    mou = create_email_mou(session, row, rep, reading, checklist, status)
    return _act(session, settings, mou, reading, missing)


def _act(
    session: Session, settings: Settings, mou: Mou, reading: Reading, missing: list[str]
) -> tuple[str, str, int | None]:
    gaps = ", ".join(missing) or "nothing"
    if mou.status == MouStatus.queued:
        actions.queue_customer_mou(session, mou, settings)
        return "mou_queued", f"complete draft queued to {mou.customer_email}", mou.id
    if mou.status == MouStatus.held:
        actions.queue_rep_feedback(session, mou, settings)
        why = f"missing: {gaps}" if missing else "no customer address found"
        return "mou_held", f"draft held, {why}; the rep was told", mou.id
    if missing:
        actions.queue_rep_feedback(session, mou, settings)
        return "mou_logged", f"logged, missing: {gaps}; feedback sent to the rep", mou.id
    notes = f" ({'; '.join(reading.notes)})" if reading.notes else ""
    return "mou_logged", f"logged, complete{notes}", mou.id


def list_inbound(
    session: Session, *, cursor: int | None = None, limit: int = 50, outcome: str | None = None
) -> tuple[list[InboundMessage], int | None]:
    """Newest first, keyset-paginated by id: (items, next cursor)."""
    stmt = select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit + 1)
    if cursor is not None:
        stmt = stmt.where(InboundMessage.id < cursor)
    if outcome:
        stmt = stmt.where(InboundMessage.outcome == outcome)
    rows = list(session.exec(stmt).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)
