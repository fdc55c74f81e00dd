"""Infer the customer's buying-process stage when the memo makes it clear."""

from __future__ import annotations

import re

from app.checking.fastre import Gated, GateSet

_I = re.I
_YOU = r"(?:you(?:'re|’re| are| were| have| 've|'ve|’ve)?|your (?:team|board|company)|the (?:team|board))"

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
_GATED = tuple((stage, Gated(rx)) for stage, rx in _STAGE_CUES)
_GATES = GateSet([gate for _, gate in _GATED])
_VENDOR_SUBJECT = re.compile(
    r"\b(?:vendor|supplier|provider|distributor|partner)\s+(?:is|was)\s+being acquired", _I
)


def infer_stage(text: str) -> str | None:
    """The latest buying stage the memo gives clear evidence of, or None."""
    text = text.lower()  # the cue patterns are lower-case and compiled without re.I, for speed
    possible = _GATES.possible(text, text)
    for n, (stage, gate) in enumerate(_GATED):
        if n not in possible:
            continue
        for m in gate.rx.finditer(text):
            if stage == "change" and _VENDOR_SUBJECT.search(text[max(0, m.start() - 60) : m.end() + 10]):
                continue
            return stage
    return None
