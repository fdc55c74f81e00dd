"""Forward a customer's reply to the rep through the outbox (when the customer left the rep off it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.compose.context import ELEMENT_LABELS, first_name
from app.config import Settings
from app.delivery.message import is_msg_id
from app.delivery.service import enqueue_notice, mou_url
from app.followup.classify import ReplyVerdict
from app.followup.highlight import Highlight
from app.intake.inbound import InboundEmail, header_addresses
from app.models import CustomerReply, Delivery, Mou, User

CLASSIFICATION_LABELS = {
    "confirmed": "Confirmed",
    "corrected": "Correction",
    "other": "Reply",
    "auto_reply": "Automatic reply",
}


@dataclass(frozen=True)
class Correspondent:
    """The customer as a Reply-To party (what enqueue_notice reads: a name and an address)."""

    name: str
    email: str


def highlight_context(marks: tuple[Highlight, ...] | list[Highlight]) -> list[dict[str, Any]]:
    """Highlights as plain data for templates and JSON."""
    return [
        {
            "element": h.element,
            "element_label": ELEMENT_LABELS.get(h.element, h.element),
            "memo_sentence": h.memo_sentence,
            "reply_sentence": h.reply_sentence,
            "marked": h.marked,
            "parts": [{"op": p.op, "text": p.text} for p in h.parts],
        }
        for h in marks
    ]


def _customer(inbound: InboundEmail, reply: CustomerReply) -> Correspondent:
    found = header_addresses(inbound.message, "from")
    name = found[0][0] if found else ""
    return Correspondent(" ".join(name.split())[:200], reply.from_addr)


def forward_to_rep(
    session: Session,
    settings: Settings,
    mou: Mou,
    reply: CustomerReply,
    verdict: ReplyVerdict,
    inbound: InboundEmail,
) -> Delivery | None:
    """Queue the reply to the rep, Reply-To the customer, threaded under the customer's message."""
    rep = session.get(User, mou.rep_id)
    if rep is None or not rep.is_active:
        return None
    customer = _customer(inbound, reply)
    context = {
        "rep_first_name": first_name(rep.name) or rep.name,
        "customer_name": mou.customer_name or customer.name,
        "from_addr": reply.from_addr,
        "company": mou.company,
        "classification": reply.classification,
        "classification_label": CLASSIFICATION_LABELS.get(reply.classification, "Reply"),
        "reply_text": reply.body or "(no text)",
        "highlights": highlight_context(verdict.highlights),
        "mou_url": mou_url(mou, settings),
    }
    in_reply_to = inbound.message_id if is_msg_id(inbound.message_id) else None
    return enqueue_notice(
        session,
        "reply_forward",
        rep,
        "reply_forward",
        context,
        mou=mou,
        settings=settings,
        reply_to=customer if "@" in customer.email else None,  # type: ignore[arg-type]
        in_reply_to=in_reply_to,
    )
