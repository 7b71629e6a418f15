"""Tiny randomly initialised model folders in the netra layout, for tests that need a model.

`make_run(root)` writes `root/tagger/` and `root/classifier/` exactly as train.py lays them out
(weights, tokenizer, config.json with labels, netra.json), using the vendored IndoBERT vocabulary.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, BertForTokenClassification

from netra import __version__
from netra.inference import ArticleHead
from netra.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizers" / "indobert-base-p1"


def bert_config(labels: list[str], *, vocab_size: int, hidden: int = 128, layers: int = 2, heads: int = 2,
                **extra) -> BertConfig:
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        max_position_embeddings=512,
        id2label=dict(enumerate(labels)),
        label2id={x: i for i, x in enumerate(labels)},
        **extra,
    )


def save_model_folder(model, tokenizer, folder: Path, *, task: str, labels: list[str], max_length: int,
                      stride: int, extra: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    meta = {
        "task": task,
        "netra_version": __version__,
        "labels": labels,
        "schema": load_schema().to_dict(),
        "config": {"model": {"name": "tiny-random", "hidden": model.config.hidden_size}},
        "metrics": {},
        "selected_by": "none",
        "max_length": max_length,
        "stride": stride,
        **(extra or {}),
    }
    (folder / "netra.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return folder


def make_run(root: Path, *, seed: int = 0, hidden: int = 128, layers: int = 2, heads: int = 2,
             max_length: int = 64, stride: int = 16, thresholds: dict[str, float] | None = None,
             tagger: bool = True, classifier: bool = True, shared: bool = False) -> Path:
    """Write a models/<run>-style folder with random tiny models and return its path.

    `shared`: the classifier is a random ArticleHead on the tagger's encoder
    (model.classifier_encoder: shared) instead of a model of its own.
    """
    tok = AutoTokenizer.from_pretrained(TOKENIZER)
    schema = load_schema()
    if tagger:
        torch.manual_seed(seed)
        tags = schema.bio_tags()
        model = BertForTokenClassification(bert_config(tags, vocab_size=len(tok), hidden=hidden, layers=layers,
                                                       heads=heads)).eval()
        save_model_folder(model, tok, root / "tagger", task="tagger", labels=tags, max_length=max_length,
                          stride=stride)
    if classifier and shared:
        types = list(schema.article_types)
        rng = np.random.default_rng(seed + 1)
        folder = root / "classifier"
        folder.mkdir(parents=True, exist_ok=True)
        ArticleHead(rng.normal(0, 1, (len(types), hidden)).astype(np.float32),
                    rng.normal(0, 0.1, len(types)).astype(np.float32)).save(folder)
        meta = {"task": "classifier", "netra_version": __version__, "labels": types,
                "schema": schema.to_dict(), "config": {"model": {"name": "tiny-random-head"}}, "metrics": {},
                "selected_by": "none", "max_length": max_length, "stride": stride,
                "encoder": {"shared_with": "../tagger"}, "pooling": "mean",
                "thresholds": thresholds or dict.fromkeys(types, 0.5)}
        (folder / "netra.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    elif classifier:
        torch.manual_seed(seed + 1)
        types = list(schema.article_types)
        model = BertForSequenceClassification(bert_config(
            types, vocab_size=len(tok), hidden=hidden, layers=layers, heads=heads,
            problem_type="multi_label_classification")).eval()
        save_model_folder(model, tok, root / "classifier", task="classifier", labels=types,
                          max_length=max_length, stride=stride,
                          extra={"thresholds": thresholds or dict.fromkeys(types, 0.5), "pooling": "mean"})
    return root
