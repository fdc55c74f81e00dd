"""Word-indexed cue lexicons give exactly the matches of the patterns they are built from."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.checking import cues
from app.checking.cleanup import memo_text
from app.checking.lexicon import Lexicon
from app.checking.segment import segment

from .conftest import load_jsonl

_PAIRS = list(zip(cues.SIGNAL_NAMES, cues.SIGNALS._lexicons, strict=True))
_VOCAB = ["can't", "board", "approval", "in", "the", "way", "no", "one", "it", "q3", "budget", "you'd",
          "like", "to", "cut", "team", "of", "12", "lack", "lacking", "manual", "is", "done", "by", "hand",
          "today", "thanks", "our", "platform", "renewal", "in the way", "—", ",", ".", "’", "é"]  # fmt: skip


def _spans(rx: re.Pattern[str], low: str) -> list[tuple[int, int]]:
    return [m.span() for m in rx.finditer(low)]


def test_every_signal_lexicon_is_word_indexed() -> None:
    assert all(lex.index for _, lex in _PAIRS)


@pytest.mark.parametrize(("name", "lex"), _PAIRS, ids=[n for n, _ in _PAIRS])
def test_lexicon_matches_equal_the_pattern_on_the_dev_memos(name: str, lex: Lexicon) -> None:
    texts = []
    for rec in load_jsonl("mou_dev.jsonl"):
        text = memo_text(rec["body"], rec["format"], rec.get("subject", ""))
        texts.append(text)
        texts.extend(u.text for u in segment(text))
    n = cues.SIGNAL_NAMES.index(name)
    for text in texts:
        low = text.lower()
        assert cues.SIGNALS.scan(low)[n] == _spans(lex.rx, low), text
        assert lex.count(low) == len(lex.rx.findall(low))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), max_size=25).map(" ".join))
def test_lexicon_matches_equal_the_pattern_on_word_salad(text: str) -> None:
    found = cues.SIGNALS.scan(text)
    for (_, lex), spans in zip(_PAIRS, found, strict=True):
        assert spans == _spans(lex.rx, text)
