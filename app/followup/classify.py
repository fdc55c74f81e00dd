"""Classify a customer's reply to an MOU: confirmed, corrected or other. Pure: no I/O, no models.

Rules rather than a trained model: replies to an MOU are short and formulaic, the cues are few and
multilingual, and every verdict must be explainable to the rep ("corrected: 'one correction'").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.checking.cleanup import html_to_text, looks_like_html, strip_quoted, strip_signature
from app.followup.highlight import Highlight, contradicts_number, highlight, split_sentences

CONFIRMED, CORRECTED, OTHER = "confirmed", "corrected", "other"
CLASSIFICATIONS = (CONFIRMED, CORRECTED, OTHER)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I | re.UNICODE)


AUTO_SUBJECT = _rx(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|out of (?:the )?office)\b",
    r"^\s*(?:abwesenheitsnotiz|abwesend|automatische antwort|r[ée]ponse automatique|absence)\b",
    r"^\s*(?:respuesta autom[aá]tica|fuera de la oficina|risposta automatica)\b",
)
AUTO_TEXT = _rx(
    r"\bout of (?:the )?office\b",
    r"\bon (?:annual|parental|maternity|paternity|sick|holiday) leave\b",
    r"\b(?:currently|I am|I'm) on (?:leave|holiday|vacation)\b",
    r"\blimited access to (?:my )?e-?mails?\b",
    r"\bin my absence\b",
    r"\b(?:upon|on) my return\b",
    r"\bmailbox is (?:not|no longer) monitored\b",
    r"\bthis is an automat(?:ed|ic) (?:reply|response|message)\b",
    r"\bnicht im büro\b|\bbin (?:bis|vom) .{1,40} abwesend\b|\bwird nicht weitergeleitet\b",
    r"\babsente? du bureau\b|\bà mon retour\b",
    r"\bfuera de la oficina\b|\ba mi regreso\b",
)
# "No corrections", "nothing to add": confirmations that would otherwise look like corrections.
NO_CHANGE = _rx(
    r"\b(?:no|nothing to|not any|without|don't need any|do not need any)\s+"
    r"(?:corrections?|changes?|correct|change|add|amend|edits?|fix)"
    r"(?:\s+(?:needed|required|from (?:my|our) side))?\b",
    r"\bkeine (?:korrekturen|änderungen)\b|\brien à (?:corriger|ajouter)\b|\bnada que (?:corregir|añadir)\b",
)
CORRECTION = _rx(
    r"\bcorrections?\b|\bkorrektur\w*\b|\bcorrecci[oó]n\w*\b",
    r"\b(?:to|must|need to|let me|I'd like to|I have to) correct\b",
    r"\bnot (?:quite|right|accurate|correct|exactly|true|the case)\b",
    r"\b(?:isn't|is not|aren't|are not|wasn't|was not)\s+(?:quite\s+)?(?:right|correct|accurate|true)\b",
    r"\b(?:wrong|incorrect|inaccurate|mistaken|misunderstood|misunderstanding|misheard|mixed up)\b",
    r"\b(?:your (?:note|memo|summary|email|mail) says|you wrote|you said|you mentioned|you have)\b"
    r"[^.?!]{0,80}[;,:]",
    r"\b(?:just |one thing )?to clarify\b|\bclarification\b",
    r"\b(?:please|kindly) (?:amend|update|change|fix|adjust|revise)\b|\bamend(?:ed|ment)?\b",
    r"\b(?:small|quick|minor|one) (?:fix|change|update|amendment|tweak)\b",
    r"\b(?:except|apart from|other than|with the exception of)\b",
    r"\brather than\b|\binstead of\b|\bactually\b(?! (?:a |really |very )?(?:great|good|right|correct|spot))",
    r"\b(?:mostly|largely|broadly|almost|nearly|generally|overall)\b[^.?!]{0,40}\b(?:right|correct|accurate|good|fine)\b",
    r"^\s*close\b|\b(?:good|fine|right|accurate)\b[^.?!]{0,20}\bbut\b|\bhowever\b",
    r"\bstimmt (?:so )?nicht\b|\bnicht (?:ganz|richtig|korrekt)\b|\beigentlich\b",
    r"\bpas (?:tout à fait|exact|correct)\b|\ben fait\b|\bplutôt que\b",
    r"\bno es (?:correcto|exacto)\b|\ben realidad\b",
    # "14 depots, not 12" / "en septembre, pas en juin" / "son 6, no 8"
    r",\s*(?:and\s+)?(?:not|nicht|pas|no)\s+(?!(?:a problem|an issue|at all|yet|sure|really)\b)"
    r"(?:in\s+|en\s+|before\s+|by\s+|at\s+)?[\w£$€]",
)
CONFIRMATION = _rx(
    r"\bconfirm(?:ed|s|ing)?\b|\bbestätig\w*|\bconfirmo\b|\bje confirme\b",
    r"\b(?:looks|sounds|seems|reads)\s+(?:\w+\s+)?(?:good|right|great|correct|accurate|fine|spot on)\b",
    r"\bspot on\b|\bnailed it\b|\ball good\b|\bgood to go\b|\byou've got it\b|\byou got it\b",
    r"\b(?:all|that's|that is|this is|it's|it is|everything is|is|are)\s+"
    r"(?:\w+\s+)?(?:correct|right|accurate)\b",
    r"\baccurate(?:ly)?\b|\bexactly (?:it|right)\b|\bperfect\b|\bprecisely\b|\b100 ?%",
    r"\bfair summary\b|\bin a nutshell\b|\bgo ahead\b|\bthat's (?:us|it)\b|\bcorrect\b",
    r"\bagree(?:d)?\b|\bcaptures?\b|\breflects?\b|\bmatches (?:my|our) understanding\b|\baligned\b",
    r"^\s*(?:yes|yep|yup|yeah|correct|right|agreed|confirmed)\b",
    r"\bpasst\b|\bstimmt\b|\brichtig\b|\bkorrekt\b|\beinverstanden\b|\bklingt gut\b|\bgenau\b",
    r"\bexact\b|\bc'est (?:bon|juste|correct)\b|\bparfait\b|\bd'accord\b",
    r"\bcorrecto\b|\bde acuerdo\b|\bperfecto\b|\bexacto\b",
)
# "Can you confirm whether ...": asking us to confirm is not confirming.
ASKS_TO_CONFIRM = _rx(
    r"\b(?:can|could|would|will) you\b.{0,30}\bconfirm\b",
    r"\bplease confirm\b",
    r"\bconfirm (?:whether|if)\b",
)
_LEAD_IN = re.compile(r"^[^:\n]{0,80}:\s+(?=\S)")
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|hallo|bonjour|hola|guten tag)\b[^,.!\n]{0,40}[,!]?\s*", re.I
)
_CUE_ONLY_WORDS = 6


@dataclass(frozen=True)
class ReplyVerdict:
    """What a reply says about the memo, why we think so, and the correction it carries."""

    classification: str
    reason: str
    text: str
    correction: str | None = None
    highlights: tuple[Highlight, ...] = field(default_factory=tuple)

    @property
    def is_auto_reply(self) -> bool:
        """True when the reply was written by a machine (out-of-office and friends)."""
        return self.reason.startswith("auto-reply")


def reply_text(body: str, fmt: str = "text") -> str:
    """The customer's own words: HTML to text, line ends normalised, quoted history and signature gone."""
    text = html_to_text(body) if fmt == "html" or (fmt != "text" and looks_like_html(body)) else body
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return strip_signature(strip_quoted(text))


def auto_reply_reason(text: str, subject: str = "", automatic: bool = False) -> str | None:
    """Why this reply is an automatic one (headers, subject or tell-tale text), or None."""
    if automatic:
        return "auto-reply (headers)"
    if AUTO_SUBJECT.search(subject or ""):
        return "auto-reply (subject)"
    found = AUTO_TEXT.search(text)
    return f"auto-reply ({found.group(0).strip()!r})" if found else None


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(ASKS_TO_CONFIRM.search(sentence))


def _correction_cue(sentence: str, memo: Mapping[str, str | None] | None) -> str | None:
    cleaned = NO_CHANGE.sub(" ", sentence)
    found = CORRECTION.search(cleaned)
    if found:
        return found.group(0).strip(" ,")
    if memo and not _is_question(sentence) and contradicts_number(sentence, memo):
        return "a different number than the memo"
    return None


def _confirmation_cue(sentence: str) -> str | None:
    if _is_question(sentence):
        return None
    found = NO_CHANGE.search(sentence) or CONFIRMATION.search(sentence)
    return found.group(0).strip(" ,") if found else None


def _without_lead_in(sentence: str) -> str:
    """'One correction: we have 14 depots' -> 'we have 14 depots' (the part that restates the memo)."""
    sentence = _GREETING.sub("", sentence, count=1)
    lead = _LEAD_IN.match(sentence)
    if lead and len(lead.group(0).split()) <= _CUE_ONLY_WORDS:
        return sentence[lead.end() :]
    return sentence


def _correction_text(sentences: list[str], first: int, memo: Mapping[str, str | None] | None) -> str:
    """The corrected statements: from the first correction onwards, minus pure 'the rest is fine' lines."""
    kept: list[str] = []
    for sentence in sentences[first:]:
        core = _without_lead_in(sentence)
        if _confirmation_cue(sentence) and not _correction_cue(sentence, memo):
            continue
        short = len(core.split()) <= 3 and not any(ch.isdigit() for ch in core)
        if short or core.rstrip().endswith(":"):
            continue
        kept.append(core)
    return "\n".join(kept) or _without_lead_in(sentences[first])


def classify_reply(
    body: str,
    *,
    fmt: str = "text",
    subject: str = "",
    automatic: bool = False,
    memo: Mapping[str, str | None] | None = None,
) -> ReplyVerdict:
    """Classify one reply; `memo` (element -> text) lets numbers be checked and corrections be placed."""
    text = reply_text(body, fmt)
    auto = auto_reply_reason(text, subject, automatic)
    if auto:
        return ReplyVerdict(OTHER, auto, text)
    sentences = split_sentences(text)
    for i, sentence in enumerate(sentences):
        cue = _correction_cue(sentence, memo)
        if cue:
            correction = _correction_text(sentences, i, memo)
            marks = tuple(highlight(correction, memo)) if memo else ()
            return ReplyVerdict(CORRECTED, f"correction: {cue!r}", text, correction, marks)
    for sentence in sentences:
        cue = _confirmation_cue(sentence)
        if cue:
            return ReplyVerdict(CONFIRMED, f"confirmation: {cue!r}", text)
    asked = any(_is_question(s) for s in sentences)
    return ReplyVerdict(OTHER, "question" if asked else "no confirmation or correction found", text)
