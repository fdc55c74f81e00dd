"""The MOU checker: a pure function from a draft to its Checklist."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from app.checking import cues
from app.checking.cleanup import clean_memo, looks_like_html
from app.checking.elements import find_elements
from app.checking.focus import focus_warnings
from app.checking.hints import hint_for
from app.checking.model import ELEMENTS, REQUIRED, STAGES, Checklist, ElementResult
from app.checking.nextstep import action_phrase, find_next_step, resolve_due
from app.checking.segment import Unit, segment, split_sentences
from app.checking.stage import infer_stage

MAX_CHARS: Final = 200_000  # a memo is a page or two; the rest of a huge body cannot change the verdict
EVIDENCE_CHARS: Final = 200


def evidence_of(text: str) -> str:
    """A unit's text trimmed at a word boundary to about 200 characters (still a span of the memo)."""
    text = text.strip()
    if len(text) <= EVIDENCE_CHARS:
        return text
    cut = text[:EVIDENCE_CHARS]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def _pick(units: list[Unit]) -> Unit:
    """The evidence unit: the first one under a matching heading, else the first found."""
    return units[0]


def check_memo(
    body: str,
    fmt: str = "text",
    subject: str = "",
    memo_date: date | None = None,
    *,
    want_due: bool = True,
    want_warnings: bool = True,
) -> Checklist:
    """Check one memo (plain text or HTML) and return its checklist (callers that show neither the due
    date nor the warnings can skip working them out)."""
    body = (body or "")[:MAX_CHARS]
    if fmt not in ("text", "html"):
        fmt = "html" if looks_like_html(body) else "text"
    text, openings = clean_memo(body, fmt, subject or "")
    return _check_text(text, memo_date, want_due, want_warnings, openings)


def _check_text(
    text: str, memo_date: date | None, want_due: bool, want_warnings: bool, openings: frozenset[str] | None
) -> Checklist:
    units = segment(text)
    found = find_elements(units)
    step = find_next_step(units)
    evidence: dict[str, str | None] = {k: evidence_of(_pick(v).text) if v else None for k, v in found.items()}
    results: dict[str, ElementResult] = {}
    for name in REQUIRED:
        results[name] = ElementResult(
            present=bool(found[name]),
            evidence=evidence[name],
            hint=None if found[name] else hint_for(name, evidence),
        )
    dated = step is not None and step.dated
    results["next_step"] = ElementResult(
        present=dated,
        evidence=evidence_of(step.unit.text) if dated and step and step.unit else None,
        hint=None if dated else hint_for("next_step", evidence, action_phrase(step.clause) if step else None),
    )
    due = resolve_due(step.when, memo_date) if want_due and dated and step else None
    return Checklist(
        elements=results,
        stage=infer_stage(text, openings),
        warnings=focus_warnings(text) if want_warnings else (),
        next_step_due=due,
    )


def _field_units(kind: str, value: str) -> list[Unit]:
    return [
        Unit(text=s, section=kind, bullet=False, position=i) for i, s in enumerate(split_sentences(value))
    ]


def _substantive(value: str) -> bool:
    value = (value or "").strip()
    return bool(value) and not cues.PLACEHOLDER.match(value) and len(re.findall(r"\w+", value)) >= 2


def check_fields(
    *,
    situation: str = "",
    goals: str = "",
    obstacles: str = "",
    complications: str = "",
    next_step: str = "",
    next_step_due: date | None = None,
    stage: str | None = None,
    memo_date: date | None = None,
) -> Checklist:
    """Check a structured form: each field on its own; the rep's explicit stage and due date win."""
    fields = {"situation": situation, "goals": goals, "obstacles": obstacles, "complications": complications}
    evidence: dict[str, str | None] = {}
    present: dict[str, bool] = {}
    for name, value in fields.items():
        value = (value or "")[:MAX_CHARS]
        ok = _substantive(value) and bool(find_elements(_field_units(name, value)).get(name))
        if name == "goals" and ok and cues.REP_VOICE.match(value.strip()) and "you" not in value.lower():
            ok = False
        present[name] = ok
        evidence[name] = evidence_of(split_sentences(value.strip())[0]) if ok else None
    results = {
        n: ElementResult(present[n], evidence[n], None if present[n] else hint_for(n, evidence))
        for n in fields
    }
    results["next_step"], due = _next_step_field(next_step or "", next_step_due, memo_date, evidence)
    all_text = "\n".join([*fields.values(), next_step or ""])
    inferred = infer_stage(all_text)
    return Checklist(
        elements={n: results[n] for n in ELEMENTS},
        stage=stage if stage in STAGES else inferred,
        warnings=focus_warnings(all_text),
        next_step_due=due,
    )


def _next_step_field(
    value: str, due: date | None, memo_date: date | None, evidence: dict[str, str | None]
) -> tuple[ElementResult, date | None]:
    value = value.strip()[:MAX_CHARS]
    if not _substantive(value) or cues.REP_VOICE.match(value):
        return ElementResult(False, None, hint_for("next_step", evidence)), None
    step = find_next_step(_field_units("next_step", value))
    when = step.when if step and step.dated else None
    if when is None:
        for m in cues.TIMEFRAME.finditer(value):
            when = value[m.start() : m.start() + 40]
            break
    due = due or resolve_due(when, memo_date)
    if due is None and when is None:
        action = action_phrase(step.clause) if step else value.rstrip(".")
        return ElementResult(
            False, None, hint_for("next_step", evidence, action[:1].lower() + action[1:])
        ), None
    return ElementResult(True, evidence_of(value), None), due
