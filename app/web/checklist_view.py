"""Turning a stored checklist into rows for the page, with the evidence marked in the memo text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.web.templating import ELEMENT_LABELS, ELEMENTS, REQUIRED


@dataclass(frozen=True)
class ChecklistRow:
    """One element as the page shows it."""

    name: str
    label: str
    required: bool
    present: bool | None
    evidence: str | None
    hint: str | None


def rows(checklist: dict[str, Any] | None) -> list[ChecklistRow]:
    """The five elements in contract order; `present` is None when nothing was checked yet."""
    elements = (checklist or {}).get("elements") or {}
    out = []
    for name in ELEMENTS:
        item = elements.get(name)
        out.append(
            ChecklistRow(
                name=name,
                label=ELEMENT_LABELS[name],
                required=name in REQUIRED,
                present=None if item is None else bool(item.get("present")),
                evidence=(item or {}).get("evidence") or None,
                hint=(item or {}).get("hint") or None,
            )
        )
    return out


def missing_labels(checklist: dict[str, Any] | None) -> list[str]:
    """Labels of the required elements not present."""
    return [r.label for r in rows(checklist) if r.required and not r.present]


def highlight(text: str, evidences: list[str]) -> list[tuple[str, bool]]:
    """Split text into (segment, is_evidence) pairs so the template can mark evidence (escaped)."""
    spans = sorted(_spans(text, evidences))
    segments, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        if start > pos:
            segments.append((text[pos:start], False))
        segments.append((text[start:end], True))
        pos = end
    if pos < len(text):
        segments.append((text[pos:], False))
    return segments


def _spans(text: str, evidences: list[str]) -> list[tuple[int, int]]:
    found = []
    lowered = text.lower()
    for evidence in evidences:
        needle = (evidence or "").strip().lower()
        if len(needle) < 3:
            continue
        start = lowered.find(needle)
        if start >= 0:
            found.append((start, start + len(needle)))
    return found
