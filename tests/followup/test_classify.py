"""The reply classifier, measured on labelled replies written before it was tuned."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from app.followup.classify import CONFIRMED, CORRECTED, OTHER, classify_reply, reply_text
from app.followup.highlight import highlight

DATA = Path(__file__).parent / "data"
MEMOS = json.loads((DATA / "memos.json").read_text("utf-8"))


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


def _verdict(row: dict):
    return classify_reply(
        row["body"],
        fmt=row["format"],
        subject=row["subject"],
        automatic=bool(row.get("headers")),
        memo=MEMOS[row["memo"]],
    )


def _measure(name: str) -> tuple[float, float]:
    rows = _load(name)
    right, placed, corrections, misses = 0, 0, 0, []
    for row in rows:
        verdict = _verdict(row)
        right += verdict.classification == row["label"]
        if verdict.classification != row["label"]:
            misses.append(f"{row['id']}: {row['label']} -> {verdict.classification} ({verdict.reason})")
        if row.get("element"):
            corrections += 1
            placed += bool(verdict.highlights) and verdict.highlights[0].element == row["element"]
    accuracy, placement = right / len(rows), placed / max(corrections, 1)
    counts = Counter(r["label"] for r in rows)
    print(
        f"\n{name}: {len(rows)} replies {dict(counts)}; accuracy {accuracy:.3f}; "
        f"corrections placed on the right element {placement:.3f}"
    )
    for miss in misses:
        print("  miss", miss)
    return accuracy, placement


def test_labelled_set_is_big_and_varied():
    rows = _load("replies.jsonl")
    counts = Counter(r["label"] for r in rows)
    assert len(rows) >= 40
    assert min(counts[CONFIRMED], counts[CORRECTED], counts[OTHER]) >= 10
    assert sum(1 for r in rows if r.get("headers") or "auto" in r["subject"].lower()) >= 3


@pytest.mark.parametrize("name", ["replies.jsonl", "replies_holdout.jsonl"])
def test_classifier_accuracy(name):
    accuracy, placement = _measure(name)
    assert accuracy >= 0.9
    assert placement >= 0.8


def test_out_of_office_never_confirms():
    body = "I am out of the office until Monday. Confirmed receipt, all correct, looks good."
    assert classify_reply(body).classification == OTHER
    assert classify_reply("Looks good, confirmed.", automatic=True).classification == OTHER
    assert classify_reply("Looks good.", subject="Automatic reply: your memo").is_auto_reply


def test_quoted_memo_and_signature_are_ignored():
    body = (
        "Yes, all correct.\n\nBest,\nJordan\n\nOn Tue, 4 Mar 2025, Dana wrote:\n> One correction: not right"
    )
    assert reply_text(body) == "Yes, all correct."
    assert classify_reply(body).classification == CONFIRMED


def test_correction_is_extracted_and_placed_against_the_memo():
    verdict = classify_reply(
        "Hi Dana, one correction: we have 14 depots, not 12. The rest is right.", memo=MEMOS["northwind"]
    )
    assert verdict.classification == CORRECTED
    assert verdict.correction == "we have 14 depots, not 12."
    (mark,) = verdict.highlights
    assert mark.element == "situation"
    assert "14" in " ".join(mark.added)
    assert "[-" in mark.marked and "{+" in mark.marked


def test_asking_us_to_confirm_is_not_a_confirmation():
    assert classify_reply("Can you confirm whether onboarding is included?").classification == OTHER
    assert classify_reply("Is this correct?").classification == OTHER


def test_highlight_without_overlap_is_empty():
    assert highlight("Completely unrelated words here.", MEMOS["helios"]) == []


@pytest.mark.parametrize("body", ["", "   ", "\x00\x00", "<html></html>", "?" * 10_000, "> only quoted"])
def test_hostile_or_empty_bodies_are_other(body):
    assert classify_reply(body, fmt="html" if body.startswith("<") else "text").classification == OTHER


@pytest.mark.parametrize(
    ("reply", "marked"),
    [
        (
            "Actually the budget cycle closes in September, not June.",
            "The budget cycle closes in [-June-] {+September+}",
        ),
        ("The threshold is £75k rather than £50k.", "The CFO must approve anything over [-£50k-] {+£75k+}"),
        (
            "Route data lives in two systems, not three.",
            "Route data lives in [-three-] {+two+} systems that do not",
        ),
    ],
)
def test_swapped_values_are_struck_out_in_the_memo_sentence(reply, marked):
    verdict = classify_reply(reply, memo=MEMOS["northwind"])
    assert verdict.classification == CORRECTED
    assert verdict.highlights[0].marked.startswith(marked)
