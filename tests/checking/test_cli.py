"""`check_file` and `check_jsonl`: the CLI contract."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from app.checking.cli import check_file, check_jsonl

MEMO = (
    "Situation\nAcme runs 12 warehouses with 300 staff.\n\nGoals\nYou want to cut cycle time to one day.\n\n"
    "Obstacles\nThe WMS can't see stock across sites.\n\nComplications\nYour CFO must approve the spend.\n\n"
    "Next steps\nYou'll send the export by Friday."
)


def test_check_file_prints_checklist_and_exit_code(tmp_path: Path, capsys) -> None:
    path = tmp_path / "memo.txt"
    path.write_text(MEMO)
    assert check_file(str(path)) == 0
    out = capsys.readouterr().out
    assert "✓ Situation" in out and "Complete" in out
    path.write_text(MEMO.replace("Your CFO must approve the spend.", "TBD"))
    assert check_file(str(path)) == 1
    assert "✗ Complications" in capsys.readouterr().out


def test_check_file_reads_html(tmp_path: Path, capsys) -> None:
    path = tmp_path / "memo.html"
    path.write_text("<p><b>Goals</b><br>You want to cut cycle time to one day.</p>")
    assert check_file(str(path)) == 1
    assert "✓ Goals" in capsys.readouterr().out


def test_check_jsonl_contract_and_bad_lines() -> None:
    lines = [
        json.dumps({"id": "a", "format": "text", "subject": "s", "body": MEMO}),
        "{not json",
        json.dumps({"id": "c", "format": "html", "subject": "", "body": "<p>hi</p>"}),
        json.dumps(["list"]),
        json.dumps({"id": "e", "body": 3}),
    ]
    out = io.StringIO()
    assert check_jsonl(io.StringIO("\n".join(lines) + "\n"), out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 5
    assert set(rows[0]) == {"id", "complete", "elements", "stage"} and rows[0]["complete"] is True
    assert set(rows[0]["elements"]["goals"]) == {"present", "evidence", "hint"}
    assert rows[1]["id"] is None and "error" in rows[1]
    assert rows[2]["id"] == "c" and rows[2]["complete"] is False
    assert "error" in rows[3] and "error" in rows[4]


def test_check_jsonl_lines_are_what_json_dumps_writes() -> None:
    ids = ["a", 1, 2.5, None, True, {"k": [1, "é"]}, 'q"\\\n\u2028é']
    bodies = [MEMO, MEMO.replace("Acme", "Acmé “quoted” \\ \t"), "", "<p>x</p>"]
    lines = [json.dumps({"id": i, "body": b}) for i in ids for b in bodies]
    out = io.StringIO()
    check_jsonl(io.StringIO("\n".join(lines) + "\n"), out)
    written = out.getvalue().split("\n")  # an id may hold U+2028, which splitlines() would cut at
    assert written.pop() == "" and len(written) == len(lines)
    for line in written:
        assert json.dumps(json.loads(line), ensure_ascii=False) == line


def test_module_entry_point_reads_stdin() -> None:
    data = json.dumps({"id": 1, "format": "text", "subject": "", "body": MEMO}) + "\n"
    proc = subprocess.run(
        [sys.executable, "-m", "app.checking.cli", "--jsonl"],
        input=data.encode(),
        capture_output=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert json.loads(proc.stdout)["id"] == 1


def test_check_jsonl_answers_a_number_the_decoder_refuses_with_an_error_line() -> None:
    lines = ['{"id": ' + "1" * 5000 + ', "body": "x"}', json.dumps({"id": "next", "body": MEMO})]
    out = io.StringIO()
    assert check_jsonl(io.StringIO("\n".join(lines) + "\n"), out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows[0]["id"] is None and rows[0]["error"].startswith("invalid JSON: ")
    assert rows[1]["id"] == "next" and rows[1]["complete"] is True
