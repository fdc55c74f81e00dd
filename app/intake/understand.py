"""Reading an inbound email: who it is for, draft or log mode, the customer, the memo text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parseaddr

from app.checking.cleanup import html_to_text, unwrap_forward
from app.intake.inbound import (
    attached_messages,
    extract_body,
    header_addresses,
    header_text,
    strict_addresses,
)

_TO_LINE = re.compile(r"^\s*(?:to|an|à|a|para|aan)\s*:\s*(.+)$", re.I)


@dataclass
class Route:
    """Which of our addresses the message reached, and the plus-address tag."""

    for_us: bool
    address: str | None = None
    tag: str | None = None


@dataclass
class Party:
    """An email address with its display name."""

    email: str
    name: str = ""


@dataclass
class Reading:
    """What the pipeline needs from one email."""

    mode: str  # "draft" (we send) or "bcc" (logged; the rep sent it)
    body: str  # the original body, in `fmt`
    fmt: str
    subject: str
    customer: Party | None
    forwarded: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def split_address(address: str) -> tuple[str, str]:
    """(local part, domain) in lower case."""
    local, _, domain = address.lower().rpartition("@")
    return local, domain


def route(envelope_to: list[str], inbound_address: str) -> Route:
    """Match envelope recipients to the inbound address, keeping `mou+tag@` tags."""
    base_local, base_domain = split_address(inbound_address)
    for rcpt in envelope_to:
        local, domain = split_address(rcpt)
        if domain != base_domain:
            continue
        name, plus, tag = local.partition("+")
        if name == base_local:
            return Route(True, rcpt, tag if plus and tag else None)
    return Route(False)


def recipients_for_us(msg: Message, inbound_domain: str) -> list[str]:
    """Our addresses named in delivery headers, for raw posts that arrive without an envelope."""
    found = []
    for name in ("delivered-to", "x-original-to", "envelope-to", "to", "cc"):
        for _, addr in header_addresses(msg, name):
            if split_address(addr)[1] == inbound_domain:
                found.append(addr)
    return list(dict.fromkeys(found))


def is_external(address: str, internal_domains: set[str], inbound_domain: str) -> bool:
    """Not one of our domains (internal domains match subdomains too)."""
    domain = split_address(address)[1]
    if not domain or domain == inbound_domain:
        return False
    return not any(domain == d or domain.endswith("." + d) for d in internal_domains)


def external_recipients(
    msg: Message, internal: set[str], inbound_domain: str, rep_addresses: set[str]
) -> list[Party]:
    """To then Cc addresses outside our domains, in order."""
    parties = []
    for header in ("to", "cc"):
        for name, addr in header_addresses(msg, header):
            if addr not in rep_addresses and is_external(addr, internal, inbound_domain):
                parties.append(Party(addr, name))
    return parties


def assistant_addressed(msg: Message, inbound_domain: str) -> bool:
    """True when the assistant is in the visible To/Cc headers."""
    return any(
        split_address(addr)[1] == inbound_domain
        for header in ("to", "cc")
        for _, addr in header_addresses(msg, header)
    )


def to_line_customer(text: str) -> tuple[Party | None, str]:
    """A `To: Name <addr>` line at the top of a draft body names the customer; it is removed."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines[:5]):
        if not line.strip():
            continue
        match = _TO_LINE.match(line)
        if not match:
            return None, text
        parties = strict_addresses(match.group(1).strip())
        if len(parties) != 1:
            return None, text
        name, addr = parties[0]
        return Party(addr, name), "\n".join(lines[:i] + lines[i + 1 :]).lstrip("\n")
    return None, text


def forwarded_parties(headers: dict[str, str]) -> tuple[Party | None, list[Party]]:
    """(From, To+Cc) of a forwarded message's header block."""
    sender = _party(headers.get("from", ""))
    others = []
    for key in ("to", "cc"):
        for part in re.split(r"[;,](?![^<]*>)", headers.get(key, "")):
            party = _party(part)
            if party:
                others.append(party)
    return sender, others


def _party(value: str) -> Party | None:
    value = value.strip()
    if not value:
        return None
    found = strict_addresses(value)
    if len(found) == 1:
        return Party(found[0][1], found[0][0])
    # Outlook writes "Name [mailto:addr]" or "Name <mailto:addr>" in forwarded headers.
    match = re.search(r"(?:mailto:)?([^\s<>\[\]:;,\"]+@[^\s<>\[\]:;,\"]+)", value)
    if not match:
        return None
    name, _ = parseaddr(value)
    return Party(match.group(1).lower(), name if "@" not in name else "")


def forward_of(msg: Message) -> tuple[dict[str, str], str, str] | None:
    """(forwarded headers, forwarded body, its format) for an attached or inline forward."""
    attached = attached_messages(msg)
    if attached:
        inner = attached[0]
        headers = {k: header_text(inner, k) for k in ("from", "to", "cc", "date", "subject")}
        body, fmt = extract_body(inner)
        return headers, body, fmt
    body, fmt = extract_body(msg)
    text = body if fmt == "text" else html_to_text(body)
    _, forwarded = unwrap_forward(text.replace("\r\n", "\n"), header_text(msg, "subject"))
    if forwarded is None:
        return None
    return forwarded.headers, forwarded.body, "text"


_FWD_PREFIX = re.compile(r"^\s*((?:fwd?|fw|wg|tr|rv|enc|re|aw|sv)\s*:\s*)+", re.I)


def clean_subject(subject: str) -> str:
    """The subject without stacked Fwd:/FW:/WG:/Re: prefixes."""
    return _FWD_PREFIX.sub("", subject).strip()


def read_email(msg: Message, *, rep_addresses: set[str], internal: set[str], inbound_domain: str) -> Reading:
    """Decide the mode, the customer and the memo body of a message from a known rep."""
    body, fmt = extract_body(msg)
    subject = header_text(msg, "subject")
    notes: list[str] = []
    forward = forward_of(msg)
    fwd_headers = forward[0] if forward else {}
    if forward and attached_messages(msg):
        body, fmt = forward[1], forward[2]  # the memo is the attached message, not the cover note
        notes.append("forwarded as an attached message")
    fwd_sender, fwd_others = forwarded_parties(fwd_headers) if forward else (None, [])

    def outside(p: Party) -> bool:
        return p.email not in rep_addresses and is_external(p.email, internal, inbound_domain)

    fwd_external = [p for p in fwd_others if outside(p)]
    externals = external_recipients(msg, internal, inbound_domain, rep_addresses)
    mode = "draft"
    if externals or not assistant_addressed(msg, inbound_domain):
        mode = "bcc"
    elif fwd_sender and not outside(fwd_sender) and fwd_external:
        mode = "bcc"  # the rep forwards a memo already sent to the customer: log it, never resend
        notes.append("forward of a memo the rep already sent")
    customer = None
    if mode == "draft":
        text = body if fmt == "text" else html_to_text(body)
        customer, stripped = to_line_customer(text)
        if customer:
            body, fmt = stripped, "text"
    if customer is None and externals:
        customer = externals[0]
    if customer is None and forward:
        customer = (
            fwd_sender if fwd_sender and outside(fwd_sender) else (fwd_external[0] if fwd_external else None)
        )
    if fwd_headers.get("subject"):
        subject = fwd_headers["subject"]
    return Reading(mode, body, fmt, clean_subject(subject)[:300], customer, fwd_headers, notes)
