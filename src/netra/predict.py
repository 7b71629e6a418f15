"""`netra predict`: run a trained model over many articles, fault-tolerant and resumable.

Input is a .txt file, a folder of .txt files, or a netra/doccano JSONL file, read by
`netra.inputs.input_records` checking only id and text (gold spans ignored). Output is netra
JSONL. A record that cannot be read goes to `OUT.errors.jsonl` (source, line, id, reason) and to
stderr, as the same `FILE:LINE: id=ID: what (fix)` line that `netra baseline` prints, and the run
goes on. Without `--resume` the output is written to a temporary file and renamed at the end; with
`--resume` each document is appended as soon as it is predicted and ids already in OUT are
skipped, so a killed run loses nothing and repeats nothing.

Exit status: 0 when every record was predicted; otherwise the number of records that failed,
capped at 100; 101 for a fatal error (missing model or input) before anything was written.

Example::

    netra predict --model models/run1 --input articles/ --output pred.jsonl --csv
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import IO

from tqdm import tqdm

from netra.docs import Doc
from netra.inputs import InputError, InputRecord, count_inputs, input_records
from netra.validate import iter_records

FATAL = 101
MAX_STATUS = 100


# -- writing ------------------------------------------------------------------------------------

def side_path(out: Path, suffix: str) -> Path:
    """`pred.jsonl` -> `pred.errors.jsonl`, `pred.csv`, ..."""
    return out.with_name(out.name.removesuffix(".jsonl") + suffix)


@contextmanager
def _atomic_stream(path: Path) -> Iterator[IO[str]]:
    """A text stream that replaces `path` only when the block finishes without an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def completed_ids(out: Path) -> set[str]:
    """Ids already in a (possibly killed) output file; a torn last line is cut off first."""
    ids: set[str] = set()
    if not out.exists():
        return ids
    with open(out, "rb+") as f:
        good = 0  # end of the last complete line
        for line in f:
            if not line.endswith(b"\n"):
                f.truncate(good)  # the document on the torn line is predicted again
                break
            good += len(line)
            if line.strip():
                ids.add(json.loads(line)["id"])
    return ids


def write_csv(docs_path: Path, csv_path: Path) -> int:
    """A flat entity table (doc_id, label, text, start, end, score) from a netra JSONL file."""
    n = 0
    with _atomic_stream(csv_path) as f:
        w = csv.writer(f)
        w.writerow(["doc_id", "label", "text", "start", "end", "score"])
        for rec in iter_records(docs_path):
            if rec.doc is None:
                continue
            for s in rec.doc.spans:
                score = "" if s.score is None else f"{s.score:.6f}"
                w.writerow([rec.doc.id, s.label, s.text_of(rec.doc.text), s.start, s.end, score])
                n += 1
    return n


# -- the command --------------------------------------------------------------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="models/<run> (tagger/ and/or classifier/) or one model folder")
    p.add_argument("--input", required=True, help=".txt file, folder of .txt files, or netra/doccano JSONL")
    p.add_argument("--output", required=True, help="netra JSONL to write (errors go to OUT.errors.jsonl)")
    p.add_argument("--csv", action="store_true", help="also write OUT.csv: doc_id, label, text, start, end, score")
    p.add_argument("--format", choices=["netra", "labelstudio", "doccano"], default="netra",
                   help="also write pre-annotations for Label Studio (OUT.labelstudio.json) or doccano "
                        "(OUT.doccano.jsonl); OUT itself is always netra JSONL")
    p.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda, cuda:1, ...")
    p.add_argument("--batch-size", type=int, default=8, help="windows per forward pass (default 8)")
    p.add_argument("--max-length", type=int, help="window length in subtokens incl. [CLS]/[SEP] (default: model's)")
    p.add_argument("--stride", type=int, help="subtokens shared by consecutive windows (default: model's)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="bf16 autocast, fp32, or auto (bf16 where the CPU/GPU supports it)")
    p.add_argument("--resume", action="store_true",
                   help="append to OUT document by document, skipping ids already there")
    p.add_argument("--records", action="store_true",
                   help="also write OUT.records.jsonl: one structured record per article (netra.records)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _fatal(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return FATAL


def run(args: argparse.Namespace) -> int:
    from transformers.utils import logging as hf_logging

    from netra.encoding import TokenizerError
    from netra.inference import ModelError, Predictor  # torch is imported only when predicting

    hf_logging.disable_progress_bar()  # one bar (ours) is enough on a batch job's stderr

    out = Path(args.output)
    inp = Path(args.input)
    if out.exists() and inp.exists() and out.resolve() == inp.resolve():
        return _fatal(f"--output {out} is the input file; choose another output path")
    try:
        predictor = Predictor.from_dir(args.model, device=args.device, precision=args.precision,
                                       batch_size=args.batch_size, max_length=args.max_length, stride=args.stride)
        records = input_records(inp)
        first = next(records, None)  # surfaces InputError before any output is touched
        total = count_inputs(inp)
    except (ModelError, TokenizerError, InputError, OSError) as exc:
        return _fatal(str(exc))

    done = completed_ids(out) if args.resume else set()
    failures: list[InputRecord] = []
    skipped = 0

    def docs() -> Iterator[Doc]:
        nonlocal skipped
        if first is None:
            return
        for rec in chain([first], records):
            if rec.doc is None:
                failures.append(rec)
                for problem in rec.problems:  # the same lines `netra baseline` prints
                    tqdm.write(str(problem), file=sys.stderr)
            elif rec.doc.id in done:
                skipped += 1
            else:
                yield rec.doc

    predictions = predictor.predict_docs(docs(), progress=not args.no_progress, total=total)
    n = 0
    if args.resume:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a", encoding="utf-8", newline="\n") as f:
            for doc in predictions:
                f.write(doc.to_json() + "\n")
                f.flush()  # a kill after this line loses nothing
                n += 1
    else:
        with _atomic_stream(out) as f:
            for doc in predictions:
                f.write(doc.to_json() + "\n")
                n += 1

    errors_path = side_path(out, ".errors.jsonl")
    if failures:
        with _atomic_stream(errors_path) as f:
            for rec in failures:
                row = {"source": rec.source, "line": rec.line, "id": rec.doc_id, "reason": rec.reason}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        errors_path.unlink(missing_ok=True)  # a stale list from an earlier run would mislead
    extra = []
    if args.csv:
        rows = write_csv(out, side_path(out, ".csv"))
        extra.append(f"{rows} entities in {side_path(out, '.csv')}")
    if args.format != "netra":
        extra.append(_write_format(out, args.format))
    if args.records:
        extra.append(_write_records(out))
    summary = f"{n} document(s) predicted into {out}"
    if skipped:
        summary += f", {skipped} already there (--resume)"
    if failures:
        summary += f", {len(failures)} failed (see {errors_path})"
    print("; ".join([summary, *extra]), file=sys.stderr)
    return min(len(failures), MAX_STATUS)


def _write_format(out: Path, fmt: str) -> str:
    """Pre-annotations for an annotation tool, through the converters of netra.convert."""
    from netra import convert

    target = side_path(out, ".labelstudio.json" if fmt == "labelstudio" else ".doccano.jsonl")
    docs = []
    for rec in iter_records(out):
        if rec.doc is not None:
            model = rec.doc.meta.get("model") or {}
            # Label Studio shows model_version next to each prediction: name the run and its config
            rec.doc.meta["model_version"] = f"{Path(model.get('path', 'netra')).name}@{model.get('config_hash', '')}"
            docs.append(rec.doc)
    convert.write_as(docs, target, fmt)
    return f"{fmt} pre-annotations in {target}"


def _write_records(out: Path) -> str:
    """One structured record per predicted article (netra.records), streamed from OUT."""
    from netra.records import build_record

    target = side_path(out, ".records.jsonl")
    with _atomic_stream(target) as f:
        for rec in iter_records(out):
            if rec.doc is not None:
                f.write(json.dumps(build_record(rec.doc), ensure_ascii=False) + "\n")
    return f"records in {target}"
