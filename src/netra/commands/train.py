"""`netra train --config C [section.key=value ...] [--resume | --overwrite]` (the same as train.py)."""

from __future__ import annotations

import argparse
import sys

from netra.config import ConfigError, load_config


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="YAML config, e.g. configs/tiny.yaml")
    p.add_argument("overrides", nargs="*", metavar="section.key=value",
                   help="dotted config overrides, e.g. training.epochs=3 training.output_dir=models/x")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="continue the run in training.output_dir from its last checkpoint")
    mode.add_argument("--overwrite", action="store_true",
                      help="replace an earlier run in training.output_dir")


def run(args: argparse.Namespace) -> int:
    # Imported here so that `netra --help` and config errors do not wait for torch.
    from netra.training import ModelLoadError, TrainingError, run_training
    from netra.validate import InvalidData

    try:
        cfg = load_config(args.config, args.overrides)
        summary = run_training(cfg, resume=args.resume, overwrite=args.overwrite)
    except InvalidData as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"FAILED: {len(exc.problems)} error(s) in the training data; fix them (netra validate FILE) "
              "and run again", file=sys.stderr)
        return 1
    except (ConfigError, TrainingError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for task, result in summary["tasks"].items():
        best = result.get("metrics", {}).get("best", {})
        metric = result["selected_by"]
        if metric in best:
            print(f"{task}: {metric} = {best[metric]:.4f} on {summary['data']['dev']} "
                  f"(best step {result['best_step']} of {result['global_step']})")
    print(f"wrote {cfg.training.output_dir} in {summary['seconds']:.0f} s")
    return 0
