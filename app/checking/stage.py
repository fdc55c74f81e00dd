"""Infer the customer's buying-process stage when the memo makes it clear."""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Final

import ahocorasick

from app.checking.dispatch import dispatched
from app.checking.fastre import _CAP, _exact_one
from app.checking.lexicon import _fragments

_I: Final = re.I
_YOU: Final = (
    r"(?:you(?:'re|’re| are| were| have| 've|'ve|’ve)?|your (?:team|board|company)|the (?:team|board))"
)

# Later stages win: a customer comparing vendors has necessarily passed through discontent.
_STAGE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "satisfaction",
        re.compile(
            r"\b(?:happy|pleased|satisfied) with (?:the )?(?:results?|how|the (?:rollout|platform|product|"
            r"service))|"
            r"since (?:the )?(?:rollout|go-?live|launch|implementation)|one-year (?:review|mark)|"
            r"(?:been|have been|has been) (?:on|using) \w+ for (?:\d+|\w+) (?:months|years)|"
            r"has used (?:our|the) \w+(?: \w+)? for|your (?:first|second) year (?:with|on) us|"
            r"(?:doesn't|don't) want to go back",
        ),
    ),
    (
        "expectations",
        re.compile(
            r"\b(?:agreement|contract|order|deal|purchase) (?:was |is |got |getting )?signed|"
            r"(?:on |congratulations on )?(?:signing|getting the \w+ agreement signed)|kick-?off|"
            r"(?:expect|achieve|deliver)\w* (?:from|in|within) the first (?:30|60|90|\w+) days|"
            r"implementation (?:team|starts|kick)|before implementation|"
            r"onboarding plan|what you expect (?:from|in)|go-?live plan",
        ),
    ),
    (
        "commitment",
        re.compile(
            r"\b(?:make|making|reach) (?:a|the|your) (?:final )?decision (?:this|by|before|within|"
            r"in the next)|"
            r"decide (?:this|by the end of this) (?:week|month)|finali[sz]e the (?:proposal|contract|order)|"
            r"(?:signed|sign the|return the signed) (?:order form|agreement|contract)|order form|"
            r"(?:board|cfo|committee) (?:has )?approved the (?:capex|budget|purchase|spend)|"
            r"ready to (?:move forward|sign|go ahead|proceed)|selected (?:us|your vendor)|chose us|"
            r"(?:budget|funding) (?:is|has been|was) approved|approved the budget",
        ),
    ),
    (
        "fear",
        re.compile(
            r"\b" + _YOU + r"\b[^.]{0,40}\b(?:worried|nervous|afraid|anxious|scared|fear(?:ful)?|"
            r"concerned about (?:the )?(?:risk|failing|repeating|another)|uneasy)\b|"
            r"\b(?:fail(?:ed)? twice|another (?:failed|painful|botched)|repeat(?:ing)? (?:the|that|a) "
            r"(?:failure|mistake|experience|rollout)|burned before|got burned)",
        ),
    ),
    (
        "comparison",
        re.compile(
            r"\b(?:evaluating|comparing|assessing|considering|shortlist\w*|looking at|talking to) "
            r"(?:us|\w+)?\s*(?:alongside|against|with|and)? ?(?:two|three|four|several|a few|other|another) "
            r"(?:other )?(?:[\w-]+ ){0,2}(?:vendors?|platforms?|providers?|solutions?|tools?|options|"
            r"suppliers?|systems)|"
            r"\b(?:comparing|evaluating) (?:three|two|four|several) |vendor (?:shortlist|comparison|"
            r"evaluation)|"
            r"\bshortlist decision|\bformal (?:rfp|evaluation) (?:is )?(?:under ?way|running|in progress)|"
            r"\bbake-?off|\bhead-to-head",
        ),
    ),
    (
        "research",
        re.compile(
            r"\b(?:research(?:ing)? (?:stage|phase|approaches|options)|(?:still|are|you're|"
            r"you are) researching|"
            r"early (?:in|stage|days)|exploring|begun exploring|started (?:looking|exploring|researching)|"
            r"read up on|(?:haven't|have not|hasn't) (?:had|seen) any demos|no demos yet|introductory calls?|"
            r"want(?:ed)? to understand (?:what|how)|looking at what(?:'s| is) possible|"
            r"what (?:approaches|options) exist|before deciding whether)",
        ),
    ),
    (
        "discontent",
        re.compile(
            r"\b(?:frustrat\w+|fed up|unhappy|not happy|dissatisf\w+|tired of|sick of|outgrown|"
            r"had enough|can't keep (?:going|doing)|fed-up|annoyed)\b",
        ),
    ),
    (
        "change",
        re.compile(
            r"\b(?:merged with|merger|since \w+(?: \w+)? acquired (?:the business|you|the company)|"
            r"was acquired|"
            r"(?:were|was|been) acquired by|through acquisitions|private equity|new (?:owner|ownership|ceo|"
            r"regulation|legislation|law|mandate|requirement)|legislature passed|passed (?:a |"
            r"the )?(?:law|bill|"
            r"hb|sb)|announced that|(?:now|newly) require|regulation (?:takes|comes) (?:effect|into force)|"
            r"has grown from|doubled in size|opened (?:\d+|\w+) new)\b",
        ),
    ),
)


def _prefixes(items: list) -> frozenset[str] | None:
    """Non-empty strings one of which every match of the parsed sequence starts with (None: unknown)."""
    out = frozenset([""])
    for op, av in items:
        part = _exact_one(op, av)
        if part is None:
            part = _open_prefixes(op, av)
            if part is not None and len(out) * len(part) <= _CAP:
                out = frozenset(x + y for x in out for y in part)
            break  # the item's whole text is not known: nothing after it can be added
        if len(out) * len(part) > _CAP:
            break
        out = frozenset(x + y for x in out for y in part)
    return None if "" in out else out


def _open_prefixes(op, av) -> frozenset[str] | None:
    if op is sre.SUBPATTERN:
        return _prefixes(list(av[3].data))
    if op is sre.BRANCH:
        found: set[str] = set()
        for alt in av[1]:
            part = _prefixes(list(alt.data))
            if part is None:
                return None
            found |= part
        return frozenset(found)
    return None


# Each cue split into its phrases (their alternation is the cue), and the strings each phrase's matches
# start with. One Aho-Corasick pass over the memo finds every place a phrase can start; each cue is then
# tried only there, as one pattern of just the phrases found (the same matches as a scan of the whole cue:
# a phrase cannot match where none of its opening strings is).
_NAMES: Final = tuple(stage for stage, _ in _STAGE_CUES)
_FLAT: list[str] = []
_OWNER: list[int] = []  # phrase number -> cue number
for _cue, (_, _rx) in enumerate(_STAGE_CUES):
    for _phrase in _fragments(_rx.pattern):
        _FLAT.append(_phrase)
        _OWNER.append(_cue)
_STARTS: Final = ahocorasick.Automaton()
_by_start: dict[str, list[int]] = {}
for _n, _phrase in enumerate(_FLAT):
    _found = _prefixes(list(_parser.parse(_phrase, 0).data))
    if _found is None:
        raise ValueError(f"stage cue phrase without known opening strings: {_phrase}")
    for _start in _found:
        _by_start.setdefault(_start, []).append(_n)
for _start, _numbers in _by_start.items():
    if "\n" in _start:
        raise ValueError(f"stage cue opening spans lines: {_start!r}")
    _STARTS.add_word(_start, (len(_start), tuple(_numbers)))
_STARTS.make_automaton()
_BY_START: Final = {start: tuple(numbers) for start, numbers in _by_start.items()}
OPENINGS: Final = frozenset(_BY_START)  # every string a stage cue phrase can start with
_SEARCHES: dict[tuple[int, ...], re.Pattern[str]] = {}  # few distinct phrase sets: compile each once


def _pattern(chosen: tuple[int, ...]) -> re.Pattern[str]:
    """The alternation of the chosen phrases, in cue order."""
    rx = _SEARCHES.get(chosen)
    if rx is None:
        if len(_SEARCHES) > 4096:
            _SEARCHES.clear()
        rx = _SEARCHES[chosen] = dispatched(re.compile("|".join("(?:" + _FLAT[n] + ")" for n in chosen)))
    return rx


def _openings(text: str) -> list[tuple[set[int], set[int]]]:
    """Per cue: the phrases that can match in the text and the positions where one can start."""
    per_cue: list[tuple[set[int], set[int]]] = [(set(), set()) for _ in _STAGE_CUES]
    owner = _OWNER
    for end, (size, numbers) in _STARTS.iter(text):
        start = end - size + 1
        for n in numbers:
            phrases, starts = per_cue[owner[n]]
            phrases.add(n)
            starts.add(start)
    return per_cue


def _located(text: str, present: frozenset[str]) -> list[tuple[set[int], set[int]]]:
    """_openings(text) when present holds every opening the text can contain: each is looked up alone."""
    per_cue: list[tuple[set[int], set[int]]] = [(set(), set()) for _ in _STAGE_CUES]
    owner = _OWNER
    for opening in present:
        numbers = _BY_START[opening]
        start = text.find(opening)
        while start >= 0:  # every occurrence, overlapping ones too (as the automaton reports them)
            for n in numbers:
                phrases, starts = per_cue[owner[n]]
                phrases.add(n)
                starts.add(start)
            start = text.find(opening, start + 1)
    return per_cue


_VENDOR_SUBJECT: Final = re.compile(
    r"\b(?:vendor|supplier|provider|distributor|partner)\s+(?:is|was)\s+being acquired", _I
)


def infer_stage(text: str, present: frozenset[str] | None = None) -> str | None:
    """The latest buying stage the memo gives clear evidence of, or None. present: the OPENINGS that the
    lower-cased text can contain, when the caller knows them (clean_memo finds them in its own pass)."""
    text = text.lower()  # the cue patterns are lower-case and compiled without re.I, for speed
    found = _openings(text) if present is None else _located(text, present)
    for stage, (phrases, starts) in zip(_NAMES, found, strict=True):
        if not phrases:
            continue
        rx = _pattern(tuple(sorted(phrases)))
        end = 0
        for start in sorted(starts):  # rx.finditer(text), tried only where a phrase can start
            if start < end:
                continue
            m = rx.match(text, start)
            if m is None:
                continue
            if stage == "change" and _VENDOR_SUBJECT.search(text[max(0, m.start() - 60) : m.end() + 10]):
                end = max(m.end(), start + 1)
                continue
            return stage
    return None
