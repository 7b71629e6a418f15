"""`netra cv`: cross-validated scores of a training config, next to the rule baseline.

Each fold trains the config on all articles but its test articles (leave-one-article-out by
default, or K folds) and predicts the held-out ones with `netra.inference.Predictor`, so no fold's
model ever sees its test article. The rule baseline (`netra.baseline.BaselineTagger`) predicts the
same articles. Both are scored twice with `netra.evaluate.evaluate_docs`:

- pooled: the predictions of all folds together against all gold articles (the headline number);
- per fold: each fold's test articles alone, summarised as mean and sample standard deviation.

With five seed articles this is the honest number: every article is scored by a model that never
saw it. Outputs in `--out`: `metrics.json` ({"model": ..., "baseline": ...}), `report.md` (both side
by side, plus the fold table), `report.html` (the model's pooled predictions, errors marked) and
`predictions.jsonl` (the model's pooled predictions). Fold models go to `--out/folds/` and are
deleted after predicting unless `--keep-models`.

Several `--config`s compare training set-ups on the same folds in one report (a data ablation):
each is a system named after its config file, `metrics.json` has one entry per system plus the
baseline, and each system's pooled predictions and HTML report go to `--out/<name>/`.

Example::

    netra cv --config configs/tiny.yaml --data seeds/gold.jsonl --out evaluation/reports/cv \\
        training.epochs=4
    netra cv --config configs/seeds.yaml --config configs/seeds+corpora.yaml --config configs/offline.yaml \\
        --data seeds/gold.jsonl --out evaluation/reports/cv-data
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from netra.config import Config, ConfigError, load_config
from netra.docs import Doc, atomic_write_text, write_docs
from netra.schema import load_schema
from netra.validate import InvalidData, read_docs

# Numbers summarised across folds (the evaluator's headline keys).
FOLD_KEYS = ("ents_p", "ents_r", "ents_f", "spans_exact_f", "spans_partial_f", "types_micro_f",
             "types_macro_f", "types_subset_acc", "holds_f")


def make_folds(ids: Sequence[str], folds: str | int, *, seed: int) -> list[list[int]]:
    """Test-article indices per fold: "loo" (one article per fold, in input order) or K folds.

    K folds shuffle the articles with `seed` and deal them out round-robin, so fold sizes differ by
    at most one and every article is tested exactly once.

    Example::

        make_folds(["a", "b", "c"], "loo", seed=0)  # [[0], [1], [2]]
    """
    n = len(ids)
    if folds == "loo":
        return [[i] for i in range(n)]
    k = int(folds)
    if not 2 <= k <= n:
        raise ValueError(f"--folds {k}: need 2 <= K <= number of articles ({n}); or use --folds loo")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [sorted(order[j::k]) for j in range(k)]


def fold_summary(per_fold: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and sample standard deviation (0 for a single fold) of FOLD_KEYS across folds."""
    out: dict[str, dict[str, float]] = {"mean": {}, "std": {}}
    for key in FOLD_KEYS:
        values = [float(m[key]) for m in per_fold if key in m]
        if values:
            out["mean"][key] = statistics.fmean(values)
            out["std"][key] = statistics.stdev(values) if len(values) > 1 else 0.0
    return out


def fold_config(cfg: Config, *, train_path: Path, out_dir: Path) -> Config:
    """The config of one fold: its own training file and model folder, everything else as given."""
    return dataclasses.replace(
        cfg,
        data=dataclasses.replace(cfg.data, train=str(train_path), dev=None),
        training=dataclasses.replace(cfg.training, output_dir=str(out_dir)),
    )


def run_cv(
    cfg: Config | dict[str, Config],
    *,
    data: str | Path,
    out: str | Path,
    folds: str | int = "loo",
    keep_models: bool = False,
    device: str = "auto",
) -> dict[str, Any]:
    """Cross-validate `cfg` on the articles in `data` and write the report to `out`.

    `cfg` is one config (the system "model") or several by name ({"seeds": c1, "seeds+corpora": c2}),
    each trained and scored on the same folds.

    Returns:
        {"model": pooled metrics + "folds" (mean/std) + "per_fold", "baseline": the same, "config": ...}
        (one entry per name instead of "model" when several configs are given)

    Raises:
        InvalidData: `data` fails validation.
        ConfigError: the config names its own dev file (it could hold test articles).
    """
    # Imported here: torch and transformers are slow to import and not needed for the errors above.
    from netra.baseline import BaselineTagger
    from netra.evaluate import evaluate_docs
    from netra.inference import Predictor
    from netra.report import render_comparison_markdown, render_html
    from netra.training import run_training

    systems = {"model": cfg} if isinstance(cfg, Config) else dict(cfg)
    if not systems or {"baseline", "config"} & set(systems):
        raise ConfigError(f"system names {sorted(systems)}: need at least one, and not 'baseline' or 'config'")
    for name, c in systems.items():
        if c.data.dev:
            raise ConfigError(
                f"{name}: data.dev = {c.data.dev}: cross-validation holds out its own test articles and a fixed "
                "dev file could contain them; set data.dev=null (data.dev_fraction holds out dev articles per fold)"
            )
    first = next(iter(systems.values()))
    started = time.time()
    schema = load_schema(first.data.schema)
    docs = read_docs(data, schema=schema)
    try:
        plan = make_folds([d.id for d in docs], folds, seed=first.training.seed)
    except ValueError as exc:
        raise ConfigError(f"{data}: {exc}") from None
    baseline = BaselineTagger(schema=schema)
    out = Path(out)
    names = [*systems, "baseline"]
    pooled: dict[str, dict[str, Doc]] = {name: {} for name in names}
    per_fold: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for k, test_idx in enumerate(tqdm(plan, desc="cv folds", unit="fold")):
        test = [docs[i] for i in test_idx]
        train = [d for i, d in enumerate(docs) if i not in set(test_idx)]
        fold_dir = out / "folds" / f"fold-{k}"
        write_docs(fold_dir / "train.jsonl", train)
        preds = {"baseline": baseline.predict_docs(test, progress=False)}
        for name, c in systems.items():
            model_dir = fold_dir / "model" if len(systems) == 1 else fold_dir / name / "model"
            run_training(fold_config(c, train_path=fold_dir / "train.jsonl", out_dir=model_dir), overwrite=True)
            preds[name] = list(Predictor.from_dir(model_dir, device=device).predict_docs(test))
            if not keep_models:
                shutil.rmtree(model_dir / "checkpoints", ignore_errors=True)
                for sub in ("tagger", "classifier", "last"):
                    shutil.rmtree(model_dir / sub, ignore_errors=True)
        for name in names:
            pooled[name].update((d.id, d) for d in preds[name])
            scores = evaluate_docs(test, preds[name], schema=schema)
            per_fold[name].append({"fold": k, "test_ids": [d.id for d in test],
                                   **{key: scores[key] for key in FOLD_KEYS}})

    in_order = {name: [pooled[name][d.id] for d in docs] for name in names}
    result: dict[str, Any] = {}
    for name in names:
        result[name] = {**evaluate_docs(docs, in_order[name], schema=schema), "folds": fold_summary(per_fold[name]),
                        "per_fold": per_fold[name]}
    settings = {name: c.to_dict() for name, c in systems.items()}
    result["config"] = {"data": str(data), "folds": folds, "n_folds": len(plan),
                        "train_config": settings["model"] if isinstance(cfg, Config) else settings,
                        "seconds": round(time.time() - started, 1)}

    title = f"Cross-validation ({_folds_name(folds, len(plan))}) on {Path(data).name}"
    atomic_write_text(out / "metrics.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(out / "report.md", render_comparison_markdown(
        {name: result[name] for name in names}, title=title) + fold_markdown(result))
    for name in systems:
        where = out if len(systems) == 1 else out / name
        write_docs(where / "predictions.jsonl", in_order[name])
        atomic_write_text(where / "report.html", render_html(result[name], docs, in_order[name],
                                                             title=f"{title}: {name} predictions", schema=schema))
    return result


def _folds_name(folds: str | int, n: int) -> str:
    return f"leave one article out, {n} folds" if folds == "loo" else f"{n} folds"


def fold_markdown(result: dict[str, Any]) -> str:
    """The across-folds section of report.md: mean ± std per system, then each fold."""
    from netra.report import markdown_table

    systems = [s for s in result if s != "config"]
    header = ["metric", *systems]
    rows = [[key, *(f"{result[s]['folds']['mean'][key]:.3f} ± {result[s]['folds']['std'][key]:.3f}"
                    for s in systems)]
            for key in FOLD_KEYS if all(key in result[s]["folds"]["mean"] for s in systems)]
    fold_rows = [[f["fold"], ", ".join(f["test_ids"]), *(f"{result[s]['per_fold'][i]['ents_f']:.3f}"
                                                         for s in systems),
                  *(f"{result[s]['per_fold'][i]['types_micro_f']:.3f}" for s in systems)]
                 for i, f in enumerate(result[systems[0]]["per_fold"])]
    return "\n".join([
        "", "## Across folds (mean ± sample std)", "", markdown_table(header, rows),
        "", "## Per fold", "",
        markdown_table(["fold", "test articles", *(f"{s} ents_f" for s in systems),
                        *(f"{s} types_micro_f" for s in systems)], fold_rows), "",
    ])


# ---------------------------------------------------------------------------------------------
# netra cv


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, action="append",
                   help="training config, e.g. configs/tiny.yaml; repeat it to compare several set-ups on the "
                        "same folds in one report (each named after its file)")
    p.add_argument("--data", required=True, help="gold netra JSONL to cross-validate on (replaces data.train)")
    p.add_argument("--out", required=True, help="folder for metrics.json, report.md, report.html, predictions.jsonl")
    p.add_argument("--folds", default="loo", help="'loo' (leave one article out, default) or a number K")
    p.add_argument("--keep-models", action="store_true", help="keep each fold's trained models in OUT/folds/")
    p.add_argument("--device", default="auto", help="device for predicting held-out articles (auto, cpu, cuda)")
    p.add_argument("overrides", nargs="*", metavar="section.key=value",
                   help="config overrides, e.g. training.epochs=4")


def run(args: argparse.Namespace) -> int:
    from netra.evaluate import comparison_table
    from netra.training import ModelLoadError, TrainingError

    folds: str | int = args.folds
    if folds != "loo":
        if not str(folds).isdigit():
            print(f"error: --folds must be 'loo' or a number, got {folds!r}", file=sys.stderr)
            return 2
        folds = int(folds)
    paths = args.config  # --config is repeatable: always a list
    names = [Path(p).stem for p in paths]
    if len(set(names)) < len(names):
        print(f"error: --config files {paths} must have different names (each names a system)", file=sys.stderr)
        return 2
    try:
        cfgs = {name: load_config(p, args.overrides) for name, p in zip(names, paths, strict=True)}
        # one config is the system "model" (as before several were allowed); several keep their names
        result = run_cv(cfgs[names[0]] if len(cfgs) == 1 else cfgs, data=args.data, out=args.out, folds=folds, keep_models=args.keep_models,
                        device=args.device)
    except InvalidData as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"FAILED: {len(exc.problems)} error(s) in {args.data}; fix them (netra validate) and run again",
              file=sys.stderr)
        return 1
    except (ConfigError, TrainingError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    systems = [s for s in result if s != "config"]
    print(comparison_table({s: result[s] for s in systems}))
    print()
    for s in systems:
        m = result[s]["folds"]
        print(f"{s} ents_f across folds: {m['mean']['ents_f']:.3f} ± {m['std']['ents_f']:.3f}")
    print(f"wrote {Path(args.out) / 'report.md'} (and metrics.json, report.html, predictions.jsonl) "
          f"in {result['config']['seconds']:.0f} s")
    return 0
