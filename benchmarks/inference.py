"""Benchmark: `netra predict` against the transformers pipelines a user would otherwise call.

On one model folder of IndoBERT-base size (BertConfig defaults, the vendored IndoBERT vocabulary,
random weights with a fixed seed; see `build_model`) and one set of documents, each variant runs
in its own subprocess, so that peak memory (VmHWM from /proc) is its own:

- pipeline-simple: `pipeline("token-classification", aggregation_strategy="simple", stride=S)` on
  the tagger plus `pipeline("text-classification", top_k=None, truncation=True)` on a sequence
  classifier of the same size, called on the list of texts.
- pipeline-first: the same with `aggregation_strategy="first"`, the decision policy netra uses
  (each word labelled from its first subtoken); the fair reference for span agreement.
- netra-fp32 / netra-bf16: `netra predict` in fp32 and with bf16 autocast (where supported), on
  the layout train.py writes by default: the article-type head reads the tagger's encoder, so
  every window goes through one encoder once.
- netra-mem: the fastest netra variant on a tenth of the documents, to show that memory is flat.
- netra-own (not run by default): netra fp32 with the pipelines' two models (a classifier with an
  encoder of its own, `model.classifier_encoder: own`), to show what the shared encoder buys.

Each variant's time includes loading the models and writing its output. Tokens are counted once,
as IndoBERT subtokens of the texts without special tokens. Agreement is the micro F1 of one
variant's (start, end, label) spans against the reference's over all documents.

Usage::

    python benchmarks/inference.py                   # 200 documents, CPU
    python benchmarks/inference.py --docs 40 --variants pipeline-simple,netra-fp32
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizers" / "indobert-base-p1"
CORPORA = Path(os.environ.get("NETRA_CORPORA", ROOT.parent / "shared" / "corpora"))
# Cased news text whose labels (PER/ORG/LOC) are netra labels: rebuilt into multi-sentence articles.
CORPUS_FILES = ["idner-news-2k/test.txt", "idner-news-2k/dev.txt"]
VARIANTS = ["pipeline-simple", "pipeline-first", "netra-fp32", "netra-bf16", "netra-mem", "netra-own"]
DEFAULT_VARIANTS = VARIANTS[:5]


# -- inputs ---------------------------------------------------------------------------------------

def build_model(folder: Path, *, seed: int) -> None:
    """Random IndoBERT-base-size models in netra's layout, and the classifier a pipeline user needs.

    - tagger/: a BertForTokenClassification, as train.py writes it;
    - classifier/: an article-type head on the tagger's encoder (model.classifier_encoder: shared,
      train.py's default), which the pipelines cannot load;
    - pipeline-classifier/: a BertForSequenceClassification of the same size, the second model a
      user of the text-classification pipeline needs (and what classifier_encoder: own trains);
    - own/: tagger/ and pipeline-classifier/ side by side (symlinks), for the netra-own variant.
    """
    import numpy as np
    import torch
    from transformers import (
        AutoTokenizer,
        BertConfig,
        BertForSequenceClassification,
        BertForTokenClassification,
    )

    from netra import __version__
    from netra.inference import ArticleHead
    from netra.schema import load_schema

    schema = load_schema()
    tok = AutoTokenizer.from_pretrained(TOKENIZER)
    types = list(schema.article_types)

    def meta(task: str, labels: list[str], **extra: object) -> str:
        return json.dumps({"task": task, "netra_version": __version__, "labels": labels, "schema": schema.to_dict(),
                           "config": {"benchmark": "random IndoBERT-base-size weights", "seed": seed},
                           "metrics": {}, "selected_by": "none", "max_length": 512, "stride": 128, **extra},
                          indent=2)

    for name, task, labels, cls in (("tagger", "tagger", schema.bio_tags(), BertForTokenClassification),
                                    ("pipeline-classifier", "classifier", types, BertForSequenceClassification)):
        torch.manual_seed(seed)
        extra = {"problem_type": "multi_label_classification"} if task == "classifier" else {}
        config = BertConfig(vocab_size=len(tok), id2label=dict(enumerate(labels)),
                            label2id={x: i for i, x in enumerate(labels)}, **extra)
        out = folder / name
        cls(config).eval().save_pretrained(out)
        tok.save_pretrained(out)
        clf_extra = {"thresholds": dict.fromkeys(types, 0.5), "pooling": "mean"} if task == "classifier" else {}
        (out / "netra.json").write_text(meta(task, labels, **clf_extra), encoding="utf-8")
        hidden = config.hidden_size
    rng = np.random.default_rng(seed)
    (folder / "classifier").mkdir(parents=True, exist_ok=True)
    ArticleHead(rng.normal(0, 0.02, (len(types), hidden)).astype(np.float32),
                np.zeros(len(types), dtype=np.float32)).save(folder / "classifier")
    (folder / "classifier" / "netra.json").write_text(
        meta("classifier", types, thresholds=dict.fromkeys(types, 0.5), pooling="mean",
             encoder={"shared_with": "../tagger"}), encoding="utf-8")
    (folder / "own").mkdir(exist_ok=True)
    for link, target in (("tagger", "../tagger"), ("classifier", "../pipeline-classifier")):
        if not (folder / "own" / link).exists():
            (folder / "own" / link).symlink_to(target)


def build_documents(n: int, *, seed_every: int) -> list[dict]:
    """`n` documents: every `seed_every`-th a seed article, the others rebuilt corpus articles."""
    from netra.convert import read_conll

    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    articles: list[str] = []
    for name in CORPUS_FILES:
        path = CORPORA / name
        if not path.exists():
            continue
        sentences = [d.text for d in read_conll(path, column=-1, token_column=0, skip_invalid=True, problems=[])]
        # 6 consecutive sentences make one article of roughly news-paragraph length
        articles += ["\n".join(sentences[i : i + 6]) for i in range(0, len(sentences) - 5, 6)]
    if not articles:
        print(f"note: no corpora under {CORPORA}; using the seed articles only", file=sys.stderr)
    docs = []
    for i in range(n):
        if not articles or i % seed_every == 0:
            text = seeds[(i // seed_every if articles else i) % len(seeds)]
        else:
            text = articles[(i - i // seed_every - 1) % len(articles)]
        docs.append({"id": f"bench-{i:05d}", "text": text})
    return docs


# -- workers (one per subprocess) ---------------------------------------------------------------

def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def run_pipeline(args: argparse.Namespace, docs: list[dict], out: Path) -> None:
    from transformers import pipeline

    device = 0 if args.device == "cuda" else -1
    strategy = args.variant.removeprefix("pipeline-")
    ner = pipeline("token-classification", model=str(args.model / "tagger"), aggregation_strategy=strategy,
                   stride=args.stride, device=device)
    clf = pipeline("text-classification", model=str(args.model / "pipeline-classifier"), top_k=None, device=device)
    texts = [d["text"] for d in docs]
    entities = ner(texts)
    types = clf(texts, truncation=True)
    with open(out, "w", encoding="utf-8") as f:
        for d, ents, ts in zip(docs, entities, types, strict=True):
            spans = [[int(e["start"]), int(e["end"]), e["entity_group"]] for e in ents]
            f.write(json.dumps({"id": d["id"], "spans": spans, "types": {t["label"]: t["score"] for t in ts}}) + "\n")


def run_netra(args: argparse.Namespace, docs_path: Path, out: Path) -> None:
    from netra.cli import main

    precision = "bf16" if args.variant == "netra-bf16" else args.mem_precision if args.variant == "netra-mem" else "fp32"
    model = args.model / "own" if args.variant == "netra-own" else args.model
    status = main(["predict", "--model", str(model), "--input", str(docs_path), "--output", str(out),
                   "--device", args.device, "--precision", precision, "--batch-size", str(args.batch_size),
                   "--max-length", "512", "--stride", str(args.stride), "--no-progress"])
    if status:
        raise SystemExit(f"netra predict failed with status {status}")


def worker(args: argparse.Namespace) -> None:
    import torch

    docs_path = args.work / "docs.jsonl"
    docs = [json.loads(x) for x in docs_path.read_text(encoding="utf-8").splitlines()]
    if args.variant == "netra-mem":
        docs_path = args.work / "docs-small.jsonl"
        docs = [json.loads(x) for x in docs_path.read_text(encoding="utf-8").splitlines()]
    out = args.work / f"{args.variant}.jsonl"
    start = time.perf_counter()
    if args.variant.startswith("pipeline"):
        run_pipeline(args, docs, out)
    else:
        run_netra(args, docs_path, out)
    seconds = time.perf_counter() - start
    import transformers

    result = {"variant": args.variant, "docs": len(docs), "seconds": seconds, "peak_rss_mib": peak_rss_mib(),
              "threads": torch.get_num_threads(), "cpu": cpu_model(), "cpus": len(os.sched_getaffinity(0)),
              "torch": torch.__version__, "transformers": transformers.__version__}
    if args.device == "cuda":
        result["gpu"] = torch.cuda.get_device_name()
        result["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    (args.work / f"{args.variant}.result.json").write_text(json.dumps(result))


# -- the driver ---------------------------------------------------------------------------------

def read_spans(path: Path) -> dict[str, set[tuple[int, int, str]]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        spans = d["spans"]
        out[d["id"]] = {(s["start"], s["end"], s["label"]) if isinstance(s, dict) else tuple(s) for s in spans}
    return out


def window_overlaps(docs: list[dict], tok, *, stride: int) -> dict[str, list[tuple[int, int]]]:
    """Character ranges covered by two consecutive 512-token windows, per document."""
    from netra.encoding import encode_text, split_windows

    out = {}
    for d in docs:
        enc = encode_text(d["text"], tok)
        ws = split_windows(len(enc), max_tokens=510, stride=stride)
        out[d["id"]] = [(enc.offsets[b[0]].start, enc.offsets[a[1] - 1].end) for a, b in pairwise(ws)]
    return out


def span_f1(pred: dict[str, set], ref: dict[str, set]) -> float:
    tp = sum(len(pred.get(k, set()) & v) for k, v in ref.items())
    n_pred = sum(len(v) for v in pred.values())
    n_ref = sum(len(v) for v in ref.values())
    return 2 * tp / (n_pred + n_ref) if n_pred + n_ref else 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200, help="number of documents (default 200)")
    ap.add_argument("--seed-every", type=int, default=4, help="every N-th document is a seed article (default 4)")
    ap.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                    help=f"comma-separated subset of {VARIANTS} (default: all but netra-own)")
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "bench-indobert-base-random",
                    help="model folder; built (random IndoBERT-base size) when missing")
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-inference", help="outputs and results")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--batch-size", type=int, default=8, help="netra windows per forward pass")
    ap.add_argument("--stride", type=int, default=128)
    ap.add_argument("--mem-precision", default="bf16", choices=["fp32", "bf16"], help="precision of netra-mem")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reuse", action="store_true", help="reuse results already in --work; only print the table")
    ap.add_argument("--variant", help=argparse.SUPPRESS)  # set in the worker subprocesses
    args = ap.parse_args()
    if args.variant:
        return worker(args)

    from transformers import AutoTokenizer

    from netra.inference import bf16_supported

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
    import torch

    reused = args.reuse and (args.work / "netra-bf16.result.json").exists()
    if "netra-bf16" in variants and not reused and not bf16_supported(torch.device(args.device)):
        print("note: no bf16 on this device; skipping netra-bf16", file=sys.stderr)
        variants.remove("netra-bf16")
    if not all((args.model / f / "netra.json").exists() for f in ("tagger", "classifier", "pipeline-classifier")):
        print(f"building the benchmark model in {args.model} ...", file=sys.stderr)
        build_model(args.model, seed=args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    docs = build_documents(args.docs, seed_every=args.seed_every)
    (args.work / "docs.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    small = docs[: max(1, len(docs) // 10)]
    (args.work / "docs-small.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in small))
    tok = AutoTokenizer.from_pretrained(TOKENIZER)
    counts = [len(ids) for ids in tok([d["text"] for d in docs], add_special_tokens=False, verbose=False)["input_ids"]]
    tokens = {"all": sum(counts), "small": sum(counts[: len(small)])}
    print(f"{len(docs)} documents, {tokens['all']:,} subtokens (mean {tokens['all'] / len(docs):.0f}, "
          f"max {max(counts)}; {sum(c > 510 for c in counts)} need more than one 512-token window)")

    results = {}
    for v in variants:
        if args.reuse and (args.work / f"{v}.result.json").exists():
            results[v] = json.loads((args.work / f"{v}.result.json").read_text())
            continue
        cmd = [sys.executable, __file__, "--variant", v, "--model", str(args.model), "--work", str(args.work),
               "--device", args.device, "--batch-size", str(args.batch_size), "--stride", str(args.stride),
               "--mem-precision", args.mem_precision]
        print(f"running {v} ...", file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True)
        results[v] = json.loads((args.work / f"{v}.result.json").read_text())

    ref_name = "pipeline-simple" if "pipeline-simple" in results else next(iter(results))
    ref = results[ref_name]
    spans = {v: read_spans(args.work / f"{v}.jsonl") for v in results if v != "netra-mem"}
    where = ref.get("gpu") or f"{ref.get('cpu', '?')}, {ref.get('cpus', '?')} CPU(s) usable"
    print(f"\nmachine: {where}; torch {ref.get('torch')} ({ref['threads']} threads), transformers "
          f"{ref.get('transformers')}; batch size {args.batch_size}, max length 512, stride {args.stride}")
    multi = {d["id"] for d, c in zip(docs, counts, strict=True) if c > 510}
    one = {k: {i: v for i, v in sp.items() if i not in multi} for k, sp in spans.items()}
    many = {k: {i: v for i, v in sp.items() if i in multi} for k, sp in spans.items()}
    # Where consecutive windows overlap, the merge policies differ; elsewhere they must agree.
    overlaps = window_overlaps([d for d in docs if d["id"] in multi], tok, stride=args.stride)
    outside = {k: {i: {s for s in v if not any(s[0] < e and a < s[1] for a, e in overlaps.get(i, []))}
                   for i, v in sp.items() if i in multi} for k, sp in spans.items()}

    def f1(groups: dict[str, dict], v: str, ref_variant: str) -> str:
        return f"{span_f1(groups[v], groups[ref_variant]):.4f}" if v in groups and ref_variant in groups else ""

    header = ("| variant | docs | seconds | docs/s | tokens/s | x pipeline | peak RSS MiB | F1 vs simple "
              "| F1 vs first | F1 vs first, 1-window docs | F1 vs first, longer docs | same, outside overlaps |")
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for v, r in results.items():
        n_tok = tokens["small"] if v == "netra-mem" else tokens["all"]
        dps, tps = r["docs"] / r["seconds"], n_tok / r["seconds"]
        ratio = dps / (ref["docs"] / ref["seconds"])
        print(f"| {v} | {r['docs']} | {r['seconds']:.1f} | {dps:.2f} | {tps:,.0f} | {ratio:.2f} | "
              f"{r['peak_rss_mib']:,.0f} | {f1(spans, v, 'pipeline-simple')} | {f1(spans, v, 'pipeline-first')} | "
              f"{f1(one, v, 'pipeline-first')} | {f1(many, v, 'pipeline-first')} | "
              f"{f1(outside, v, 'pipeline-first')} |")
    if "netra-mem" in results:
        full = "netra-bf16" if args.mem_precision == "bf16" else "netra-fp32"
        if full in results:
            growth = results[full]["peak_rss_mib"] / results["netra-mem"]["peak_rss_mib"]
            print(f"\npeak memory, {results[full]['docs']} vs {results['netra-mem']['docs']} documents "
                  f"({full}): {growth:.3f}x")
    (args.work / "summary.json").write_text(json.dumps({"tokens": tokens, "results": results}, indent=2))


if __name__ == "__main__":
    main()
