"""The MOU checker: which required elements a memo states, its buying stage, and prompts for the rep."""

from app.checking.build import use_source_if_stale

use_source_if_stale(__path__[0])  # before any other module of the package is imported

from app.checking.checker import check_fields, check_memo  # noqa: E402
from app.checking.model import ELEMENTS, PHASES, REQUIRED, STAGES, Checklist, ElementResult  # noqa: E402

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
