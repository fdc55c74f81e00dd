"""Crash test, fast version: 200 signed webhooks, the server SIGKILLed once mid-stream and restarted,
the sender retrying what was not acknowledged. The full run is `bench/crash.py` (2,000 messages)."""

from __future__ import annotations

import pytest

from bench.crash import run_crash


@pytest.mark.slow
def test_sigkill_mid_stream_loses_nothing_and_processes_everything_once(tmp_path):
    """Every acknowledged message is in the inbox once, processed once; exactly one MOU and one customer
    delivery per message; nothing sent twice."""
    log: list[str] = []
    result = run_crash(count=200, kills=1, work_dir=tmp_path, concurrency=8, timeout=240, log=log)
    assert result.problems == [], (result.summary(), log)
    assert any(line.startswith("SIGKILL") for line in log), "the server was never killed"
    assert result.failed_attempts > 0, "no request failed, so the kill hit nothing in flight"
    assert result.mous == result.count == 200
