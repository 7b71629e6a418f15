"""The NERGrit benchmark (IndoNLU): train on NERGrit train, select on valid, score test.

    python benchmarks/nergrit.py --config configs/offline.yaml [section.key=value ...] [--out DIR]
    python benchmarks/nergrit.py --config configs/indobert-base.yaml    # needs the real IndoBERT

The config supplies the encoder (`model` section; with a `pretrain` section the encoder is built
first when missing) and the optimisation (`training`); the benchmark replaces all the data (train,
dev, extra sources) with the vendored NERGrit split (data/corpora/nergrit, labels PERSON/ORGANISATION/PLACE -> PER/ORG/LOC) and
trains the tagger alone on those three labels. Later overrides on the command line still win.

The score is the IndoNLU metric: conlleval-style F1 per entity type on the CoNLL tokens, MACRO
averaged over the three types (seqeval's per-type F1, averaged); micro F1 is printed beside it.
Results go to DIR/nergrit.json and are printed next to the IndoNLU paper's Table 5 rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from seqeval.metrics import classification_report

from netra.bio import spans_to_bio
from netra.config import load_config
from netra.convert import read_as
from netra.docs import Doc, atomic_write_text, write_docs
from netra.inference import Predictor
from netra.training import run_training
from netra.words import Word

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "corpora" / "nergrit"
LABEL_MAP = {"PERSON": "PER", "ORGANISATION": "ORG", "PLACE": "LOC"}
SPLITS = {"train": "train_preprocess.txt", "valid": "valid_preprocess.txt", "test": "test_preprocess.txt"}
# IndoNLU (Wilie et al., 2020), Table 5, NERGrit column: macro-averaged entity F1.
PUBLISHED = [
    ("trained from scratch (IndoNLU)", 5.80),
    ("fastText-indo4b (IndoNLU)", 38.69),
    ("indobert-lite-base-p1 (IndoNLU)", 66.62),
    ("indobert-base-p1 (IndoNLU)", 69.87),
]


def token_words(doc: Doc) -> list[Word]:
    """The CoNLL tokens of a converted sentence (netra.convert joins them with single spaces)."""
    words, start = [], 0
    for token in doc.text.split(" "):
        words.append(Word(start, start + len(token), token))
        start += len(token) + 1
    return words


def indonlu_scores(gold: Sequence[Doc], pred: Sequence[Doc]) -> dict[str, float]:
    """Entity F1 on the CoNLL tokens: per type, macro average (IndoNLU's number) and micro average.

    Predicted character spans are turned into BIO tags over the gold tokens (a token touched by a
    span gets its label), so the comparison is exactly the one conlleval makes on CoNLL files.
    """
    y_true, y_pred = [], []
    for g, p in zip(gold, pred, strict=True):
        words = token_words(g)
        y_true.append(spans_to_bio(words, g.spans))
        y_pred.append(spans_to_bio(words, p.spans))
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    types = sorted(k for k in report if not k.endswith(" avg"))
    scores = {f"f1_{t}": 100 * float(report[t]["f1-score"]) for t in types}
    scores["macro_f1"] = sum(scores[f"f1_{t}"] for t in types) / len(types)
    for key, name in (("micro_f1", "f1-score"), ("micro_p", "precision"), ("micro_r", "recall")):
        scores[key] = 100 * float(report["micro avg"][name])
    return scores


def render_table(name: str, test: dict[str, float], valid: dict[str, float]) -> str:
    lines = ["| model | NERGrit test macro F1 (IndoNLU metric) | micro F1 |", "|---|---|---|"]
    lines += [f"| {label} | {score:.2f} | |" for label, score in PUBLISHED]
    lines.append(f"| **{name} (this run)** | **{test['macro_f1']:.2f}** | {test['micro_f1']:.2f} |")
    per_type = ", ".join(f"{k[3:]} {v:.2f}" for k, v in test.items() if k.startswith("f1_"))
    lines.append(f"\nthis run, test per type: {per_type}; valid macro {valid['macro_f1']:.2f}, "
                 f"micro {valid['micro_f1']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="netra config giving the model and training settings")
    parser.add_argument("overrides", nargs="*", metavar="section.key=value", help="dotted config overrides")
    parser.add_argument("--out", help="run folder (default: models/nergrit-<config name>)")
    parser.add_argument("--data", default=str(DATA), help=f"folder with the NERGrit split (default: {DATA})")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier run in --out")
    parser.add_argument("--eval-only", action="store_true", help="score the tagger already in --out")
    args = parser.parse_args(argv)

    out = Path(args.out or f"models/nergrit-{Path(args.config).stem}")
    docs = {split: read_as(Path(args.data) / name, "conll", label_map=LABEL_MAP) for split, name in SPLITS.items()}
    started = time.time()
    if not args.eval_only:
        for split in ("train", "valid"):
            write_docs(out / "data" / f"{split}.jsonl", docs[split])
        cfg = load_config(args.config, [
            f"data.train={out / 'data' / 'train.jsonl'}",
            f"data.dev={out / 'data' / 'valid.jsonl'}",
            "data.span_labels=[PER, ORG, LOC]",
            "data.sources=[]",
            "data.train_weight=1",
            "training.tasks=[tagger]",
            f"training.output_dir={out}",
            *args.overrides,
        ])
        run_training(cfg, overwrite=args.overwrite)  # builds a `pretrain` section's encoder first if missing
    predictor = Predictor.from_dir(out / "tagger")
    test = indonlu_scores(docs["test"], list(predictor.predict_docs(docs["test"], progress=True)))
    valid = indonlu_scores(docs["valid"], list(predictor.predict_docs(docs["valid"])))
    meta = json.loads((out / "tagger" / "netra.json").read_text(encoding="utf-8"))
    name = meta["config"]["model"]["name_or_path"]
    result = {"model": name, "config": args.config, "overrides": args.overrides, "test": test, "valid": valid,
              "published": dict(PUBLISHED), "seconds": round(time.time() - started, 1)}
    atomic_write_text(out / "nergrit.json", json.dumps(result, indent=2) + "\n")
    print(render_table(name, test, valid))
    print(f"\nwrote {out / 'nergrit.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
