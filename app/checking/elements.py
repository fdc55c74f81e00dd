"""Decide, unit by unit, which of the four required elements a memo states."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.checking import cues
from app.checking.fastre import _ODD
from app.checking.segment import Unit

_CLAUSE_SPLIT = re.compile(
    r",?\s+(?:and|but|so|while|because|although|though|whereas|which means)\s+(?=\S)|;\s+|:\s+|\s[–—]\s",
    re.I,
)
_REQUIRED_KINDS = ("situation", "goals", "obstacles", "complications")


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


def signals(text: str) -> tuple[int, ...]:
    """Match counts of every cue lexicon (cues.SIGNAL_NAMES order) in one pass over the text's words."""
    seen = _SEEN.get(text)
    if seen is None:
        if len(_SEEN) > 4096:  # callers outside find_elements() never clear it
            _SEEN.clear()
        low = text.lower()
        seen = tuple(map(len, cues.SIGNALS.scan(low)))
        if not text.isascii() and _ODD.search(text):  # case folding differs: judge the original
            seen = seen[:5] + tuple(
                int(rx.search(text) is not None)
                for rx in (cues.META, cues.VENDOR_OUTCOME, cues.GOAL_WANT, cues.SIT_TEAM_OF, cues.SIT_PROCESS)
            )
        _SEEN[text] = seen
    return seen


_META, _VENDOR, _WANT, _TEAM_OF, _PROCESS = range(5, 10)


def _obs_comp(text: str) -> tuple[int, int, int, int]:
    os_, ow, cs, cw, month = signals(text)[:5]
    return 2 * os_ + ow, os_, 2 * cs + cw + min(month, 1), cs


def is_situation(text: str) -> bool:
    """A description of how the customer's business or set-up is today (sizes, tools, how work is done)."""
    if text.rstrip().endswith("?") or re.match(r"\W*(?:would|could|can|will|do|does|did) you\b", text, re.I):
        return False
    sig = signals(text)
    if sig[_TEAM_OF]:
        return True
    process = bool(sig[_PROCESS])
    if process and cues.QUANTITY.search(text):
        return True
    return bool(cues.SIT_STRONG.search(text)) and (process or bool(cues.QUANTITY.search(text)))


def is_goal(text: str) -> bool:
    """The customer wanting an outcome ('you'd like to cut ...', 'the goal is ...')."""
    if signals(text)[_VENDOR] or cues.REP_VOICE.match(text):
        return False
    return bool(signals(text)[_WANT] or cues.GOAL_PHRASE.search(text))


def clause_labels(sentence: str) -> set[str]:
    """Elements stated in an unheaded sentence, judged clause by clause."""
    labels: set[str] = set()
    sentence = cues.REP_LEAD_IN.sub("", sentence)
    if cues.REP_VOICE.match(sentence):
        return labels
    if is_goal(sentence):
        labels.add("goals")
    for clause in _CLAUSE_SPLIT.split(sentence):
        if not clause or cues.REP_VOICE.match(clause):
            continue
        obs, obs_s, comp, comp_s = _obs_comp(clause)
        if (comp_s or comp >= 2) and comp >= obs:
            labels.add("complications")
        elif obs_s or obs >= 2:
            labels.add("obstacles")
        elif not comp and is_situation(clause) and not signals(clause)[_WANT]:
            labels.add("situation")
    if "obstacles" not in labels and "complications" not in labels:
        obs, _, comp, _ = _obs_comp(sentence)  # weak cues spread over clauses still add up
        if obs >= 3 and comp == 0 and not cues.REP_VOICE.match(sentence):
            labels.add("obstacles")
    return labels


def headed_labels(unit: Unit) -> set[str]:
    """Elements a unit under an element heading supports; content can overrule a misleading heading."""
    text, kind = unit.text, unit.section
    if cues.PLACEHOLDER.match(text) or len(re.findall(r"\w+", text)) < 2:
        return set()
    obs, _, comp, comp_s = _obs_comp(text)
    if kind == "goals":
        if signals(text)[_VENDOR] or (cues.REP_VOICE.match(text) and not is_goal(text)):
            return set()
        return {"goals"}
    if kind == "obstacles":
        if comp_s and comp > obs:
            return {"complications"}
        return {"obstacles"} if not cues.REP_VOICE.match(text) else set()
    if kind == "complications":
        return {"complications"}
    if kind == "situation":
        if cues.REP_VOICE.match(text) and not is_situation(text):
            return set()
        return {"situation"}
    return set()


def unit_labels(unit: Unit) -> set[str]:
    """All required elements one unit supports."""
    if unit.section == "rep_goals":
        return set()
    if unit.section in _REQUIRED_KINDS:
        return headed_labels(unit)
    text = unit.text
    if cues.PLACEHOLDER.match(text):
        return set()
    labels = clause_labels(text)
    if unit.section == "next_step":
        labels &= {"complications"} if signals(text)[2] else set()
    if signals(text)[_META] and not labels & {"goals", "situation"}:
        _, obs_s, _, comp_s = _obs_comp(text)
        if obs_s < 1 and comp_s < 1:
            return set()
    return labels


def find_elements(units: list[Unit]) -> dict[str, list[Unit]]:
    """Units supporting each required element, in memo order."""
    found: dict[str, list[Unit]] = {k: [] for k in _REQUIRED_KINDS}
    _SEEN.clear()
    for unit in units:
        for label in unit_labels(unit):
            found[label].append(unit)
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
