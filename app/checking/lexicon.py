"""Word-indexed cue lexicons: a text is split into words once, each word looks up the few cue phrases it
can start, and only those phrases are verified at that word.

A cue lexicon is written as one big alternation (`\\b(?:phrase|phrase|...)`). Python's regex engine
tries every alternative at every position of a text, so a scan costs the whole lexicon times the text
length. Here each alternative is filed, once at import, under the first letters of the word it must
start with ("challeng\\w*" under "cha", "can't" under "can"). Checking a text then costs one dictionary
look-up per word plus a match of the handful of phrases filed under that word, at that position only.
The answers are the same as the full pattern's: same matches, same order, same counts.

A lexicon whose phrases cannot all be filed by a leading word (a phrase starting with a digit class, a
"$" or without a word boundary) keeps using its plain pattern.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Final

from app.checking.fastre import _exact_one

_WORD: Final = re.compile(r"\w+")
# A trailing non-word run is taken whole by the second branch (with no backtracking into it), so a long
# run of punctuation costs one pass, not one pass per character.
_GAP_WORD: Final = re.compile(r"(\W*+)(\w+)|\W+\Z")
_KEY: Final = 3  # a phrase is filed under (up to) the first three letters of its first word
_CAP: Final = 256


# ASCII bytes with every non-word character (not a letter, digit or underscore) turned into a space.
_ASCII_WORD_BYTES: Final = bytes(
    c if chr(c).isascii() and (chr(c).isalnum() or c == 95) else 32 for c in range(256)
)


def _ascii_words(low: str) -> list[str]:
    """_WORD.findall(low) for an ASCII text, a few times faster (two C passes, no regex engine)."""
    return low.encode().translate(_ASCII_WORD_BYTES).decode().split()


def words(low: str) -> list[tuple[int, str]]:
    """(start, word) for every run of word characters of an already lower-cased text."""
    return [(m.start(), m.group()) for m in _WORD.finditer(low)]


def _split_top(pattern: str) -> list[str]:
    """The pattern's top-level alternatives (split at '|' outside groups and character classes)."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]" or (pattern[i - 1] == "[")
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _group_end(pattern: str, open_at: int) -> int:
    """Index of the ')' closing the group opened at open_at."""
    depth, i, in_class = 0, open_at, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] in ("^", "]"):
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _fragments(pattern: str) -> list[str]:
    """The pattern as an ordered list of single-phrase patterns whose alternation equals it."""
    out: list[str] = []
    for part in _split_top(pattern):
        if part.startswith(r"\b(?:"):
            end = _group_end(part, 2)
            inner, rest = part[5:end], part[end + 1 :]
            alts = _split_top(inner)
            if len(alts) > 1:
                out.extend(r"\b(?:" + alt + ")" + rest for alt in alts)
                continue
        out.append(part)
    return out


def _lead_strings(items: list) -> tuple[frozenset[str], bool] | None:
    """The literal strings a phrase's match must start with (after its leading word boundary), and
    whether a word boundary follows them while they are still one word."""
    if not items or items[0] != (sre.AT, sre.AT_BOUNDARY):
        return None  # without \\b a match could start inside a word
    out = frozenset([""])
    bounded = False
    for op, av in items[1:]:
        if op is sre.AT:
            if av is not sre.AT_BOUNDARY:
                break
            if all(_WORD.fullmatch(s) for s in out):
                bounded = True  # the first word ends here
            continue
        part = _exact_one(op, av)
        if part is None or len(out) * len(part) > _CAP:
            break
        out = frozenset(x + y for x in out for y in part)
        if all(_SECOND.match(s) for s in out):
            break  # each string holds its first word and the start of its second
    return out, bounded


_SECOND: Final = re.compile(r"\w+\W+\w")  # a first word, its separator and the next word's first letter
_AFTER_FIRST: Final = re.compile(r"\w+(\W+)(\w+)?")


def _keys(fragment: str, flags: int) -> set[tuple[bool, str, str | None]] | None:
    """(exact, key, second) triples: the first word equals key (exact) or starts with it, and the next
    word starts with second (None when that is not known); None when the phrase cannot be filed."""
    parsed = _parser.parse(fragment, flags & ~re.I).data
    items = list(parsed)
    if len(items) == 1 and items[0][0] is sre.SUBPATTERN:
        items = list(items[0][1][3].data)
    if items and items[0] == (sre.AT, sre.AT_BOUNDARY) and len(items) == 2 and items[1][0] is sre.SUBPATTERN:
        items = [items[0], *items[1][1][3].data]
    lead = _lead_strings(items)
    if not lead or not lead[0]:
        return None
    strings, bounded = lead
    keys = set()
    for s in strings:
        m = _WORD.match(s)
        if not m:
            return None
        word = m.group()
        after = _AFTER_FIRST.match(s)
        second = after.group(2) if after else None
        if after or bounded:
            keys.add((True, word, second))
        else:
            keys.add((False, word, None))  # the first word must start with word (filed under its start)
    return keys


class Lexicon:
    """A lower-case cue pattern, matched word by word; methods take the lower-cased text."""

    __slots__ = ("_by_frags", "_exact", "_frags", "_leads", "_prefix", "_seconds", "_subs", "index", "rx")

    def __init__(self, rx: re.Pattern[str]) -> None:
        if rx.flags & re.I:
            raise ValueError("a lexicon runs on lower-cased text: compile it without re.I")
        self.rx = rx
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._subs: dict[str, re.Pattern[str] | None] = {}
        self._by_frags: dict[tuple[int, ...], re.Pattern[str]] = {}  # few distinct phrase sets: compile once
        self._seconds: dict[tuple[bool, str, int], set[str | None]] = {}
        self._leads: dict[tuple[str, int], list[str]] = {}  # (key, phrase) -> how a word filed there starts
        self._frags = _fragments(rx.pattern)
        self.index = self._build()

    def _build(self) -> bool | None:
        for n, frag in enumerate(self._frags):
            try:
                keys = _keys(frag, self.rx.flags)
            except re.error:
                return None
            if keys is None:
                return None
            for exact, lead, second in keys:
                key = lead if exact else lead[:_KEY]
                bucket = (self._exact if exact else self._prefix).setdefault(key, [])
                if n not in bucket:
                    bucket.append(n)
                self._seconds.setdefault((exact, key, n), set()).add(second)
                if not exact:
                    self._leads.setdefault((key, n), []).append(lead)
        return True

    def _prefixed(self, word: str) -> list[int]:
        """The phrases filed under the word's start whose first word the word can be: a phrase whose
        match starts with "challeng" cannot start at "chart" (the word ends before the phrase could)."""
        out = []
        for k in range(1, _KEY + 1):
            key = word[:k]
            for n in self._prefix.get(key, ()):
                if any(word.startswith(lead) for lead in self._leads[(key, n)]):
                    out.append(n)
        return out

    def seconds(self, word: str) -> tuple[str, ...] | None:
        """How the word after this one must start for any phrase to match here (None: anything)."""
        if self._prefixed(word):
            return None  # a phrase filed by its start says nothing of the next word
        out: set[str] = set()
        for n in self._exact.get(word, ()):
            found = self._seconds[(True, word, n)]
            if None in found:
                return None
            out |= found  # type: ignore[arg-type]
        return tuple(sorted(out))

    def _at(self, word: str) -> re.Pattern[str] | None:
        """The phrases that can start at this word, as one pattern (None when there are none)."""
        subs = self._subs
        if word in subs:
            return subs[word]
        chosen = set(self._exact.get(word, ()))
        chosen.update(self._prefixed(word))
        sub = None
        if chosen:
            key = tuple(sorted(chosen))
            sub = self._by_frags.get(key)
            if sub is None:
                frags = [self._frags[n] for n in key]
                sub = self._by_frags[key] = re.compile(
                    "|".join("(?:" + f + ")" for f in frags), self.rx.flags
                )
        if len(subs) > 100_000:
            subs.clear()
        subs[word] = sub
        return sub

    def finditer(self, low: str, toks: list[tuple[int, str]] | None = None):
        """The matches of the pattern in low, as rx.finditer would give them."""
        if self.index is None:
            yield from self.rx.finditer(low)
            return
        end = 0
        for pos, word in toks if toks is not None else words(low):
            if pos < end:
                continue
            sub = self._at(word)
            if sub is not None:
                m = sub.match(low, pos)
                if m:
                    end = m.end()
                    yield m

    def count(self, low: str, toks: list[tuple[int, str]] | None = None) -> int:
        """len(rx.findall(low))."""
        if self.index is None:
            return len(self.rx.findall(low))
        n = end = 0
        at = self._at
        for pos, word in toks if toks is not None else words(low):
            if pos < end:
                continue
            sub = at(word)
            if sub is not None:
                m = sub.match(low, pos)
                if m:
                    end = m.end()
                    n += 1
        return n

    def search(self, low: str, toks: list[tuple[int, str]] | None = None) -> re.Match[str] | None:
        """rx.search(low)."""
        if self.index is None:
            return self.rx.search(low)
        at = self._at
        for pos, word in toks if toks is not None else words(low):
            sub = at(word)
            if sub is not None:
                m = sub.match(low, pos)
                if m:
                    return m
        return None


Entry = tuple[int, re.Pattern[str], tuple[str, ...] | None]  # lexicon, its phrases here, next word's start
# What a word can start: how the next word must start for any of its entries to match (None: anything), and
# the entries (none for most words).
Starts = tuple[tuple[str, ...] | None, tuple[Entry, ...]]
_NOTHING: Final[Starts] = (None, ())


class LexiconSet:
    """Several lexicons matched together in one pass over a text's words."""

    __slots__ = ("_cache", "_lexicons", "names")

    def __init__(self, lexicons: dict[str, Lexicon]) -> None:
        for name, lex in lexicons.items():
            if lex.index is None:
                raise ValueError(f"lexicon {name} cannot be indexed by its first word")
        self.names = tuple(lexicons)
        self._lexicons = tuple(lexicons.values())
        self._cache: dict[str, Starts] = {}  # word -> what it can start

    def _entries(self, word: str) -> Starts:
        """What the word can start, as cached."""
        found = self._cache.get(word)
        if found is None:
            if len(self._cache) > 100_000:  # the vocabulary of a long-running process is bounded here
                self._cache.clear()
            entries: tuple[Entry, ...] = tuple(
                (n, sub, lex.seconds(word))
                for n, lex in enumerate(self._lexicons)
                if (sub := lex._at(word)) is not None
            )
            found = (_needs(entries), entries) if entries else _NOTHING
            self._cache[word] = found
        return found

    def scan(self, low: str) -> list[list[tuple[int, int]]]:
        """Per lexicon (in order), the (start, end) of each of its matches in the lower-cased text."""
        if not low.isascii():
            return self._scan_all(low)
        # Every non-word character as a space; split at each space, a token starts one character after the
        # end of the token before it.
        toks = low.encode().translate(_ASCII_WORD_BYTES).decode().split(" ")
        found: list[list[tuple[int, int]]] = [[] for _ in self._lexicons]
        ends = [0] * len(self._lexicons)
        cache = self._cache
        count = len(toks)
        start = 0
        for i in range(count):
            word = toks[i]
            pos = start
            start += len(word) + 1
            if not word:
                continue  # between two non-word characters
            starts = cache.get(word)
            if starts is None:
                starts = self._entries(word)
            needs, entries = starts
            if not entries:
                continue  # most words start no phrase
            j = i + 1
            while j < count and not toks[j]:
                j += 1
            nxt = toks[j] if j < count else ""
            if needs is not None and not nxt.startswith(needs):
                continue  # "the" only matters before "constraint", "main", ...
            for n, sub, seconds in entries:
                if seconds is not None and not nxt.startswith(seconds):
                    continue  # "in" only matters before "the way", "parallel", ...
                if pos >= ends[n]:
                    m = sub.match(low, pos)
                    if m:
                        ends[n] = m.end()
                        found[n].append((pos, m.end()))
        return found

    def _scan_all(self, low: str) -> list[list[tuple[int, int]]]:
        """scan() for any text, word by word."""
        found: list[list[tuple[int, int]]] = [[] for _ in self._lexicons]
        ends = [0] * len(self._lexicons)
        cache = self._cache
        pairs = _GAP_WORD.findall(low)  # (the non-word run before a word, the word): positions add up
        if pairs and not pairs[-1][1]:
            pairs.pop()  # the trailing run
        last = len(pairs) - 1
        pos = 0
        i = -1
        for gap, word in pairs:
            i += 1
            pos += len(gap)
            cached = cache.get(word)
            if cached is None:
                cached = self._entries(word)
            if cached[1]:  # most words start no phrase
                nxt = pairs[i + 1][1] if i < last else ""
                for n, sub, seconds in cached[1]:
                    if seconds is not None and not nxt.startswith(seconds):
                        continue
                    if pos >= ends[n]:
                        m = sub.match(low, pos)
                        if m:
                            ends[n] = m.end()
                            found[n].append((pos, m.end()))
            pos += len(word)
        return found


def _needs(entries: tuple[Entry, ...]) -> tuple[str, ...] | None:
    """How the next word must start for any of the entries to match (None: it may be anything)."""
    out: set[str] = set()
    for _, _, seconds in entries:
        if seconds is None:
            return None
        out.update(seconds)
    return tuple(sorted(out))
