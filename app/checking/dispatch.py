"""First-character dispatch for big alternations (the same matches, found with far fewer comparisons).

A big alternation makes Python's regex engine try every phrase at every word start. Regrouped by the
first character a phrase can start with (`c(?:rest|rest)` per character), the engine rejects all but
one group with a single character comparison each. Phrases keep their order within a group, and
phrases in different groups cannot match at the same position, so the first match at each position
(and so every search, findall and finditer result) is unchanged.
"""

from __future__ import annotations

import re
from re import _compiler, _parser  # type: ignore[attr-defined]
from re import _constants as sre  # type: ignore[attr-defined]
from typing import Final

_EXPAND_LIMIT: Final = 800


def _variants(items: list) -> list[tuple[bool, int, list]] | None:
    """(word boundary before, first character, remaining items) for every way the sequence can start."""
    boundary = False
    while items and items[0][0] is sre.AT:
        if items[0][1] is not sre.AT_BOUNDARY or boundary:
            return None
        boundary, items = True, items[1:]
    if not items:
        return None
    op, av = items[0]
    rest = list(items[1:])
    if op is sre.LITERAL:
        out = [(boundary, av, rest)]
    elif op is sre.IN and all(kind is sre.LITERAL for kind, _ in av):
        out = [(boundary, v, rest) for _, v in av]
    elif op is sre.SUBPATTERN and av[0] is None and not av[1] and not av[2]:
        return _variants([*([(sre.AT, sre.AT_BOUNDARY)] if boundary else []), *av[3].data, *rest])
    elif op is sre.BRANCH:
        out = []
        for alt in av[1]:
            lead = [(sre.AT, sre.AT_BOUNDARY)] if boundary else []
            part = _variants([*lead, *alt.data, *rest])
            if part is None or len(out) + len(part) > _EXPAND_LIMIT:
                return None
            out += part
    elif op is sre.MAX_REPEAT and av[0] == 0 and av[1] == 1:
        lead = [(sre.AT, sre.AT_BOUNDARY)] if boundary else []
        once, none = _variants([*lead, *av[2].data, *rest]), _variants([*lead, *rest])
        if once is None or none is None:
            return None
        out = once + none
    else:
        return None
    if any(b and not _is_word_char(chr(ch)) for b, ch, _ in out):
        return None  # a boundary before a non-word character means something else
    return out


def dispatched(rx: re.Pattern[str]) -> re.Pattern[str]:
    """rx regrouped by first character (same matches); rx itself when it cannot be regrouped."""
    try:
        parsed = _parser.parse(rx.pattern, rx.flags)
    except re.error:
        return rx
    if rx.flags & re.I:
        return rx  # case-insensitive literals would need every case of the first character
    variants = _variants(list(parsed.data))
    if variants is None:
        return rx
    state = parsed.state
    after_word = _parser.parse(r"(?<!\w.)", 0).data[0]

    def sub(data: list) -> _parser.SubPattern:
        pattern = _parser.SubPattern(state)
        pattern.data = data
        return pattern

    hoist = all(boundary for boundary, _, _ in variants)  # one \b in front instead of a check per phrase
    groups: dict[int, list[list]] = {}
    for boundary, ch, rest in variants:
        groups.setdefault(ch, []).append(([after_word] if boundary and not hoist else []) + rest)
    alts = []
    for ch, rests in groups.items():
        tail = [(sre.BRANCH, (None, [sub(r) for r in rests]))] if len(rests) > 1 else rests[0]
        alts.append(sub([(sre.LITERAL, ch), *tail]))
    top = sub(
        ([(sre.AT, sre.AT_BOUNDARY)] if hoist else [])
        + ([(sre.BRANCH, (None, alts))] if len(alts) > 1 else alts[0].data)
    )
    try:
        return _compiler.compile(top, rx.flags)
    except (re.error, RecursionError):
        return rx


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
