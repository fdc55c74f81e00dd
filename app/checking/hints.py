"""Prompts for the rep: a short question to ask the customer, in the memo's own words where possible."""

from __future__ import annotations

import re
from typing import Final

from app.checking import cues

_CUT_AT: Final = re.compile(r"(?:,|;|:|\s[–—-]\s|\s(?:so|because|which|while|and i|and we)\s|\s\()", re.I)
_WANT_TO: Final = re.compile(
    r"\b(?:want(?:s|ed)?|would like|'d like|’d like|hope|hoping|aim(?:s|ing)?|plan(?:s|ning)?|need(?:s)?|"
    r"looking|trying|intend|goal is|objective is|target is)\s+to\s+(.+)",
    re.I,
)
_DOUBLE: Final = (
    "get", "cut", "put", "set", "run", "stop", "plan", "hit", "let", "ship", "win", "shop", "drop",
)  # fmt: skip
_KEEP_E: Final = ("be", "see", "free", "agree", "guarantee")


def _gerund(verb: str) -> str:
    v = verb.lower()
    if v in _DOUBLE:
        return v + v[-1] + "ing"
    if v.endswith("ie"):
        return v[:-2] + "ying"
    if v.endswith("e") and v not in _KEEP_E:
        return v[:-1] + "ing"
    return v + "ing"


def _short(text: str, words: int = 12) -> str:
    text = _CUT_AT.split(text.strip(), maxsplit=1)[0]
    parts = text.split()
    text = " ".join(parts[:words])
    return text.rstrip(" .,;:!?")


def goal_phrase(goal: str) -> str:
    """'Get MTTR under 45 minutes' -> 'getting MTTR under 45 minutes'; falls back to the noun phrase."""
    text = re.sub(r"^\W*(?:to recap:?\s*)?", "", goal, flags=re.I)
    m = _WANT_TO.search(text)
    if m:
        text = m.group(1)
    text = _short(text)
    first, _, rest = text.partition(" ")
    if cues.GOAL_VERB_START.match(first):
        return (_gerund(first) + " " + rest).strip()
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _you(text: str) -> str:
    """Turn a memo sentence about the customer into words the rep can say to them."""
    return re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.I)


def hint_for(element: str, evidence: dict[str, str | None], action: str | None = None) -> str:
    """A specific question for a missing element, built from the evidence the memo does have."""
    goals, obstacles = evidence.get("goals"), evidence.get("obstacles")
    goal = goal_phrase(goals) if goals else None
    obstacle = _short(_you(obstacles), 10) if obstacles else None
    if element == "obstacles":
        if goal:
            return f"What stands between you and {goal}?"
        return "What is getting in the way today: what breaks, what's slow, what can't be done?"
    if element == "goals":
        if obstacle:
            return f'If "{obstacle}" were solved, what result would you want to see, and by when?'
        return "What would success look like a year from now, and which number would show it?"
    if element == "situation":
        if goal:
            return f"Before {goal}: how does this work today, who does it, with which tools and what volumes?"
        return "How does this work today: how many people, which tools, and what volumes or numbers?"
    if element == "complications":
        subject = goal or "this"
        return (
            f"Who else has a say in {subject}, and which deadlines, budget cycles or contracts could "
            "affect the timing?"
        )
    if action:
        return f"By when will you {action}?"
    return "What will you do next, and by when? (Agree one dated action for the customer, not only for us.)"
