"""Throughput of `python -m app.checking.cli --jsonl` on 20,000 memos, start-up included.

Prints wall-clock and CPU-time rates: on a busy machine the wall clock includes time spent waiting for
a core, so the CPU rate (user + system time of the checker process) is the one to compare changes by.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 2000.0
COUNT = 20_000


def _dev_set() -> list[dict]:
    local = ROOT / "tests/checking/data/mou_dev.jsonl"
    shared = ROOT.parent / "shared/data/mou_dev.jsonl"
    path = local if local.exists() else shared
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _batch() -> bytes:
    records = _dev_set()
    lines = []
    for i, rec in enumerate(itertools.islice(itertools.cycle(records), COUNT)):
        item = {"id": f"b{i}", "format": rec["format"], "subject": rec["subject"], "body": rec["body"]}
        lines.append(json.dumps(item))
    return ("\n".join(lines) + "\n").encode()


def _timed(args: list[str], stdin: bytes = b"") -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds of the child process, and its stdout."""
    before = os.times()
    start = time.perf_counter()
    out = subprocess.run(args, input=stdin, capture_output=True, check=True, cwd=ROOT).stdout
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, out


def main() -> int:
    """Run the benchmark and print memos/s with PASS or FAIL against the target."""
    baseline, baseline_cpu, _ = _timed([sys.executable, "-c", "pass"])
    print(f"interpreter start-up (python -c pass): {baseline:.3f} s wall, {baseline_cpu:.3f} s CPU")
    data = _batch()
    elapsed, cpu, out = _timed([sys.executable, "-m", "app.checking.cli", "--jsonl"], data)
    lines = out.decode().splitlines()
    if len(lines) != COUNT:
        print(f"FAIL: expected {COUNT} output lines, got {len(lines)}")
        return 1
    rate = COUNT / elapsed
    cpu_rate = COUNT / cpu if cpu > 0 else float("inf")
    print(f"{COUNT} memos in {elapsed:.2f} s wall (start-up included): {rate:,.0f} memos/s")
    print(f"{COUNT} memos in {cpu:.2f} s CPU (start-up included): {cpu_rate:,.0f} memos/s")
    # On a shared machine the wall clock includes waiting for a core; the CPU rate is what one core does.
    verdict = "PASS" if cpu_rate >= TARGET else "FAIL"
    print(f"{verdict} (target {TARGET:,.0f} memos/s on one core, CPU time; wall clock shown for reference)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
