"""Hostile input: every body gives a checklist (or a clear error line) within a bounded time."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from app.checking import Checklist, check_memo
from app.checking.cli import check_jsonl
from app.checking.nextstep import resolve_due

ROOT = Path(__file__).resolve().parents[2]
FIVE_MB = 5 * 1024 * 1024
LIMIT_S = 2.0  # CPU seconds: the machine running the suite may be busy, so the wall clock would flake

_PROSE = (
    "Your team of 40 runs dispatch from a whiteboard. You want same-day scheduling by June. "
    "Jobs get lost because nobody can see the board, and your COO must approve any spend.\n"
)


def _junk(n: int) -> str:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(n)).decode("utf-8", errors="replace")


CASES = {
    "empty": ("", "text"),
    "blank lines": ("\n \n\t\n" * 1000, "text"),
    "5 MB of prose": ((_PROSE * (FIVE_MB // len(_PROSE) + 1))[:FIVE_MB], "text"),
    "5 MB one line": ("x" * FIVE_MB, "text"),
    "5 MB of newlines": ("\n" * FIVE_MB, "text"),
    "5 MB of colons and dashes": ("Goals: - : -- \n" * (FIVE_MB // 15), "text"),
    "binary junk": (_junk(200_000), "text"),
    "nested divs": ("<div>" * 100_000 + "Goals: grow" + "</div>" * 100_000, "html"),
    "nested blockquotes and tables": ("<blockquote><table><tr><td>" * 20_000 + "x", "html"),
    "5 MB of html": (("<p><b>Goals:</b> " + _PROSE + "</p>") * (FIVE_MB // 200), "html"),
    "unclosed markup": ("<p>unclosed <b>bold <i>" + "<" * 10_000, "html"),
    "entities": ("&#0;&#xD800;&#99999999;&amp;&lt;" * 10_000, "html"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_body_gives_a_checklist_in_bounded_time(name: str) -> None:
    body, fmt = CASES[name]
    start = time.process_time()
    checklist = check_memo(body, fmt, subject="Re: " + name)
    spent = time.process_time() - start
    assert isinstance(checklist, Checklist)
    assert spent < LIMIT_S, f"{name}: {spent:.2f} s CPU"
    for item in checklist.elements.values():
        assert item.present or item.hint  # a missing element always tells the rep what to ask


def test_invalid_utf8_on_the_command_line_gives_a_checklist(tmp_path: Path) -> None:
    path = tmp_path / "memo.txt"
    path.write_bytes(b"Goals:\xff\xfe you want \xc3\x28 growth\x80 by June.\n\xed\xa0\x80")
    proc = subprocess.run(
        [sys.executable, "-m", "app.checking.cli", str(path)], capture_output=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert b"Goals" in proc.stdout


def test_invalid_utf8_in_jsonl_gives_one_line_per_input() -> None:
    good = json.dumps({"id": "ok", "format": "text", "body": "Hello"}).encode()
    data = good + b"\n" + b'{"id": "bad", "body": "\xff\xfe"}\n' + b"\xc3\x28 not json\n"
    proc = subprocess.run(
        [sys.executable, "-m", "app.checking.cli", "--jsonl"],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert proc.returncode == 0 and len(rows) == 3
    assert rows[0]["id"] == "ok" and rows[1]["id"] == "bad" and "elements" in rows[1]
    assert rows[2]["id"] is None and rows[2]["error"].startswith("invalid JSON")


def test_jsonl_hostile_records_answer_with_errors_not_crashes() -> None:
    lines = ["[]", "null", '{"body": null}', '{"body": "x", "format": "pdf"}', '{"id": {"a": 1}, "body": ""}']
    out = io.StringIO()
    check_jsonl(io.StringIO("\n".join(lines) + "\n"), out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == len(lines)
    assert all("error" in row for row in rows[:4]) and "elements" in rows[4]


LOOKALIKE_DATES = [
    ("by Frıday", date(2026, 11, 27)),  # dotless i
    ("ſaturday", date(2026, 11, 28)),  # long s
    ("by ſeptember", date(2027, 9, 30)),
    ("next FRİDAY", date(2026, 12, 4)),  # dotted capital I
    ("by the end of the weeK", date(2026, 11, 27)),  # Kelvin sign
]


@pytest.mark.parametrize(("phrase", "due"), LOOKALIKE_DATES)
def test_letters_that_match_ascii_ones_resolve_like_them(phrase: str, due: date) -> None:
    # Case-insensitive matching takes these for ASCII letters; looking the word up by name must too.
    assert resolve_due(phrase, date(2026, 11, 23)) == due


def test_lookalike_letters_in_a_memo_do_not_crash_the_full_check() -> None:
    body = (
        "Situation: 40 agents answer tickets by hand. Goals: cut response time to 2 hours. "
        "Obstacles: no routing rules. Complications: the CFO signs off on any spend. "
        "Next step: you will send the ticket export by Frıday."
    )
    checklist = check_memo(body, "text", "MOU", date(2026, 11, 23))
    assert checklist.elements["next_step"].present
    assert checklist.next_step_due == date(2026, 11, 27)
