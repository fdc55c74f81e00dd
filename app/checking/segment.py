"""Split memo text into sentence-sized units, each tagged with the section heading it sits under."""

from __future__ import annotations

import re
from typing import Final, NamedTuple

# Section kinds: the five elements, "rep_goals" (the vendor's own aims) and "other" (any unrelated heading).
_H: Final = {
    "rep_goals": r"(?:our|my) (?:(?:main|key|primary) )?(?:goals?|objectives?|aims?|targets?|priorities)\b.*",
    "next_step": (
        r"(?:(?:your|agreed|proposed|immediate|suggested|the) )?(?:next steps?|next actions?|action items?|"
        r"actions?|follow[- ]?ups?|to[- ]?dos?|what happens next|what(?:'s| is) next|where we go from here|"
        r"way forward|next)\b.*"
    ),
    "complications": (
        r"(?:(?:other|additional|key|important|potential|further) )?(?:complications?|complicating factors?|"
        r"considerations?|factors?|things? to (?:keep in mind|consider|factor in|watch|note|be aware of)|"
        r"(?:also )?worth (?:noting|knowing)|(?:also|other things?) in play|watch[- ]?outs?|risks?|"
        r"decision(?: process| criteria| makers?| factors?)?|stakeholders?|approvals?|timing|timeline|"
        r"dependencies|politics|what makes (?:this|it) (?:harder|complicated|tricky)|"
        r"what (?:else )?could (?:affect|complicate|delay) .*|also (?:noted|to note)|keep in mind|"
        r"(?:things? |what )?(?:that )?(?:could|might|may|would) make (?:this|it|things) (?:harder|"
        r"more (?:complicated|difficult)|complicated|tricky|trickier|slower)|procurement(?: process)?|"
        r"(?:buying|purchasing|approval|sign[- ]?off|budget) process|who decides|"
        r"constraints? (?:on|around) (?:timing|the decision)|who else is involved|"
        r"(?:timing|budget) (?:and|&) (?:approvals?|decision|budget|timing).*|other)\b.*"
    ),
    "obstacles": (
        r"(?:(?:key|main|current|your|the|biggest|known) )*(?:obstacles?|challenges?|roadblocks?|blockers?|"
        r"barriers?|hurdles?|pain ?points?|problems?|issues|difficulties|gaps?|constraints?|concerns?|"
        r"friction|headaches?|frustrations?|what(?:'s| is| has been)? (?:getting |standing )?in the way|"
        r"what(?:'s| is| has been) (?:holding (?:you |it )?back|stopping (?:you|it)|blocking (?:you|it)|"
        r"slowing (?:things|you) down|not working|broken|hard)|what could (?:get in the way|slow us down)|"
        r"what(?:'s| is) (?:wrong|missing)|why (?:now|change)|what stands in the way|limitations?|"
        r"sticking points?|bottlenecks?|where it hurts|pain|what(?:'s| is) hard)\b.*"
    ),
    "goals": (
        r"(?:(?:your|key|main|business|the|customer|desired|target|top) )*(?:goals?|objectives?|aims?|"
        r"targets?|outcomes?|priorities|ambitions?|success criteria|desired (?:state|outcomes?|results?)|"
        r"what success looks like|what (?:does )?success (?:looks? like|means)|"
        r"(?:what )?(?:success|good) (?:looks?|would look) like|desired end state|end state|"
        r"what (?:would|does|will|should) (?:success|good|(?:a )?good \w+|the ideal \w+|great|the future) "
        r"look like\b.*|"
        r"what you(?:'d| would) (?:like|love|want) to (?:achieve|accomplish|see|get|change|do|reach)\b.*|"
        r"what you(?:'re| are)? (?:aiming for|after|looking (?:to|for)\b.*|want(?:ing)?\b.*|hope\b.*|"
        r"expect\b.*|need\b.*|(?:would|'d) like\b.*)|what do you want\b.*|where you(?:'d like|"
        r" want)? to (?:be|go|get)\b.*|"
        r"future state|to[- ]be|vision|wish ?list|the goal|goal|why)\b.*"
    ),
    "situation": (
        r"(?:(?:your|the|a|key|current|present|customer|company) )*(?:situation|background|context|overview|"
        r"current (?:state|situation|setup|set-up|environment|process|picture|landscape)|status quo|"
        r"as[- ]is|today|now|key facts|facts|about (?:you|the company|your (?:business|team|company))|"
        r"where (?:things|you|we|it) (?:stands?|are|is)\b.*|where [\w'&. -]{2,30} (?:stands?|is|"
        r"are)(?: today| now)?|"
        r"[\w'&. -]{2,30} today|where are you\b.*|how (?:things|it) (?:works?|stands?) today|"
        r"what you(?:'re| are)? (?:do|run|use|have)(?: today)?|your (?:business|company|team|operation|"
        r"setup)|"
        r"(?:the )?(?:business|company|organisation|organization) today|snapshot|starting point|baseline)\b.*"
    ),
}
_ORDER: Final = ("rep_goals", "next_step", "obstacles", "complications", "goals", "situation")
# The kinds' whole-label patterns as one, tried in _ORDER: the first kind whose pattern takes the whole label
# names the group that matched (the patterns have no groups of their own).
_HEADING: Final = re.compile("^(?:" + "|".join(f"(?P<{k}>{_H[k]})" for k in _ORDER) + ")$")
_HEADING_SEARCH: Final = {k: re.compile(r"\b" + v.replace(r"\b.*", r"\b")) for k, v in _H.items()}
_ORDER_SEARCH: Final = ("rep_goals", "next_step", "complications", "obstacles", "goals", "situation")

_MARKER: Final = re.compile(
    r"^\s*(?:#{1,6}\s*|[-*•·–—▪◦●○>]\s+|\(?\d{1,2}[.)]\s*|\(?[a-hA-H][.)]\s+|[QA]:\s+)+"
)  # "Q: ..." / "A: ..." of a question-and-answer write-up mark a heading and its content
_EMPH: Final = re.compile(r"^[*_]{1,3}|[*_]{1,3}$")
_RUNIN: Final = re.compile(r"^([^:.!?]{2,60}?)\s*(?:\*{0,2}:\*{0,2}|\s[–—-]\s)\s*(\S.*)$")
_GREETING: Final = re.compile(
    r"^(?:(?:hi|hello|hey|dear|good (?:morning|afternoon))\b[^.!?]{0,40}[,!:]?|"
    r"[A-Z][\w.'-]+(?: [A-Z][\w.'-]+)?,)$",
    re.I,
)
_GREETING_LONGEST: Final = len("good afternoon") + 40 + 1  # the greeting word, the rest of the line, its mark
# A sentence ends at its stop: the stop is kept, the quote or bracket and spaces after it are the cut
# (opening on the stop, not on a look-behind, lets the engine skip ahead to the next stop).
_SENT_CUT: Final = re.compile(r"[.!?][\"”')\]]?\s+(?=[\"“(]?[A-Z0-9])")
_ABBREV: Final = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|St|Mt|Jr|Sr|Inc|Ltd|Co|Corp|vs|etc|approx|No|Nos|Fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|"
    r"Sep|Sept|Oct|Nov|Dec|Mon|Tue|Tues|Wed|Thu|Thurs|Fri|Sat|Sun)|\b[A-Z]|\be\.g|\bi\.e|U\.S|U\.K)\.$"
)

_ABBREV_LONGEST: Final = 8  # "approx." plus the character before it (for the word boundary)

# Everything but the characters a label is compared by, spaces included: a run of it reads as one space.
_LABEL_GAP: Final = re.compile(r"[^a-z0-9'&/-]+")
_STOP_INSIDE: Final = re.compile(r"[.!]\s")
_AFTER_STOP: Final = re.compile(r"(?<=[.!?])\s+")
_DIGIT: Final = re.compile(r"\d")
_SPACED_DASH: Final = re.compile(r"\s[–—-]\s")


class Unit(NamedTuple):
    """One sentence or bullet of the memo and the section it belongs to (a tuple: cheap to build)."""

    text: str
    section: str | None  # element heading kind, "rep_goals", "other" or None (unheaded)
    bullet: bool
    position: int  # its place in the memo's list of units


def _norm_label(label: str) -> str:
    label = label.replace("’", "'").replace("‘", "'").lower()
    return _LABEL_GAP.sub(" ", label).strip(" -/&")


def classify_label(label: str, anchored: bool = True) -> str | None:
    """Element kind a heading names, or None when it names none of them."""
    norm = _norm_label(label)
    if not norm or len(norm.split()) > (8 if anchored else 14):
        return None
    if anchored:
        m = _HEADING.match(norm)
        return m.lastgroup if m else None
    for kind in _ORDER_SEARCH:
        if _HEADING_SEARCH[kind].search(norm):
            return kind
    return None


_LIST_MARK: Final = re.compile(r"^\s*(?:#{1,6}\s*)?([-*•·–—▪◦●○>]\s|\(?\d{1,2}[.)]|\(?[a-hA-H][.)]\s)")


_SEEN_MARKERS: dict[str, tuple[str, str]] = {}  # per memo: each line is looked at more than once
_SEEN_HEADINGS: dict[str, tuple[str, str] | None] = {}


def _strip_markers(line: str) -> tuple[str, str]:
    """The line without list/heading markers, and its list-marker type ('' when not a list item)."""
    seen = _SEEN_MARKERS.get(line)
    if seen is None:
        if len(_SEEN_MARKERS) > 4096:  # callers outside segment() never clear it
            _SEEN_MARKERS.clear()
        seen = _SEEN_MARKERS[line] = _strip_markers_once(line)
    return seen


def _strip_markers_once(line: str) -> tuple[str, str]:
    lead = line.lstrip()[:2]
    if lead[:1].isalpha() and lead[1:] not in (".", ")", ":"):  # prose: no marker can start here
        core = line.strip()
        if core[:1] in ("*", "_") or core[-1:] in ("*", "_"):
            core = _EMPH.sub("", core).strip()
        return core.replace("**", "").replace("__", ""), ""
    m = _MARKER.match(line)
    core = line[m.end() :] if m else line.strip()
    core = core.strip()
    if core[:1] in ("*", "_") or core[-1:] in ("*", "_"):  # emphasis marks can only sit at either end
        core = _EMPH.sub("", core).strip()
    core = core.replace("**", "").replace("__", "")
    lm = _LIST_MARK.match(line)
    kind = ""
    if lm:
        first = lm.group(1).lstrip("(")[0]
        kind = "num" if first.isdigit() else "alpha" if first.isalpha() else first
    return core, kind


def parse_heading(line: str) -> tuple[str, str] | None:
    """(kind, inline content) when the line is a heading or a run-in label; None for ordinary text."""
    if line in _SEEN_HEADINGS:
        return _SEEN_HEADINGS[line]
    if len(_SEEN_HEADINGS) > 4096:
        _SEEN_HEADINGS.clear()
    head = _SEEN_HEADINGS[line] = _parse_heading(line)
    return head


def _parse_heading(line: str) -> tuple[str, str] | None:
    core, _ = _strip_markers(line)
    if not core:
        return None
    words = core.split()
    if len(words) > 9 and ":" not in core and not _spaced_dash(core):
        return None  # ordinary prose: too long for a heading, and no ':' or spaced dash to end a label
    if _greeting(core):
        return None
    bare = core.rstrip(":.?!").strip()
    if len(words) <= 9 and not _STOP_INSIDE.search(core):
        ends = core[-1]
        if ends not in ".!," or (ends == "." and len(words) <= 4):
            kind = classify_label(bare)
            if kind:
                return kind, ""
            if ends == ":" and len(words) <= 14:
                kind = classify_label(bare, anchored=False)
                if kind:
                    return kind, ""
            if _looks_like_other_heading(line, core, words):
                return "other", ""
    # a run-in label ends at a ':' or a spaced dash: without either, _RUNIN cannot match
    m = _RUNIN.match(core) if ":" in core or _spaced_dash(core) else None
    if m and len(m.group(1).split()) <= 7:
        kind = classify_label(m.group(1))
        if kind:
            return kind, m.group(2).strip()
    if core.endswith(":") and len(words) <= 16:
        last = _AFTER_STOP.split(core)[-1]
        kind = classify_label(last.rstrip(":"), anchored=False)
        if kind and kind != "next_step":
            return kind, ""
    if _label_line(line, core, words):
        return "other", ""
    return None


def _spaced_dash(core: str) -> bool:
    """A dash with a space either side (checked for a dash first: most lines hold none)."""
    return ("-" in core or "–" in core or "—" in core) and _SPACED_DASH.search(core) is not None


def _looks_like_other_heading(line: str, core: str, words: list[str]) -> bool:
    if len(words) > 6 or _DIGIT.search(core) or core[-1] in ".,;!":
        return False
    return (
        line.lstrip().startswith("#") or (core.isupper() and len(core) > 3) or line.strip().startswith("**")
    )


def _label_line(line: str, core: str, words: list[str]) -> bool:
    """A short capitalised label alone on its line ("Things we agreed:"): a heading we cannot name."""
    return core.endswith(":") and 2 <= len(words) <= 6 and core[0].isupper() and not line[:1].isspace()


def _sentence_parts(text: str) -> list[str]:
    """The text cut after each sentence stop followed by spaces and a capital or digit."""
    last = len(text) - 2  # a cut needs a space and a character after its stop
    if text.find(".", 0, last) < 0 and text.find("!", 0, last) < 0 and text.find("?", 0, last) < 0:
        return [text]  # no stop before the end: a bullet or a one-sentence paragraph
    parts, prev = [], 0
    for m in _SENT_CUT.finditer(text):
        parts.append(text[prev : m.start() + 1])
        prev = m.end()
    parts.append(text[prev:])
    return parts


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations like 'Dr.' together."""
    parts = _sentence_parts(text)
    if len(parts) == 1:
        return [text.strip()] if text.strip() else []
    out: list[str] = []
    search = _ABBREV.search
    for part in parts:
        # an abbreviation is at most 7 characters long and ends the text: look only there
        if out and search(out[-1], max(len(out[-1]) - _ABBREV_LONGEST, 0)):
            out[-1] = out[-1] + " " + part
        else:
            out.append(part)
    return [p.strip() for p in out if p.strip()]


def _paragraphs(lines: list[str]) -> list[tuple[str, str, int]]:
    """Group lines into (text, marker, indent) items: a bullet with its continuation lines, or a paragraph."""
    items: list[tuple[str, str, int]] = []
    after_heading = False
    for raw in lines:
        if not raw.strip():
            items.append(("", "", 0))
            after_heading = False
            continue
        indent = len(raw) - len(raw.lstrip())
        core, mark = _strip_markers(raw)
        is_head = len(core) < 400 and parse_heading(raw) is not None
        if mark or is_head or after_heading or raw.lstrip().startswith("#") or not items or not items[-1][0]:
            items.append((core, mark, indent))
        else:
            text, was_mark, ind = items[-1]
            items[-1] = (text + " " + core, was_mark, ind)
        after_heading = is_head
    return items


def segment(text: str) -> list[Unit]:
    """Turn normalised memo text into units with their section kinds."""
    _SEEN_MARKERS.clear()
    _SEEN_HEADINGS.clear()
    units: list[Unit] = []
    section: str | None = None
    runin = False  # a run-in label's scope ends at the next blank line or a shallower plain line
    runin_indent = 0
    has_content = False
    bullets_only = True
    gap = False  # a blank line after a bulleted section: plain prose after it is no longer in the section
    head_bullet_indent = -1  # a heading written as a bullet owns only the deeper bullets under it
    head_mark = ""
    for para, mark, indent in _paragraphs(text.split("\n")):
        bullet = bool(mark)
        if not para:
            if has_content and section is not None:
                if runin or not bullets_only:
                    section, runin = None, False
                else:
                    gap = True
            continue
        head = parse_heading(("- " if bullet else "") + para) if len(para) < 400 else None
        ends_section = (
            (runin and indent <= runin_indent and not bullet)
            or (gap and not bullet)
            or (mark == head_mark and head_bullet_indent >= 0 and indent <= head_bullet_indent)
        )
        if head is None and section is not None and ends_section:
            section, runin = None, False
        gap = False
        if head is not None:
            section, inline = head
            runin = bool(inline)
            runin_indent = indent
            head_bullet_indent = indent if bullet and not inline else -1
            head_mark = mark
            has_content, bullets_only = bool(inline), True
            if inline:
                _add(units, inline, section, bullet)
            continue
        if not bullet:
            bullets_only = False
        has_content = True
        _add(units, para, section, bullet)
    return units


def _greeting(text: str) -> bool:
    """A greeting line ("Hi Dana,"): at most 55 characters, or a name of at most two words."""
    if len(text) > _GREETING_LONGEST and text.count(" ") > 1:
        return False  # longer than any greeting, and more than the one space a name can hold
    return _GREETING.match(text) is not None


def _add(units: list[Unit], para: str, section: str | None, bullet: bool) -> None:
    if _greeting(para.strip()):
        return
    for sent in split_sentences(para):
        units.append(Unit(sent, section, bullet, len(units)))  # positional: a NamedTuple built faster
