"""Turn an email body into the memo text a reader would judge: HTML to text, no quotes, no signature."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import ahocorasick

from app.checking.fastre import _ODD, Gated
from app.checking.htmltext import html_to_text
from app.checking.stage import OPENINGS

__all__ = [
    "Forwarded",
    "clean_memo",
    "html_to_text",
    "looks_like_html",
    "memo_text",
    "strip_quoted",
    "strip_signature",
    "unwrap_forward",
]

# --- quoted replies --------------------------------------------------------------------------------------

_WROTE: Final = re.compile(
    r"^\s*(?:On|Am|Le|El|Op|Il|Em|Den|På)\b.{0,300}?"
    r"(?:wrote|schrieb|a\s+écrit|escribió|escribio|schreef|ha\s+scritto|scrisse|escreveu|skrev)"
    r"(?:\s*:?\s*$|\s.{0,160}:\s*$)",
    re.I | re.S,
)
_WROTE_END: Final = re.compile(
    r"(?:wrote|schrieb|écrit|escribió|schreef|scritto|escreveu|skrev)\b.{0,160}:\s*$", re.I
)
_ORIGINAL: Final = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Messaggio originale|Oorspronkelijk bericht|Mensagem original)\s*-{2,}\s*$",
    re.I,
)
_HDR_FROM: Final = re.compile(r"^\s*\*?(?:From|Von|De|Da|Van|Från|Fra)\s*:\*?\s*\S", re.I)
_HDR_OTHER: Final = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Subject|Cc|Gesendet|Datum|An|Betreff|Envoyé|Date|À|Objet|Enviado|Fecha|Para|"
    r"Asunto|Inviato|Data|A|Oggetto|Verzonden|Aan|Onderwerp|Skickat|Ämne|Sendt|Emne)\s*:",
    re.I,
)
_SEPARATOR: Final = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,})\s*$")


# Whole-text pre-checks: a per-line pattern that cannot match anywhere in the text is not tried line by line.
_WROTE_ANY: Final = re.compile(r"wrote|schrieb|écrit|escribi|schreef|scritto|escreveu|skrev", re.I)


def _any_header_line(lines: list[str]) -> bool:
    """True when some line could open a From:/Sent:/To: header block."""
    return any(":" in line and _HDR_FROM.match(line) for line in lines)


def _header_block_at(lines: list[str], i: int) -> bool:
    """True when lines[i] opens an Outlook-style From:/Sent:/To:/Subject: block."""
    if not _HDR_FROM.match(lines[i]):
        return False
    others = sum(1 for line in lines[i + 1 : i + 6] if _HDR_OTHER.match(line))
    return others >= 2


def _quote_start(lines: list[str], gates: frozenset[str] | None = None) -> int | None:
    """Index of the first line that opens a quoted earlier message, if any."""
    text = "\n".join(lines) if gates is None else ""
    if not (_possible("wrote", text, gates) or _any_header_line(lines) or _possible("original", text, gates)):
        return None
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line) or _header_block_at(lines, i):
            return i
        if _SEPARATOR.match(line) and i + 1 < len(lines) and _header_block_at(lines, i + 1):
            return i
        if line.lstrip()[:3].lower() in ("on ", "am ", "le ", "el ", "op ", "il ", "em ", "den", "på "):
            if _WROTE.match(line) and len(line) < 400:
                return i
            end = _wrote_spans(lines, i)
            if end and _WROTE.match(" ".join(lines[i : end + 1])):
                return i
    return None


def _wrote_spans(lines: list[str], i: int) -> int:
    """Last line of a header like 'On Mon, ... <x@y>' wrapped over two or three lines (0 when none)."""
    for j in (i + 1, i + 2):
        if j < len(lines) and _WROTE_END.search(lines[j]):
            return j
    return 0


_ORIGINAL_GATE: Final = Gated(_ORIGINAL)
_WROTE_GATE: Final = Gated(_WROTE_ANY)


def strip_quoted(text: str, gates: frozenset[str] | None = None) -> str:
    """Drop quoted earlier messages: 'On ... wrote:' (and localized), Outlook header blocks, '>' lines."""
    lines = text.split("\n")
    cut = _quote_start(lines, gates)
    if cut is not None:
        lines = lines[:cut]
    kept = [line for line in lines if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()


# --- signatures -------------------------------------------------------------------------------------------

_SENT_FROM: Final = re.compile(
    r"^\s*(?:Sent from my \w+|Sent from (?:Outlook|Mail|Yahoo Mail|Gmail)|Get Outlook for \w+|"
    r"Envoyé de mon \w+|Von meinem \w+ gesendet|Enviado desde mi \w+|Verzonden vanaf mijn \w+|"
    r"Inviato da(?:l mio)? \w+)",
    re.I,
)
_SIGN_OFF: Final = re.compile(
    r"^\s*(?:best(?: regards| wishes)?|kind(?:est)? regards|warm(?:est)? regards|regards|many thanks|"
    r"thanks(?: again| so much| a lot)?|thank you(?: again)?|cheers|sincerely|yours(?: sincerely| truly)?|"
    r"all the best|talk soon|speak soon|take care|respectfully|with thanks|best,? regards|"
    r"mit freundlichen grüßen|viele grüße|beste grüße|gruß|cordialement|bien à vous|"
    r"saludos(?: cordiales)?|un saludo|atentamente|met vriendelijke groet(?:en)?|groeten|"
    r"cordiali saluti|distinti saluti|looking forward(?: to [\w' -]{1,40})?)\s*[,.!]?\s*(?:-+\s*\w+)?\s*$",
    re.I,
)
_GREETING: Final = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b", re.I
)
_CONTACT: Final = re.compile(
    r"@[\w-]+\.\w|https?://|www\.|\+?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{3,4}|\|\s|\b(?:tel|phone|mobile|cell|fax)\b",
    re.I,
)
_DISCLAIMER: Final = re.compile(
    r"^\s*(?:\W*(?:confidentiality|disclaimer|legal notice|privileged (?:and|&) confidential|"
    r"important notice)\b|this (?:e-?mail|message|communication)(?: and any (?:attachments?|files))?"
    r"(?: \(.{0,40}\))? (?:is|are|may|contains?)\b|the information (?:contained )?in this (?:e-?mail|message)"
    r"|if you (?:have received|are not the intended))",
    re.I,
)


_SENT_FROM_GATE: Final = Gated(_SENT_FROM)
_DISCLAIMER_GATE: Final = Gated(_DISCLAIMER)


def _is_sign_off(line: str) -> bool:
    s = line.strip()
    if not s or _GREETING.match(s):
        return False
    return bool(_SIGN_OFF.match(s))


def _sig_tail_ok(tail: list[str]) -> bool:
    """Lines after a sign-off look like a name block (short, few), not more memo content."""
    body = [t for t in tail if t.strip()]
    words = sum(len(t.split()) for t in body)
    return len(body) <= 12 and words <= 120


def _trailing_contact_block(lines: list[str]) -> int | None:
    """Start of a bare name/company/contact block at the very end (no sign-off line)."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if not block or len(block) > 6 or start == 0:
        return None
    short = all(len(b.split()) <= 6 and not b.rstrip().endswith((".", "?", ":")) for b in block)
    if short and any(_CONTACT.search(b) for b in block):
        return start
    return None


def strip_signature(text: str, gates: frozenset[str] | None = None) -> str:
    """Drop the signature: '-- ' delimiter, 'Sent from my iPhone', sign-off plus name lines, legal footers."""
    lines = text.split("\n")
    delimited = "--" in text or "—" in text or _possible("sent_from", text, gates)
    for i, line in enumerate(lines if delimited else ()):
        if line.rstrip() in ("--", "-- ", "—") or line == "-- " or _SENT_FROM.match(line):
            lines = lines[:i]
            break
    lines = _drop_disclaimers(lines, gates)
    floor = min(2, len(lines))
    for i in range(len(lines) - 1, floor - 1, -1):
        if _is_sign_off(lines[i]) and _sig_tail_ok(lines[i + 1 :]):
            lines = lines[:i]
            break
    else:
        start = _trailing_contact_block(lines)
        if start is not None:
            lines = lines[:start]
    return "\n".join(lines).strip()


def _drop_disclaimers(lines: list[str], gates: frozenset[str] | None = None) -> list[str]:
    """Remove a legal footer paragraph and everything after it."""
    if not _possible("disclaimer", "\n".join(lines) if gates is None else "", gates):
        return lines
    for i, line in enumerate(lines):
        if i > 0 and _DISCLAIMER.match(line) and (i == 0 or not lines[i - 1].strip() or i > len(lines) // 2):
            return lines[:i]
    return lines


# --- forwards --------------------------------------------------------------------------------------------


@dataclass
class Forwarded:
    """The inner message of a forward: its header fields (lower-case keys) and its body."""

    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


_FWD_MARKER: Final = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Forwarded e-?mail|Weitergeleitete Nachricht|Message transféré|"
    r"Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht|Mensagem encaminhada|"
    r"Vidarebefordrat meddelande)\s*-{2,}|"
    r"Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|Début du message réexpédié\s*:|"
    r"Inicio del mensaje reenviado:|Inizio messaggio inoltrato:|Begin doorgestuurd bericht:)\s*$",
    re.I,
)
_FWD_SUBJECT: Final = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|enc|i|doorst|vs)\s*:", re.I)
_FWD_NOTE: Final = re.compile(
    r"\bforward(?:ing|ed)?\b|\bfyi\b|\bresending\b|\bweiterleit|\btransf[eé]r|\breenv", re.I
)
_HDR_KEYS: Final = {
    "from": "from", "von": "from", "de": "from", "da": "from", "van": "from", "från": "from", "fra": "from",
    "to": "to", "an": "to", "à": "to", "para": "to", "a": "to", "aan": "to", "till": "to", "til": "to",
    "cc": "cc", "kopie": "cc",
    "date": "date", "sent": "date", "gesendet": "date", "datum": "date", "envoyé": "date", "enviado": "date",
    "fecha": "date", "inviato": "date", "data": "date", "verzonden": "date", "skickat": "date",
    "sendt": "date",
    "subject": "subject", "betreff": "subject", "objet": "subject", "asunto": "subject", "oggetto": "subject",
    "onderwerp": "subject", "ämne": "subject", "emne": "subject", "assunto": "subject",
}  # fmt: skip
_HDR_LINE: Final = re.compile(r"^\s*\*?([A-Za-zÀ-ÿ]+)\*?\s*:\*?\s*(.*)$")


_FWD_MARKER_GATE: Final = Gated(_FWD_MARKER)


def _parse_headers(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """Read 'Key: value' header lines from start; return the headers and the index after them."""
    headers: dict[str, str] = {}
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        m = _HDR_LINE.match(lines[i])
        if m is None:
            break
        key = _HDR_KEYS.get(m.group(1).lower())
        if not key or key in headers:
            break
        headers[key] = m.group(2).strip()
        i += 1
    return headers, i


def _forward_start(
    lines: list[str], subject: str, gates: frozenset[str] | None = None
) -> tuple[int, int] | None:
    """(marker line, header start) of a forwarded message, or None."""
    if _possible("forward", "\n".join(lines) if gates is None else "", gates):
        for i, line in enumerate(lines):
            if _FWD_MARKER.match(line):
                return i, i + 1
    if not _any_header_line(lines):
        return None  # no inner header block anywhere
    for i in range(len(lines)):
        sep = (
            (_SEPARATOR.match(lines[i]) or _ORIGINAL.match(lines[i]))
            and i + 1 < len(lines)
            and _header_block_at(lines, i + 1)
        )
        if not (sep or _header_block_at(lines, i)):
            continue
        hdr = i + 1 if sep else i
        headers, _ = _parse_headers(lines, hdr)
        outer = "\n".join(lines[:i])
        if (
            _FWD_SUBJECT.match(headers.get("subject", ""))
            or _FWD_SUBJECT.match(subject)
            or _FWD_NOTE.search(outer)
        ):
            return i, hdr
        return None
    return None


def unwrap_forward(
    text: str, subject: str = "", gates: frozenset[str] | None = None
) -> tuple[str, Forwarded | None]:
    """Split a forward into the outer note and the parsed inner message (None when it is not a forward)."""
    lines = text.split("\n")
    found = _forward_start(lines, subject, gates)
    if found is None:
        return text, None
    marker, hdr = found
    headers, body_start = _parse_headers(lines, hdr)
    outer = "\n".join(lines[:marker]).strip()
    body = "\n".join(lines[body_start:]).strip()
    return outer, Forwarded(headers=headers, body=body)


# --- the full normalisation ------------------------------------------------------------------------------

_LEADING_TAG: Final = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|[a-z][a-z0-9]*)[\s>/]", re.I | re.S)


def looks_like_html(body: str) -> bool:
    """True when the body opens with a tag (how email bodies without a declared format are told apart)."""
    return bool(_LEADING_TAG.match(body[:2000]))


# The pre-checks of the clean-up patterns, by name. clean_memo() runs them all at once over the whole memo
# (one Aho-Corasick pass) and hands the result down: every text they are asked about later is made of the
# memo's lines, and no required literal spans two lines, so a literal missing from the memo is missing there.
_GATES: Final = {
    "wrote": _WROTE_GATE,
    "original": _ORIGINAL_GATE,
    "sent_from": _SENT_FROM_GATE,
    "disclaimer": _DISCLAIMER_GATE,
    "forward": _FWD_MARKER_GATE,
}
_ALWAYS: Final = frozenset(name for name, gate in _GATES.items() if gate.literals is None)
# The same pass finds the stage cues' openings (stage.OPENINGS, none spanning lines either): the stage is
# inferred from the cleaned memo, made of the memo's lines, so only those openings can occur in it.
_LITERALS: Final = ahocorasick.Automaton()
_gate_names: dict[str, set[str]] = {}
for _name, _gate in _GATES.items():
    for _lit in _gate.literals or ():
        if "\n" in _lit:
            raise ValueError("a clean-up pre-check literal spans lines")
        _gate_names.setdefault(_lit, set()).add(_name)
for _lit in _gate_names.keys() | OPENINGS:  # each: (pre-checks it passes, itself when a stage opening)
    _LITERALS.add_word(_lit, (frozenset(_gate_names.get(_lit, ())), _lit if _lit in OPENINGS else None))
_LITERALS.make_automaton()


def _possible(name: str, text: str, gates: frozenset[str] | None) -> bool:
    """The named pre-check: from the memo-wide result when there is one, else on the text."""
    return _GATES[name].possible(text) if gates is None else name in gates


def _memo_literals(text: str) -> tuple[frozenset[str], frozenset[str] | None]:
    """Names of the pre-checks that pass somewhere in the memo, and the stage openings it holds (None when
    case folding differs: a part of the text can then lower-case unlike the whole)."""
    if not text.isascii() and _ODD.search(text):
        return frozenset(_GATES), None  # each pre-check passes, as Gated.possible does
    found = set(_ALWAYS)
    openings = set()
    for _, (names, opening) in _LITERALS.iter(text.lower()):
        found |= names
        if opening is not None:
            openings.add(opening)
    return frozenset(found), frozenset(openings)


def _clean_part(text: str, gates: frozenset[str] | None = None) -> str:
    return strip_signature(strip_quoted(text, gates), gates)


def memo_text(body: str, fmt: str = "text", subject: str = "") -> str:
    """Normalise a memo body: HTML to text, LF line ends, forwards unwrapped, quotes and signatures gone."""
    return clean_memo(body, fmt, subject)[0]


def clean_memo(body: str, fmt: str = "text", subject: str = "") -> tuple[str, frozenset[str] | None]:
    """memo_text(), and the stage cue openings (stage.OPENINGS) it can contain (None: not looked for)."""
    text = html_to_text(body) if fmt == "html" else body
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    gates, openings = _memo_literals(text)
    parts: list[str] = []
    for _ in range(5):  # nested forwards: each wrapper's note counts, the innermost memo counts
        outer, inner = unwrap_forward(text, subject, gates)
        if inner is None:
            break
        parts.append(_clean_part(outer, gates))
        text = inner.body
        subject = inner.headers.get("subject", "")
    parts.append(_clean_part(text, gates))
    return "\n\n".join(p for p in parts if p).strip(), openings
