"""The `mou` command line on a fresh data directory, as an admin would use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MOU = [sys.executable, "-m", "app.cli"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOU_")}
    return {**clean, "MOU_DATA_DIR": str(tmp_path / "data")}


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*MOU, *args], env=env, capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def test_admin_setup_flow(env):
    assert "up to date" in run(env, "db", "upgrade").stdout
    assert "no drift" in run(env, "db", "check").stdout
    assert "created" in run(env, "teams", "add", "--name", "Enterprise", "--template", "formal").stdout
    out = run(
        env, "users", "add", "--email", "Rep@Acme.example", "--name", "Rita Rep", "--team", "Enterprise"
    ).stdout
    assert "rep@acme.example" in out
    token = out.split("API token (shown once): ")[1].strip()
    assert token.startswith("mou_") and len(token) > 30
    dup = run(env, "users", "add", "--email", "rep@acme.example", "--name", "Again", ok=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    missing = run(env, "users", "add", "--email", "x@acme.example", "--name", "X", "--team", "Nope", ok=False)
    assert "No team named 'Nope'" in missing.stderr


def test_demo_seeds_once_and_bulk_loads(env):
    first = run(env, "demo", "--if-empty").stdout
    assert "demo organisation created" in first and "maria.nunez@" in first
    assert "skipped" in run(env, "demo", "--if-empty").stdout
    bulk = run(env, "demo", "--count", "2500").stdout
    assert "loaded 2,500 MOUs" in bulk
    import sqlite3

    db = sqlite3.connect(Path(env["MOU_DATA_DIR"]) / "mou.db")
    total, stages, incomplete = db.execute(
        "SELECT count(*), count(DISTINCT stage), sum(NOT complete) FROM mou"
    ).fetchone()
    reviews = db.execute("SELECT count(*) FROM review").fetchone()[0]
    assert total == 2500 + 10
    assert stages == 8
    assert incomplete > 0 and reviews > 0


def test_check_command_reads_a_file(env, tmp_path):
    memo = tmp_path / "memo.txt"
    memo.write_text("Situation: You run 40 stores.\nGoals: none\n")
    done = run(env, "check", str(memo), ok=False)
    assert done.returncode == 1  # incomplete memo
    assert "goals" in done.stdout.lower()
    assert run(env, "check", str(tmp_path / "missing.txt"), ok=False).returncode == 1


def test_templates_check_and_worker_once(env):
    assert "templates ok" in run(env, "templates", "check").stdout
    run(env, "demo", "--if-empty")
    out = run(env, "worker", "--once").stdout
    assert out.startswith("processed ")


def test_admin_commands_work_on_a_fresh_data_dir(env):
    """An admin may add a team before ever running `mou db upgrade`."""
    assert "created" in run(env, "teams", "add", "--name", "First Team").stdout
