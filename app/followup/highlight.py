"""Place a customer's correction against the memo: which sentence of which element it corrects, and how."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from app.checking.model import ELEMENTS

MEMO_ELEMENTS = ELEMENTS

_TOKEN = re.compile(r"[£$€]?\d+(?:[.,]\d+)*[k%]?|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_NUMBER = re.compile(r"\d")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|\n+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Words that carry no meaning for matching a reply sentence to a memo sentence (EN, DE, FR, ES).
_STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from into over under than then that this these those
    it its it's is are was were be been being has have had do does did we our ours you your i me my he she
    they them their there here not no yes so as also just only very more most less about any all each every
    will would can could should shall may might must one s t re ve ll d m
    der die das und oder nicht ist sind wir ihr ich es ein eine den dem des zu im mit von für auf
    le la les et ou pas est sont nous vous je il elle un une des du en au aux pour avec se de
    el los las y o no es son nosotros yo un una unos unas del al por para con
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_SUFFIXES = ("ing", "ed", "es", "s")
# Spelled-out numbers count as numbers ("two systems, not three"); "one" is too often a pronoun.
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"), 2)
}


@dataclass(frozen=True)
class DiffPart:
    """One run of a word diff: `equal`, `removed` (memo only) or `added` (reply only)."""

    op: str
    text: str


@dataclass(frozen=True)
class Highlight:
    """A reply sentence matched to the memo sentence it corrects, with a word diff between them."""

    element: str
    memo_sentence: str
    reply_sentence: str
    parts: tuple[DiffPart, ...] = field(default_factory=tuple)

    @property
    def removed(self) -> list[str]:
        """Memo words the customer's version drops."""
        return [p.text for p in self.parts if p.op == "removed"]

    @property
    def added(self) -> list[str]:
        """Words the customer's version brings in."""
        return [p.text for p in self.parts if p.op == "added"]

    @property
    def marked(self) -> str:
        """The diff as one line of text: [-memo words-] {+customer words+}."""
        marks = {"equal": "{}", "removed": "[-{}-]", "added": "{{+{}+}}"}
        return " ".join(marks[p.op].format(p.text) for p in self.parts)


def split_sentences(text: str) -> list[str]:
    """Sentences and bullet lines of a text, trimmed, empty ones dropped."""
    out: list[str] = []
    for chunk in _SENTENCE_END.split(text):
        chunk = _BULLET.sub("", chunk).strip()
        if chunk:
            out.append(chunk)
    return out


def tokens(text: str) -> list[str]:
    """Words and numbers of a text, in order, as written."""
    return _TOKEN.findall(text)


def stem(word: str) -> str:
    """A crude, language-agnostic stem: lower case, currency signs off, common English suffixes off."""
    word = word.lower().lstrip("£$€").replace("’", "'")
    if _NUMBER.search(word):
        return word
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    """The meaningful stems of a text (stopwords dropped)."""
    return {stem(t) for t in tokens(text) if t.lower() not in _STOPWORDS}


def numbers(text: str) -> set[str]:
    """The numbers a text mentions, normalised (`£50k` -> `50k`)."""
    found = (_NUMBER_WORDS.get(t.lower(), stem(t)) for t in tokens(text))
    return {n for n in found if _NUMBER.search(n)}


def overlap_score(reply: str, memo: str) -> int:
    """How strongly a reply sentence talks about a memo sentence: shared stems, shared numbers twice."""
    shared = content_stems(reply) & content_stems(memo)
    return len(shared) + sum(1 for s in shared if _NUMBER.search(s))


def memo_sentences(memo: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """(element, sentence) for every sentence of the memo's elements."""
    return [(name, s) for name in MEMO_ELEMENTS for s in split_sentences(memo.get(name) or "")]


def best_match(sentence: str, memo: Mapping[str, str | None]) -> tuple[str, str, int] | None:
    """The memo sentence this reply sentence most likely refers to: (element, sentence, score)."""
    best: tuple[str, str, int] | None = None
    for element, memo_sentence in memo_sentences(memo):
        score = overlap_score(sentence, memo_sentence)
        if score > 0 and (best is None or score > best[2]):
            best = (element, memo_sentence, score)
    return best


def contradicts_number(sentence: str, memo: Mapping[str, str | None]) -> bool:
    """True when the sentence restates a memo sentence with a number the memo does not have."""
    said = numbers(sentence)
    if not said:
        return False
    match = best_match(sentence, memo)
    if match is None:
        return False
    _, memo_sentence, _ = match
    shared_words = (content_stems(sentence) & content_stems(memo_sentence)) - numbers(memo_sentence)
    stated = numbers(memo_sentence)
    return bool(stated) and len(shared_words) >= 1 and bool(said - stated)


def word_diff(memo_sentence: str, reply_sentence: str) -> tuple[DiffPart, ...]:
    """Word-level diff from the memo's sentence to the customer's."""
    old, new = tokens(memo_sentence), tokens(reply_sentence)
    matcher = SequenceMatcher(a=[stem(w) for w in old], b=[stem(w) for w in new], autojunk=False)
    parts: list[DiffPart] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(DiffPart("equal", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(DiffPart("removed", " ".join(old[i1:i2])))
        if j2 > j1:
            parts.append(DiffPart("added", " ".join(new[j1:j2])))
    return tuple(parts)


# "14 depots, not 12", "£75k rather than £50k", "in September, pas en juin": new value, then the old one.
_SWAP = re.compile(
    r"(?P<new>[^.;:!?]{1,120}?),?\s+(?:not|rather than|instead of|nicht|pas|no)\s+"
    r"(?:(?:in|by|before|at|on|en|im|am|vor)\s+)?(?P<old>[^.;:!?,()]{1,80})",
    re.I | re.UNICODE,
)


def _find_run(haystack: list[str], needle: list[str]) -> int | None:
    stems = [stem(w) for w in haystack]
    wanted = [stem(w) for w in needle]
    for i in range(len(stems) - len(wanted) + 1):
        if stems[i : i + len(wanted)] == wanted:
            return i
    return None


def _new_value(new_side: list[str], old: list[str]) -> list[str]:
    """The customer's replacement: a number for a number, else the word just before 'not'."""
    if any(numbers(w) for w in old):
        found = [w for w in new_side if numbers(w)]
        return found[-1:] if found else new_side[-1:]
    return new_side[-1:]


def swap_diff(memo_sentence: str, reply_sentence: str) -> tuple[DiffPart, ...] | None:
    """A targeted diff for 'X, not Y' corrections: Y struck out in the memo's sentence, X put in."""
    match = _SWAP.search(reply_sentence)
    if match is None:
        return None
    memo_words, old = tokens(memo_sentence), tokens(match.group("old"))
    while old and old[0].lower() in _STOPWORDS:
        old = old[1:]
    at = None
    while old:  # the longest opening run of the old words that the memo really says
        at = _find_run(memo_words, old)
        if at is not None:
            break
        old = old[:-1]
    new = _new_value(tokens(match.group("new")), old)
    if at is None or not old or not new or all(w.lower() in _STOPWORDS for w in old):
        return None
    parts = [DiffPart("equal", " ".join(memo_words[:at]))] if at else []
    said = memo_words[at : at + len(old)]
    parts += [DiffPart("removed", " ".join(said)), DiffPart("added", " ".join(new))]
    rest = memo_words[at + len(old) :]
    return tuple(parts + ([DiffPart("equal", " ".join(rest))] if rest else []))


def highlight(correction: str, memo: Mapping[str, str | None]) -> list[Highlight]:
    """Each sentence of a correction matched to the memo sentence it corrects, strongest first per element."""
    found: list[Highlight] = []
    seen: set[str] = set()
    for sentence in split_sentences(correction):
        match = best_match(sentence, memo)
        if match is None or match[1] in seen:
            continue
        element, memo_sentence, _ = match
        seen.add(memo_sentence)
        parts = swap_diff(memo_sentence, sentence) or word_diff(memo_sentence, sentence)
        found.append(Highlight(element, memo_sentence, sentence, parts))
    return found
