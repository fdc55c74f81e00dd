"""Find the customer's next action with a time frame, and resolve its due date."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from app.checking import cues
from app.checking.fastre import Gated
from app.checking.segment import Unit

_WEEKDAY_INDEX: Final = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_ISO: Final = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")
_WEEKDAY: Final = re.compile(r"\b(next\s+|this\s+|coming\s+)?(" + cues.WEEKDAYS + r")\b", re.I)
_MONTH_DATE: Final = re.compile(
    r"\b(?:" + cues.MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b|"
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + cues.MONTHS + r"\b(?:,?\s+\d{4})?",
    re.I,
)
_NUMERIC_DATE: Final = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b")
_ORDINAL: Final = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", re.I)
_END_OF: Final = re.compile(
    r"\b(?:end of (?:the |this )?(next )?(week|month|quarter|day)|(eow|eom|eod|cob))\b", re.I
)
_WITHIN: Final = re.compile(
    r"\b(?:within|in)\s+(?:the next\s+)?(\d+|"
    + cues.NUM_WORDS
    + r"|a|a couple of)\s+(?:business\s+|working\s+)?"
    r"(day|week)s?\b",
    re.I,
)
_NUMBERS: Final = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a couple of": 2,
}  # fmt: skip
_LEAD: Final = re.compile(
    r"^.*?\b(?:you(?:'ll|’ll| will| are going to|'re going to| agreed to| plan to| promised to)|"
    r"you(?:'d|’d| would| will|'ll|’ll| could)|could you|can you|please|you:)\s+",
    re.I,
)


@dataclass(frozen=True)
class NextStep:
    """The customer's dated action (or an undated one, for the hint)."""

    unit: Unit | None
    clause: str
    dated: bool
    when: str | None


_DEADLINE: Final = re.compile(r"(?:by|before|until|no later|due)\b", re.I)
# Every cut of REP_CLAUSE_SPLIT holds a ';' or the word "I" or "we" after a space.
_REP_SPLIT_NEEDS: Final = re.compile(r"\s(?:i|we)\b")  # on lower-cased ASCII text
# REP_CLAUSE_SPLIT for lower-cased ASCII text (its words are all lower case): faster than re.I. Every cut
# opens on a comma, semicolon or space: the look-ahead lets the engine pass over other characters quickly.
_REP_CUTS: Final = re.compile(r"(?=[,;\s])(?:" + cues.REP_CLAUSE_SPLIT.pattern + ")")
_CUSTOMER_ACTION_GATE: Final = Gated(cues.CUSTOMER_ACTION.rx)


def _clauses(text: str) -> list[str]:
    if not text.isascii():
        return [c for c in cues.REP_CLAUSE_SPLIT.split(text) if c and c.strip()]
    low = text.lower()
    if ";" not in text and not _REP_SPLIT_NEEDS.search(low):
        return [text] if text.strip() else []
    parts, prev = [], 0
    for m in _REP_CUTS.finditer(low):  # REP_CLAUSE_SPLIT.split(text): lower-casing keeps ASCII positions
        parts.append(text[prev : m.start()])
        prev = m.end()
    parts.append(text[prev:])
    return [c for c in parts if c and c.strip()]


def _is_customer_action(clause: str, first: bool, heading: bool) -> bool:
    """A customer action (or a request, or an opening imperative) not in the rep's voice. The rep's voice
    is looked for last: few clauses are actions, and most are ruled out by the action cue's pre-check."""
    action = (_CUSTOMER_ACTION_GATE.possible(clause) and cues.CUSTOMER_ACTION.search(clause) is not None) or (
        first and cues.IMPERATIVE.match(clause) is not None and (heading or True)
    )
    return action and cues.REP_VOICE.match(clause) is None


def find_next_step(units: list[Unit]) -> NextStep | None:
    """The first customer action with a time frame; else the first undated customer action; else None."""
    undated: NextStep | None = None
    for unit in units:
        if unit.section == "rep_goals":
            continue
        for i, clause in enumerate(_clauses(unit.text)):
            if not _is_customer_action(clause, i == 0, unit.section == "next_step"):
                continue
            when = _when(clause)
            if when:
                return NextStep(unit, clause.strip(), True, when)
            if undated is None:
                undated = NextStep(unit, clause.strip(), False, None)
    return undated


def _when(clause: str) -> str | None:
    """The time-frame text of a clause, preferring a 'by/before ...' deadline, with what follows it."""
    found = list(cues.TIMEFRAME.finditer(clause))
    if not found:
        return None
    deadline = [m for m in found if _DEADLINE.match(m.group(0))]
    m = (deadline or found)[-1 if deadline else 0]
    return clause[m.start() : m.start() + 40]


def action_phrase(clause: str) -> str:
    """The verb phrase of a customer action ('review it with your director'), for a hint."""
    text = _LEAD.sub("", clause.strip().rstrip(".?!"))
    text = re.sub(r"^(?:then|also|first|probably|likely)\s+", "", text, flags=re.I)
    return text[:120]


# --- due dates -----------------------------------------------------------------------------------------


def _next_weekday(base: date, weekday: int, next_week: bool) -> date:
    if next_week:
        monday = base + timedelta(days=7 - base.weekday())
        return monday + timedelta(days=weekday)
    delta = (weekday - base.weekday()) % 7
    return base + timedelta(days=delta or 7)


def _end_of(base: date, unit: str, nxt: bool) -> date:
    if unit in ("day", "eod", "cob"):
        return base
    if unit in ("week", "eow"):
        friday = base + timedelta(days=(4 - base.weekday()) % 7)
        return friday + timedelta(days=7) if nxt else friday
    if unit in ("month", "eom"):
        year, month = (base.year + base.month // 12, base.month % 12 + 1) if nxt else (base.year, base.month)
        return date(year, month, calendar.monthrange(year, month)[1])
    quarter_end = ((base.month - 1) // 3 + 1) * 3
    return date(base.year, quarter_end, calendar.monthrange(base.year, quarter_end)[1])


def _ordinal_day(base: date, day: int) -> date | None:
    year, month = base.year, base.month
    for _ in range(3):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= base:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _calendar_date(phrase: str, base: date) -> date | None:
    """A written calendar date ('March 3', '14 June 2026', '3/14'), parsed by dateparser, future-leaning."""
    import dateparser  # imported here: it is slow to load and only some memos need it

    settings = {
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": "future",
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "MDY",
    }
    parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    return parsed.date() if parsed else None


# Letters that case-insensitive matching takes for ASCII ones ("Frıday" matches "friday"): folded
# before the date words are looked up by name.
_ASCII_LOOKALIKES: Final = str.maketrans({"\u0131": "i", "\u0130": "I", "\u017f": "s", "\u212a": "K"})


def resolve_due(phrase: str | None, memo_date: date | None) -> date | None:
    """The date a time-frame phrase points to, counted from the memo's date (today when unknown)."""
    if not phrase:
        return None
    base = memo_date or date.today()
    text = phrase.strip().translate(_ASCII_LOOKALIKES)
    if m := _ISO.search(text):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if m := (_MONTH_DATE.search(text) or _NUMERIC_DATE.search(text)):
        return _calendar_date(m.group(0), base)
    if m := _ORDINAL.search(text):
        return _ordinal_day(base, int(m.group(1)))
    if m := _END_OF.search(text):
        return _end_of(base, (m.group(2) or m.group(3)).lower(), bool(m.group(1)))
    return _relative(text, base)


def _relative(text: str, base: date) -> date | None:
    low = text.lower()
    if m := _WEEKDAY.search(low):
        return _next_weekday(base, _WEEKDAY_INDEX[m.group(2)[:3]], (m.group(1) or "").strip() == "next")
    if m := _WITHIN.search(low):
        n = _NUMBERS.get(m.group(1)) or (int(m.group(1)) if m.group(1).isdigit() else 1)
        return base + timedelta(days=n * (7 if m.group(2) == "week" else 1))
    if "tomorrow" in low:
        return base + timedelta(days=1)
    if "next week" in low:
        return _end_of(base, "week", True)
    if "this week" in low or "early next week" in low:
        return _end_of(base, "week", "next" in low)
    if "today" in low or "tonight" in low:
        return base
    if m := re.search(r"\b(?:by|before|until|on|in)\s+(?:the end of\s+)?(" + cues.MONTHS + r")\b", low):
        month = _month_number(m.group(1))
        year = base.year + (1 if month < base.month else 0)
        return date(year, month, calendar.monthrange(year, month)[1])
    return None


def _month_number(name: str) -> int:
    abbr = name[:3].lower()
    return [m.lower() for m in calendar.month_abbr].index(abbr)
