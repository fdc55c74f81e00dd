"""Customer-focus warnings: a memo should be about the customer's world, not our product or prices."""

from __future__ import annotations

import re
from typing import Final

from app.checking.fastre import Gated, Lowered

# One scan for both voices: the words are whole and distinct, so no match of one hides one of the other.
_VOICES: Final = Lowered(
    re.compile(
        r"\b(?:we|we're|we've|we'll|our|ours|us|i|i'm|i've|i'll|my|"
        r"you|you're|you've|you'll|you'd|your|yours)\b",
        re.I,
    )
)
_CUSTOMER_WORDS: Final = frozenset(("you", "you're", "you've", "you'll", "you'd", "your", "yours"))
_PRICING_RX: Final = re.compile(
    r"\b(?:discount\w*|\d+\s?% off|percent off|special offer|promo(?:tion)?\w*|list price|"
    r"per (?:user|seat|month) per (?:month|year)|free (?:onboarding|trial|months?|setup|training)|"
    r"limited[- ]time|price (?:lock|increase|break)|pricing tiers?|our (?:pricing|prices|price|tiers?|"
    r"plans? start)|(?:starts?|starting) at \$)",
    re.I,
)
_PRICING_GATE: Final = Gated(_PRICING_RX)
# case folded once, not by the engine: the matches are lower-cased anyway
_PRICING: Final = Lowered(_PRICING_RX)


def focus_warnings(text: str) -> tuple[str, ...]:
    """Reasons the memo reads as a pitch rather than an understanding of the customer."""
    warnings: list[str] = []
    voices = _VOICES.findall(text)
    customer = sum(1 for word in voices if word.lower() in _CUSTOMER_WORDS)
    rep = len(voices) - customer
    if rep >= 6 and rep > 1.5 * max(customer, 1):
        warnings.append(
            f"Customer focus: the memo says we/our/I {rep} times and you/your only {customer} times; "
            "play back the customer's world rather than ours."
        )
    pricing = []
    if _PRICING_GATE.possible(text):
        pricing = sorted({m.group(0).lower() for m in _PRICING.finditer(text)})
    if pricing:
        warnings.append(
            "Customer focus: the memo pitches pricing or discounts ("
            + ", ".join(pricing[:3])
            + "); keep the MOU about the customer's situation and save terms for the proposal."
        )
    return tuple(warnings)
