from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

from helpers_models import make_run
from netra.bio import spans_to_bio
from netra.docs import Doc, Span
from netra.encoding import encode_text, logits_to_spans, split_windows
from netra.inference import ModelError, Predictor, bf16_supported

TEXTS = [
    "Penjabat Bupati Purwakarta, Benni Irwan, membuka sosialisasi netralitas ASN menjelang Pemilu 2024.",
    "Bawaslu Kabupaten Purwakarta mengingatkan ASN agar netral.",
    "Rabu (11/10/2023) para camat dan lurah menandatangani fakta integritas di Hotel Aston by Harper. " * 6,
    "Kepala BKPSDM Kabupaten Buru hadir.",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("models") / "run", max_length=64, stride=16)


@pytest.fixture(scope="module")
def predictor(run_dir):
    return Predictor.from_dir(run_dir, device="cpu", precision="fp32", batch_size=3)


def docs_of(texts):
    return [Doc(id=f"d{i}", text=t) for i, t in enumerate(texts)]


def direct_spans(folder, text):
    """Spans from one unbatched, unwindowed forward pass: the reference a window run must match."""
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForTokenClassification.from_pretrained(folder).eval()
    enc = encode_text(text, tok)
    ids = torch.tensor([[tok.cls_token_id, *enc.input_ids, tok.sep_token_id]])
    with torch.inference_mode():
        logits = model(input_ids=ids).logits[0, 1:-1].numpy()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    return logits_to_spans(enc, logits, labels)


def test_document_fitting_one_window_matches_single_unpadded_run(run_dir, predictor):
    # TEXTS[0] fits in 62 subtokens, but is batched and padded with longer windows of other docs
    out = list(predictor.predict_docs(docs_of(TEXTS)))
    assert len(encode_text(TEXTS[0], predictor.tagger.tokenizer)) <= predictor.tagger.max_tokens
    expected = direct_spans(run_dir / "tagger", TEXTS[0])
    assert expected, "a random model still predicts some spans"
    assert out[0].spans == expected
    assert [s.score for s in out[0].spans] == pytest.approx([s.score for s in expected], abs=1e-4)


def test_long_document_fits_one_big_window_and_matches_direct_run(run_dir):
    big = Predictor.from_dir(run_dir, device="cpu", precision="fp32", max_length=512, stride=16)
    assert len(encode_text(TEXTS[2], big.tagger.tokenizer)) > 62
    assert next(iter(big.predict_docs(docs_of([TEXTS[2]])))).spans == direct_spans(run_dir / "tagger", TEXTS[2])


def test_windowed_document_takes_first_window_predictions_before_the_overlap(run_dir, predictor):
    # Tokens before the second window starts are only in the first window, so their words must be
    # tagged exactly as when the first window's text is predicted on its own.
    text = TEXTS[2]
    enc = encode_text(text, predictor.tagger.tokenizer)
    windows = split_windows(len(enc), max_tokens=predictor.tagger.max_tokens, stride=predictor.tagger.stride)
    assert len(windows) > 2
    first_text = text[: enc.offsets[windows[0][1] - 1].end]
    assert encode_text(first_text, predictor.tagger.tokenizer).input_ids == enc.input_ids[: windows[0][1]]
    limit = windows[1][0]
    words = [w for w in enc.words if w.end <= enc.offsets[limit].start]
    full, alone = predictor.predict_docs(docs_of([text, first_text]))
    assert spans_to_bio(words, full.spans) == spans_to_bio(words, alone.spans)
    assert any(tag != "O" for tag in spans_to_bio(words, full.spans))


def test_output_order_equals_input_order_across_chunks(run_dir):
    texts = [TEXTS[i % len(TEXTS)] + f" Nomor {i}." for i in range(11)]
    p = Predictor.from_dir(run_dir, device="cpu", precision="fp32", batch_size=2, chunk_docs=4)
    out = list(p.predict_docs(docs_of(texts)))
    assert [d.id for d in out] == [f"d{i}" for i in range(11)]
    assert [d.text for d in out] == texts
    # chunking and batching do not change predictions
    one_chunk = Predictor.from_dir(run_dir, device="cpu", precision="fp32", batch_size=16, chunk_docs=64)
    assert [d.spans for d in one_chunk.predict_docs(docs_of(texts))] == [d.spans for d in out]


def test_predictions_replace_gold_and_carry_model_meta(predictor):
    gold = Doc(id="g", text=TEXTS[1], spans=[Span(0, 7, "ORG")], types=["other"],
               meta={"source": "x.txt", "annotated_labels": ["ORG"]})
    out = next(iter(predictor.predict_docs([gold])))
    assert out.meta["source"] == "x.txt"
    assert "annotated_labels" not in out.meta
    assert out.meta["model"]["path"] == predictor.model_info["path"]
    assert len(out.meta["model"]["config_hash"]) == 16
    assert set(out.type_scores) == {"pledge", "socialization", "political_education", "other"}
    assert all(s.score is not None and 0 < s.score <= 1 for s in out.spans)
    assert all(out.spans[r.head].label == "PER" and out.spans[r.tail].label == "ROLE" for r in out.relations)


def test_classifier_thresholds_come_from_netra_json(tmp_path):
    run = make_run(tmp_path / "run", tagger=False, thresholds={
        "pledge": 0.0, "socialization": 1.0, "political_education": 1.0, "other": 0.0})
    p = Predictor.from_dir(run, device="cpu", precision="fp32")
    out = next(iter(p.predict_docs(docs_of(TEXTS[:1]))))
    assert out.types == ["pledge", "other"]
    assert out.spans == [] and out.relations == []


def test_classifier_falls_back_to_most_likely_type_when_none_passes(tmp_path):
    run = make_run(tmp_path / "run", tagger=False, thresholds=dict.fromkeys(
        ["pledge", "socialization", "political_education", "other"], 1.0))
    out = next(iter(Predictor.from_dir(run, device="cpu", precision="fp32").predict_docs(docs_of(TEXTS[:1]))))
    assert out.types == [max(out.type_scores, key=out.type_scores.get)]


def test_classifier_reads_every_chunk_of_a_long_article(run_dir):
    # Pooling over chunks means text after the first window changes the scores.
    p = Predictor.from_dir(run_dir / "classifier", device="cpu", precision="fp32")
    head = TEXTS[2]
    a, b = p.predict_docs(docs_of([head, head + " Bupati Buru menghadiri upacara hari Korpri ke-50." * 8]))
    assert a.type_scores != b.type_scores


def test_single_model_folder_loads(run_dir):
    p = Predictor.from_dir(run_dir / "tagger", device="cpu", precision="fp32")
    assert p.classifier is None
    out = next(iter(p.predict_docs(docs_of(TEXTS[:1]))))
    assert out.types is None and out.type_scores is None and out.spans


def test_missing_or_foreign_model_folder_is_a_clear_error(tmp_path, run_dir):
    with pytest.raises(ModelError, match="does not exist"):
        Predictor.from_dir(tmp_path / "nope")
    with pytest.raises(ModelError, match="expected tagger/ and/or classifier/ with netra.json"):
        Predictor.from_dir(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(run_dir / "tagger", bad)
    meta = json.loads((bad / "netra.json").read_text())
    (bad / "netra.json").write_text(json.dumps({**meta, "labels": ["O", "B-PER"]}))
    with pytest.raises(ModelError, match="id2label .* differs from netra.json labels"):
        Predictor.from_dir(bad)
    with pytest.raises(ModelError, match="above the model's limit of 512 positions"):
        Predictor.from_dir(run_dir, max_length=1024)


def test_tagger_folder_works_with_transformers_pipeline(run_dir, predictor):
    nlp = pipeline("token-classification", model=str(run_dir / "tagger"), aggregation_strategy="first",
                   device="cpu")
    ents = nlp(TEXTS[0])
    # "first" decides per word from its first subtoken, as netra does: same spans in one window
    ours = next(iter(predictor.predict_docs(docs_of(TEXTS[:1])))).spans
    assert [(e["start"], e["end"], e["entity_group"]) for e in ents] == [(s.start, s.end, s.label) for s in ours]


@pytest.mark.skipif(not bf16_supported(torch.device("cpu")), reason="no bf16 on this CPU")
def test_bf16_agrees_closely_with_fp32(run_dir, predictor):
    bf16 = Predictor.from_dir(run_dir, device="cpu", precision="bf16")
    docs = docs_of(TEXTS)
    a = [(d.id, s.start, s.end, s.label) for d in predictor.predict_docs(docs) for s in d.spans]
    b = [(d.id, s.start, s.end, s.label) for d in bf16.predict_docs(docs) for s in d.spans]
    overlap = len(set(a) & set(b))
    assert 2 * overlap / (len(a) + len(b)) > 0.8
    assert bf16.model_info["precision"] == "bf16"


# -- a classifier on the tagger's encoder (model.classifier_encoder: shared) --------------------


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("models") / "shared", max_length=64, stride=16, shared=True)


def count_forwards(model):
    calls = []
    handle = model.register_forward_pre_hook(lambda _m, _a, _k: calls.append(1), with_kwargs=True)
    return calls, handle


def test_shared_classifier_reads_the_tagger_pass_once_and_scores_like_running_it_alone(shared_dir):
    both = Predictor.from_dir(shared_dir, device="cpu", precision="fp32", batch_size=3)
    assert both.classifier.head is not None and both.classifier.model is both.tagger.model
    docs = docs_of(TEXTS)
    calls, handle = count_forwards(both.tagger.model)
    try:
        out = list(both.predict_docs(docs))
    finally:
        handle.remove()
    items, _ = both._windows(both.tagger, [encode_text(t, both.tagger.tokenizer) for t in TEXTS])
    assert len(calls) == -(-len(items) // 3)  # one pass over the windows, in batches of 3, not two
    alone_tagger = Predictor.from_dir(shared_dir / "tagger", device="cpu", precision="fp32")
    alone_clf = Predictor.from_dir(shared_dir / "classifier", device="cpu", precision="fp32")
    assert alone_clf.tagger is None and alone_clf.classifier.head is not None
    assert [d.spans for d in out] == [d.spans for d in alone_tagger.predict_docs(docs)]
    for a, b in zip(out, alone_clf.predict_docs(docs), strict=True):
        assert a.type_scores == pytest.approx(b.type_scores, abs=1e-5)
        assert a.types == b.types and len(set(a.type_scores.values())) > 1


def test_shared_head_is_the_mean_of_text_subtoken_states(shared_dir):
    p = Predictor.from_dir(shared_dir, device="cpu", precision="fp32")
    model, tok = p.tagger.model, p.tagger.tokenizer
    enc = encode_text(TEXTS[1], tok)
    ids = torch.tensor([[tok.cls_token_id, *enc.input_ids, tok.sep_token_id]])
    with torch.inference_mode():
        states = model.bert(input_ids=ids).last_hidden_state[0, 1:-1].mean(dim=0).numpy()
    logits = p.classifier.head(states)
    expected = {t: float(1 / (1 + np.exp(-x))) for t, x in zip(p.classifier.labels, logits, strict=True)}
    got = next(iter(p.predict_docs(docs_of(TEXTS[1:2])))).type_scores
    assert got == pytest.approx(expected, abs=1e-5)


def test_shared_classifier_without_its_tagger_is_a_clear_error(tmp_path, shared_dir):
    lone = tmp_path / "copied" / "classifier"
    shutil.copytree(shared_dir / "classifier", lone)
    with pytest.raises(ModelError, match=r"reads the encoder of the tagger in .*copied/tagger, which is missing"):
        Predictor.from_dir(lone)
    (lone / "head.safetensors").unlink()
    shutil.copytree(shared_dir / "tagger", tmp_path / "copied" / "tagger")
    with pytest.raises(ModelError, match="head.safetensors is missing"):
        Predictor.from_dir(tmp_path / "copied")
