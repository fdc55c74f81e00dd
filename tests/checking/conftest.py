"""Shared helpers for the checker tests."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def load_jsonl(name: str, shared_fallback: Path | None = None) -> list[dict]:
    """Records from tests/checking/data (or the shared folder when the in-repo copy is absent)."""
    path = DATA / name
    if not path.exists() and shared_fallback is not None:
        path = shared_fallback
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
