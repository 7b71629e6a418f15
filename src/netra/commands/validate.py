"""`netra validate FILE...`"""

from __future__ import annotations

import argparse

from netra.schema import load_schema
from netra.validate import run_validate


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="netra JSONL files")
    p.add_argument("--labels", help="label schema (default: data/labels.yaml)")
    p.add_argument("--quiet", action="store_true", help="print errors only, not warnings")


def run(args: argparse.Namespace) -> int:
    return run_validate(args.files, schema=load_schema(args.labels), quiet=args.quiet)
