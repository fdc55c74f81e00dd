"""The standard inbound email and safe MIME helpers (size, depth, charsets, encoded words)."""

from __future__ import annotations

import codecs
import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.feedparser import BytesFeedParser
from email.header import decode_header
from email.message import EmailMessage, Message
from email.utils import getaddresses
from functools import cached_property
from typing import Any

from app.intake.errors import BodyTooLarge, MalformedEmail

# The stdlib parser recurses per nesting level and dies near 1,000 levels; real mail nests < 10.
MAX_DEPTH = 30
# Counted before parsing: every nesting level needs one multipart/message Content-Type header.
MAX_CONTAINER_HEADERS = 200
DEFAULT_MAX_BYTES = 30 * 1024 * 1024
_PARSE_CHUNK = 64 * 1024

_CONTAINER_RE = re.compile(rb"(?im)^content-type:\s*(?:multipart|message)/")
_BLANK_RE = re.compile(rb"\s*")
# WHATWG: these labels mean windows-1252 in practice (Outlook and friends mislabel 8-bit text).
_WINDOWS_1252_ALIASES = frozenset(
    {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "us-ascii", "ascii"}
)
# Characters that must never survive into a value that may end up in a header.
_UNSAFE_CHARS_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_ADDR_RE = re.compile(r"^[^\s@<>()\[\]\\,;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_QUOTED_RE = re.compile(r'"(?:\\.|[^"\\])*"')
_COMMENT_RE = re.compile(r"\((?:\\.|[^()\\])*\)")


@dataclass
class InboundEmail:
    """One received email: the parsed message, its exact bytes and the SMTP envelope.

    The derived keys are computed once (the message is not changed after parsing): storing reads them
    several times and each one walks the MIME tree."""

    message: EmailMessage
    raw: bytes | memoryview  # a view of the stored request when the email lies in one piece in it
    envelope_from: str
    envelope_to: list[str]
    provider: str
    provider_id: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def message_id(self) -> str | None:
        """The RFC 5322 Message-ID, angle brackets kept, or None."""
        return message_id(self.message)

    @cached_property
    def subject(self) -> str:
        """The decoded subject, safe to display."""
        return header_text(self.message, "subject")

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the body text with formatting removed: equal across providers' re-encodings."""
        return content_fingerprint(self.message)

    @cached_property
    def dedupe_key(self) -> str:
        """Message-ID plus content hash; the raw bytes' hash when there is no Message-ID."""
        mid = self.message_id
        basis = f"mid:{mid}:{self.content_hash}" if mid else "raw:" + hashlib.sha256(self.raw).hexdigest()
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def parse_message(raw: bytes | memoryview, max_bytes: int = DEFAULT_MAX_BYTES) -> EmailMessage:
    """Parse raw RFC 5322 bytes with size and nesting caps; hostile input becomes MalformedEmail."""
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"The message is larger than {max_bytes} bytes.")
    containers = _container_headers(raw)
    if containers > MAX_CONTAINER_HEADERS:
        raise MalformedEmail("The message has too many nested MIME parts.")
    try:
        msg = _parse_in_chunks(raw)
    except RecursionError as exc:
        raise MalformedEmail("The message is nested too deeply to read.") from exc
    except Exception as exc:  # the stdlib parser is lenient; anything it still raises is the input's fault
        raise MalformedEmail(f"The message cannot be parsed ({type(exc).__name__}).") from exc
    if mime_depth(msg) > MAX_DEPTH:
        raise MalformedEmail(f"The message nests MIME parts more than {MAX_DEPTH} levels deep.")
    return msg  # type: ignore[return-value]


def _container_headers(raw: bytes | bytearray | memoryview) -> int:
    """How many multipart/message Content-Type headers the message has (an empty one raises)."""
    if _BLANK_RE.fullmatch(raw):
        raise MalformedEmail("The message is empty.")
    return len(_CONTAINER_RE.findall(raw))


def precheck_mime(raw: bytes | bytearray | memoryview) -> None:
    """The cheap part of parse_message's refusals, for the webhook before it stores the bytes.

    A message can only nest deeper than MAX_DEPTH with more container headers than that: only then
    is it parsed here (rare), so the refusal stays a 4xx the sender sees."""
    if _container_headers(raw) > MAX_DEPTH:
        parse_message(memoryview(raw), max_bytes=len(raw))


def _parse_in_chunks(raw: bytes | memoryview) -> EmailMessage:
    # BytesParser decodes the whole message into one str and wraps it in a StringIO (4 bytes a
    # character): ~6x the message at peak. Feeding the same parser slices keeps it near 1.5x.
    parser = BytesFeedParser(policy=policy.default)
    view = memoryview(raw)
    for start in range(0, len(raw), _PARSE_CHUNK):
        parser.feed(bytes(view[start : start + _PARSE_CHUNK]))
    return parser.close()  # type: ignore[return-value]


def make_inbound(
    raw: bytes | memoryview,
    *,
    provider: str,
    envelope_from: str = "",
    envelope_to: list[str] | None = None,
    provider_id: str | None = None,
    extras: dict[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> InboundEmail:
    """Parse raw bytes into an InboundEmail with a normalised envelope."""
    message = parse_message(raw, max_bytes)
    return InboundEmail(
        message=message,
        raw=raw,
        envelope_from=normalise_address(envelope_from),
        envelope_to=[a for a in (normalise_address(x) for x in envelope_to or []) if a],
        provider=provider,
        provider_id=(provider_id or None) and safe_text(provider_id)[:255],
        extras=extras or {},
    )


def mime_depth(msg: Message) -> int:
    """Deepest nesting of multipart and message/* parts, walked without recursion."""
    deepest, stack = 0, [(msg, 1)]
    while stack:
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))
    return deepest


# --- headers -----------------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """Collapse line breaks and control characters to single spaces (header-injection safe)."""
    return " ".join(_UNSAFE_CHARS_RE.sub(" ", value).split())


def _undo_surrogates(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: read them as UTF-8 (RFC 6532), else 1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("ascii", "surrogateescape")
    return decode_bytes(data, None)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words, joining adjacent words' bytes before charset decoding."""
    value = _undo_surrogates(re.sub(r"\r?\n(?=[ \t])", "", value))
    try:
        chunks = decode_header(value)
    except Exception:  # malformed encoded words: show them as they are
        return safe_text(value)
    out = []
    for chunk, charset in chunks:
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return safe_text("".join(out))


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every raw value of a header, undecoded, without invoking the header-object parser."""
    wanted = name.lower()
    try:
        items = msg.raw_items() if hasattr(msg, "raw_items") else msg.items()
    except Exception:
        return []
    return [str(v) for k, v in items if k.lower() == wanted]


def header_text(msg: Message, name: str) -> str:
    """The first value of a header, RFC 2047 decoded and made safe; '' when absent."""
    values = raw_headers(msg, name)
    return decode_words(values[0]) if values else ""


def message_id(msg: Message) -> str | None:
    """The Message-ID as `<id>`, or None when missing or unusable."""
    values = raw_headers(msg, "message-id")
    value = safe_text(_undo_surrogates(values[0])) if values else ""
    match = re.search(r"<([^<>\s]+)>", value)
    ident = match.group(1) if match else value.strip("<> ")
    return f"<{ident[:900]}>" if ident and " " not in ident else None


def strict_addresses(value: str) -> list[tuple[str, str]]:
    """Parse an address header strictly: ambiguous input (CVE-2023-27043 shapes) gives []."""
    value = _undo_surrogates(re.sub(r"\r?\n(?=[ \t])", "", value))
    try:
        pairs = getaddresses([value])
    except Exception:
        return []
    found = [(name, addr) for name, addr in pairs if addr]
    bare = _COMMENT_RE.sub(" ", _QUOTED_RE.sub(" ", value))
    if bare.count("@") != len(found):
        return []
    angles = {a.strip().lower() for a in re.findall(r"<([^<>]*)>", bare) if a.strip()}
    if not angles <= {addr.lower() for _, addr in found}:
        return []
    result = []
    for name, addr in found:
        if not _ADDR_RE.match(addr):
            return []
        result.append((decode_words(name), addr.lower()))
    return result


def header_addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """All (display name, address) pairs of every instance of an address header."""
    out: list[tuple[str, str]] = []
    for value in raw_headers(msg, name):
        out.extend(strict_addresses(value))
    return out


def normalise_address(value: str | None) -> str:
    """A bare lower-case address from an envelope value like `<Bob@X.example>`; '' when unusable."""
    text = safe_text(value or "").strip().strip("<>").strip().lower()
    return text if _ADDR_RE.match(text) else ""


# --- bodies ------------------------------------------------------------------------------------


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode by the declared charset; latin-1/ascii labels as windows-1252; unknown → UTF-8."""
    label = (charset or "").strip().strip('"').lower()
    if not label or label in {"unknown-8bit", "x-unknown", "8bit"}:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("windows-1252", "replace")
    if label in _WINDOWS_1252_ALIASES:
        label = "windows-1252"
    try:
        codecs.lookup(label)
        text = data.decode(label, "replace")
    except Exception:  # unknown label or a bytes-to-bytes codec such as "base64"
        text = None
    return text if isinstance(text, str) else data.decode("utf-8", "replace")


def part_text(part: Message) -> str:
    """A leaf part's content as text: transfer encoding undone, charset decoded with fallbacks."""
    # NUL carries no meaning in mail text and PostgreSQL cannot store it in a text column.
    return _part_text(part).replace("\x00", "")


def _part_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        charset = part.get_param("charset")
    except Exception:
        charset = None
    return decode_bytes(data, charset if isinstance(charset, str) else None)


def _is_attachment(part: Message) -> bool:
    try:
        return (part.get_content_disposition() or "") == "attachment"
    except Exception:
        return True


def leaf_parts(msg: Message) -> list[Message]:
    """Leaves of this message in order, not descending into attached messages (message/*)."""
    leaves, stack = [], [msg]
    while stack:
        part = stack.pop()
        if part.get_content_maintype() == "message" and part is not msg:
            leaves.append(part)
            continue
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
        else:
            leaves.append(part)
    return leaves


def body_parts(msg: Message) -> tuple[str, str]:
    """(plain text, html) of the inline body; either may be ''."""
    plain, markup = [], []
    for part in leaf_parts(msg):
        if _is_attachment(part):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(part_text(part))
        elif ctype == "text/html" and not markup:
            markup.append(part_text(part))
    return "\n".join(plain).replace("\r\n", "\n"), "".join(markup).replace("\r\n", "\n")


def extract_body(msg: Message) -> tuple[str, str]:
    """The body to read and its format: text/plain preferred, HTML when that is all there is."""
    plain, markup = body_parts(msg)
    if plain.strip() or not markup.strip():
        return plain, "text"
    return markup, "html"


def attached_messages(msg: Message) -> list[EmailMessage]:
    """Messages attached as message/rfc822 parts (forward as attachment), in order."""
    found = []
    for part in leaf_parts(msg):
        if part.get_content_type() != "message/rfc822":
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else payload
        if isinstance(inner, Message):
            found.append(inner)
    return found  # type: ignore[return-value]


def attachment_names(msg: Message) -> list[str]:
    """Decoded attachment filenames (RFC 2231 `filename*` preferred over `name=`)."""
    names = []
    for part in leaf_parts(msg):
        if not _is_attachment(part):
            continue
        try:
            name = part.get_filename() or part.get_param("name") or ""
        except Exception:
            name = ""
        names.append(decode_words(str(name)))
    return names


def _html_visible_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    return html.unescape(re.sub(r"(?s)<[^>]*>", " ", markup))


def content_fingerprint(msg: Message) -> str:
    """SHA-256 over the body's letters and digits only, so re-wrapping and CRLF don't matter."""
    text, fmt = extract_body(msg)
    if fmt == "html":
        text = _html_visible_text(text)
    folded = unicodedata.normalize("NFKC", text).casefold()
    core = "".join(ch for ch in folded if ch.isalnum())
    return hashlib.sha256(core.encode("utf-8", "surrogatepass")).hexdigest()
