"""The `netra` command line: one subcommand per job, each implemented in its own module.

Each module named in COMMANDS provides `add_arguments(parser)` and `run(args) -> int`; modules are
imported only when their command runs, so `netra validate` does not pay for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from netra import __version__

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("netra.commands.validate", "check netra JSONL files against the format and label schema"),
    "stats": ("netra.stats", "counts, span lengths, rare labels and duplicate texts of netra JSONL files"),
    "convert": ("netra.convert", "convert between netra, doccano, Label Studio, CoNLL/IOB2 and brat"),
    "evaluate": ("netra.evaluate", "score predictions against gold; write metrics.json, report.md, report.html"),
    "baseline": ("netra.baseline", "rule-based tagger and article-type classifier that needs no training"),
    "predict": ("netra.predict", "run a trained model over articles: spans, types, HOLDS; resumable batch job"),
    "records": ("netra.records", "one structured record per article: date, place, officials, elections, laws"),
    "train": ("netra.commands.train", "fine-tune the tagger and article-type classifier (same as train.py)"),
    "cv": ("netra.cv", "cross-validate a training config on gold articles, next to the rule baseline"),
    "pretrain": ("netra.pretrain", "an encoder from raw Indonesian text (masked-LM training, co-occurrence vectors)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netra", description="Labelled, structured data from Indonesian news about ASN and elections."
    )
    parser.add_argument("--version", action="version", version=f"netra {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        # Arguments are added lazily (below) for the chosen command only.
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in COMMANDS:
        name = argv[0]
        module = importlib.import_module(COMMANDS[name][0])
        sub = argparse.ArgumentParser(prog=f"netra {name}", description=COMMANDS[name][1])
        module.add_arguments(sub)
        # intermixed: dotted overrides (train, cv) may stand before or after --options
        args = sub.parse_intermixed_args(argv[1:])
        try:
            return int(module.run(args) or 0)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
    parser.parse_args(argv)
    parser.print_help()
    return 2
