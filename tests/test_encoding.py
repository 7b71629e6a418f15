from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from netra.docs import Span
from netra.encoding import (
    IGNORE_INDEX,
    Offset,
    TokenizerError,
    build_window_inputs,
    encode_text,
    encode_texts,
    logits_to_spans,
    merge_windows,
    pool_logits,
    split_windows,
    subtoken_label_ids,
    word_predictions,
    word_tags,
)
from netra.schema import load_schema
from netra.validate import read_docs

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizers" / "indobert-base-p1"
GOLD = ROOT / "seeds" / "gold.jsonl"


@pytest.fixture(scope="module")
def tok():
    return AutoTokenizer.from_pretrained(TOKENIZER)


@pytest.fixture(scope="module")
def label2id():
    return {t: i for i, t in enumerate(load_schema().bio_tags())}


def one_hot_logits(label_ids: list[int], n_labels: int, *, seed: int = 0) -> np.ndarray:
    """Decisive logits for labelled subtokens, noise on the ignored ones (which must not matter)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(label_ids), n_labels)).astype(np.float32)
    for i, k in enumerate(label_ids):
        if k != IGNORE_INDEX:
            logits[i] = 0.0
            logits[i, k] = 10.0
    return logits


def test_encode_text_words_cover_their_subtokens(tok):
    text = "Pj Bupati Purwakarta, Benni Irwan (11/10/2023)."
    enc = encode_text(text, tok)
    assert len(enc.input_ids) == len(enc.offsets) == len(enc.word_ids)
    assert [text[w.start : w.end] for w in enc.words] == [
        "Pj", "Bupati", "Purwakarta", ",", "Benni", "Irwan", "(", "11", "/", "10", "/", "2023", ")", ".",
    ]
    # "Benni" is two subtokens (ben ##ni) of one word
    benni = enc.words.index(Offset(22, 27))
    assert enc.word_ids.count(benni) == 2
    for i, w in enumerate(enc.word_ids):
        assert enc.words[w].start <= enc.offsets[i].start < enc.offsets[i].end <= enc.words[w].end


def test_encode_text_keeps_offsets_of_unknown_characters(tok):
    text = "ASN — netral"
    enc = encode_text(text, tok)
    assert [text[s:e] for s, e in enc.words] == ["ASN", "—", "netral"]
    assert tok.unk_token_id in enc.input_ids


def test_encode_texts_matches_one_at_a_time(tok):
    texts = ["Bawaslu Kabupaten Purwakarta", "", "Pemilu 2024 serentak"]
    assert encode_texts(texts, tok) == [encode_text(t, tok) for t in texts]
    assert len(encode_texts(texts, tok)[1]) == 0


def test_encode_text_rejects_tokenizer_without_offsets():
    class Slow:
        is_fast = False
        name_or_path = "some/slow-model"

    with pytest.raises(TokenizerError, match="some/slow-model has no offset mapping; use a fast tokenizer"):
        encode_text("teks", Slow())


def test_subtoken_labels_sit_on_first_subtoken_only(tok, label2id):
    text = "Benni Irwan hadir"
    enc = encode_text(text, tok)
    tags = word_tags(enc, [Span(0, 11, "PER")])
    assert tags == ["B-PER", "I-PER", "O"]
    ids = subtoken_label_ids(enc, tags, label2id)
    # ben ##ni irwan hadir
    assert ids == [label2id["B-PER"], IGNORE_INDEX, label2id["I-PER"], label2id["O"]]


def test_subtoken_labels_reject_tag_unknown_to_model(tok):
    enc = encode_text("Benni", tok)
    with pytest.raises(ValueError, match=r"\['B-PER'\] are not among the model's labels"):
        subtoken_label_ids(enc, ["B-PER"], {"O": 0})


def test_spans_survive_bio_subtokens_and_back_on_hand_built_doc(tok, label2id):
    text = "Penjabat Bupati Purwakarta, Benni Irwan, membuka sosialisasi Pemilu 2024 pada Rabu (11/10/2023)."
    spans = [
        Span(0, 26, "ROLE"), Span(28, 39, "PER"), Span(61, 72, "EVENT"), Span(78, 96, "DATE"),
    ]
    enc = encode_text(text, tok)
    ids = subtoken_label_ids(enc, word_tags(enc, spans), label2id)
    got = logits_to_spans(enc, one_hot_logits(ids, len(label2id)), load_schema().bio_tags())
    assert got == spans
    assert all(s.score == pytest.approx(1.0, abs=1e-3) for s in got)


@pytest.mark.skipif(not GOLD.exists(), reason="seeds/gold.jsonl not written yet")
def test_spans_survive_bio_subtokens_and_back_on_seeds(tok, label2id):
    id2label = load_schema().bio_tags()
    for doc in read_docs(GOLD):
        enc = encode_text(doc.text, tok)
        ids = subtoken_label_ids(enc, word_tags(enc, doc.spans), label2id)
        got = logits_to_spans(enc, one_hot_logits(ids, len(label2id)), id2label)
        assert got == sorted(doc.spans), doc.id


def test_word_predictions_read_the_first_subtoken(tok):
    enc = encode_text("Benni hadir", tok)  # ben ##ni hadir
    logits = np.array([[0.0, 5.0], [9.0, 0.0], [3.0, 0.0]], dtype=np.float32)
    tags, scores = word_predictions(enc, logits, ["O", "B-PER"])
    assert tags == ["B-PER", "O"]
    assert scores[0] == pytest.approx(1 / (1 + np.exp(-5.0)))


def test_split_windows_covers_with_hf_overlap():
    assert split_windows(10, max_tokens=4, stride=1) == [(0, 4), (3, 7), (6, 10)]
    assert split_windows(11, max_tokens=4, stride=2) == [(0, 4), (2, 6), (4, 8), (6, 10), (8, 11)]
    assert split_windows(4, max_tokens=4, stride=3) == [(0, 4)]
    assert split_windows(0, max_tokens=4, stride=1) == [(0, 0)]


def test_split_windows_equals_fast_tokenizer_overflow_windows(tok):
    text = " ".join(["Pemkab Purwakarta menggelar sosialisasi netralitas ASN menjelang Pemilu 2024."] * 60)
    enc = encode_text(text, tok)
    hf = tok(text, truncation=True, max_length=64, stride=16, return_overflowing_tokens=True)
    expected = [ids[1:-1] for ids in hf["input_ids"]]
    got = [enc.input_ids[s:e] for s, e in split_windows(len(enc), max_tokens=62, stride=16)]
    assert got == expected


@pytest.mark.parametrize(("max_tokens", "stride"), [(0, 0), (4, 4), (4, -1)])
def test_split_windows_rejects_bad_sizes(max_tokens, stride):
    with pytest.raises(ValueError):
        split_windows(10, max_tokens=max_tokens, stride=stride)


def test_windows_merge_prefers_central_token():
    # windows [0, 6) and [3, 9) over 9 tokens; the window id is written into the logits
    windows = [(0, 6), (3, 9)]
    blocks = [np.full((6, 1), 0.0), np.full((6, 1), 1.0)]
    merged = merge_windows(windows, blocks, 9)[:, 0]
    # token 3: 2 from the right edge of window 0, 0 from the left edge of window 1 -> window 0
    # token 4: 1 vs 1 -> tie -> earlier window 0; token 5: 0 vs 2 -> window 1
    assert merged.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1]


def test_windows_merge_three_way_overlap_takes_middle_window():
    # stride 4 of 5: token 3 is in all three windows and most central in the second one
    windows = split_windows(7, max_tokens=5, stride=4)
    assert windows == [(0, 5), (1, 6), (2, 7)]
    blocks = [np.full((5, 1), float(k)) for k in range(3)]
    assert merge_windows(windows, blocks, 7)[:, 0].tolist() == [0, 0, 0, 1, 2, 2, 2]


def test_windows_merge_single_window_is_identity():
    logits = np.random.default_rng(1).normal(size=(7, 3)).astype(np.float32)
    np.testing.assert_array_equal(merge_windows([(0, 7)], [logits], 7), logits)


def test_windows_merge_rejects_gaps_and_wrong_shapes():
    with pytest.raises(ValueError, match="token 3 is in no window"):
        merge_windows([(0, 3), (4, 6)], [np.zeros((3, 2)), np.zeros((2, 2))], 6)
    with pytest.raises(ValueError, match=r"window \[0, 3\) has 2 rows"):
        merge_windows([(0, 3)], [np.zeros((2, 2))], 3)


def test_build_window_inputs_adds_special_tokens_and_ignores_their_labels(tok):
    enc = encode_text("Benni Irwan hadir di Purwakarta", tok)
    labels = list(range(len(enc)))
    items = build_window_inputs(enc, [(0, 3), (2, len(enc))], tok, labels=labels)
    assert items[0]["input_ids"] == [tok.cls_token_id, *enc.input_ids[:3], tok.sep_token_id]
    assert items[1]["labels"] == [IGNORE_INDEX, *labels[2:], IGNORE_INDEX]
    assert items[1]["attention_mask"] == [1] * (len(enc) - 2 + 2)
    assert items[1]["token_type_ids"] == [0] * (len(enc) - 2 + 2)


def test_pool_logits_mean_and_max_on_arrays_and_tensors():
    chunks = [[1.0, -2.0], [3.0, 0.0]]
    np.testing.assert_allclose(pool_logits(chunks), [2.0, -1.0])
    np.testing.assert_allclose(pool_logits(np.array(chunks), "max"), [3.0, 0.0])
    t = torch.tensor(chunks, requires_grad=True)
    pooled = pool_logits(t, "max")
    assert torch.equal(pooled.detach(), torch.tensor([3.0, 0.0]))
    pooled.sum().backward()  # gradients flow through pooling during training
    assert t.grad.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    with pytest.raises(ValueError, match="'mean' or 'max'"):
        pool_logits(chunks, "median")
