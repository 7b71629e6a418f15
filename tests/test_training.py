from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, pipeline

from netra.config import SourceConfig, load_config
from netra.docs import Doc, Span, write_docs
from netra.encoding import IGNORE_INDEX, encode_texts
from netra.evaluate import evaluate_docs
from netra.inference import Predictor
from netra.schema import load_schema
from netra.training import (
    ArticleCollator,
    ModelLoadError,
    TrainingError,
    build_model,
    check_span_labels,
    choose_thresholds,
    classifier_rows,
    fit_article_head,
    last_complete_checkpoint,
    load_tokenizer,
    pool_articles,
    prepare_run_dir,
    read_data,
    read_source,
    resolve_precision,
    run_training,
    tagger_rows,
    weighted_rows,
)
from netra.validate import InvalidData, read_docs

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizers" / "indobert-base-p1"
GOLD = ROOT / "seeds" / "gold.jsonl"
TINY = ROOT / "configs" / "tiny.yaml"

TEXT = "Pj Bupati Purwakarta, Benni Irwan, hadir."
DOC = Doc("d0", TEXT, [Span(0, 20, "ROLE"), Span(22, 33, "PER")], types=["socialization"])


@pytest.fixture(scope="module")
def tok():
    return AutoTokenizer.from_pretrained(TOKENIZER)


# --- thresholds ---------------------------------------------------------------------------------


def test_choose_thresholds_separates_positives_from_negatives():
    probs = [{"pledge": 0.30}, {"pledge": 0.25}, {"pledge": 0.10}, {"pledge": 0.05}]
    gold = [["pledge"], ["pledge"], [], []]
    th = choose_thresholds(probs, gold, grid=[0.1, 0.2, 0.25, 0.3, 0.5])
    # 0.2 and 0.25 both give F1 = 1; the middle of the tied range (lower median) is taken
    assert th == {"pledge": 0.2}


def test_choose_thresholds_takes_middle_of_tied_range():
    probs = [{"a": 0.9}, {"a": 0.1}]
    th = choose_thresholds(probs, [["a"], []], grid=[0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    assert th == {"a": 0.5}


def test_choose_thresholds_keeps_default_for_type_without_gold_articles():
    probs = [{"a": 0.9, "b": 0.7}, {"a": 0.2, "b": 0.6}]
    th = choose_thresholds(probs, [["a"], ["a"]], grid=[0.1, 0.5, 0.8])
    assert th["b"] == 0.5
    assert th["a"] == 0.1  # only 0.1 catches both positives


def test_choose_thresholds_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="2 probability rows but 1 gold rows"):
        choose_thresholds([{"a": 0.1}, {"a": 0.2}], [["a"]])


# --- rows, collation, pooling -------------------------------------------------------------------


def test_tagger_rows_put_labels_on_first_subtokens_in_every_window(tok):
    label2id = {t: i for i, t in enumerate(load_schema().bio_tags())}
    enc = encode_texts([TEXT], tok)
    rows = tagger_rows([DOC], enc, tok, label2id=label2id, max_length=8, stride=2)
    assert len(rows) > 1  # the sentence needs several 6-token windows
    for row in rows:
        assert len(row["input_ids"]) <= 8
        assert row["input_ids"][0] == tok.cls_token_id and row["input_ids"][-1] == tok.sep_token_id
        assert row["labels"][0] == row["labels"][-1] == IGNORE_INDEX
    first = rows[0]
    assert first["labels"][1] == label2id["B-ROLE"]  # "pj"


def test_classifier_rows_hold_all_windows_of_an_article_and_skip_untyped(tok):
    untyped = Doc("d1", "Tanpa jenis.", [], types=None)
    encs = encode_texts([TEXT, untyped.text], tok)
    rows = classifier_rows([DOC, untyped], encs, tok, types=["pledge", "socialization"], max_length=8, stride=2)
    assert len(rows) == 1
    assert rows[0]["labels"] == [0.0, 1.0]
    assert len(rows[0]["chunks"]) > 1


def test_article_collator_stacks_windows_and_records_owner(tok):
    rows = [
        {"chunks": [{"input_ids": [2, 5, 3], "attention_mask": [1, 1, 1]},
                    {"input_ids": [2, 3], "attention_mask": [1, 1]}], "labels": [1.0, 0.0]},
        {"chunks": [{"input_ids": [2, 7, 8, 3], "attention_mask": [1, 1, 1, 1]}], "labels": [0.0, 1.0]},
    ]
    batch = ArticleCollator(tok)(rows)
    assert batch["input_ids"].shape == (3, 4)
    assert batch["attention_mask"][1].tolist() == [1, 1, 0, 0]
    assert batch["article_index"].tolist() == [0, 0, 1]
    assert batch["labels"].shape == (2, 2)


def test_pool_articles_pools_each_article_and_passes_gradients():
    logits = torch.tensor([[1.0, 4.0], [3.0, 0.0], [5.0, 5.0]], requires_grad=True)
    owner = torch.tensor([0, 0, 1])
    mean = pool_articles(logits, owner, 2, "mean")
    assert mean.tolist() == [[2.0, 2.0], [5.0, 5.0]]
    assert pool_articles(logits, owner, 2, "max").tolist() == [[3.0, 4.0], [5.0, 5.0]]
    mean.sum().backward()
    assert logits.grad.tolist() == [[0.5, 0.5], [0.5, 0.5], [1.0, 1.0]]


# --- data and label checks ----------------------------------------------------------------------


def test_read_data_holds_out_a_seeded_fraction(tmp_path):
    path = tmp_path / "d.jsonl"
    write_docs(path, [Doc(f"d{i}", f"Teks nomor {i}.", types=["other"]) for i in range(5)])
    cfg = load_config(None, [f"data.train={path}", "data.dev_fraction=0.4"]).data
    a = read_data(cfg, schema=load_schema(), seed=1)
    b = read_data(cfg, schema=load_schema(), seed=1)
    assert len(a.train) == 3 and len(a.dev) == 2
    assert [d.id for d in a.dev] == [d.id for d in b.dev]
    assert not {d.id for d in a.dev} & {d.id for d in a.train}
    assert a.separate_dev


def test_read_data_without_dev_selects_on_training_data():
    cfg = load_config(None, [f"data.train={GOLD}"]).data
    data = read_data(cfg, schema=load_schema(), seed=0)
    assert data.dev is data.train and not data.separate_dev


def test_invalid_training_data_stops_with_validator_messages(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "Halo", "spans": [{"start": 0, "end": 9, "label": "PER"}]}\n')
    cfg = load_config(None, [f"data.train={path}"]).data
    with pytest.raises(InvalidData, match=r"bad.jsonl:1: id=a: span 0 \[0, 9\) is out of range"):
        read_data(cfg, schema=load_schema(), seed=0)


def test_span_label_unknown_to_model_names_document_and_fix():
    with pytest.raises(TrainingError, match=r"train.jsonl: id=d0: span label\(s\) \['ROLE'\] .* data.span_labels"):
        check_span_labels([DOC], ["PER", "ORG"], source="train.jsonl")


# --- models ---------------------------------------------------------------------------------------


def test_missing_local_model_says_how_to_supply_one(tmp_path):
    cfg = load_config(None, [f"model.name_or_path={tmp_path / 'no-such-model'}"]).model
    with pytest.raises(ModelLoadError) as err:
        build_model(cfg, task="tagger", labels=["O"], tokenizer=AutoTokenizer.from_pretrained(TOKENIZER))
    message = str(err.value)
    assert "no-such-model" in message and "HF_HUB_OFFLINE=1" in message and "huggingface-cli download" in message


def test_folder_without_model_files_is_a_model_load_error(tmp_path):
    (tmp_path / "empty").mkdir()
    cfg = load_config(None, [f"model.tokenizer={tmp_path / 'empty'}"]).model
    with pytest.raises(ModelLoadError, match="cannot load tokenizer"):
        load_tokenizer(cfg)


def test_random_init_builds_small_bert_with_labels(tok):
    cfg = load_config(TINY, ["model.hidden_size=32", "model.num_hidden_layers=1", "model.num_attention_heads=2"]).model
    model = build_model(cfg, task="classifier", labels=["pledge", "other"], tokenizer=tok)
    assert model.config.problem_type == "multi_label_classification"
    assert model.config.id2label == {0: "pledge", 1: "other"}
    assert model.config.vocab_size == len(tok)


def test_max_length_above_model_positions_is_an_error(tok):
    cfg = load_config(TINY, ["model.hidden_size=32", "model.num_hidden_layers=1", "model.num_attention_heads=2",
                             "model.max_position_embeddings=128", "model.max_length=256"]).model
    with pytest.raises(TrainingError, match=r"model.max_length = 256 is above the 128 positions"):
        build_model(cfg, task="tagger", labels=["O"], tokenizer=tok)


def test_resolve_precision_auto_is_fp32_without_cuda():
    assert resolve_precision("auto", cuda=False) == "fp32"
    assert resolve_precision("bf16", cuda=False) == "bf16"
    with pytest.raises(ValueError):
        resolve_precision("fp16")


# --- run folder and checkpoints -------------------------------------------------------------------


def test_last_complete_checkpoint_skips_one_cut_off_mid_save(tmp_path):
    for step, complete in [(5, True), (10, True), (15, False)]:
        d = tmp_path / f"checkpoint-{step}"
        d.mkdir()
        if complete:
            (d / "trainer_state.json").write_text("{}")
    assert last_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-10"
    assert last_complete_checkpoint(tmp_path / "missing") is None


def test_prepare_run_dir_refuses_to_replace_an_earlier_run(tmp_path):
    cfg = load_config(None, [f"training.output_dir={tmp_path}"])
    (tmp_path / "run.json").write_text(json.dumps({"config": cfg.to_dict()}))
    with pytest.raises(TrainingError, match="already holds a run.*--resume.*--overwrite"):
        prepare_run_dir(tmp_path, resume=False, overwrite=False, config=cfg)
    prepare_run_dir(tmp_path, resume=True, overwrite=False, config=cfg)  # same config: fine
    changed = load_config(None, [f"training.output_dir={tmp_path}", "training.epochs=9"])
    with pytest.raises(TrainingError, match=r"these differ: \['training.epochs'\]"):
        prepare_run_dir(tmp_path, resume=True, overwrite=False, config=changed)
    prepare_run_dir(tmp_path, resume=False, overwrite=True, config=cfg)
    assert not (tmp_path / "run.json").exists()


# --- training (slow) ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """configs/tiny.yaml trained on the seeds, once for all tests that inspect its output."""
    out = tmp_path_factory.mktemp("models") / "tiny"
    started = time.time()
    summary = run_training(load_config(TINY, [f"training.output_dir={out}"]))
    return out, summary, time.time() - started


@pytest.mark.slow
def test_tiny_config_overfits_the_seeds(tiny_run):
    out, summary, seconds = tiny_run
    gold = read_docs(GOLD)
    predictor = Predictor.from_dir(out, device="cpu", precision="fp32")
    pred = list(predictor.predict_docs(gold))
    metrics = evaluate_docs(gold, pred)
    assert metrics["ents_f"] >= 0.90, metrics["ents_per_type"]
    assert [set(d.types) for d in pred] == [set(g.types) for g in gold]
    assert seconds < 600


@pytest.mark.slow
def test_tiny_run_writes_the_agreed_layout(tiny_run):
    out, summary, _ = tiny_run
    for folder in (out / "tagger", out / "classifier", out / "last" / "tagger", out / "last" / "classifier"):
        meta = json.loads((folder / "netra.json").read_text())
        if meta["task"] == "tagger":
            assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
        else:  # model.classifier_encoder: shared (the default): a head on the tagger's encoder
            assert (folder / "head.safetensors").is_file() and not (folder / "model.safetensors").exists()
            assert meta["encoder"] == {"shared_with": "../tagger"}
        assert meta["config"]["training"]["output_dir"] == str(out)
        tiny = load_config(TINY).model
        assert meta["max_length"] == tiny.max_length and meta["stride"] == tiny.stride
    clf = json.loads((out / "classifier" / "netra.json").read_text())
    assert clf["pooling"] == "mean" and set(clf["thresholds"]) == set(load_schema().article_types)
    assert clf["selected_by"] == "the tagger's encoder (best and last)"
    # best and last heads were each fitted on their own tagger's encoder
    assert (out / "classifier" / "head.safetensors").read_bytes() != (out / "last" / "classifier" / "head.safetensors").read_bytes()
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "done" and run["selected_by"]["tagger"] == "ents_f"
    assert "ents_f" in (out / "train.log").read_text()


@pytest.mark.slow
def test_tiny_tagger_loads_in_transformers_pipeline(tiny_run):
    out, _, _ = tiny_run
    tagger = pipeline("token-classification", model=str(out / "tagger"), aggregation_strategy="first")
    found = tagger("Penjabat Bupati Purwakarta, Benni Irwan, membuka sosialisasi netralitas ASN.")
    assert isinstance(found, list)
    assert all(f["entity_group"] in load_schema().span_labels for f in found)


@pytest.mark.slow
def test_same_seed_gives_identical_weights(tmp_path):
    weights = []
    for name in ("a", "b"):
        cfg = load_config(TINY, [f"training.output_dir={tmp_path / name}", "training.tasks=[tagger]",
                                 "model.hidden_size=32", "model.num_hidden_layers=1", "model.num_attention_heads=2",
                                 "model.max_length=64", "model.stride=16", "training.epochs=1",
                                 "model.dropout=0.1"])
        run_training(cfg)
        weights.append((tmp_path / name / "tagger" / "model.safetensors").read_bytes())
    assert weights[0] == weights[1]


def _train_cmd(out: Path, *extra: str) -> list[str]:
    # A very small model and run: the test is about steps and checkpoints, not quality. The classifier
    # gets an encoder of its own, so that its Trainer checkpoints are resumed too.
    return [sys.executable, str(ROOT / "train.py"), "--config", str(TINY), f"training.output_dir={out}",
            "model.hidden_size=32", "model.num_hidden_layers=1", "model.num_attention_heads=2",
            "model.max_length=64", "model.stride=16", "training.epochs=2",
            "training.eval_every=4", "model.classifier_encoder=own",
            "training.save_total_limit=3", *extra]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_number_of_steps(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    full = tmp_path / "full"
    subprocess.run(_train_cmd(full), check=True, cwd=ROOT, env=env, capture_output=True)
    expected = json.loads((full / "run.json").read_text())["tasks"]

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_train_cmd(killed), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while last_complete_checkpoint(killed / "checkpoints" / "tagger") is None:
        assert proc.poll() is None, "the run ended before writing its first checkpoint"
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "tagger" / "netra.json").exists(), "killed too late: the tagger had finished"

    subprocess.run(_train_cmd(killed, "--resume"), check=True, cwd=ROOT, env=env, capture_output=True)
    resumed = json.loads((killed / "run.json").read_text())["tasks"]
    for task in ("tagger", "classifier"):
        assert resumed[task]["global_step"] == expected[task]["global_step"] == expected[task]["max_steps"]
        state = json.loads((last_complete_checkpoint(killed / "checkpoints" / task) / "trainer_state.json").read_text())
        assert state["global_step"] == expected[task]["global_step"]
    assert "resuming from" in (killed / "train.log").read_text()


@pytest.mark.slow
def test_two_process_torchrun_trains_and_saves(tmp_path):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           *_train_cmd(out, "training.epochs=1")[1:]]
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads((out / "run.json").read_text())
    assert run["world_size"] == 2 and run["status"] == "done"
    assert (out / "tagger" / "model.safetensors").is_file() and (out / "classifier" / "netra.json").is_file()


# -- multi-source data with partial annotation (issue 6) -------------------------------------


def test_weighted_rows_repeat_whole_part_and_sample_the_fraction():
    rows = list(range(10))
    out = weighted_rows(rows, 2.5, seed=0)
    assert len(out) == 25 and out[:20] == rows + rows
    assert len(set(out[20:])) == 5  # five distinct rows, once more
    assert weighted_rows(rows, 2.5, seed=0) == out
    assert len(weighted_rows(rows, 0.3, seed=1)) == 3


def test_tagger_rows_mark_tags_an_o_may_hide_in_partially_annotated_docs(tok):
    tags = load_schema().bio_tags()
    label2id = {t: i for i, t in enumerate(tags)}
    corpus = Doc("c1", TEXT, [Span(22, 33, "PER")], meta={"annotated_labels": ["PER", "ORG", "LOC"]})
    full, part = (tagger_rows([d], encode_texts([TEXT], tok), tok, label2id=label2id, max_length=32, stride=4)[0]
                  for d in (DOC, corpus))
    assert full["hidden_tags"] == [0] * len(tags)
    hidden = {t for t, h in zip(tags, part["hidden_tags"], strict=True) if h}
    assert hidden == {f"{p}-{x}" for p in "BI" for x in ("ROLE", "DATE", "EVENT", "LAW")}


def test_read_source_maps_labels_and_records_annotated_labels(tmp_path, schema):
    path = tmp_path / "c.conll"
    path.write_text("Benni\tB-PERSON\nIrwan\tI-PERSON\ndi\tO\nJakarta\tB-PLACE\n", encoding="utf-8")
    src = SourceConfig(str(path), format="conll", label_map={"PERSON": "PER", "PLACE": "LOC"},
                       annotated_labels=["PER", "ORG", "LOC"])
    (doc,) = read_source(src, schema=schema)
    assert [(doc.text[s.start:s.end], s.label) for s in doc.spans] == [("Benni Irwan", "PER"), ("Jakarta", "LOC")]
    assert doc.annotated_labels == ["PER", "ORG", "LOC"]
    with pytest.raises(TrainingError, match="not found"):
        read_source(SourceConfig(str(tmp_path / "none.conll"), format="conll"), schema=schema)


# -- the article-type head on a shared encoder ---------------------------------------------------


def test_article_head_fits_types_carried_by_one_feature_and_takes_raw_features():
    rng = np.random.default_rng(0)
    # 40 articles of 1-3 windows; type 0 present when feature 3 is high, type 1 when feature 7 is
    # low. The features are far from standardised (offset 50, scale 10): the head must fold that in.
    feats, targets = [], []
    for k in range(40):
        a, b = k % 2, (k // 2) % 2
        x = rng.normal(0, 1, (1 + k % 3, 16))
        x[:, 3] += 3 * a
        x[:, 7] -= 3 * b
        feats.append(50 + 10 * x)
        targets.append([a, b])
    head = fit_article_head(feats, np.array(targets, dtype=np.float32), pooling="mean", steps=300, l2=0.01)
    probs = np.array([1 / (1 + np.exp(-head(f).mean(axis=0))) for f in feats])
    assert ((probs > 0.5) == np.array(targets, dtype=bool)).all(), probs
    # the informative features carry the largest weights (per standard deviation of the feature)
    scaled = np.abs(head.weight * np.concatenate(feats).std(axis=0))
    assert np.argmax(scaled[0]) == 3 and np.argmax(scaled[1]) == 7
    # deterministic: same inputs, same head
    again = fit_article_head(feats, np.array(targets, dtype=np.float32), pooling="mean", steps=300, l2=0.01)
    assert np.array_equal(head.weight, again.weight)


def test_article_head_l2_shrinks_weights():
    rng = np.random.default_rng(1)
    feats = [rng.normal(0, 1, (2, 8)) for _ in range(6)]
    targets = np.array([[k % 2] for k in range(6)], dtype=np.float32)
    loose = fit_article_head(feats, targets, pooling="max", steps=200, l2=0.0)
    tight = fit_article_head(feats, targets, pooling="max", steps=200, l2=1.0)
    assert np.abs(tight.weight).sum() < 0.2 * np.abs(loose.weight).sum()
