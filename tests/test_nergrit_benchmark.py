"""The NERGrit benchmark's metric (benchmarks/nergrit.py): IndoNLU's macro F1 over entity types."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from netra.docs import Doc, Span

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def nergrit():
    spec = importlib.util.spec_from_file_location("nergrit_benchmark", ROOT / "benchmarks" / "nergrit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _doc(text, *spans):
    return Doc(id="d", text=text, spans=[Span(text.index(s), text.index(s) + len(s), label) for s, label in spans])


def test_indonlu_scores_average_per_type_f1_not_per_entity(nergrit):
    text = "Joko Widodo bertemu Prabowo di Jakarta dan Bandung"
    gold = _doc(text, ("Joko Widodo", "PER"), ("Prabowo", "PER"), ("Jakarta", "LOC"), ("Bandung", "LOC"))
    # both persons right, one place missed and one place cut short: PER F1 100, LOC F1 0
    pred = _doc(text, ("Joko Widodo", "PER"), ("Prabowo", "PER"), ("Band", "LOC"))
    scores = nergrit.indonlu_scores([gold], [pred])
    assert scores["f1_PER"] == pytest.approx(100.0)
    # "Band" touches the token "Bandung", so on CoNLL tokens it is the whole token: LOC 1 of 2 right
    assert scores["f1_LOC"] == pytest.approx(100 * 2 * (1.0 * 0.5) / 1.5)
    assert scores["macro_f1"] == pytest.approx((scores["f1_PER"] + scores["f1_LOC"]) / 2)
    assert scores["micro_f1"] == pytest.approx(100 * 2 * (3 / 3) * (3 / 4) / (3 / 3 + 3 / 4))
    assert scores["micro_f1"] != pytest.approx(scores["macro_f1"])


def test_token_words_follow_the_single_spaces_of_converted_sentences(nergrit):
    words = nergrit.token_words(Doc(id="s", text="Gubernur Jawa Barat"))
    assert [(w.start, w.end) for w in words] == [(0, 8), (9, 13), (14, 19)]
