"""Cheap pre-checks for the cue patterns: skip a regex scan when its match is impossible.

Python's regex engine tries every alternative of a big alternation at every position of the text, so
a scan costs the same whether or not the text could match. Each pattern here is analysed once, at
import, for the literal strings that any match must contain (for example, one of "frustrat",
"fed up" or "unhappy"); when the lower-cased text holds none of them the scan cannot succeed and is
skipped. The pre-check only ever skips scans that would find nothing, so results are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any, Final

from app.checking.dispatch import dispatched

_CAP: Final = 256  # largest set of alternative strings tracked for one part of a pattern
# Characters whose lower-case form differs from the one the regex engine folds to under re.I (or that
# fold to an ASCII letter): a text holding one is always scanned, never pre-checked.
_ODD: Final = re.compile("[\u0130\u0131\u017f\u03a3\u212a]")

Strings = frozenset[str]


def _product(a: Strings, b: Strings) -> Strings | None:
    if len(a) * len(b) > _CAP:
        return None
    return frozenset(x + y for x in a for y in b)


def _char(code: int) -> str | None:
    ch = chr(code).lower()
    return ch if ch.isascii() and len(ch) == 1 else None


def _exact(items: list) -> Strings | None:
    """Every string a sequence can match, when that is a small finite set (lower-cased); else None."""
    out: Strings = frozenset([""])
    for op, av in items:
        part = _exact_one(op, av)
        if part is None:
            return None
        joined = _product(out, part)
        if joined is None:
            return None
        out = joined
    return out


def _exact_one(op, av) -> Strings | None:
    if op is sre.LITERAL:
        ch = _char(av)
        return frozenset([ch]) if ch else None
    if op is sre.AT or op is sre.ASSERT or op is sre.ASSERT_NOT:
        return frozenset([""])  # zero-width: adds no text to the match
    if op is sre.IN:
        chars = set()
        for kind, value in av:
            ch = _char(value) if kind is sre.LITERAL else None
            if ch is None:
                return None
            chars.add(ch)
        return frozenset(chars)
    if op is sre.SUBPATTERN:
        return _exact(av[3].data)
    if op is sre.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            part = _exact(alt.data)
            if part is None:
                return None
            out |= part
            if len(out) > _CAP:
                return None
        return frozenset(out)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, body = av
        if low == 0 and high == 1:
            inner = _exact(body.data)
            return None if inner is None else inner | {""}
    return None


# rough chance a literal of that length is in a memo
_HIT: Final = (1.0, 1.0, 0.9, 0.6, 0.3, 0.12, 0.06, 0.03)


def _score(strings: Strings) -> float:
    # expected cost: one substring search per string, plus a regex scan when any of them is present
    hit = sum(_HIT[len(s)] if len(s) < len(_HIT) else 0.01 for s in strings)
    return -(0.03 * len(strings) + min(hit, 1.0))


def _windows(parts: list[Strings]) -> Strings | None:
    """The best-scoring product of consecutive parts (each part: the strings one item can match)."""
    best: Strings | None = None
    for i in range(len(parts)):
        cur: Strings = frozenset([""])
        for part in parts[i:]:
            joined = _product(cur, part)
            if joined is None:
                break
            cur = joined
            if min(len(s) for s in cur) >= 2 and (best is None or _score(cur) > _score(best)):
                best = cur
            if min(len(s) for s in cur) >= len(_HIT):
                break
    return best


def _required(items: list) -> Strings | None:
    """Strings one of which every match of the sequence contains; None when nothing is certain."""
    best: Strings | None = None
    stretch: list[Strings] = []

    def consider(cand: Strings | None) -> None:
        nonlocal best
        if cand and min(len(s) for s in cand) >= 2 and (best is None or _score(cand) > _score(best)):
            best = cand

    for op, av in items:
        part = _exact_one(op, av)
        consider(_required_one(op, av))  # one item alone can be a better check than the whole run
        if part is not None:
            stretch.append(part)
            continue
        consider(_windows(stretch))
        stretch = []
    consider(_windows(stretch))
    return best


def _required_one(op, av) -> Strings | None:
    if op is sre.SUBPATTERN:
        return _required(av[3].data)
    if op is sre.ATOMIC_GROUP:
        return _required(av.data)
    if op is sre.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            part = _required(alt.data)
            if part is None:
                return None
            out |= part
        return frozenset(out)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _required(av[2].data)
    return None


def required_literals(rx: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case strings one of which any match of rx must contain, or None when there is no such set."""
    found = _required(_parser.parse(rx.pattern, rx.flags).data)
    if not found:
        return None
    # a string that contains a shorter one adds nothing to the check
    kept = sorted(found, key=len)
    minimal = [s for i, s in enumerate(kept) if not any(t in s for t in kept[:i])]
    return tuple(minimal)


class Gated:
    """A compiled pattern with a literal pre-check; the methods mirror re.Pattern's."""

    __slots__ = ("literals", "rx")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.literals = required_literals(rx)
        self.rx = dispatched(rx)

    def possible(self, text: str, low: str | None = None) -> bool:
        """False only when no match can exist; low is text.lower() when the caller already has it."""
        lits = self.literals
        if lits is None:
            return True
        if low is None:
            low = text.lower()
        if not text.isascii() and _ODD.search(text):
            return True
        for lit in lits:  # noqa: SIM110 - a plain loop is faster than any() over a generator
            if lit in low:
                return True
        return False

    def search(self, text: str, low: str | None = None) -> re.Match[str] | None:
        """rx.search(text), skipped when it cannot match."""
        return self.rx.search(text) if self.possible(text, low) else None

    def match(self, text: str, low: str | None = None) -> re.Match[str] | None:
        """rx.match(text), skipped when it cannot match."""
        return self.rx.match(text) if self.possible(text, low) else None

    def findall(self, text: str, low: str | None = None) -> list:
        """rx.findall(text), skipped when it cannot match."""
        return self.rx.findall(text) if self.possible(text, low) else []

    def finditer(self, text: str, low: str | None = None):
        """rx.finditer(text), skipped when it cannot match."""
        return self.rx.finditer(text) if self.possible(text, low) else iter(())

    def sub(self, repl: str, text: str, low: str | None = None) -> str:
        """rx.sub(repl, text), skipped when it cannot match."""
        return self.rx.sub(repl, text) if self.possible(text, low) else text


# --- case-insensitive patterns run on lower-cased text ----------------------------------------------------


def _caseless(items: list) -> bool:
    """True when the parsed pattern has no upper-case literal, no range and no cased non-ASCII letter, so
    matching it with re.I equals matching it without re.I on lower-cased text."""
    for op, av in items:
        if op is sre.LITERAL or op is sre.NOT_LITERAL:
            if not _plain(av):
                return False
        elif op is sre.IN:
            for kind, value in av:
                if kind is sre.RANGE:
                    low, high = value
                    if not (_plain(low) and _plain(high) and (high < 65 or low > 90) and high < 128):
                        return False
                elif kind is sre.LITERAL and not _plain(value):
                    return False
        elif op is sre.SUBPATTERN:
            if av[2] & re.I or not _caseless(av[3].data):
                return False
        elif op is sre.BRANCH:
            if not all(_caseless(alt.data) for alt in av[1]):
                return False
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            if not _caseless(av[2].data):
                return False
        elif op is sre.ASSERT or op is sre.ASSERT_NOT:
            if not _caseless(av[1].data):
                return False
        elif op is sre.ATOMIC_GROUP:
            if not _caseless(av.data):
                return False
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS, sre.GROUPREF_IGNORE):
            return False
    return True


def _plain(code: int) -> bool:
    ch = chr(code)
    if ch.isascii():
        return not ch.isupper()
    return not ch.isalpha() and ch.lower() == ch and ch.upper() == ch


class Lowered:
    """A re.I pattern run without re.I on the lower-cased text (several times faster in Python's engine).

    Only for callers that use the result as a truth value or for positions: a match's groups hold the
    lower-cased text. Texts with a character whose case folding differs under re.I use the original.
    The methods mirror re.Pattern's (findall gives lower-cased strings).
    """

    __slots__ = ("fast", "findall", "finditer", "match", "rx", "search")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx = rx
        caseless = rx.flags & re.I and _caseless(_parser.parse(rx.pattern, rx.flags).data)
        self.fast = dispatched(re.compile(rx.pattern, rx.flags & ~re.I)) if caseless else None
        fast = self.fast
        # each method is one closure (no method and helper calls on a hot path); the plain pattern's own
        # methods when the pattern cannot run lower-cased
        self.match = rx.match if fast is None else _lowered(fast.match, rx.match)
        self.search = rx.search if fast is None else _lowered(fast.search, rx.search)
        self.findall = rx.findall if fast is None else _lowered(fast.findall, rx.findall)
        self.finditer = rx.finditer if fast is None else _lowered(fast.finditer, rx.finditer)


def _lowered(fast: Callable[[str], Any], plain: Callable[[str], Any]) -> Callable[[str], Any]:
    """fast on the lower-cased text, or plain on the text itself when case folding differs there."""
    odd = _ODD.search

    def call(text: str) -> Any:
        if text.isascii() or odd(text) is None:
            return fast(text.lower())
        return plain(text)

    return call
