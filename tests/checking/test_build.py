"""The compiled checker (setup.py): it is what runs, it answers as the source does, and a compiled build
older than its source is not run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from app.checking import build, segment

from .conftest import load_jsonl

ROOT = Path(__file__).resolve().parents[2]
CHECKING = ROOT / "app" / "checking"
SUFFIX = EXTENSION_SUFFIXES[0]

# One line per result: the CLI's contract lines, then the API's checklists with due dates and warnings.
_API = """
import json, sys
from datetime import date
from app.checking import check_fields, check_memo
for line in sys.stdin:
    r = json.loads(line)
    c = check_memo(r["body"], r["format"], r["subject"], date(2025, 3, 5))
    print(json.dumps(c.to_dict(), ensure_ascii=False))
    parts = r["body"].split("\\n\\n") + [""] * 5
    f = check_fields(situation=parts[0], goals=parts[1], obstacles=parts[2], complications=parts[3],
                     next_step=parts[4], memo_date=date(2025, 3, 5))
    print(json.dumps(f.to_dict(), ensure_ascii=False))
"""


def _variants(rec: dict) -> list[dict]:
    """The memo as written and reworked the ways mail reworks memos."""
    body = rec["body"]
    lines = body.split("\n")
    return [
        rec,
        {**rec, "body": "\n".join(s.upper() if len(s) < 40 else s for s in lines)},
        {**rec, "body": body.replace("'", "’").replace(" - ", " – ").replace("i", "ı", 3)},
        {**rec, "body": "* " + body.replace("\n- ", "\n1. ").replace("\n\n", "\r\n\r\n")},
        {**rec, "body": body[: len(body) // 2], "subject": "Fwd: " + rec["subject"]},
    ]


def _input() -> bytes:
    records = [r for name in ("mou_dev.jsonl", "holdout.jsonl", "holdout2.jsonl") for r in load_jsonl(name)]
    lines = [
        json.dumps({"id": f"m{i}", "format": v["format"], "subject": v["subject"], "body": v["body"]})
        for i, v in enumerate(v for r in records for v in _variants(r))
    ]
    return ("\n".join(lines) + "\n").encode()


def _run(root: Path, args: list[str], stdin: bytes) -> bytes:
    done = subprocess.run(
        [sys.executable, *args], input=stdin, capture_output=True, cwd=root, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def _source_copy(root: Path) -> Path:
    """The checker's source files alone (no compiled build) under root."""
    (root / "app").mkdir()
    shutil.copy(ROOT / "app" / "__init__.py", root / "app")
    (root / "app" / "checking").mkdir()
    for path in CHECKING.glob("*.py"):
        shutil.copy(path, root / "app" / "checking")
    return root / "app" / "checking"


def test_the_compiled_checker_runs() -> None:
    if os.environ.get("MOU_COMPILE") == "0":  # the install was asked to leave the checker uncompiled
        assert not segment.__file__.endswith(SUFFIX)
        return
    assert segment.__file__.endswith(SUFFIX), "app.checking is not compiled: run `make install`"
    assert build.stale_reason(str(CHECKING)) is None


def test_source_and_compiled_checker_answer_alike(tmp_path: Path) -> None:
    data = _input()
    source = _source_copy(tmp_path).parents[1]
    for args in (["-m", "app.checking.cli", "--jsonl"], ["-c", _API]):
        expected = _run(ROOT, args, data)
        assert expected.count(b"\n") >= 500
        assert _run(source, args, data) == expected


def _fake_build(folder: Path, age: float) -> None:
    """A compiled file for each module setup.py compiles, made age seconds before its source (it is not a
    library: loading it fails)."""
    (folder.parents[1] / (build.GROUP_LIBRARY + SUFFIX)).write_bytes(b"not a library")
    for path in folder.glob("*.py"):
        if path.stem in ("__init__", "build", "cli", "model"):
            continue
        fake = folder / (path.stem + SUFFIX)
        fake.write_bytes(b"not a library")
        mtime = path.stat().st_mtime - age
        os.utime(fake, (mtime, mtime))


_IMPORT = "import app.checking.segment as s; print(s.__file__)"


@pytest.mark.parametrize("age", [5.0, -5.0])
def test_a_compiled_build_older_than_its_source_is_not_run(tmp_path: Path, age: float) -> None:
    folder = _source_copy(tmp_path)
    _fake_build(folder, age)
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT], capture_output=True, cwd=tmp_path, timeout=60, check=False
    )
    if age > 0:  # stale: the source runs, with a warning
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode().strip() == str(folder / "segment.py")
        assert ".py changed after it was compiled" in done.stderr.decode()
    else:  # current: the compiled file is loaded (here it is not a library, so the import fails)
        assert done.returncode != 0 and "ImportError" in done.stderr.decode()
