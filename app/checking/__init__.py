"""The MOU checker: which required elements a memo states, its buying stage, and prompts for the rep."""

from app.checking.checker import check_fields, check_memo
from app.checking.model import ELEMENTS, PHASES, REQUIRED, STAGES, Checklist, ElementResult

__all__ = [
    "ELEMENTS",
    "PHASES",
    "REQUIRED",
    "STAGES",
    "Checklist",
    "ElementResult",
    "check_fields",
    "check_memo",
]
