"""The checklist the MOU checker returns: one result per element, the buying stage and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

ELEMENTS = ("situation", "goals", "obstacles", "complications", "next_step")
REQUIRED = ("situation", "goals", "obstacles", "complications")
STAGES = (
    "change",
    "discontent",
    "research",
    "comparison",
    "fear",
    "commitment",
    "expectations",
    "satisfaction",
)
PHASES = {
    "needs": ("change", "discontent"),
    "options": ("research", "comparison"),
    "decision": ("fear", "commitment"),
    "results": ("expectations", "satisfaction"),
}


@dataclass(frozen=True)
class ElementResult:
    """Whether one element is stated, the span that shows it, and a prompt for the rep when it is not."""

    present: bool
    evidence: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The contract's per-element object."""
        return {"present": self.present, "evidence": self.evidence, "hint": self.hint}


@dataclass(frozen=True)
class Checklist:
    """The verdict on one MOU draft."""

    elements: dict[str, ElementResult]
    stage: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    next_step_due: date | None = None

    @property
    def complete(self) -> bool:
        """True when every required element is present."""
        return all(self.elements[name].present for name in REQUIRED)

    @property
    def missing(self) -> list[str]:
        """Required elements that are absent, in contract order."""
        return [name for name in REQUIRED if not self.elements[name].present]

    def to_dict(self) -> dict[str, Any]:
        """The contract JSON (without the id), plus warnings and the next step's due date."""
        return {
            "complete": self.complete,
            "elements": {name: self.elements[name].to_dict() for name in ELEMENTS},
            "stage": self.stage,
            "warnings": list(self.warnings),
            "next_step_due": self.next_step_due.isoformat() if self.next_step_due else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checklist:
        """Rebuild a checklist from to_dict() output (e.g. a stored JSON column)."""
        raw = data.get("elements") or {}
        elements = {}
        for name in ELEMENTS:
            item = raw.get(name) or {}
            elements[name] = ElementResult(
                present=bool(item.get("present")), evidence=item.get("evidence"), hint=item.get("hint")
            )
        due = data.get("next_step_due")
        stage = data.get("stage")
        return cls(
            elements=elements,
            stage=stage if stage in STAGES else None,
            warnings=tuple(data.get("warnings") or ()),
            next_step_due=date.fromisoformat(due) if due else None,
        )
