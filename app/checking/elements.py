"""Decide, unit by unit, which of the four required elements a memo states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from app.checking import cues
from app.checking.fastre import _ODD, Gated
from app.checking.segment import Unit

_CLAUSE_SPLIT: Final = re.compile(
    r",?\s+(?:and|but|so|while|because|although|though|whereas|which means)\s+(?=\S)|;\s+|:\s+|\s[–—]\s",
    re.I,
)
# For lower-cased ASCII text. Every cut opens on a space, comma, semicolon or colon: the look-ahead lets the
# engine pass over other characters without trying each alternative there.
_CLAUSE_CUTS: Final = re.compile(r"(?=[\s,;:])(?:" + _CLAUSE_SPLIT.pattern + ")")
# A cut of ASCII text is at a ';' or ':', or at one of these words with spaces either side.
_CUT_WORDS: Final = frozenset(
    ("and", "but", "so", "while", "because", "although", "though", "whereas", "which")
)
_GOAL_PHRASE_GATE: Final = Gated(cues.GOAL_PHRASE.rx)
_LEAD_IN_GATE: Final = Gated(cues.REP_LEAD_IN)
_QUESTION_TO_YOU: Final = re.compile(r"\W*(?:would|could|can|will|do|does|did) you\b", re.I)
_TWO_WORDS: Final = re.compile(r"\w\W+\w")  # found iff the text holds at least two words (runs of \w)
_REQUIRED_KINDS: Final = ("situation", "goals", "obstacles", "complications")


@dataclass(frozen=True)
class Signals:
    """Cue strengths for one text span."""

    sit: bool
    goal: bool
    obs: int  # weighted: strong cues count 2, weak 1
    obs_strong: int
    comp: int
    comp_strong: int


_SEEN: dict[str, tuple[int, ...]] = {}  # per memo: clauses and sentences repeat
_SPANS: dict[str, list[list[tuple[int, int]]] | None] = {}


def _odd(text: str) -> bool:
    return not text.isascii() and _ODD.search(text) is not None


def _spans(text: str) -> list[list[tuple[int, int]]] | None:
    """Where each cue lexicon matches in the text (None when case folding needs the original text)."""
    if text in _SPANS:
        return _SPANS[text]
    if len(_SPANS) > 4096:  # callers outside find_elements() never clear it
        _SPANS.clear()
    spans = _SPANS[text] = None if _odd(text) else cues.SIGNALS.scan(text.lower())
    return spans


def signals(text: str) -> tuple[int, ...]:
    """Match counts of every cue lexicon (cues.SIGNAL_NAMES order) in one pass over the text's words."""
    seen = _SEEN.get(text)
    if seen is None:
        if len(_SEEN) > 4096:
            _SEEN.clear()
        spans = _spans(text)
        if spans is None:  # case folding differs: the search-style cues judge the original text
            counts = tuple(map(len, cues.SIGNALS.scan(text.lower())))
            seen = counts[:5] + tuple(
                int(rx.search(text) is not None)
                for rx in (cues.META, cues.VENDOR_OUTCOME, cues.GOAL_WANT, cues.SIT_TEAM_OF, cues.SIT_PROCESS)
            )
        else:
            seen = tuple(map(len, spans))
        _SEEN[text] = seen
    return seen


_REP_SEEN: dict[str, bool] = {}  # per memo: a sentence and its clauses are asked more than once


def _rep_voice(text: str) -> bool:
    """The text opens with the rep speaking ("we", "I", "our ...")."""
    seen = _REP_SEEN.get(text)
    if seen is None:
        if len(_REP_SEEN) > 4096:
            _REP_SEEN.clear()
        seen = _REP_SEEN[text] = cues.REP_VOICE.match(text) is not None
    return seen


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of a sentence, as _CLAUSE_SPLIT.split would cut it."""
    out, prev = [], 0
    if sentence.isascii():
        low = sentence.lower()
        if ";" not in low and ":" not in low and _CUT_WORDS.isdisjoint(low.split()):
            return [(0, len(sentence))]  # the pattern would find no cut: most sentences are one clause
        # lower-cased ASCII text keeps its positions, and the case-sensitive pattern is faster than re.I
        cuts = _CLAUSE_CUTS.finditer(low)
    else:
        cuts = _CLAUSE_SPLIT.finditer(sentence)
    for m in cuts:
        out.append((prev, m.start()))
        prev = m.end()
    out.append((prev, len(sentence)))
    return out


def _clause_signals(sentence: str, lo: int, hi: int) -> tuple[int, ...]:
    """Cue counts of one clause, read off the sentence's single pass (matches lying inside the clause)."""
    spans = _spans(sentence)
    if spans is None:
        return signals(sentence[lo:hi])
    if lo == 0 and hi == len(sentence):  # the whole sentence is one clause
        return tuple(map(len, spans))
    return tuple(sum(1 for s, e in found if lo <= s and e <= hi) if found else 0 for found in spans)


_META, _VENDOR, _WANT, _TEAM_OF, _PROCESS = range(5, 10)


def _obs_comp(text: str, sig: tuple[int, ...] | None = None) -> tuple[int, int, int, int]:
    os_, ow, cs, cw, month = (sig or signals(text))[:5]
    return 2 * os_ + ow, os_, 2 * cs + cw + min(month, 1), cs


def is_situation(text: str, sig: tuple[int, ...] | None = None) -> bool:
    """A description of how the customer's business or set-up is today (sizes, tools, how work is done)."""
    if text.rstrip().endswith("?") or _QUESTION_TO_YOU.match(text):
        return False
    sig = sig or signals(text)
    if sig[_TEAM_OF]:
        return True
    if sig[_PROCESS]:
        return bool(cues.QUANTITY.search(text) or cues.SIT_STRONG.search(text))
    # the quantity first: its search is the cheaper one, and most clauses have none
    return bool(cues.QUANTITY.search(text)) and bool(cues.SIT_STRONG.search(text))


def is_goal(text: str) -> bool:
    """The customer wanting an outcome ('you'd like to cut ...', 'the goal is ...')."""
    if signals(text)[_VENDOR] or _rep_voice(text):
        return False
    return bool(signals(text)[_WANT] or (_GOAL_PHRASE_GATE.possible(text) and cues.GOAL_PHRASE.search(text)))


def clause_labels(sentence: str, settled: frozenset[str] = frozenset()) -> set[str]:
    """Elements stated in an unheaded sentence, judged clause by clause (goals and situation are not
    looked for when they are in settled: the caller already has them and needs no more evidence)."""
    labels: set[str] = set()
    if _LEAD_IN_GATE.possible(sentence):
        sentence = cues.REP_LEAD_IN.sub("", sentence)
    if _rep_voice(sentence):
        return labels
    if "goals" not in settled and is_goal(sentence):
        labels.add("goals")
    want_situation = "situation" not in settled
    spans = _spans(sentence)
    # A clause's cues are among the sentence's: with no obstacle or complication cue in the sentence, its
    # clauses can only add the situation (the original text's case folding aside, which judges each clause).
    judge_clauses = want_situation or spans is None or any(spans[:5])
    for lo, hi in _clauses(sentence) if judge_clauses else []:
        clause = sentence[lo:hi]
        if not clause or _rep_voice(clause):
            continue
        sig = _clause_signals(sentence, lo, hi)
        obs, obs_s, comp, comp_s = _obs_comp(clause, sig)
        if (comp_s or comp >= 2) and comp >= obs:
            labels.add("complications")
        elif obs_s or obs >= 2:
            labels.add("obstacles")
        elif want_situation and not comp and not sig[_WANT] and is_situation(clause, sig):
            labels.add("situation")
    if "obstacles" not in labels and "complications" not in labels:
        obs, _, comp, _ = _obs_comp(sentence)  # weak cues spread over clauses still add up
        if obs >= 3 and comp == 0 and not _rep_voice(sentence):
            labels.add("obstacles")
    return labels


def headed_labels(unit: Unit, found: frozenset[str] = frozenset()) -> set[str]:
    """Elements a unit under an element heading supports; content can overrule a misleading heading.

    Judgements that could only add an element already in found are skipped (they change nothing).
    """
    text, kind = unit.text, unit.section
    if kind in found and (kind != "obstacles" or "complications" in found):
        return set()
    if cues.PLACEHOLDER.match(text) or not _TWO_WORDS.search(text):
        return set()
    if kind == "complications":
        return {"complications"}
    if kind == "goals":
        if signals(text)[_VENDOR] or (_rep_voice(text) and not is_goal(text)):
            return set()
        return {"goals"}
    if kind == "obstacles":
        obs, _, comp, comp_s = _obs_comp(text)
        if comp_s and comp > obs:
            return {"complications"}
        return {"obstacles"} if not _rep_voice(text) else set()
    if kind == "situation":
        if _rep_voice(text) and not is_situation(text):
            return set()
        return {"situation"}
    return set()


_GOALS_AND_SITUATION: Final = frozenset(("goals", "situation"))


def unit_labels(unit: Unit, found: frozenset[str] = frozenset()) -> set[str]:
    """All required elements one unit supports; found names elements the memo already has evidence for
    (only their presence matters then, so a few of them need not be judged again)."""
    if unit.section == "rep_goals":
        return set()
    if unit.section in _REQUIRED_KINDS:
        return headed_labels(unit, found)
    text = unit.text
    if cues.PLACEHOLDER.match(text):
        return set()
    meta = signals(text)[_META]
    if unit.section == "next_step":
        settled = _GOALS_AND_SITUATION  # dropped below whatever they are
    else:
        settled = frozenset() if meta else found & _GOALS_AND_SITUATION  # meta needs to know them
    labels = clause_labels(text, settled)
    if unit.section == "next_step":
        labels &= {"complications"} if signals(text)[2] else set()
    if meta and not labels & _GOALS_AND_SITUATION:
        _, obs_s, _, comp_s = _obs_comp(text)
        if obs_s < 1 and comp_s < 1:
            return set()
    return labels


def find_elements(units: list[Unit]) -> dict[str, list[Unit]]:
    """Units supporting each required element, in memo order, read until every element has one.

    Presence and evidence (the first supporting unit) are settled once an element is found, so later
    units are not judged for it where that costs time, and not judged at all once all four are found.
    """
    found: dict[str, list[Unit]] = {k: [] for k in _REQUIRED_KINDS}
    _SEEN.clear()
    _SPANS.clear()
    _REP_SEEN.clear()
    missing = len(found)
    have: frozenset[str] = frozenset()
    for unit in units:
        for label in unit_labels(unit, have):
            if not found[label]:
                missing -= 1
                have |= {label}
            found[label].append(unit)
        if not missing:
            break
    return found


def heading_state(units: list[Unit]) -> dict[str, str]:
    """Per element: 'filled', 'placeholder' (heading with no substance) or absent, for hints."""
    state: dict[str, str] = {}
    for unit in units:
        if unit.section in _REQUIRED_KINDS or unit.section == "next_step":
            empty = bool(cues.PLACEHOLDER.match(unit.text))
            if state.get(unit.section) != "filled":
                state[unit.section] = "placeholder" if empty else "filled"
    return state
