"""Cue lexicons: how sentences about a customer's situation, goals, obstacles or complications read."""

from __future__ import annotations

import re
from typing import Final

from app.checking.fastre import Lowered
from app.checking.lexicon import Lexicon, LexiconSet

_I: Final = re.I

NUM_WORDS: Final = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|dozens?|hundreds?)"
)
MONTHS: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
WEEKDAYS: Final = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|"
    r"sun(?:day)?)"
)

# Sentences that are about the memo itself, not the customer.
_META: Final = re.compile(
    r"\b(?:let me know|correct (?:me|anything)|(?:got|get) (?:anything |it )?wrong|i(?:'ve| have)? missed|"
    r"misunderst|misstated|my (?:understanding|summary|notes|recap|take)|here(?:'s| is) (?:my|a|what)|"
    r"(?:quick|short) (?:recap|summary)|to recap|recapping|thanks?(?: you)?\b|thank you|appreciate|"
    r"great (?:to|meeting|talking|conversation)|enjoyed|pleasure|summari[sz]ed|play back|same page|"
    r"looking forward|in writing|captured that)",
    _I,
)

# The rep speaking about themselves or their company.
REP_LEAD_IN: Final[re.Pattern[str]] = re.compile(
    r"^\W*(?:(?:as )?(?:i|we) (?:understand|heard|learned|noted|gather|saw|see|know|understood)(?: it)?|"
    r"(?:from )?what (?:i|we) (?:heard|understood|saw|learned)|i was (?:told|"
    r"surprised to hear))(?: that)?,?\s+",
    _I,
)
MONTH_RX: Final[re.Pattern[str]] = re.compile(r"\b" + MONTHS + r"\b")  # used on lower-cased text
_REP_VOICE: Final = re.compile(
    r"^\W*(?:(?:as (?:a )?(?:quick )?(?:recap|discussed|promised|mentioned)|also|so|and|but|then|again|"
    r"overall|in short|finally|meanwhile|of course),?\s+)?(?:we|i|our|my|us)\b(?!\s+(?:both|all)\b)",
    _I,
)
_VENDOR_OUTCOME: Final = re.compile(
    r"\b(?:our (?:platform|product|solution|tool|software|customers|clients|team|goal|aim|objective)|"
    r"we (?:typically|usually|help|can help|have helped)|(?:companies|agencies|firms|teams|customers|clients|"
    r"practices|schools|hospitals|retailers|banks) like yours)\b",
    _I,
)

# --- situation --------------------------------------------------------------------------------------------
_SUBJECT: Final = (
    r"(?:(?i:you|you've|you're|your \w+(?: \w+)?|they)|[A-Z][\w&'’.-]*(?: [A-Z&][\w&'’.-]*){0,3}(?:'s|"
    r"’s)?(?: \w+)?)"
)
_BIZ_VERB: Final = (
    r"(?:runs?|operates?|has|have|had|'ve got|’ve got|got|logs?|manages?|serves?|employs?|processes|"
    r"handles?|ships?|"
    r"books?|places?|sells?|builds?|makes?|produces?|covers?|awards?|licenses?|distributes?|delivers?|"
    r"schedules?|machines|grows?|teaches|collects|moves|owns|hosts|supports|uses?|spent|spends?|"
    r"bids? on|works? (?:in|with|on|across)|is (?:on|in)|are (?:on|in)|been on|funded|originates?|"
    r"receives?|answers?|fields?|takes|issues?|maintains?|administers?|insures?|trains?|hires?|"
    r"treats?|sees|cares? for|designs?|manufactures?|plans?|ran|staffs?|renews?|reads?|writes?|"
    r"carries|stocks?|stores?|is (?:a|an)|are (?:a|an)|includes?|spans?|totall?ing|with)"
)
_QUANTITY: Final = re.compile(
    r"(?<![\w/])(?:about |roughly |around |nearly |over |more than |almost |some |approximately |~)?"
    r"(?:\$\s?\d[\d,.]*\s?(?:[kmb]n?|million|billion)?|\d[\d,.]*\+?\s?(?:%|[kmb]\b|million|billion|thousand)?"
    r"[\s-]?(?:[a-z][\w-]+)|" + NUM_WORDS + r"\s[a-z][\w-]+)",
    _I,
)
SIT_STRONG: Final[re.Pattern[str]] = re.compile(r"\b" + _SUBJECT + r"\s+(?:\w+\s+){0,2}?" + _BIZ_VERB + r"\b")
_SIT_TEAM_OF: Final = re.compile(
    r"\b(?:team|staff|crew|fleet|network|portfolio|office|group|department|company|firm|business) of "
    r"(?:about |roughly |around |over )?(?:\d|" + NUM_WORDS + r")",
    _I,
)
_SIT_PROCESS: Final = re.compile(
    r"\b(?:is|are|gets?|get|were|was)\s+(?:currently |still |all |mostly |usually |typically |then )?"
    r"(?:done|handled|managed|tracked|kept|booked|entered|keyed|printed|processed|scheduled|planned|run|"
    r"stored|recorded|set|assembled|submitted|collected|written|counted|maintained|placed|routed|built|"
    r"issued|made|assigned|logged|reviewed|approved|paid|created|sent|received|dispatched|filed|shared|"
    r"coordinated|organi[sz]ed|hosted|licensed|used|updated|posted|generated|produced|calculated|billed|"
    r"measured|taught|delivered)\b|\b(?:today|currently|right now|at the moment|at present|in-house|"
    r"on-prem(?:ise)?|spreadsheets?|excel|on paper|paper (?:forms?|calendar|timesheets?|tickets?)|"
    r"by (?:phone|email|hand|fax)|whiteboard|since (?:19|20)\d\d|for (?:\d+|"
    + NUM_WORDS
    + r") (?:years|months))\b",
    _I,
)

# --- goals ---------------------------------------------------------------------------------------------
_GOAL_WANT: Final = re.compile(
    r"\b(?:you|you'd|you’d|you're|you’re|your (?:team|company|firm|group|organi[sz]ation|leadership|board|"
    r"business|department|office|district|goal|aim|objective|target|priority|"
    r"plan))\b[^.;:]{0,40}?\b(?:want(?:s|ed)?|would like|'d like|’d like|would love|'d love|’d love|hope|"
    r"hoping|aim(?:s|ing)?|plan(?:s|ning)? to|intend|looking to|need(?:s)? to|goal|target|objective|"
    r"priority|ambition|are after|keen to|trying to|expect)\b(?!\s+(?:to )?(?:understand|see (?:how|what|"
    r"whether|"
    r"if|a demo|the|our|some|examples?)|learn|explore|hear|talk|meet|discuss|know (?:more|how|what|"
    r"whether|if)|decide|make a decision|review|avoid|keep|wait|consider|compare|"
    r"evaluate|look at|find out|get (?:a|more) (?:demo|sense|proposal|quote)))",
    _I,
)
_GOAL_PHRASE: Final = re.compile(
    r"\b(?:(?:the|your|main|primary|key|overall) (?:goal|aim|objective|target|ambition|priority) (?:is|"
    r"was|would be)|"
    r"set a target|target of|success (?:for you )?(?:means|looks like|would (?:be|mean))|"
    r"(?:want|would like|'d like|’d like) (?:to (?:get|be|have|see \w+ (?:drop|rise|fall|grow)|reach|hit|"
    r"cut|reduce|raise|increase|grow|double|halve|move|launch|offer|give|bring|make|stop|eliminate|"
    r"improve|lower|shorten|automate|consolidate|replace|modernize|expand|extend|standardi[sz]e|free)|"
    r"(?:a|an|one|every|all) \w+))",
    _I,
)
_GOAL_TARGET: Final = re.compile(
    r"\b(?:from (?:about |roughly |around )?[\d$][\w.,%$]* to (?:under |below |over |above )?[\d$]|"
    r"(?:to|by|under|below|above) (?:at least |less than |more than )?[\d$][\d,.]*\s?(?:%|percent|minutes|"
    r"hours|days|weeks|seconds)|in half|by half|halve|double)",
    _I,
)
_GOAL_VERB_START: Final = re.compile(
    r"^(?:to )?(?:cut|reduce|raise|increase|grow|get|reach|hit|achieve|double|halve|move|launch|offer|give|"
    r"let|bring|make|stop|eliminate|improve|lower|shorten|automate|consolidate|replace|modernize|expand|"
    r"extend|standardi[sz]e|free|have|enable|deliver|provide|answer|fill|meet|close|publish|ship|open|"
    r"run|be|become|win|keep|protect|comply|pass|support|see|know|track|build|create|roll out|digiti[sz]e|"
    r"centrali[sz]e|unify|simplify|speed up|minimi[sz]e|maximi[sz]e|avoid|ensure|allow|produce|sell)\b",
    _I,
)

# The obstacle and complication lexicons run on lower-cased text: re.I makes them several times slower.
# --- obstacles ------------------------------------------------------------------------------------------
OBS_STRONG: Final[re.Pattern[str]] = re.compile(
    r"\b(?:can't|cannot|can not|couldn't|can’t|unable to|isn't able|aren't able|not able to|no way to|"
    r"(?:has|have|there's|there is|with) no\b|don't (?:have|share|talk|trust|know|see|get|follow|match|"
    r"connect|sync|account|work)|doesn't (?:have|share|talk|accept|support|connect|sync|work|account|"
    r"link|integrate|scale)|isn't (?:consistent|reliable|accurate|connected|integrated|tracked)|"
    r"aren't (?:correlated|connected|integrated|consistent|tracked|comfortable)|lack(?:s|ing)?\b|"
    r"out of date|outdated|inconsistent(?:ly)?|unreliable|mismatch\w*|errors?\b|mistakes?\b|"
    r"fail(?:s|ed|ing|ures?)?\b|crash(?:es|ing)?\b|goes down|go down|bottleneck|blockers?\b|"
    r"block(?:s|ing|ed)\b|in the way|holding (?:you |them |it )?back|stopping you|standing in the way|"
    r"stands? between|problems?\b|troubles?\b|troubling|challeng\w*|headaches?|issues?\b|pain(?:ful|"
    r" points?)?\b|struggl\w*|frustrat\w*|"
    r"complain\w*|hard to|difficult|too (?:long|slow|many|much)|nobody|no one|never\b|hit or miss|"
    r"spotty|flaky|undersized|at capacity|invisible|unnoticed|don't trust|nobody trusts|re-?key\w*|"
    r"re-?typ\w*|re-?enter\w*|manual workarounds?|double-?book\w*|burn(?:ing)? out|overrid\w*|"
    r"ignore[sd]?\b|lose\b|loses|losing|lost\b|waste\w*|pile up|stack up|chas(?:e|ing)\b|"
    r"bottlenecks?|backlogs?|only (?:\w+ ){0,3}(?:understand|know)|eats?\b|gap\b|gaps\b|"
    r"the constraint|the main blocker|main (?:issue|problem|blocker)|what's been holding|"
    r"finally be able|no longer (?:have|depend|need)|stop (?:buying|losing|wasting)|left without|"
    r"falls? through|get stuck|stall\w*|leak\w*|disputes?|damaged|wait(?:s|ing)? (?:up to|for|days|hours))",
)
OBS_WEAK: Final[re.Pattern[str]] = re.compile(
    r"\b(?:manual(?:ly)?|by hand|slow\w*|delay\w*|late\b|lags?\b|lagging|queue\w*|duplicat\w*|"
    r"turnover|weak|only\b|still\b|depend(?:s|ent)? on|rel(?:y|ies) on|spend(?:s|ing)? (?:\w+ ){0,4}"
    r"(?:time|hours|days)|takes? (?:about |roughly |up to )?\d|risk of|paper\b|chasing)",
)

# --- complications --------------------------------------------------------------------------------------
COMP_STRONG: Final[re.Pattern[str]] = re.compile(
    r"\b(?:approv\w*|sign[- ]?off|signs? off|signs (?:all|every|off)|sign(?:ed)? by|"
    r"board\b|committee|council|cabinet|steering|procurement|purchasing|rfp|tender|legal\b|counsel|"
    r"compliance (?:review|team)|regulat\w*|regulators?|audit\w*|examiners?|security review|union|"
    r"works council|fiscal year|financial year|budget (?:cycle|request|freeze|approval|year|line|holder|"
    r"is|was|for next|hearings?|deadline|review)|(?:next|this) year's budget|funding|capex|capital "
    r"(?:request|expense|project|spend)|contract\w* (?:renews?|runs?|expires?|ends?|is up|until|through)|"
    r"(?:contract|agreement|licen[cs]e|subscription|lease)\s+(?:\w+\s+){0,3}renew\w*|renewal (?:is|date|"
    r"in|on|"
    r"comes|notice)|up for renewal|at renewal|your renewal|auto-?renew\w*|notice (?:period|is given)|"
    r"early-termination|termination fee|"
    r"deconversion|deadline|freeze|frozen|cutover|go-?live|(?:other|two other|three|several|another) "
    r"(?:[\w-]+ )?(?:vendors?|platforms?|tools?|providers?|options|suppliers?)|evaluating (?:us|other|two|"
    r"three|"
    r"several|a few|[\w-]+ (?:alongside|against|with))|comparing (?:us|you|two|three|several|[\w-]+ "
    r"(?:with|against|to))|alongside|shortlist|"
    r"competing|in parallel|at the same time|skeptical|sceptical|wary|reluctant|cautious|nervous|worried|"
    r"concerned about|push(?:ing)? back|politic\w*|consult(?:ed|ation)\b|busy with|tied up|occupied with|"
    r"midway through|in the middle of|has a say|weigh in|veto|must be involved|"
    r"(?:has|have|would have|need|needs) to (?:be involved|agree|approve|sign|review|consult|be consulted)|"
    r"decides?\b|decision\w*|decision[- ]makers?|stakeholders?|buy-in|(?:cfo|ceo|coo|cio|cto|vp|gc|"
    r"general counsel|director|owners?|partners|co-?founders?|founders?|co-?owner|managing partner|"
    r"president|superintendent|chair)\b|peak season|holiday|blackout|moratorium|lease|acquired|"
    r"acquisition|merger|being acquired|migration|upgrade|initiative|pilot(?:ing)? a new|standardi[sz]ing|"
    r"dependency|dependent on|has to (?:finish|happen|wait)|must (?:finish|happen|wait)|"
    r"first\b[^.]{0,20}\bsettled|can't (?:get ahead|start|move|change)|nothing can (?:change|move)|"
    r"must (?:pass|follow|go|be approved|continue|stay|avoid|be validated|be hosted)|"
    r"has to (?:go through|pass|follow|avoid|come in)|goes to (?:the )?\w+|"
    r"risk committee|independent assessment|payback|under the existing|recurring license)",
)
COMP_WEAK: Final[re.Pattern[str]] = re.compile(
    r"\b(?:q[1-4]\b|budget\w*|contract\w*|until\b|before (?:the|its|their|your|then)|"
    r"timing|window|next (?:year|session|cycle)|this (?:year|summer|fall|winter|spring)|season|"
    r"agreement|vendor|insurer|carrier|it (?:team|security|department)|it\b|security|finance\b|"
    r"compliance|policy|requires?|required|requirement)",
)

# --- the customer acting, with a time frame -------------------------------------------------------------
_CUSTOMER_ACTION: Final = re.compile(
    r"\b(?:you(?:'ll|’ll| will| are going to|'re going to| agreed to| plan to| promised to| offered to|"
    r"(?:'ve|’ve|'d|’d)? (?:said|mentioned|told me|offered|agreed|promised) (?:that )?you(?:'d|’d| would|"
    r" will|"
    r"'ll|’ll| could))|your (?:\w+ ){0,3}(?:will|(?:is|are) going to|agreed to|plans? to)|could you|"
    r"can you|(?:maybe |perhaps )?you could(?=[^.!]*\?)|would you (?:be able to|mind|please)|"
    r"please (?!let me know if|correct|feel free)|you:)\s*"
    r"(?!need\b|have to\b|want\b|like\b|be (?:happy|pleased|glad)|love\b|see\b|get (?:a|our|the) "
    r"(?:proposal|demo|quote))",
    _I,
)
_IMPERATIVE: Final = re.compile(
    r"^\W*(?:please\s+)?(?:send|share|confirm|forward|provide|review|schedule|set up|introduce|book|pull|"
    r"check|return|sign|complete|fill|ask|loop in|invite|get back|email|upload|export|gather|collect|"
    r"arrange|decide|choose|pick|nominate|identify|prepare|draft|circulate|bring|talk to|reach out|"
    r"connect (?:me|us)|compile)\b",
    _I,
)
_TIMEFRAME: Final = re.compile(
    r"\b(?:(?:by|before|on|until|no later than|due)\s+(?:the\s+)?(?:end of\s+)?(?:this |next )?"
    r"(?:" + WEEKDAYS + r"|" + MONTHS + r"|week|month|quarter|year|q[1-4]|\d{1,2}(?:st|nd|rd|th)\b|"
    r"\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}|tomorrow|today|tonight|cob|eod|eow|eom|close of business|"
    r"our next (?:call|meeting)|the (?:\w+ )?(?:meeting|call|review)|then)|"
    r""
    + WEEKDAYS
    + r"(?:,?\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?)?|"
    + MONTHS
    + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?\b|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTHS + r"\b|\d{4}-\d\d-\d\d|next week|this week|"
    r"end of (?:the |this |next )?(?:week|month|day|quarter)|eow|eod|eom|cob|tomorrow|tonight|"
    r"within (?:the next )?(?:\d+|"
    + NUM_WORDS
    + r"|a|a couple of) (?:business |working )?(?:days?|weeks?|hours?)|"
    r"in (?:\d+|" + NUM_WORDS + r"|a couple of) (?:days|weeks)|by the \d{1,2}(?:st|nd|rd|th)|"
    r"later (?:this|today)|early next week|first thing|"
    r"(?:the )?week of (?:the )?(?:\d{1,2}(?:st|nd|rd|th)?\b|" + MONTHS + r"\b))",
    _I,
)
REP_CLAUSE_SPLIT: Final[re.Pattern[str]] = re.compile(
    r"(?:,|;)?\s+(?:and|but|then|so|while|after which)\s+(?=(?:i|we|i'll|we'll|i’ll|we’ll)\b)|;\s+|"
    r",\s+(?=(?:i|we)(?:'ll|’ll| will)\b)",
    _I,
)

# --- placeholders -------------------------------------------------------------------------------------------
_PLACEHOLDER: Final = re.compile(
    r"^\W*(?:tbd|tba|tbc|n/?a|none|nil|nothing|unknown|pending|\?+|-+|x+|\.\.\.|"
    r"to (?:be )?(?:discussed|determined|confirmed|covered|decided|defined|clarified|agreed|added|follow|"
    r"come)|"
    r"(?:will|we'll|we will|i'll) (?:be )?(?:discuss|cover|confirm|add|fill|follow|clarif)\w*|"
    r"not (?:yet |really )?(?:discussed|known|sure|covered|identified|applicable|clear|raised|mentioned|"
    r"defined|determined|relevant|available)|no(?:ne)? (?:\w+ ){0,3}(?:identified|raised|mentioned|known|"
    r"discussed|noted|so far|yet|at this (?:time|stage|point)|that we know of|to report|came up)|"
    r"nothing (?:major|significant|specific|yet|so far|to (?:report|add|note)|identified|raised|"
    r"mentioned|that we know of)|none (?:raised|identified|mentioned|known|so far|yet|that we know of|"
    r"at this (?:time|point|stage))|unclear|same as above|see above|see below|coming soon|"
    r"placeholder|fill (?:in|this in)|lorem ipsum|\[.*\]|<.*>)(?:\W|$)",
    _I,
)

# Every use of these is a truth value or a position, so they run on lower-cased text without re.I, which
# Python's regex engine matches several times faster (the same matches; see fastre.Lowered).
META: Final[Lowered] = Lowered(_META)
REP_VOICE: Final[Lowered] = Lowered(_REP_VOICE)
VENDOR_OUTCOME: Final[Lowered] = Lowered(_VENDOR_OUTCOME)
QUANTITY: Final[Lowered] = Lowered(_QUANTITY)
SIT_TEAM_OF: Final[Lowered] = Lowered(_SIT_TEAM_OF)
SIT_PROCESS: Final[Lowered] = Lowered(_SIT_PROCESS)
GOAL_WANT: Final[Lowered] = Lowered(_GOAL_WANT)
GOAL_PHRASE: Final[Lowered] = Lowered(_GOAL_PHRASE)
GOAL_TARGET: Final[Lowered] = Lowered(_GOAL_TARGET)
GOAL_VERB_START: Final[Lowered] = Lowered(_GOAL_VERB_START)
CUSTOMER_ACTION: Final[Lowered] = Lowered(_CUSTOMER_ACTION)
IMPERATIVE: Final[Lowered] = Lowered(_IMPERATIVE)
TIMEFRAME: Final[Lowered] = Lowered(_TIMEFRAME)
PLACEHOLDER: Final[Lowered] = Lowered(_PLACEHOLDER)

# --- one pass per text ------------------------------------------------------------------------------------
# The cue lexicons a sentence or clause is judged by, matched together word by word (see lexicon.py):
# each word of the lower-cased text looks up the phrases it can start, so a text is read once instead
# of once per lexicon.


def _lexicon(rx: re.Pattern[str] | Lowered) -> Lexicon:
    if isinstance(rx, Lowered):
        if rx.fast is None:
            raise ValueError("a case-sensitive pattern cannot run on lower-cased text")
        rx = re.compile(rx.rx.pattern, rx.rx.flags & ~re.I)
    return Lexicon(rx)


SIGNAL_NAMES: Final = (
    "obs_strong", "obs_weak", "comp_strong", "comp_weak", "month",
    "meta", "vendor_outcome", "goal_want", "sit_team_of", "sit_process",
)  # fmt: skip
_SIGNAL_PATTERNS: tuple[re.Pattern[str] | Lowered, ...] = (
    OBS_STRONG,
    OBS_WEAK,
    COMP_STRONG,
    COMP_WEAK,
    MONTH_RX,
    META,
    VENDOR_OUTCOME,
    GOAL_WANT,
)
SIGNALS: Final[LexiconSet] = LexiconSet(
    dict(zip(SIGNAL_NAMES, map(_lexicon, (*_SIGNAL_PATTERNS, SIT_TEAM_OF, SIT_PROCESS)), strict=True))
)
