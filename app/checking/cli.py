"""Command-line checking: one memo as a readable checklist, or JSON lines in and out (the contract)."""

from __future__ import annotations

import gc
import sys
from typing import TextIO

from app.checking.checker import check_memo
from app.checking.cleanup import looks_like_html
from app.checking.contract import output_line
from app.checking.model import ELEMENTS, Checklist

_LABELS = {
    "situation": "Situation",
    "goals": "Goals",
    "obstacles": "Obstacles",
    "complications": "Complications",
    "next_step": "Next step (recommended)",
}


def _read(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as fh:
            data = fh.read()
    return data.decode("utf-8", errors="replace")


def render(checklist: Checklist) -> str:
    """The checklist as text for a terminal."""
    lines = []
    for name in ELEMENTS:
        item = checklist.elements[name]
        lines.append(f"{'✓' if item.present else '✗'} {_LABELS[name]}")
        if item.evidence:
            lines.append(f"    “{item.evidence}”")
        if item.hint:
            lines.append(f"    Ask: {item.hint}")
    if checklist.next_step_due:
        lines.append(f"Next step due: {checklist.next_step_due.isoformat()}")
    lines.append(f"Stage: {checklist.stage or 'unclear'}")
    for warning in checklist.warnings:
        lines.append(f"! {warning}")
    verdict = "Complete" if checklist.complete else "Incomplete: missing " + ", ".join(checklist.missing)
    lines.append(verdict)
    return "\n".join(lines)


def check_file(path: str) -> int:
    """Print the checklist for one memo file ('-' for stdin); exit code 0 when complete, else 1."""
    try:
        body = _read(path)
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    fmt = "html" if looks_like_html(body) else "text"
    checklist = check_memo(body, fmt)
    print(render(checklist))
    return 0 if checklist.complete else 1


def check_jsonl(stdin: TextIO, stdout: TextIO) -> int:
    """Check JSON lines {"id","format","subject","body"}; write one contract line per input line."""
    # The compiled lexicons live for the whole run: keep them out of every cyclic garbage collection.
    gc.freeze()
    write = stdout.write
    for line in stdin:
        if not line.strip():
            continue
        write(output_line(line) + "\n")
    stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m app.checking.cli --jsonl` or `python -m app.checking.cli FILE|-`."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--jsonl"]:
        stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        return check_jsonl(stdin, sys.stdout)
    if len(args) != 1:
        print("usage: python -m app.checking.cli --jsonl | FILE | -", file=sys.stderr)
        return 2
    return check_file(args[0])


if __name__ == "__main__":
    sys.exit(main())
