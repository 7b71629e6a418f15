import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoModelForTokenClassification, AutoTokenizer

from netra.config import ModelConfig
from netra.encoding import IGNORE_INDEX, encode_texts
from netra.pretrain import (
    Block,
    PretrainConfig,
    PretrainError,
    WholeWordMaskCollator,
    add_arguments,
    conll_sentences,
    cooccurrence_vectors,
    expand_paths,
    init_word_embeddings,
    mask_words,
    masked_lm_loss,
    pack_blocks,
    pretrain,
    read_texts,
    settings_from_args,
    sniff_format,
)

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizers" / "indobert-base-p1"
CLS, SEP, MASK = 2, 3, 4


@pytest.fixture(scope="module")
def tok():
    return AutoTokenizer.from_pretrained(TOKENIZER)


def test_sniff_format_tells_conll_from_text_and_jsonl(tmp_path):
    conll = tmp_path / "a.txt"
    conll.write_text("Benni\tB-PERSON\nIrwan\tI-PERSON\nhadir\tO\n\nYa\tO\n", encoding="utf-8")
    spaced = tmp_path / "b.txt"
    spaced.write_text("Menurut ADP O\r\nHaposan NOUN B-PER\r\n", encoding="utf-8")
    prose = tmp_path / "c.txt"
    prose.write_text("Pj Bupati Purwakarta hadir.\n\nIa berkata O\n", encoding="utf-8")
    assert sniff_format(conll) == "conll"
    assert sniff_format(spaced) == "conll"
    assert sniff_format(prose) == "text"
    assert sniff_format(tmp_path / "x.jsonl") == "jsonl"


def test_conll_sentences_join_first_column_tokens(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text("-DOCSTART- -X- O\n\nMenurut ADP O\r\nHaposan NOUN B-PER\r\n\r\nDi ADP O\nPPP PROPN B-ORG\n",
                    encoding="utf-8")
    assert conll_sentences(path) == ["Menurut Haposan", "Di PPP"]


def test_read_texts_mixes_formats_and_expand_paths_rejects_missing(tmp_path):
    (tmp_path / "a.txt").write_text("Satu dua.\r\nTiga.", encoding="utf-8")
    (tmp_path / "b.conll").write_text("Benni\tB-PER\nhadir\tO\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "c", "text": "Kata kata"}) + "\n", encoding="utf-8")
    paths = expand_paths([str(tmp_path / "*.txt"), str(tmp_path / "b.conll"), str(tmp_path / "c.jsonl")])
    assert read_texts(paths) == ["Satu dua.\nTiga.", "Benni hadir", "Kata kata"]
    with pytest.raises(PretrainError, match="nothing.txt: no such file"):
        expand_paths([str(tmp_path / "nothing.txt")])


def test_pack_blocks_fills_blocks_and_cuts_long_texts(tok):
    encs = encode_texts(["satu dua", "tiga empat lima enam tujuh delapan", "sembilan"], tok)
    blocks = pack_blocks(encs, max_length=8, cls_id=CLS, sep_id=SEP)
    assert all(len(b.input_ids) <= 8 for b in blocks)
    assert all(b.input_ids[0] == CLS and b.input_ids[-1] == SEP for b in blocks)
    # Every sub-token of every text appears exactly once, in order.
    flat = [i for b in blocks for i in b.input_ids if i not in (CLS, SEP)]
    assert flat == [i for e in encs for i in e.input_ids]
    for b in blocks:
        assert all(w == -1 for i, w in zip(b.input_ids, b.word_ids, strict=True) if i in (CLS, SEP))
        ids = [w for w in b.word_ids if w >= 0]
        assert ids == sorted(ids) and ids[0] == 0  # words numbered 0.. within the block


def test_mask_words_masks_all_subtokens_of_a_word_together():
    # Words of 1-3 sub-tokens; word ids as from a fast tokenizer, specials -1.
    words = [-1] + [w for w in range(200) for _ in range(1 + w % 3)] + [-1]
    ids = [CLS] + list(range(100, 100 + len(words) - 2)) + [SEP]
    rng = np.random.default_rng(0)
    new, labels = mask_words(ids, words, probability=0.15, rng=rng, mask_id=MASK, vocab_size=1000)
    targeted = {w for w, lab in zip(words, labels, strict=True) if lab != IGNORE_INDEX}
    for w in targeted:
        positions = [i for i, x in enumerate(words) if x == w]
        assert all(labels[i] == ids[i] for i in positions)  # every sub-token of a chosen word
        assert len({new[i] == MASK for i in positions}) == 1  # same treatment for the whole word
    assert -1 not in targeted
    assert labels[0] == labels[-1] == IGNORE_INDEX


def test_mask_words_chooses_about_fifteen_percent_of_words_mostly_masked():
    words = [-1] + [w for w in range(2000) for _ in range(1 + w % 2)] + [-1]
    ids = [CLS] + [500] * (len(words) - 2) + [SEP]
    new, labels = mask_words(ids, words, probability=0.15, rng=np.random.default_rng(1), mask_id=MASK,
                             vocab_size=1000)
    chosen = {w for w, lab in zip(words, labels, strict=True) if lab != IGNORE_INDEX}
    assert 0.13 < len(chosen) / 2000 < 0.17
    masked = {w for w, x in zip(words, new, strict=True) if x == MASK}
    assert 0.7 < len(masked) / len(chosen) < 0.9


def test_mask_words_masks_at_least_one_word():
    new, labels = mask_words([CLS, 7, SEP], [-1, 0, -1], probability=0.01, rng=np.random.default_rng(0),
                             mask_id=MASK, vocab_size=10)
    assert labels == [IGNORE_INDEX, 7, IGNORE_INDEX]


def test_collator_pads_and_ignores_padding(tok):
    rows = [Block([CLS, 10, 11, SEP], [-1, 0, 0, -1]), Block([CLS, 12, SEP], [-1, 0, -1])]
    batch = WholeWordMaskCollator(tok, seed=0)(rows)
    assert batch["input_ids"].shape == (2, 4)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert batch["labels"][1, 3] == IGNORE_INDEX
    assert batch["labels"][0].tolist() == [IGNORE_INDEX, 10, 11, IGNORE_INDEX]  # the only word, whole


def _args(**kw) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args([])
    vars(args).update(kw)
    return args


def _synthetic_sentences(seed=0):
    # ids 10-14 are "names" (after 5 "said", before 6 "in"), 20-24 "places" (after 6 "in", before 7
    # "yesterday"): sub-tokens used in the same contexts must get similar vectors.
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(400):
        name, place = int(rng.integers(10, 15)), int(rng.integers(20, 25))
        out.append([5, name, 6, place, 7] if rng.random() < 0.5 else [8, 5, name, 9, 6, place, 7, 8])
    return out


def test_cooccurrence_vectors_put_tokens_of_the_same_contexts_together():
    vectors, known = cooccurrence_vectors(_synthetic_sentences(), vocab_size=40, dim=4, window=2)
    assert known[[5, 6, 7, 8, 9, *range(10, 15), *range(20, 25)]].all() and not known[30]
    assert np.allclose(np.linalg.norm(vectors[known], axis=1), 1.0, atol=1e-5) and not vectors[30].any()
    sim = vectors @ vectors.T
    within = min(sim[a, b] for a in range(10, 15) for b in range(10, 15))
    across = max(sim[a, b] for a in range(10, 15) for b in range(20, 25))
    assert within > 0.9 and across < within - 0.3


def test_cooccurrence_vectors_need_enough_text():
    with pytest.raises(PretrainError, match="too little text"):
        cooccurrence_vectors([[5, 6, 7]], vocab_size=40, dim=8)


def test_init_word_embeddings_sets_known_rows_at_the_initial_scale(tok):
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                       intermediate_size=16))
    before = model.get_input_embeddings().weight.detach().clone()
    vectors = np.zeros((40, 8), dtype=np.float32)
    known = np.zeros(40, dtype=bool)
    known[[3, 4]] = True
    vectors[3, 0] = vectors[4, 1] = 1.0
    assert init_word_embeddings(model, vectors, known) == 2
    after = model.get_input_embeddings().weight.detach()
    scale = before.norm(dim=1).mean()
    assert torch.allclose(after[3], torch.tensor([1.0, 0, 0, 0, 0, 0, 0, 0]) * scale)
    assert torch.equal(after[~torch.from_numpy(known)], before[~torch.from_numpy(known)])
    assert model.cls.predictions.decoder.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    with pytest.raises(PretrainError, match="do not fit"):
        init_word_embeddings(model, vectors[:, :4], known)


@pytest.mark.slow
def test_pretrain_with_cooccurrence_init_starts_from_the_text_vectors(tmp_path, tok):
    seeds = sorted(str(p) for p in (ROOT / "seeds").glob("*.txt"))
    model_cfg = ModelConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, tokenizer=str(TOKENIZER))
    pre = PretrainConfig(text=seeds, steps=0, max_length=32, init_embeddings="cooccurrence", seed=0)
    summary = pretrain(model_cfg, pre, out=tmp_path / "enc", show_progress=False)
    vectors, known = cooccurrence_vectors((e.input_ids for e in encode_texts(read_texts(map(Path, seeds)), tok)),
                                          vocab_size=len(tok), dim=16, seed=0)
    assert summary["embedding_rows_from_cooccurrence"] == int(known.sum()) > 300
    emb = AutoModelForMaskedLM.from_pretrained(tmp_path / "enc").get_input_embeddings().weight.detach().numpy()
    i = tok.convert_tokens_to_ids("bupati")
    assert known[i]
    cosine = emb[i] @ vectors[i] / np.linalg.norm(emb[i])
    assert summary["steps"] == 0 and cosine > 0.999  # steps 0: the co-occurrence vectors, no MLM
    with pytest.raises(PretrainError, match="0 only with init_embeddings: cooccurrence"):
        pretrain(model_cfg, dataclasses.replace(pre, init_embeddings="random"), out=tmp_path / "plain",
                 show_progress=False)
    with pytest.raises(PretrainError, match="starts a fresh encoder"):
        pretrain(model_cfg, dataclasses.replace(pre, base=str(tmp_path / "enc")), out=tmp_path / "again",
                 show_progress=False)


def test_settings_need_a_start_text_and_out():
    with pytest.raises(PretrainError, match="--init random"):
        settings_from_args(_args(text=["a.txt"], out="x"))
    with pytest.raises(PretrainError, match="no text"):
        settings_from_args(_args(init="random", out="x"))
    model_cfg, pre, out = settings_from_args(_args(init="random", text=["a.txt"], out="x", steps=5, hidden_size=64,
                                                   num_attention_heads=2))
    assert (pre.base, pre.steps, model_cfg.hidden_size, out) == (None, 5, 64, Path("x"))
    _, pre, _ = settings_from_args(_args(init="random", text=["a.txt"], out="x", init_embeddings="cooccurrence",
                                         precision="bf16"))
    assert (pre.init_embeddings, pre.precision) == ("cooccurrence", "bf16")
    assert model_cfg.tokenizer.endswith("indobert-base-p1")


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["fp32", "bf16"])  # bf16 on a CPU needs use_cpu in the Trainer
def test_short_pretraining_lowers_mlm_loss_and_loads_as_encoder(tmp_path, tok, precision):
    text = tmp_path / "a.txt"
    text.write_text("Penjabat Bupati Purwakarta Benni Irwan memimpin penandatanganan fakta integritas "
                    "netralitas ASN menjelang Pemilu 2024 di Hotel Aston Purwakarta.\n" * 3, encoding="utf-8")
    model_cfg = ModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, tokenizer=str(TOKENIZER))
    pre = PretrainConfig(text=[str(text)], steps=30, batch_size=4, max_length=32, learning_rate=5e-3, seed=0,
                         warmup_ratio=0.0, precision=precision)
    out = tmp_path / "enc"
    blocks = pack_blocks(encode_texts(read_texts([text]), tok), max_length=32, cls_id=tok.cls_token_id,
                         sep_id=tok.sep_token_id)
    torch.manual_seed(0)
    summary = pretrain(model_cfg, pre, out=out, show_progress=False)
    model = AutoModelForMaskedLM.from_pretrained(out).eval()
    with torch.no_grad():
        after = float(masked_lm_loss(model, WholeWordMaskCollator(tok, seed=3)(blocks)))
    assert summary["steps"] == 30
    assert after < summary["first_loss"] - 1.0  # random init starts near log(30521) = 10.3
    assert (out / "pretrain.json").is_file() and (out / "tokenizer_config.json").is_file()
    tagger = AutoModelForTokenClassification.from_pretrained(out, num_labels=3)  # train.py's init: pretrained
    assert torch.equal(tagger.bert.embeddings.word_embeddings.weight, model.bert.embeddings.word_embeddings.weight)
    with pytest.raises(PretrainError, match="already exists"):
        pretrain(model_cfg, pre, out=out, show_progress=False)


def test_ensure_pretrained_builds_only_when_asked_and_missing(tmp_path, monkeypatch):
    from netra import pretrain as module
    from netra.config import load_config

    built = []
    monkeypatch.setattr(module, "pretrain", lambda model_cfg, pre, *, out, **kw: built.append(Path(out)))
    assert module.ensure_pretrained(load_config(None)) is None  # no pretrain.text: nothing to build
    cfg = load_config(None, [f"model.name_or_path={tmp_path / 'enc'}", "pretrain.text=[seeds/*.txt]"])
    assert module.ensure_pretrained(cfg) == tmp_path / "enc" and built == [tmp_path / "enc"]
    (tmp_path / "enc").mkdir()
    (tmp_path / "enc" / "config.json").write_text("{}", encoding="utf-8")
    module.ensure_pretrained(cfg)
    assert len(built) == 1  # already there: not built again
